# The band's settings in /config.json: daily goal (reps per exercise), exercise mode, feedback,
# and which thigh wears the band (for the log and for traces recorded on it); the prescription
# (reps x sets of each exercise on this leg, seconds up and down, seconds of hold, minimum range)
# whose form the counter judges, and which gives the daily goal unless one is set; utc_offset_min
# (local time = the RTC's UTC + this: where the day's count starts anew). Light sleep between
# FIFO batches is the band's own choice (on battery only, see app.App.nap), not a setting.
import json

try:
    import os
except ImportError:  # pragma: no cover
    import uos as os  # type: ignore

from counter import forward_y
from names import MODE_NAMES as MODES

PATH = "/config.json"
SIDES = ("left", "right", "unknown")
MOUNTS = ("fixed", "learn")  # fixed: worn as the README says; learn: any way (firmware/mount.py)
FEEDBACK = (True, False, "counts")  # on: counts and form cues; off; counts: no form cues
# A common home programme for the glute medius: 3 sets of 10 a day, each rep two seconds up,
# held two, two seconds down; no minimum range until the physiotherapist sets one. The daily goal
# is reps x sets (per exercise) unless "goal" is set; it is not a default, so it stays derived.
DEFAULTS = {"mode": "auto", "feedback": True, "side": "unknown", "utc_offset_min": 0,
            "mount": "fixed", "reps": 10, "sets": 3, "tempo_s": 2, "hold_s": 2, "min_rom_deg": 0}
LIMITS = {"goal": (1, 1000), "reps": (1, 100), "sets": (1, 20), "tempo_s": (1, 10),
          "hold_s": (0, 30), "min_rom_deg": (0, 90), "utc_offset_min": (-720, 840)}


def _valid(key, value):
    if key in LIMITS:  # (utc_offset_min: UTC-12:00 .. UTC+14:00)
        lo, hi = LIMITS[key]
        return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    if key == "mode":
        return value in MODES
    if key == "feedback":
        return value in FEEDBACK
    if key == "side":
        return value in SIDES
    if key == "mount":
        return value in MOUNTS
    return key == "board" and isinstance(value, str)


def load(path=PATH):
    """The settings, defaults filled in; a missing or broken file gives the defaults. The goal
    is the prescription's reps x sets unless the file sets one."""
    out = dict(DEFAULTS)
    data = _read(path)
    for k, v in data.items():
        if _valid(k, v):
            out[k] = v
    if "goal" not in out:
        out["goal"] = out["reps"] * out["sets"]
    return out


def _read(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def prescribe(params, cfg):
    """The counter's Params (firmware/counter.py) with the prescription of the settings `cfg`:
    the tempo and hold its form faults are judged against, the minimum range, and which way
    forward is on this thigh (for drift_forward)."""
    d = DEFAULTS
    params.rx_up_ms = cfg.get("tempo_s", d["tempo_s"]) * 1000
    params.rx_down_ms = params.rx_up_ms
    params.rx_hold_ms = cfg.get("hold_s", d["hold_s"]) * 1000
    params.rx_rom_cdeg = cfg.get("min_rom_deg", d["min_rom_deg"]) * 100
    params.forward_y = forward_y(cfg.get("side"))  # (mount=learn: the thigh learned, if not set)
    return params


def placement(side):
    """The trace-format placement of a band worn on the outer thigh of `side`."""
    return "thigh_%s_lateral" % side if side in ("left", "right") else "thigh_unknown"


def update(changes, path=PATH):
    """Checks and stores `changes` (a dict; goal None: derive it from the prescription again);
    returns the settings now in force. Only what was set is stored, so defaults stay defaults."""
    for k, v in changes.items():
        if not (_valid(k, v) or (k == "goal" and v is None)):
            raise ValueError("bad setting %s=%r" % (k, v))
    now = _read(path)
    now.update(changes)
    if now.get("goal", 0) is None:
        del now["goal"]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(now, f)
    os.rename(tmp, path)  # a power cut leaves the old file or the new one, never half
    return load(path)
