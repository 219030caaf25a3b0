"""The band's range of motion as the angle a physiotherapist measures.

The counter reports each rep's ROM as the angle gravity swings through in the band's frame
between rest and the top of the rep (`rom_cdeg`: the chord between the two unit gravity
vectors, turned into an arc). That is the thigh's tilt, not yet a joint angle. The model that
turns it into one (README, "Range of motion"):

- The patient lies on the side, trunk and pelvis horizontal and still; the band's thigh is the
  top one. Then every rep turns the thigh about a horizontal axis, and the gravity swing the
  band sees equals the angle the thigh turns through (a turn about a horizontal axis moves the
  vertical by exactly that angle).
- Side-lying leg lift (hip abduction): the straight leg turns about the hip's front-to-back
  axis from resting on the other leg. Hip abduction from that rest = the swing.
- Clamshell (hip external rotation): hips flexed HIP_FLEXION_DEG, knees bent 90 degrees, feet
  together; the knee opens by turning the thigh about the line from hip to feet, which lies
  HIP_FLEXION_DEG from the thigh's own axis (hip, knee and feet form a right isosceles
  triangle when thigh and shank are of a length). Of a turn by `swing` about that line, the
  part about the thigh's long axis is hip external rotation: the twist of a swing-twist
  decomposition, 2 atan(tan(swing / 2) cos(HIP_FLEXION_DEG)). The rest is abduction.
- Exercise unknown: the swing itself, named "thigh swing".

Assumptions worth knowing: a pelvis that rolls back with the knee adds its roll to the angle;
a hip flexed more than 45 degrees gives less rotation for the same swing.
"""

from __future__ import annotations

import math

HIP_FLEXION_DEG = 45.0  # the clamshell position usually taught
ANGLE_NAME = {"leg_lift": "hip abduction", "clamshell": "hip external rotation",
              "unknown": "thigh swing"}


def clinical_angle_deg(exercise: str, swing_deg: float) -> float:
    """The joint angle of a rep whose thigh swung `swing_deg` (the band's ROM), in degrees."""
    if exercise == "clamshell":
        half = math.radians(swing_deg) / 2
        twist = 2 * math.atan(math.tan(half) * math.cos(math.radians(HIP_FLEXION_DEG)))
        return math.degrees(twist)
    return swing_deg
