"""The counter's behaviour on real recordings, transformed the way a band could be worn or sampled.

Each test derives what it expects from the untransformed recording (or from the physics of the
transform), never from hard-coded counts.
"""

import math

import numpy as np
import pytest

from host_tools import firmware
from host_tools.sim.mp import drive

counter = firmware.load("counter")


def run(t_ms, accel_mg, rate_hz, axes_known, mode=0):
    """Feed int samples through one Counter; return (reps, sets) as lists of tuples."""
    c = counter.Counter(rate_hz, axes_known=axes_known, mode=mode)
    reps, sets = [], []

    def take(ev):
        if ev == counter.EV_REP:
            reps.append((c.rep_t_ms, c.rep_exercise, c.rep_rom_cdeg, c.set_reps))
        elif ev == counter.EV_SET:
            sets.append((c.set_start_ms, c.set_end_ms, c.set_reps, c.set_exercise))

    for i in range(len(t_ms)):
        ax, ay, az = accel_mg[i]
        take(c.feed(int(t_ms[i]), int(ax), int(ay), int(az), 0, 0, 0))
    while True:
        ev = c.finish(int(t_ms[-1]))
        if not ev:
            break
        take(ev)
    return reps, sets


def load(path):
    from host_tools.traces.traceio import read_trace

    trace = read_trace(path)
    return trace, round(trace.sample_rate_hz)


def to_mg(accel_g):
    return np.rint(np.asarray(accel_g) * 1000).astype(int)


def per_set(reps, labels):
    return [
        sum(1 for r in reps if s.start_ms - 2000 <= r[0] <= s.end_ms + 2000)
        for s in labels.sets
        if s.exercise != "other"
    ]


