# The band's settings in /config.json: daily goal (reps per exercise), exercise mode, feedback,
# and which thigh wears the band (for the log and for traces recorded on it); utc_offset_min
# (local time = the RTC's UTC + this: where the day's count starts anew). Light sleep between
# FIFO batches is the band's own choice (on battery only, see app.App.nap), not a setting.
import json

try:
    import os
except ImportError:  # pragma: no cover
    import uos as os  # type: ignore

PATH = "/config.json"
MODES = ("auto", "clamshell", "leg_lift")
SIDES = ("left", "right", "unknown")
MOUNTS = ("fixed", "learn")  # fixed: worn as the README says; learn: any way (firmware/mount.py)
DEFAULTS = {"goal": 100, "mode": "auto", "feedback": True, "side": "unknown",
            "utc_offset_min": 0, "mount": "fixed"}


def _valid(key, value):
    if key == "goal":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000
    if key == "mode":
        return value in MODES
    if key == "feedback":
        return isinstance(value, bool)
    if key == "utc_offset_min":  # UTC-12:00 .. UTC+14:00
        return isinstance(value, int) and not isinstance(value, bool) and -720 <= value <= 840
    if key == "side":
        return value in SIDES
    if key == "mount":
        return value in MOUNTS
    return key == "board" and isinstance(value, str)


def load(path=PATH):
    """The settings, defaults filled in; a missing or broken file gives the defaults."""
    out = dict(DEFAULTS)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return out
    if isinstance(data, dict):
        for k, v in data.items():
            if _valid(k, v):
                out[k] = v
    return out


def placement(side):
    """The trace-format placement of a band worn on the outer thigh of `side`."""
    return "thigh_%s_lateral" % side if side in ("left", "right") else "thigh_unknown"


def update(changes, path=PATH):
    """Checks and stores `changes` (a dict); returns the settings now in force."""
    for k, v in changes.items():
        if not _valid(k, v):
            raise ValueError("bad setting %s=%r" % (k, v))
    now = load(path)
    now.update(changes)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(now, f)
    os.rename(tmp, path)  # a power cut leaves the old file or the new one, never half
    return now
