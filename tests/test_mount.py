"""The band learns how it is worn (firmware/mount.py): the thigh's axis from standing, forward
from walking (the heel strikes at the end of the forward swing), the thigh from which side of
forward the sensor faces; checked on synthetic lead-ins (seeds not used in development), on
HuGaDB's real thigh walking, and the same on MicroPython."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from host_tools.sim.mpy_runtime import run_micropython
from host_tools.traces import mounting, traceio
from host_tools.traces.replay import pack, replay_trace


def turned(trace: traceio.Trace, m: np.ndarray) -> traceio.Trace:
    return traceio.Trace(trace.path, dict(trace.meta, axes="unknown"), trace.sample_rate_hz,
                         "unknown", trace.t_ms, trace.accel_g @ m.T, None)


def frame_error_deg(learned: dict, m: np.ndarray) -> float:
    """The largest angle between a learned band axis and the true one (in sensor axes: the
    columns of the band -> sensor rotation)."""
    r = np.array(learned["rot"], dtype=float) / 1024
    return max(math.degrees(math.acos(np.clip(r[i] @ m[:, i] / np.linalg.norm(r[i]), -1, 1)))
               for i in range(3))


@pytest.mark.parametrize("rate", [20, 52, 104])
def test_frame_and_thigh_are_learned_from_standing_and_20_s_of_walking(rate: int) -> None:
    sure = within = 0
    n = 0
    for seed in range(5000, 5015):
        for side in mounting.SIDES:
            m = mounting.mounting(np.random.default_rng(seed))
            got = mounting.learn(turned(mounting.lead_in(rate, side, seed), m))
            n += 1
            if not got["sure"]:
                continue  # not yet: it goes on counting with the axes unknown
            sure += 1
            assert got["side"] == side, (seed, side)  # never the wrong thigh
            within += frame_error_deg(got, m) <= 12
            assert got["sure_after_s"] <= 25  # by the end of its 20 s of walking
    assert sure >= 0.9 * n
    assert within >= 0.95 * sure


@pytest.mark.parametrize("rate", [20, 25, 52, 104])
def test_the_thigh_is_learned_right_on_99_percent_of_walks_of_20_s(rate: int) -> None:
    """Issue 11: the side learned right on >= 99 % of sessions with >= 20 s of walking, both
    thighs, any mounting (seeds not used in development; 25 Hz is the UCI recordings' rate,
    where a heel strike's ringing is above Nyquist and the walk's lean carries forward)."""
    right = wrong = n = 0
    for seed in range(5400, 5500):
        for side in mounting.SIDES:
            m = mounting.mounting(np.random.default_rng(seed))
            got = mounting.learn(turned(mounting.lead_in(rate, side, seed), m))
            n += 1
            right += got["side"] == side
            wrong += got["side"] not in (side, "unknown")
    assert right >= 0.99 * n, (right, n)
    assert wrong <= 0.005 * n, (wrong, n)


@pytest.mark.parametrize("gain", [0.88, 1.12])
def test_an_accelerometer_a_little_off_scale_still_stands_still(gain: float) -> None:
    """An uncalibrated part reads gravity a few per cent off (one synthetic lead-in read 0.895
    g standing): still is still all the same, so the standing beside the walk is found."""
    m = mounting.mounting(np.random.default_rng(8))
    lead = mounting.lead_in(50, "right", 8)
    lead.accel_g = lead.accel_g * gain
    got = mounting.learn(turned(lead, m))
    assert got["sure"] and got["side"] == "right"


def test_no_frame_from_pedalling_lying_or_standing_alone(shared_traces: Path) -> None:
    """HuGaDB's clips hold no standing, save the start of one ride (bicycling_01_02, both
    thighs: still and upright, then an upright swing within 20 deg of it: walking the bike, or
    pedalling out of the saddle, which the band cannot tell from walking); seated pedalling
    never gives a frame."""
    sure = [p.name for p in sorted((shared_traces / "hugadb-daily").glob("*.csv"))
            if mounting.learn(traceio.read_trace(p))["sure"]]
    assert set(sure) <= {"HuGaDB_v1_bicycling_01_02-lt.csv", "HuGaDB_v1_bicycling_01_02-rt.csv"}
    rng = np.random.default_rng(3)
    for _ in range(3):
        lead = mounting.lead_in(50, "right", int(rng.integers(1000)), walk_s=0.1, stand_s=60)
        assert not mounting.learn(turned(lead, mounting.mounting(rng)))["sure"]


def test_forward_on_real_walking_faces_the_way_the_sensor_faces(shared_traces: Path) -> None:
    """HuGaDB's thigh sensors sit on the front of the thigh, face out: forward is their z. No
    standing in these clips, so (need_standing off) the thigh's axis comes from the walking
    mean; the thigh itself cannot be told from the front (side unknown)."""
    sure = right = 0
    for path in sorted((shared_traces / "hugadb-daily").glob("*walking*.csv")):
        got = mounting.learn(traceio.read_trace(path), need_standing=False)
        if not got["sure"]:
            continue
        sure += 1
        assert got["side"] == "unknown", path.name
        fwd = np.array(got["rot"][1], dtype=float) / 1024  # y = z x x: forward (right thigh)
        right += fwd[2] > 0.5
    assert sure >= 40
    assert right >= 0.95 * sure


def test_a_restrapped_band_learns_its_new_mounting() -> None:
    rate = 50
    a, b = mounting.mounting(np.random.default_rng(1)), mounting.mounting(np.random.default_rng(2))
    first, second = mounting.lead_in(rate, "right", 11), mounting.lead_in(rate, "left", 12)
    t = np.concatenate([first.t_ms, second.t_ms + first.t_ms[-1] + 20])
    acc = np.concatenate([first.accel_g @ a.T, second.accel_g @ b.T])
    got = mounting.learn(traceio.Trace(Path("x.csv"), {}, rate, "unknown", t, acc, None))
    assert got["restraps"] == 1 and got["side"] == "left"
    assert frame_error_deg(got, b) <= 12


def test_a_band_strapped_on_again_a_little_turned_is_followed() -> None:
    """Turned 18 deg on the skin (less than a re-strap's 25 deg): the second walk's frame is
    taken all the same (it is the same mounting seen again, newer), and the thigh is kept."""
    rate = 50
    a = mounting.mounting(np.random.default_rng(3))
    turn = math.radians(18)
    c, s = math.cos(turn), math.sin(turn)
    b = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ a  # turned about the sensor's z
    first, second = mounting.lead_in(rate, "left", 21), mounting.lead_in(rate, "left", 22)
    t = np.concatenate([first.t_ms, second.t_ms + first.t_ms[-1] + 20])
    acc = np.concatenate([first.accel_g @ a.T, second.accel_g @ b.T])
    got = mounting.learn(traceio.Trace(Path("x.csv"), {}, rate, "unknown", t, acc, None))
    assert got["restraps"] == 0 and got["side"] == "left"
    assert frame_error_deg(got, b) <= 10 < frame_error_deg(got, a)


def test_a_shorter_walk_that_reads_forward_the_other_way_keeps_the_thigh() -> None:
    """The same frame with forward the other way round is the same frame on the other thigh
    (the rotation is the same, the side is not): after 20 s of walking on the left thigh, 12 s
    that read as the right (a walk of the right thigh's mirror image) refine the frame but do
    not move the band to the other thigh; a longer one would."""
    rate = 50
    a = mounting.mounting(np.random.default_rng(4))
    first = mounting.lead_in(rate, "left", 31)
    second = mounting.lead_in(rate, "right", 32, walk_s=12)
    t = np.concatenate([first.t_ms, second.t_ms + first.t_ms[-1] + 20])
    acc = np.concatenate([first.accel_g @ a.T, second.accel_g @ a.T])
    got = mounting.learn(traceio.Trace(Path("x.csv"), {}, rate, "unknown", t, acc, None))
    assert got["restraps"] == 0 and got["side"] == "left"
    assert frame_error_deg(got, a) <= 12
    third = mounting.lead_in(rate, "right", 33, walk_s=45)  # (seen again at 10, 20, 40 s)
    t = np.concatenate([t, third.t_ms + t[-1] + 20])
    acc = np.concatenate([acc, third.accel_g @ a.T])
    got = mounting.learn(traceio.Trace(Path("x.csv"), {}, rate, "unknown", t, acc, None))
    assert got["restraps"] == 0 and got["side"] == "right"


def test_counting_goes_on_in_the_learned_frame(shared_traces: Path) -> None:
    """A band-frame recording led in by standing and walking, turned: replayed with the band
    learning its mounting, its exercises are told apart as in the band frame."""
    path = shared_traces / "uci-pt" / "s1-e1-u3-test.csv"
    trace = traceio.read_trace(path)
    labels = traceio.read_labels(traceio.labels_path_for(path))
    known = replay_trace(trace)["reps"]
    led, _, _ = mounting.led_in_and_turned(trace, labels, seed=7)
    learned = replay_trace(led, learn_mount=True)["reps"]
    unknown = replay_trace(led)["reps"]
    assert {r["exercise"] for r in unknown} == {"unknown"}
    after = [r for r in learned if r["t_ms"] > mounting.LEAD_IN_S * 1000]
    assert len(after) == len(known) and [r["exercise"] for r in after] == \
        [r["exercise"] for r in known]


def test_eval_mount_given_turns_the_lead_in_back_exactly(shared_traces: Path) -> None:
    """`eval --rotate SEED --mount given`: the same lead-in and mounting as `--mount learn`,
    turned back by the mounting itself, so the counter's share of any error shows apart."""
    from host_tools.traces import evaluate

    path = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    trace = traceio.read_trace(path)
    led, _, _ = mounting.led_in_and_turned(
        trace, traceio.read_labels(traceio.labels_path_for(path)), seed=9)
    back = led.accel_g @ mounting.turned_by(9)
    assert np.allclose(back[led.t_ms < 4000].mean(0), [-1, 0, 0], atol=0.06)  # standing: -x
    given = evaluate.evaluate([path], rotate=9, mount="given")
    known = evaluate.evaluate([path])
    assert given.mounts == [] and given.traces[0].axes == "band"
    assert [x.counted for x in given.traces[0].sets] == [x.counted for x in known.traces[0].sets]
    assert given.overall.type_accuracy == known.overall.type_accuracy
    assert len(given.traces[0].false_reps) == 0


def test_micropython_learns_the_same_frame() -> None:
    m = mounting.mounting(np.random.default_rng(5))
    trace = turned(mounting.lead_in(50, "left", 5), m)
    want = mounting.learn(trace)
    out = run_micropython(
        "import drive, mount\n"
        "rate, known, mode, c = drive.load('/lib/t.bin')\n"
        "m = mount.Mount(rate)\nsure_t = -1\n"
        "for i in range(len(c[0])):\n"
        "    m.feed(c[0][i], c[1][i], c[2][i], c[3][i])\n"
        "    if m.sure and sure_t < 0:\n        sure_t = c[0][i] - c[0][0]\n"
        "print('M', m.side, sure_t, ' '.join(str(v) for v in m.rot))\n",
        {"t.bin": pack(trace)})
    line = next(x for x in out.splitlines() if x.startswith("M "))
    side, sure_t, *rot = map(int, line.split()[1:])
    assert ("unknown", "left", "right")[side] == want["side"] == "left"
    assert sure_t == round(want["sure_after_s"] * 1000)
    assert rot == [v for row in want["rot"] for v in row]


def test_the_learning_sweep_reports_every_rate_and_strap_turn() -> None:
    got = mounting.sweep(seeds=range(9100, 9104), rates=(25, 100))
    assert got["sessions"] == 16 and got["side_right"] >= 15
    assert {r["rate_hz"] for r in got["table"]} == {25, 100}
    assert sum(r["of"] for r in got["table"]) == 16
    assert all(r["median_s"] is None or 5 <= r["median_s"] <= 20 for r in got["table"])
    assert "thigh learned right" in mounting.format_sweep(got)