def rotation(seed):
    """A random proper rotation matrix (QR of a Gaussian matrix, sign-fixed)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def rot_x(deg):
    a = np.radians(deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


@pytest.fixture
def leg_lifts(shared_traces):
    from host_tools.traces.traceio import labels_path_for, read_labels

    path = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    trace, rate = load(path)
    return trace, rate, read_labels(labels_path_for(path))


@pytest.fixture
def clam_traces(shared_traces):
    from host_tools.traces.traceio import labels_path_for, read_labels

    out = []
    for path in sorted((shared_traces / "mex-clam").glob("*.csv")):
        labels = read_labels(labels_path_for(path))
        if labels.sets:
            out.append((load(path), labels))
    return out


def test_same_reps_at_every_sample_rate(leg_lifts):
    """Resampled to 20..200 Hz, every set keeps its count (the counter runs on a fixed 10 Hz
    tick)."""
    trace, rate, labels = leg_lifts
    base = per_set(run(trace.t_ms, to_mg(trace.accel_g), rate, True)[0], labels)
    assert sum(base) > 0
    for new_rate in (20, 50, 100, 200):
        t = np.arange(trace.t_ms[0], trace.t_ms[-1], 1000 / new_rate)
        accel = np.stack([np.interp(t, trace.t_ms, trace.accel_g[:, k]) for k in range(3)], 1)
        reps, _ = run(np.floor(t).astype(int), to_mg(accel), new_rate, True)
        assert per_set(reps, labels) == base, f"{new_rate} Hz"


def test_a_held_rep_counts_wherever_the_samples_fall(shared_traces):
    """Resampled at the recording's own rate with the samples a quarter and half a period
    later, every set keeps the labelled count. (A leg held at the top wavers sideways as it
    starts down; whether that reads as leaving the hold must not depend on where samples fall:
    leaving is judged along the line back to the rest.)"""
    from host_tools.traces.traceio import labels_path_for, read_labels

    for name in ("s2-e4-u3-template_session", "s2-e4-u3-test"):
        path = shared_traces / "uci-pt" / f"{name}.csv"
        trace, rate = load(path)
        truth = [s.reps for s in read_labels(labels_path_for(path)).sets if s.is_target]
        for phase in (0.0, 0.25, 0.5, 0.75):
            n = int(trace.duration_ms * rate / 1000 - phase) + 1
            t = trace.t_ms[0] + (np.arange(n) + phase) * 1000 / rate
            accel = np.stack([np.interp(t, trace.t_ms, trace.accel_g[:, k]) for k in range(3)], 1)
            reps, _ = run(np.floor(t).astype(int), to_mg(accel), rate, True)
            assert per_set(reps, read_labels(labels_path_for(path))) == truth, (name, phase)


def _same_share(pairs):
    """Share of (count, base count) pairs that agree; every pair must be within one rep (the
    integer rounding of a turned gravity vector can tip a borderline swing)."""
    assert pairs
    assert all(abs(a - b) <= 1 for a, b, _ in pairs), [p for p in pairs if abs(p[0] - p[1]) > 1]
    return sum(a == b for a, b, _ in pairs) / len(pairs)


def test_rotated_sensor_counts_the_same_reps(clam_traces):
    """With axes unknown, fixed rotations of the sensor give the same count in nearly every set
    (the chord from the rest does not depend on how the sensor sits)."""
    assert clam_traces
    pairs = []
    for (trace, rate), labels in clam_traces:
        base = per_set(run(trace.t_ms, to_mg(trace.accel_g), rate, False)[0], labels)
        for seed in range(3):
            rotated = trace.accel_g @ rotation(seed).T
            reps, _ = run(trace.t_ms, to_mg(rotated), rate, False)
            pairs += [(a, b, (trace.path.name, seed)) for a, b in zip(per_set(reps, labels), base)]
    assert _same_share(pairs) >= 0.9


def test_shifted_timestamps_count_the_same(shared_traces):
    """The count does not depend on when the band booted: every timestamp shifted by 25, 50,
    75 ms gives the same reps, shifted (bins start at the first sample)."""
    for path in sorted((shared_traces / "uci-pt").glob("*-e4-u3-*.csv")):
        trace, rate = load(path)
        base = run(trace.t_ms, to_mg(trace.accel_g), rate, True)[0]
        assert base
        for off in (25, 50, 75, 1234567):
            reps = run(trace.t_ms + off, to_mg(trace.accel_g), rate, True)[0]
            assert [(r[0] - off, *r[1:]) for r in reps] == base, (path.name, off)


def test_leg_lifts_count_the_same_however_the_sensor_is_turned(shared_traces):
    """Axes unknown, every leg-lift set of the band-frame recordings, each under random fixed
    rotations, counts what the band frame counts: the swing axis and the side the set starts
    from are learnt from the motion, not from how the sensor sits."""
    from host_tools.traces.traceio import labels_path_for, read_labels

    paths = sorted((shared_traces / "uci-pt").glob("*-e4-u3-*.csv"))
    assert paths
    pairs = []
    for path in paths:
        trace, rate = load(path)
        labels = read_labels(labels_path_for(path))
        base = per_set(run(trace.t_ms, to_mg(trace.accel_g), rate, True)[0], labels)
        for seed in range(6):
            rotated = trace.accel_g @ rotation(100 + seed).T
            reps, _ = run(trace.t_ms, to_mg(rotated), rate, False)
            pairs += [(a, b, (path.name, seed)) for a, b in zip(per_set(reps, labels), base)]
    assert _same_share(pairs) >= 0.9


@pytest.mark.parametrize(
    "name, turn",
    [
        ("band on the bottom leg (outer thigh faces down)", rot_x(180)),
        ("lying face down (band faces sideways)", rot_x(90)),
        ("lying on the back", rot_x(-90)),
    ],
)
def test_band_frame_rejects_postures_where_the_exercise_is_impossible(leg_lifts, name, turn):
    """The same thigh motion seen in a posture where no clamshell or leg lift can happen counts
    0."""
    trace, rate, labels = leg_lifts
    assert run(trace.t_ms, to_mg(trace.accel_g), rate, True)[0], "no reps in the original"
    # The world turned around the thigh's long axis: gravity seen by the band rotates about x.
    reps, _ = run(trace.t_ms, to_mg(trace.accel_g @ turn.T), rate, True)
    assert reps == [], name


def test_same_motion_counts_when_axes_are_unknown(leg_lifts):
    """What the band frame rejects as a posture is still a swing: with axes unknown it counts."""
    trace, rate, labels = leg_lifts
    known = per_set(run(trace.t_ms, to_mg(trace.accel_g), rate, True)[0], labels)
    unknown = per_set(run(trace.t_ms, to_mg(trace.accel_g @ rot_x(90).T), rate, False)[0], labels)
    assert all(abs(a - b) <= 1 for a, b in zip(known, unknown))


def test_a_lone_swing_is_not_a_set(leg_lifts):
    """One rep cut out of a set (like rolling over once) is not counted."""
    trace, rate, labels = leg_lifts
    reps, _ = run(trace.t_ms, to_mg(trace.accel_g), rate, True)
    first, second = reps[0][0], reps[1][0]
    # from well before the first rep to halfway to the second
    keep = (trace.t_ms >= trace.t_ms[0]) & (trace.t_ms <= (first + second) // 2)
    alone, _ = run(trace.t_ms[keep], to_mg(trace.accel_g[keep]), rate, True)
    assert alone == []


def test_events_arrive_in_order_and_sets_add_up(leg_lifts):
    trace, rate, labels = leg_lifts
    reps, sets = run(trace.t_ms, to_mg(trace.accel_g), rate, True)
    assert len(sets) == len([s for s in labels.sets if s.exercise != "other"])
    assert sum(s[2] for s in sets) == len(reps)
    times = [r[0] for r in reps]
    assert times == sorted(times)
    for start, end, n, exercise in sets:
        inside = [r for r in reps if start <= r[0] <= end]
        assert len(inside) == n
        assert [r[3] for r in inside] == list(range(1, n + 1))  # set_reps counts up
        assert exercise == counter.LEG_LIFT
    assert all(r[1] == counter.LEG_LIFT for r in reps)
    assert all(500 <= r[2] <= 9000 for r in reps)  # 5..90 degrees


def test_fixed_exercise_is_reported(leg_lifts):
    trace, rate, labels = leg_lifts
    reps, _ = run(trace.t_ms, to_mg(trace.accel_g), rate, True, mode=counter.CLAMSHELL)
    assert reps and all(r[1] == counter.CLAMSHELL for r in reps)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        counter.Counter(10)
    with pytest.raises(ValueError):
        counter.Counter(100, mode=7)


# --- synthetic sessions (no shared data needed) --------------------------------------------------

def _synthetic_scores(scenario, axes, seeds, **kw):
    from host_tools.traces.synth import make_session

    errors, false_reps, typed = [], 0, []
    for seed in seeds:
        trace, labels = make_session(seed, scenario, axes=axes, **kw)
        t, ax, ay, az, *_ = (
            a.tolist()
            for a in __import__("host_tools.traces.traceio").traces.traceio.counter_ints(trace)
        )
        reps, _ = run(t, list(zip(ax, ay, az)), round(trace.sample_rate_hz), axes == "band")
        used = set()
        for s in labels.sets:
            if not s.is_target:
                continue
            inside = [
                i for i, r in enumerate(reps) if s.start_ms - 2000 <= r[0] <= s.end_ms + 2000
            ]
            used.update(inside)
            errors.append(len(inside) - s.reps)
            typed += [counter.EXERCISE_NAMES[reps[i][1]] == s.exercise for i in inside]
        false_reps += len(reps) - len(used)
    return errors, false_reps, typed


@pytest.mark.parametrize("scenario", ["leg_lift", "clamshell", "mixed"])
def test_synthetic_band_frame_sessions_count_right(scenario):
    """Varied people, tempos, holds, partial reps, 20-200 Hz, lying down and getting up."""
    errors, false_reps, typed = _synthetic_scores(scenario, "band", range(8))
    assert len(errors) >= 8
    assert sum(e == 0 for e in errors) / len(errors) >= 0.8, errors
    assert sum(abs(e) <= 1 for e in errors) / len(errors) >= 0.85, errors
    assert false_reps == 0
    assert sum(typed) / len(typed) >= 0.9


def test_synthetic_distractors_count_nothing_in_the_band_frame():
    """Walking, sitting, standing, rolling over, adjusting the band, the bottom leg, supine and
    prone leg raises, bridges: zero reps when the band frame is known."""
    errors, false_reps, _ = _synthetic_scores("distractors", "band", range(6))
    assert errors == [] and false_reps == 0


def test_accelerometer_alone_counts_the_same():
    from host_tools.traces.synth import make_session
    from host_tools.traces.traceio import counter_ints

    for seed in range(3):
        with_gyro, _ = make_session(seed, "leg_lift", gyro=True)
        without, _ = make_session(seed, "leg_lift", gyro=False)
        assert without.gyro_dps is None
        a = run(*_ints(counter_ints(with_gyro)), round(with_gyro.sample_rate_hz), True)
        b = run(*_ints(counter_ints(without)), round(without.sample_rate_hz), True)
        assert a == b and a[0]


def _ints(cols):
    t, ax, ay, az, *_ = (c.tolist() for c in cols)
    return t, list(zip(ax, ay, az))


@pytest.mark.parametrize("factor", ["rate_hz", "jitter", "drop", "tempo_s", "hold_s",
                                    "wobble_deg", "lead_in", "rotate", "gyro", "half_reps",
                                    "noise_g", "bias_g", "strap_deg"])
def test_sweeps_of_one_factor_keep_the_count(factor):
    """One factor at a time over its whole range (host_tools.traces.synth.SWEEPS) with the rest
    at the defaults: every value keeps most sets exact, all within one, and no rep outside the
    sets."""
    from host_tools.traces.evaluate import sweep

    for row in sweep(seeds=2, factors=[factor]):
        if factor == "half_reps" and row["value"] == 2:
            continue  # two aborted half reps in one set: reported by eval --sweep, not held
        assert row["exact"] >= 0.75 and row["within_1"] == 1.0, row
        assert row["false_reps"] == 0, row


def test_a_reps_event_waits_for_its_down_phase_and_counts_stay():
    """A rep is reported once the leg has stopped at the rest (so its down_ms is whole), and the
    waiting changes no count: the same reps, in order, as every rep's top shows up."""
    from host_tools.traces.synth import make_session
    from host_tools.traces.traceio import counter_ints

    trace, labels = make_session(11, "leg_lift", rate_hz=50)
    t, ax, ay, az, *_ = (a.tolist() for a in counter_ints(trace))
    c = counter.Counter(50)
    seen = []
    for i in range(len(t)):
        if c.feed(t[i], ax[i], ay[i], az[i]) == counter.EV_REP:
            seen.append((t[i], c.rep_t_ms, c.rep_up_ms, c.rep_hold_ms, c.rep_down_ms))
    while c.finish(t[-1]):
        pass
    assert len(seen) >= 0.9 * sum(s.reps for s in labels.sets)
    assert [s[1] for s in seen] == sorted(s[1] for s in seen)
    truth = [d for s in labels.sets for d in s.rep_detail]
    checked = 0
    for now, top, up, hold, down in seen:
        assert up > 0 and down > 0 and hold >= 0
        d = next(d for d in truth if d["start_ms"] <= top <= d["end_ms"])
        if d["down_ms"] >= 800:  # reported at the half-way return, it would come >= 400 ms early
            assert now >= d["end_ms"] - 300, (now, d)
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("scenario", ["leg_lift", "clamshell"])
def test_a_recording_that_ends_as_the_leg_comes_down_does_not_count_that_rep(scenario):
    """A rep is a turn out and back to the rest: data ending while the leg is still on its way
    down (past the half-way return that counts a rep on the move) drops that rep; data ending
    once it is back counts it."""
    from host_tools.traces.synth import make_session
    from host_tools.traces.traceio import counter_ints

    trace, labels = make_session(31, scenario, rate_hz=50, low_amplitude=False)
    t, ax, ay, az, *_ = (np.asarray(a) for a in counter_ints(trace))
    full = labels.sets[0]
    last = full.rep_detail[-1]
    whole = run(t, np.stack([ax, ay, az], 1), 50, True)[0]
    counted = sum(1 for r in whole if full.start_ms - 2000 <= r[0] <= full.end_ms + 2000)
    assert counted == full.reps
    for end_ms, expected in ((last["end_ms"] - last["down_ms"] // 4, full.reps - 1),
                             (last["end_ms"] + 600, full.reps)):
        keep = t <= end_ms
        reps, _ = run(t[keep], np.stack([ax, ay, az], 1)[keep], 50, True)
        assert sum(1 for r in reps if r[0] >= full.start_ms - 2000) == expected, end_ms


def _lifts_session(plan, seed=5, rate_hz=50):
    """Side-lying leg lifts by plan: ("rep", hold_s) or ("still", s) or ("stand", s) steps, the
    band frame known; returns the trace's counter inputs and each rep's span (ms)."""
    from host_tools.traces import synth

    rng = np.random.default_rng(seed)
    tl = synth._Timeline(float(rate_hz), rng, [], [], [], [], [])
    synth._still(tl, synth.STANDING, 2)
    synth._turn(tl, synth.STANDING, synth.SIDE, 2)
    axis = np.array([0.0, 1.0, 0.0])
    if synth._rotate(synth.SIDE, axis, np.array([0.1]))[0][0] < synth.SIDE[0]:
        axis = -axis
    spans = []
    for step, s, *size in plan:
        if step == "rep":  # (hold s[, range deg, up and down s each])
            deg, move = size if size else (30, 1.0)
            spans.append((int(tl.now * 1000), int((tl.now + 2 * move + s) * 1000)))
            angle = synth._rep_profile(tl, np.radians(deg), move, s, move)
            tl.segment(synth._rotate(synth.SIDE, axis, angle))
        elif step == "still":
            synth._still(tl, synth.SIDE, s)
        else:  # stand up, stand a while, lie down again
            synth._turn(tl, synth.SIDE, synth.STANDING, 2)
            synth._still(tl, synth.STANDING, s)
            synth._turn(tl, synth.STANDING, synth.SIDE, 2)
    synth._still(tl, synth.SIDE, 4)
    trace = synth._sensor(tl, rate_hz, False, None, {"axes": "band"})
    from host_tools.traces.traceio import counter_ints

    t, ax, ay, az, *_ = (np.asarray(a) for a in counter_ints(trace))
    return t, np.stack([ax, ay, az], 1), spans


def test_a_long_hold_is_no_pause_between_reps():
    """A set ends after a long pause between reps; a rep held at the top for longer than that
    is one rep of the set, not a pause before it (the gap counts to the rep's onset)."""
    plan = [("still", 2), ("rep", 0.5), ("still", 1.5), ("rep", 7.5), ("still", 1.5),
            ("rep", 0.5), ("still", 1.5), ("rep", 0.5)]
    t, acc, spans = _lifts_session(plan)
    reps, sets = run(t, acc, 50, True)
    assert len(reps) == 4 and len(sets) == 1 and sets[0][2] == 4
    assert all(a <= r[0] <= b for r, (a, b) in zip(reps, spans))


def test_standing_up_between_sets_ends_the_set_however_slow_its_reps():
    """A set is done in one posture: standing up (the rest turning by a posture's size) ends
    it, however long its rep period makes the pause it would otherwise wait for."""
    slow = [("still", 2)] + [("rep", 4.0), ("still", 3)] * 3
    t, acc, _ = _lifts_session(slow + [("stand", 1.5), ("still", 1.5)] + slow[1:])
    reps, sets = run(t, acc, 50, True)
    assert len(reps) == 6
    assert [s[2] for s in sets] == [3, 3]


def test_slow_small_reps_count_the_rest_does_not_climb_them():
    """A 6 deg rep lifted over 1.8 s turns slower than the stillness bound per tick; only
    going somewhere tells it from lying still, so the rest must not follow it up."""
    plan = [("still", 2)] + [("rep", 0.5, 6, 1.8), ("still", 1.5)] * 6
    t, acc, spans = _lifts_session(plan)
    reps, _ = run(t, acc, 50, True)
    assert len(reps) == 6 and all(a <= r[0] <= b for r, (a, b) in zip(reps, spans))


def test_a_jolt_at_the_rest_is_no_rep_and_takes_nothing_from_the_next():
    """A knock on the band at the rest (gravity thrown sideways for a tick) is too quick for a
    rep; the detector stays at the rest, so the lift right after it counts from there."""
    plan = [("still", 2)] + [("rep", 0.5), ("still", 2.0)] * 4
    t, acc, spans = _lifts_session(plan)
    plain, _ = run(t, acc, 50, True)
    knocked = acc.copy()
    for a, _b in spans[1:]:
        hit = (t >= a - 300) & (t < a - 240)  # three samples, just before the lift begins
        knocked[hit, 1] -= 300
    reps, _ = run(t, knocked, 50, True)
    assert len(plain) == len(reps) == 4
    assert all(a <= r[0] <= b for r, (a, b) in zip(reps, spans))


def _played_at(trace, labels, f):
    """The recording as if done `f` times as slow (f < 1: faster), sampled at its own rate; the
    labels' sets stretched with it."""
    from host_tools.traces import traceio
    from host_tools.traces.evaluate import resampled

    slow = traceio.Trace(trace.path, dict(trace.meta), trace.sample_rate_hz / f, trace.axes,
                         np.floor(trace.t_ms * f).astype(np.int64), trace.accel_g, None)
    out = resampled(slow, f, 0.0)
    return out, [(int(s.start_ms * f), int(s.end_ms * f), s.reps) for s in labels.sets
                 if s.is_target]


@pytest.mark.parametrize("f", [0.6, 0.75, 1.33])
def test_real_sets_done_faster_or_slower_keep_their_count(shared_traces, f):
    """Every labelled set of the shared recordings, played 0.6-1.33 times as slow (people's
    tempo varies that much): each keeps its count."""
    from host_tools.traces.traceio import labels_path_for, read_labels

    for path in sorted((shared_traces / "mex-clam").glob("*.csv")) + sorted(
            (shared_traces / "uci-pt").glob("*-e4-u3-*.csv")):
        labels = read_labels(labels_path_for(path))
        if not any(s.is_target for s in labels.sets):
            continue
        trace, rate = load(path)
        played, sets = _played_at(trace, labels, f)
        reps, _ = run(played.t_ms, to_mg(played.accel_g), rate, trace.axes == "band")
        got = [sum(1 for r in reps if a - 2000 <= r[0] <= b + 2000) for a, b, _ in sets]
        assert got == [n for _, _, n in sets], (path.name, f)


def test_a_fidget_then_at_once_a_rep_another_way_counts_the_rep(shared_traces):
    """UCI s2-e4-u3-test played 1.66 times as slow: in its fast set a small sideways fidget
    at the rest is followed at once by a lift. The bottom after the fidget is followed only
    along the fidget's own line; the lift, across that line, sets off from the bottom (before,
    the bottom followed the lift up to its top, which then became the rest: the rep was lost)."""
    from host_tools.traces.traceio import labels_path_for, read_labels

    path = shared_traces / "uci-pt" / "s2-e4-u3-test.csv"
    trace, rate = load(path)
    played, sets = _played_at(trace, read_labels(labels_path_for(path)), 1.66)
    reps, _ = run(played.t_ms, to_mg(played.accel_g), rate, True)
    got = [sum(1 for r in reps if a - 2000 <= r[0] <= b + 2000) for a, b, _ in sets]
    assert got == [n for _, _, n in sets]


def test_a_noisy_part_at_20_hz_still_finds_its_rests(monkeypatch):
    """At 20 Hz a bin holds two samples, so 30-40 mg rms of sensor noise turns a still thigh's
    gravity by about still_turn_mg a tick: the stillness bounds follow the noise measured while
    the thigh hardly turns (before: 75 % and 37.5 % of the sets exact, MAE 2.6 and 5.9)."""
    from host_tools.traces import synth
    from host_tools.traces.evaluate import sweep

    monkeypatch.setitem(synth.SWEEP_DEFAULTS, "rate_hz", 20.0)
    monkeypatch.setitem(synth.SWEEPS, "noise_g", [0.03, 0.04])
    rows = sweep(seeds=4, factors=["noise_g"])
    assert all(r["exact"] >= 0.85 and r["mae"] <= 1.0 for r in rows), rows
    assert all(r["false_reps"] == 0 for r in rows), rows


def test_axes_unknown_a_wide_set_counts_and_standing_up_still_ends_it():
    """Axes unknown, 72 deg reps (a wide clamshell opens that far), the leg stopping at the top
    now and again: each is a rep of the set, though a stop that far from the rest would be a new
    posture outside a set; standing up (90 deg) between two such sets is still a new posture,
    not one more rep, and lying down again starts the next set."""
    wide = [("rep", 0.3, 72, 1.2), ("still", 1.5)] * 3 + [("rep", 1.2, 72, 1.2), ("still", 1.5)]
    t, acc, spans = _lifts_session([("still", 2)] + wide + [("stand", 3)] + [("still", 2)] + wide)
    reps, sets = run(t, acc, 50, False)
    assert len(reps) == 8 and all(a <= r[0] <= b for r, (a, b) in zip(reps, spans))
    assert [s[2] for s in sets] == [4, 4]


def _set_of_turns(directions_deg, seed=6, rate_hz=25):
    """The counter's inputs (t, accel, rate) of _turns_trace."""
    from host_tools.traces.traceio import counter_ints

    t, ax, ay, az, *_ = (np.asarray(a) for a in counter_ints(
        _turns_trace(directions_deg, seed, rate_hz)))
    return t, np.stack([ax, ay, az], 1), rate_hz


def _turns_trace(directions_deg, seed=6, rate_hz=25):
    """One side-lying set in the band frame: rep k turns gravity from the rest toward
    (cos d, sin d) in x-y (d = 0: the knee rises straight, a leg lift; ~45: a clamshell, whose
    turn about the trunk's long axis moves y as much as x), 25 deg (or (d, deg) pairs), a 1 s
    hold."""
    from host_tools.traces import synth

    rng = np.random.default_rng(seed)
    tl = synth._Timeline(float(rate_hz), rng, [], [], [], [], [])
    synth._still(tl, synth.SIDE, 3)
    for d in directions_deg:
        d, deg = d if isinstance(d, tuple) else (d, 25)
        d = math.radians(d)
        axis = np.array([math.sin(d), -math.cos(d), 0.0])  # z x axis = the way gravity moves
        if synth._rotate(synth.SIDE, axis, np.array([0.1]))[0][0] < synth.SIDE[0]:
            axis = -axis
        tl.segment(synth._rotate(synth.SIDE, axis, synth._rep_profile(tl, np.radians(deg), 1.0,
                                                                       1.0, 1.0)))
        synth._still(tl, synth.SIDE, 1.0)
    synth._still(tl, synth.SIDE, 6)
    return synth._sensor(tl, rate_hz, False, None, {"axes": "band"})


def _events(t, acc, rate):
    c = counter.Counter(rate, axes_known=True)
    guesses, sets = [], []

    def take(ev):
        if ev == counter.EV_REP:
            guesses.append(c.rep_exercise)
        elif ev == counter.EV_SET:
            sets.append((c.set_reps, c.set_exercise, c.set_moved))

    z = [0] * len(t)
    drive.feed_all(c, t.tolist(), *acc.T.tolist(), z, z, z, take)
    return guesses, sets


@pytest.mark.parametrize(("first", "rest", "want"), [
    (36, 14, counter.LEG_LIFT),  # a leg that rolls back as it lifts, then lifts cleaner
    (26, 46, counter.CLAMSHELL),  # the first knee openings more lift than turn
])
def test_a_set_is_the_exercise_its_whole_set_says(first, rest, want):
    """Each rep's event carries the guess from the set so far; the set's event says what the
    whole set was, and how many of its reps were reported as the other exercise. (A change of
    20 deg, as UCI subject 1's first reps to its later ones, is one set wavering; 35, a change
    of exercise: test_a_change_of_exercise_without_a_pause_starts_a_new_set.)"""
    guesses, sets = _events(*_set_of_turns([first] * 3 + [rest] * 7))
    assert len(guesses) == 10 and len(sets) == 1
    other = counter.CLAMSHELL + counter.LEG_LIFT - want
    assert guesses[:2] == [other, other] and guesses[-1] == want
    assert sets[0] == (10, want, guesses.count(other))


def test_replay_files_a_sets_reps_under_the_set(shared_traces):
    """A real set whose first reps read like clamshells (UCI subject 1 rolls the leg back as
    it lifts): replay, as the band's log and the store do, reports all of it as leg lifts."""
    from host_tools.traces import traceio
    from host_tools.traces.replay import replay_trace

    path = shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv"
    trace, rate = load(path)
    guesses, _ = run(trace.t_ms, to_mg(trace.accel_g), rate, axes_known=True)
    assert sum(1 for r in guesses if r[1] == counter.CLAMSHELL) >= 2
    labels = traceio.read_labels(traceio.labels_path_for(path))
    assert {s.exercise for s in labels.sets if s.is_target} == {"leg_lift"}
    got = replay_trace(trace)
    assert len(got["reps"]) == len(guesses)
    assert {r["exercise"] for r in got["reps"]} == {s["exercise"] for s in got["sets"]} == {
        "leg_lift"}


@pytest.mark.parametrize(("first", "then"), [(10, 45), (45, 10), (15, 50), (50, 15)])
def test_a_change_of_exercise_without_a_pause_starts_a_new_set(first, then):
    """Leg lifts straight into clamshells (or back), a second apart: the turn's way changes
    by 35 deg between two reps, more than one set's reps wander (20 deg at most in the real
    sets); the second pair turned the new way ends the set, and each set is its own exercise."""
    t, acc, rate = _set_of_turns([first] * 8 + [then] * 8)
    guesses, sets = _events(t, acc, rate)
    ll, cs = counter.LEG_LIFT, counter.CLAMSHELL
    a, b = (ll, cs) if first < then else (cs, ll)
    assert guesses == [a] * 8 + [b] * 8
    assert sets == [(8, a, 0), (8, b, 0)]


@pytest.mark.parametrize(("where", "then"), [(3, 10), (7, 10), (3, (45, 12))])
def test_one_rep_turned_from_its_set_counts_in_it(where, then):
    """A rep that turns 30 deg off its set's way (in its middle, or its last before the pause)
    is held until the next rep says whether the exercise changed: it did not (the set's way
    again, or the new way but too small a rep to confirm a set with the held one), and the rep
    counts in its own set."""
    dirs = [10] * 8
    dirs[where] = (40, 50)
    if where + 1 < len(dirs):
        dirs[where + 1] = then
    t, acc, rate = _set_of_turns(dirs)
    guesses, sets = _events(t, acc, rate)
    assert len(guesses) == 8 and sets == [(8, counter.LEG_LIFT, guesses.count(counter.CLAMSHELL))]


def test_micropython_files_and_splits_sets_as_cpython_does():
    """The whole-set filing and the change of exercise (code paths no shared trace takes: no
    real set turns 25 deg between reps) give the same result inside MicroPython."""
    from host_tools.traces.replay import replay_micropython, replay_trace

    traces = [_turns_trace(d) for d in ([36] * 3 + [14] * 7, [10] * 8 + [45] * 8,
                                        [45] * 8 + [10] * 8, [10] * 3 + [40] + [10] * 4)]
    on_cpython = [replay_trace(t) for t in traces]
    assert [len(r["sets"]) for r in on_cpython] == [1, 2, 2, 1]
    assert replay_micropython(traces) == on_cpython


def _counts_with_and_without_the_one_motion_rule(t, acc, rate):
    counts = []
    for pm in (counter.Params().one_motion_pm, -1001):  # (-1001: never held)
        p = counter.Params()
        p.one_motion_pm = pm
        c = counter.Counter(rate, axes_known=True, params=p)
        reps = []
        drive.feed_all(c, t.tolist(), *acc.T.tolist(), *([[0] * len(t)] * 3),
                       lambda ev: reps.append(ev) if ev == counter.EV_REP else None)
        counts.append(len(reps))
    return counts


def test_a_turned_rep_counted_after_all_leaves_the_next_judged_as_before():
    """The held turned rep (9 deg after 42), once the next rep shows no change of exercise,
    counts, and that next rep, a small one, is judged against the set with it, as it would
    have been had the turned rep counted at once (it counts)."""
    t, acc, rate = _set_of_turns([(68, 25), (42, 42), (9, 42), (68, 17)], seed=77)
    assert _counts_with_and_without_the_one_motion_rule(t, acc, rate) == [4, 4]


def test_the_one_motion_rule_moves_no_count_in_sets_that_waver_as_people_do():
    """Sets whose reps' ways wander (sd 10 deg, twice the real sets') and whose sizes vary by
    15 %, leg lifts and clamshells, 20-100 Hz: the same reps count with the one-motion rule
    as without it (it only moves where a set ends)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        amp, base = float(rng.uniform(12, 50)), float(rng.choice([8, 45]))
        dirs = [(float(rng.normal(base, 10)), amp * float(rng.uniform(0.85, 1.15)))
                for _ in range(int(rng.integers(4, 14)))]
        t, acc, rate = _set_of_turns(dirs, seed=int(rng.integers(1000)),
                                     rate_hz=int(rng.choice([20, 25, 50, 100])))
        counts = _counts_with_and_without_the_one_motion_rule(t, acc, rate)
        assert counts[0] == counts[1] > 0, dirs
