"""The synthetic lead-ins the mounting is learned from (host_tools/traces/mounting.py on synth's
gait): a walk as uneven as HuGaDB's real thigh walking (stride to stride, heel strike to heel
strike), stairs, sitting down on a chair, any mounting on either thigh, and a band strapped on
anew in the middle of a session."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from host_tools.traces import mounting, traceio
from host_tools.traces.replay import replay_trace


def strides(trace: traceio.Trace) -> dict[str, float]:
    """Per stride (upward zero crossings of the sagittal gyro, 100 ms smoothed): the median
    stride (s), its stride-to-stride CV, the median peak |a| (g) and the sample-to-sample
    change (mg, L1, per 59 Hz sample)."""
    rate = trace.sample_rate_hz
    assert trace.gyro_dps is not None
    g = trace.gyro_dps[:, int(np.argmax(trace.gyro_dps.var(0)))]
    k = max(1, int(rate * 0.1))
    g = np.convolve(g, np.ones(k) / k, mode="same")
    cross: list[int] = []
    for i in np.where((g[:-1] < 0) & (g[1:] >= 0))[0]:
        if not cross or (i - cross[-1]) / rate > 0.7:
            cross.append(int(i))
    per = np.diff(cross) / rate
    ok = (per > 0.8) & (per < 1.8)
    mag = np.linalg.norm(trace.accel_g, axis=1)
    peaks = [mag[a:b].max() for a, b, good in zip(cross[:-1], cross[1:], ok) if good]
    change = np.abs(np.diff(trace.accel_g * 1000, axis=0)).sum(1)
    return {"stride_s": float(np.median(per[ok])), "cv": float(np.std(per[ok]) / np.mean(per[ok])),
            "peak_g": float(np.median(peaks)), "change_mg": float(np.median(change)) * 59 / rate}


def walking_part(lead: traceio.Trace, start_s: float, end_s: float) -> traceio.Trace:
    keep = (lead.t_ms >= start_s * 1000) & (lead.t_ms < end_s * 1000)
    return traceio.Trace(lead.path, lead.meta, lead.sample_rate_hz, lead.axes, lead.t_ms[keep],
                         lead.accel_g[keep], lead.gyro_dps[keep])


def test_the_walk_is_as_uneven_as_real_thigh_walking(shared_traces: Path) -> None:
    real = [strides(t) for t in (traceio.read_trace(p) for p in
                                 sorted((shared_traces / "hugadb-daily").glob("*walking*.csv")))
            if t.gyro_dps is not None and len(t.t_ms) > 59 * 8]
    assert len(real) >= 10
    ours = [strides(walking_part(mounting.lead_in(59, "right", seed), 5.5, 24.5))
            for seed in range(6000, 6012)]
    for key in ("stride_s", "cv", "peak_g", "change_mg"):
        lo, hi = (np.percentile([r[key] for r in real], q) for q in (10, 90))
        mid = float(np.median([o[key] for o in ours]))
        assert lo <= mid <= hi, (key, mid, lo, hi)
    assert min(o["cv"] for o in ours) > 0.02  # no metronome: strides differ


def flexion_deg(trace: traceio.Trace) -> np.ndarray:
    """The thigh's angle from hanging (band frame: standing reads -x)."""
    a = trace.accel_g / np.linalg.norm(trace.accel_g, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(-a[:, 0], -1, 1)))


def test_stairs_swing_the_thigh_further_and_slower_and_sitting_holds_it_level() -> None:
    plan = (("stand", 3.0), ("walk", 15.0), ("stairs", 15.0), ("sit", 10.0), ("stand", 3.0))
    lead = mounting.lead_in(50, "right", 41, activities=plan)
    walk, stairs = walking_part(lead, 4, 17), walking_part(lead, 19.5, 32.5)
    assert strides(stairs)["stride_s"] > strides(walk)["stride_s"] * 1.15
    def mean_flexion(t: traceio.Trace) -> float:  # (the heel strikes average out)
        m = t.accel_g.mean(0)
        return math.degrees(math.acos(-m[0] / np.linalg.norm(m)))

    assert mean_flexion(stairs) > mean_flexion(walk) + 15
    seated = walking_part(lead, 37, 42)  # (after the turn down to the chair)
    assert np.all(np.abs(flexion_deg(seated) - 90) < 10)
    up = seated.accel_g / np.linalg.norm(seated.accel_g, axis=1, keepdims=True)
    assert np.all(up[:, 1] > 0.95)  # y points up: forward on the right thigh, level
    with pytest.raises(ValueError, match="lead-in activity 'dance'"):
        mounting.lead_in(50, "right", 1, activities=(("dance", 2.0),))


@pytest.mark.parametrize("rate", [20, 25, 50, 104])
def test_a_way_to_the_mat_with_stairs_and_a_chair_still_teaches_the_mounting(rate: int) -> None:
    """Either thigh, any mounting: the stairs and the chair on the way do not mislead it."""
    right = n = 0
    for seed in range(7000, 7010):
        for side in mounting.SIDES:
            m = mounting.mounting(np.random.default_rng(seed))
            lead = mounting.lead_in(rate, side, seed, activities=mounting.DAILY)
            got = mounting.learn(traceio.Trace(lead.path, {}, rate, "unknown", lead.t_ms,
                                               lead.accel_g @ m.T, None))
            n += 1
            assert got["side"] in (side, "unknown"), (seed, side)  # never the wrong thigh
            right += got["side"] == side
    assert right >= 0.95 * n


def test_a_band_strapped_on_anew_mid_session_learns_again_and_counts_on(
        shared_traces: Path) -> None:
    path = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    trace = traceio.read_trace(path)
    labels = traceio.read_labels(traceio.labels_path_for(path))
    led, moved, side = mounting.led_in_and_turned(trace, labels, seed=5, restrap=True)
    plain, _, _ = mounting.led_in_and_turned(trace, labels, seed=5)
    assert led.t_ms[-1] > plain.t_ms[-1] + 30_000  # the re-strap and a second lead-in
    assert np.all(np.diff(led.t_ms) > 0)
    got = mounting.learn(led)
    assert got["sure"] and got["restraps"] == 1 and got["side"] == side
    # the frame in use at the end is the second mounting's
    rng = np.random.default_rng(5)
    rng.choice(mounting.SIDES)
    mounting.mounting(rng)
    second = mounting.mounting(rng)
    r = np.array(got["rot"], dtype=float) / 1024
    worst = max(math.degrees(math.acos(np.clip(r[i] @ second[:, i] / np.linalg.norm(r[i]), -1, 1)))
                for i in range(3))
    assert worst <= 15
    # the labels moved with the sets: every set is counted where its labels say
    reps = replay_trace(led, learn_mount=True)["reps"]
    for s in moved.sets:
        inside = [x for x in reps if s.start_ms <= x["t_ms"] <= s.end_ms + 4000]
        assert abs(len(inside) - s.reps) <= 1, (s.start_ms, len(inside), s.reps)
    assert len(moved.sets) == len(labels.sets)
