"""A band strapped on any way: band-frame traces led in by standing and walking, turned into a
sensor's mounting, and replayed with the band learning that mounting (firmware/mount.py).

How a band can sit: its board lies against the skin, face out (sensor z out of the skin, give
or take a tilt), within 35 deg of the outer side of the thigh, turned any way on the skin
(upside down included), on either thigh. `mounting(rng)` draws such a rotation; the lead-in is
our synthetic generator's standing and walking (host_tools.traces.synth) for that thigh.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from host_tools import firmware
from host_tools.traces import synth, traceio

LEAD_IN_S = 30.0  # 5 s standing, 20 s walking, 5 s standing
SIDES = ("left", "right")


def _rot(axis: int, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def mounting(rng: np.random.Generator) -> np.ndarray:
    """band -> sensor rotation: turned on the skin by any angle (about z), slid up to 35 deg
    round the thigh toward its front or back (about x), tilted up to 15 deg off the skin."""
    turn = _rot(2, rng.uniform(0, 2 * math.pi))
    slide = _rot(0, math.radians(rng.uniform(-35, 35)))
    tilt = _rot(1, math.radians(rng.uniform(-15, 15)))
    return (tilt @ turn @ slide).T  # rows: the sensor's axes in band coordinates


def _gait(tl, seconds: float) -> None:
    """Walking as a thigh band feels it: synth's swing (18-26 deg about a few deg of flexion,
    a stride of 1.0-1.2 s) plus the thigh's sagittal linear acceleration, a heel strike of
    ~1.5 g ringing at ~15 Hz in the soft tissue just after the forward peak (and the other
    foot's, weaker, half a stride later), and tissue noise.
    Calibrated to HuGaDB's thigh walking (../shared/traces/hugadb-daily, 12 subjects): a median
    sample-to-sample change of ~700-1500 mg (L1, 59 Hz; synth's own walk has ~160), and 100 ms
    means swinging ~450-700 mg rms along forward, ~110-140 across; the counter's bout jerk (the
    change of the 100 ms mean's magnitude) 300-450 mg, which the body's bounce makes."""
    n = tl.n(seconds)
    hz = tl.internal_hz
    t = np.arange(n) / hz
    stride = tl.rng.uniform(1.0, 1.2)
    w = 2 * math.pi / stride
    amp = math.radians(tl.rng.uniform(18, 26))
    phi = amp * np.sin(w * t) + math.radians(tl.rng.uniform(3, 8))
    up = np.stack([-np.cos(phi), np.sin(phi), np.zeros(n)], 1)
    omega = np.outer(amp * w * np.cos(w * t), [0, 0, 1.0])
    sagittal = tl.rng.uniform(0.2, 0.5) * np.sin(w * t)  # g, along the thigh's forward axis
    since = (t - 0.3 * stride) % stride  # heel strike just after the thigh's forward peak
    ring = 1.5 * np.exp(-since / 0.12) * np.cos(2 * math.pi * 15 * since)
    other = (since - 0.5 * stride) % stride  # the other foot's heel strike, through the pelvis
    ring += 0.9 * np.exp(-other / 0.1) * np.cos(2 * math.pi * 15 * other)
    # the body rises and falls once a step (twice a stride), ~0.3-0.45 g along the thigh; it
    # sways sideways once a stride
    bounce = tl.rng.uniform(0.3, 0.45) * np.sin(2 * w * t + tl.rng.uniform(0, 2 * math.pi))
    sway = 0.1 * np.sin(w * t + tl.rng.uniform(0, 2 * math.pi))
    lin = np.stack([bounce - ring, sagittal + 0.3 * ring, sway + 0.1 * ring], 1)
    lin += 0.04 * tl.rng.standard_normal((n, 3))
    tl.segment(up, omega, lin)


def lead_in(rate_hz: float, side: str, seed: int, walk_s: float = 20.0,
            stand_s: float = 5.0) -> traceio.Trace:
    """Standing, walking, standing: the band frame of a band on the `side` thigh (on the left
    thigh y = z x x points backward, so the swing's forward half reads -y)."""
    rng = np.random.default_rng(seed)
    tl = synth._Timeline(float(rate_hz), rng, [], [], [], [], [])
    synth._still(tl, synth.STANDING, stand_s)
    _gait(tl, walk_s)
    synth._still(tl, synth.STANDING, stand_s)
    if side == "left":
        for k in range(len(tl.up)):
            tl.up[k] = tl.up[k] * [1, -1, 1]
            tl.lin[k] = tl.lin[k] * [1, -1, 1]
            tl.omega[k] = tl.omega[k] * [-1, 1, -1]  # (an axial vector: mirrored the other way)
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{rate_hz:g}", "axes": "band",
            "source": f"synthetic lead-in (host_tools.traces.mounting, seed {seed}, {side} thigh)"}
    return synth._sensor(tl, rate_hz, True, None, meta)


def led_in_and_turned(trace: traceio.Trace, labels: traceio.Labels, seed: int,
                      side: str | None = None) -> tuple[traceio.Trace, traceio.Labels, str]:
    """`trace` (band frame) after a lead-in of standing and walking, all of it turned by one
    mounting; the labels moved with it. Returns the new trace, labels and the thigh."""
    rng = np.random.default_rng(seed)
    side = side or str(rng.choice(SIDES))
    rate = trace.sample_rate_hz
    lead = lead_in(rate, side, seed)
    step = 1000.0 / rate
    shift = int(lead.t_ms[-1] + step) - int(trace.t_ms[0])
    t = np.concatenate([lead.t_ms, trace.t_ms + shift])
    a = np.concatenate([lead.accel_g, trace.accel_g])
    g = None
    if trace.gyro_dps is not None:
        assert lead.gyro_dps is not None  # (lead_in has a gyro)
        g = np.concatenate([lead.gyro_dps, trace.gyro_dps])
    m = mounting(rng)
    out = traceio.Trace(trace.path, dict(trace.meta, axes="unknown"), rate, "unknown", t,
                        a @ m.T, None if g is None else g @ m.T)
    sets = [replace(s, start_ms=s.start_ms + shift, end_ms=s.end_ms + shift,
                    rep_ms=None if s.rep_ms is None else [r + shift for r in s.rep_ms])
            for s in labels.sets]
    return out, traceio.Labels(labels.path, sets, labels.notes), side


def learn(trace: traceio.Trace, need_standing: bool = True) -> dict:
    """Where the band's mounting estimator gets to on `trace` (sensor axes): sure or not, after
    how many seconds, the thigh, and the band frame's rows in sensor axes. `need_standing`
    False: also from a walk with no standing beside it (clips cut out of longer recordings)."""
    mount = firmware.load("mount")
    m = mount.Mount(round(trace.sample_rate_hz))
    m.need_standing = need_standing
    a = np.rint(trace.accel_g * 1000).astype(np.int64)
    sure_ms = None
    for k in range(len(trace.t_ms)):
        m.feed(int(trace.t_ms[k]), int(a[k, 0]), int(a[k, 1]), int(a[k, 2]))
        if m.sure and sure_ms is None:
            sure_ms = int(trace.t_ms[k] - trace.t_ms[0])
    return {"sure": m.sure, "sure_after_s": None if sure_ms is None else sure_ms / 1000,
            "side": ("unknown", "left", "right")[m.side], "restraps": m.restraps,
            "rot": [m.rot[i:i + 3] for i in (0, 3, 6)]}


def sweep(seeds: range = range(9000, 9030), rates: tuple[int, ...] = (20, 50, 104, 200)) -> dict:
    """Time to a sure mounting (seconds of walking after 5 s of standing) by sample rate and
    how far the strap is turned on the skin, over lead-ins of both thighs in random mountings;
    and how often the thigh was learned right."""
    rows: dict[tuple[int, str], list] = {}
    right = wrong = total = 0
    for rate in rates:
        for seed in seeds:
            for side in SIDES:
                m = mounting(np.random.default_rng(seed))
                turn = abs(math.degrees(math.atan2(m[1, 0], m[0, 0])))
                band = "0-60" if turn < 60 else "60-120" if turn < 120 else "120-180"
                lead = lead_in(rate, side, seed)
                got = learn(traceio.Trace(lead.path, {}, rate, "unknown", lead.t_ms,
                                          lead.accel_g @ m.T, None))
                total += 1
                right += got["side"] == side
                wrong += got["side"] not in (side, "unknown")
                rows.setdefault((rate, band), []).append(
                    None if not got["sure"] else got["sure_after_s"] - 5)
    table = []
    for (rate, band), v in sorted(
        rows.items(), key=lambda kv: (kv[0][0], int(kv[0][1].split("-")[0]))
    ):
        done = [x for x in v if x is not None]
        table.append({"rate_hz": rate, "turn_deg": band, "learned": len(done), "of": len(v),
                      "median_s": round(float(np.median(done)), 1) if done else None,
                      "worst_s": round(max(done), 1) if done else None})
    return {"side_right": right, "side_wrong": wrong, "sessions": total, "table": table}


def format_sweep(result: dict) -> str:
    lines = [f"thigh learned right: {result['side_right']} of {result['sessions']} sessions, "
             f"wrong: {result['side_wrong']} (the rest not yet learned)",
             "rate  strap turn  learned  walking s to sure: median, worst"]
    for r in result["table"]:
        lines.append(f"{r['rate_hz']:4d}  {r['turn_deg']:10s}  {r['learned']:3d}/{r['of']:<3d}  "
                     f"{r['median_s']}, {r['worst_s']}")
    return "\n".join(lines)
