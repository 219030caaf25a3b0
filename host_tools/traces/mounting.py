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

LEAD_IN_S = 30.0  # 5 s standing, 20 s walking, 5 s standing (WALK)
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


WALK = (("stand", 5.0), ("walk", 20.0), ("stand", 5.0))  # the lead-in `eval --mount learn` uses
# a way to the mat through a house: stairs, a chair, walking again
DAILY = (("stand", 5.0), ("walk", 8.0), ("stairs", 8.0), ("walk", 6.0), ("sit", 8.0),
         ("stand", 3.0), ("walk", 8.0), ("stand", 3.0))
ACTIVITIES = ("stand", "walk", "stairs", "sit")


def lead_in(rate_hz: float, side: str, seed: int, walk_s: float = 20.0,
            stand_s: float = 5.0,
            activities: tuple[tuple[str, float], ...] | None = None) -> traceio.Trace:
    """What a wearer does before the mat, in the band frame of a band on the `side` thigh (on
    the left thigh y = z x x points backward, so the swing's forward half reads -y): by default
    standing, walking, standing (`stand_s`, `walk_s`, `stand_s`); or `activities`, (kind,
    seconds) in order, kind one of ACTIVITIES (synth's calibrated gait for walking and stairs;
    sitting down on a chair, seated, standing up again)."""
    rng = np.random.default_rng(seed)
    tl = synth._Timeline(float(rate_hz), rng, [], [], [], [], [])
    plan = activities or (("stand", stand_s), ("walk", walk_s), ("stand", stand_s))
    for kind, seconds in plan:
        if kind == "stand":
            synth._still(tl, synth.STANDING, seconds)
        elif kind == "walk":
            synth._gait(tl, seconds)
        elif kind == "stairs":
            synth._stairs(tl, seconds)
        elif kind == "sit":
            synth._sit_down(tl, seconds)
        else:
            raise ValueError(f"lead-in activity {kind!r}: one of {', '.join(ACTIVITIES)}")
    if side == "left":
        for k in range(len(tl.up)):
            tl.up[k] = tl.up[k] * [1, -1, 1]
            tl.lin[k] = tl.lin[k] * [1, -1, 1]
            tl.omega[k] = tl.omega[k] * [-1, 1, -1]  # (an axial vector: mirrored the other way)
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{rate_hz:g}", "axes": "band",
            "source": f"synthetic lead-in (host_tools.traces.mounting, seed {seed}, {side} thigh)"}
    return synth._sensor(tl, rate_hz, True, None, meta)


def _restrap_fidget(rate_hz: float, rng: np.random.Generator, seconds: float = 4.0
                    ) -> traceio.Trace:
    """The band off the thigh and back on: turned about by hand (no frame holds)."""
    tl = synth._Timeline(float(rate_hz), rng, [], [], [], [], [])
    up = synth.STANDING
    for _ in range(4):
        nxt = synth._normalise(rng.standard_normal(3))
        synth._turn(tl, up, nxt, seconds / 4)
        up = nxt
    synth._turn(tl, up, synth.STANDING, 0.5)
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{rate_hz:g}", "axes": "band"}
    return synth._sensor(tl, rate_hz, True, None, meta)


def _drawn(seed: int, side: str | None) -> tuple[np.random.Generator, str, np.ndarray]:
    rng = np.random.default_rng(seed)
    side = side or str(rng.choice(SIDES))
    return rng, side, mounting(rng)


def turned_by(seed: int, side: str | None = None) -> np.ndarray:
    """The mounting (band -> sensor) `led_in_and_turned(..., seed, side)` turns its lead-in and
    trace by (before any re-strap): for replaying them with the axes given exactly."""
    return _drawn(seed, side)[2]


def led_in_and_turned(trace: traceio.Trace, labels: traceio.Labels, seed: int,
                      side: str | None = None,
                      activities: tuple[tuple[str, float], ...] | None = None,
                      restrap: bool = False) -> tuple[traceio.Trace, traceio.Labels, str]:
    """`trace` (band frame) after a lead-in (`activities`, default standing and walking), all
    of it turned by one mounting; the labels moved with it. With `restrap`, half way through
    (between two labelled sets) the band is taken off and strapped on again in another mounting,
    and a second lead-in of standing and walking follows before the rest. Returns the new
    trace, labels and the thigh."""
    rng, side, m = _drawn(seed, side)
    rate = trace.sample_rate_hz
    step = 1000.0 / rate
    parts = [(lead_in(rate, side, seed, activities=activities), m)]
    cut = None
    if restrap:
        ends = sorted(s.end_ms for s in labels.sets)
        starts = sorted(s.start_ms for s in labels.sets)
        mid = trace.t_ms[0] + (trace.t_ms[-1] - trace.t_ms[0]) / 2
        gaps = [(e + next((b for b in starts if b > e), trace.t_ms[-1])) / 2 for e in ends]
        cut = min(gaps, key=lambda g: abs(g - mid)) if gaps else mid
    body = [trace] if cut is None else [_slice(trace, None, cut), _slice(trace, cut, None)]
    shifts = []
    t_end = -step
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]] = []

    def put(tr: traceio.Trace, rot: np.ndarray, keep_time: bool) -> float:
        nonlocal t_end
        shift = int(t_end + step) - int(tr.t_ms[0])
        g = tr.gyro_dps if tr.gyro_dps is not None else np.zeros_like(tr.accel_g)
        chunks.append((tr.t_ms + shift, tr.accel_g, g, rot))
        t_end = float(tr.t_ms[-1] + shift)
        return shift if keep_time else 0

    put(parts[0][0], m, False)
    shifts.append((None, put(body[0], m, True)))
    if cut is not None:
        m2 = mounting(rng)
        put(_restrap_fidget(rate, rng), np.eye(3), False)
        put(lead_in(rate, side, seed + 1), m2, False)
        shifts.append((cut, put(body[1], m2, True)))
    t = np.concatenate([c[0] for c in chunks])
    a = np.concatenate([c[1] @ c[3].T for c in chunks])
    g = None
    if trace.gyro_dps is not None:
        g = np.concatenate([c[2] @ c[3].T for c in chunks])
    out = traceio.Trace(trace.path, dict(trace.meta, axes="unknown"), rate, "unknown", t, a, g)

    def moved(ms: int) -> int:
        shift = shifts[0][1] if cut is None or ms < cut else shifts[1][1]
        return int(ms + shift)

    sets = [replace(s, start_ms=moved(s.start_ms), end_ms=moved(s.end_ms),
                    rep_ms=None if s.rep_ms is None else [moved(r) for r in s.rep_ms])
            for s in labels.sets]
    return out, traceio.Labels(labels.path, sets, labels.notes), side


def _slice(trace: traceio.Trace, after: float | None, before: float | None) -> traceio.Trace:
    keep = np.ones(len(trace.t_ms), bool)
    if after is not None:
        keep &= trace.t_ms >= after
    if before is not None:
        keep &= trace.t_ms < before
    return traceio.Trace(trace.path, trace.meta, trace.sample_rate_hz, trace.axes,
                         trace.t_ms[keep], trace.accel_g[keep],
                         None if trace.gyro_dps is None else trace.gyro_dps[keep])


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


def sweep(seeds: range = range(9000, 9030),
          rates: tuple[int, ...] = (20, 25, 50, 104, 200)) -> dict:
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
