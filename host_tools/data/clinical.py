"""The name of the clinical angle a rep's range of motion is.

The band reports each rep's range of motion (`rom_deg`) as the angle a physiotherapist measures,
computed on the band from its tilt and the thigh's geometry (firmware/counter.py,
`_clinical_cdeg` and `_rep_end`; README, *Form per rep*, "Range model"): for a side-lying leg
lift hip abduction, the rise of the thigh's long axis; for a clamshell hip external rotation,
the knee opening, the turn about the trunk's long axis (lying on the side, gravity's tilt
between rest and top); with the exercise unknown, that tilt ("thigh swing"). The host shows
that number as it is (judging `too_small` and the report's angles by one figure) and names it
here.
"""

from __future__ import annotations

ANGLE_NAME = {"leg_lift": "hip abduction", "clamshell": "hip external rotation",
              "unknown": "thigh swing"}
