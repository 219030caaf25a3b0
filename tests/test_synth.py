"""The synthetic session generator: deterministic, varied, and its files read back strictly."""

import numpy as np
import pytest

from host_tools.cli import main
from host_tools.errors import RepbandError
from host_tools.traces.synth import make_session
from host_tools.traces.traceio import read_labels, read_trace


def test_same_seed_same_session_other_seed_other_session():
    a, la = make_session(3)
    b, lb = make_session(3)
    c, _ = make_session(4)
    assert np.array_equal(a.t_ms, b.t_ms) and np.array_equal(a.accel_g, b.accel_g)
    assert la.sets == lb.sets
    assert len(a.t_ms) != len(c.t_ms) or not np.array_equal(a.accel_g, c.accel_g)


def test_sessions_vary_in_rate_and_mounting():
    rates = {make_session(s)[0].sample_rate_hz for s in range(10)}
    assert len(rates) >= 3 and min(rates) >= 20 and max(rates) <= 200
    band, _ = make_session(1, "leg_lift", axes="band")
    turned, _ = make_session(1, "leg_lift", axes="unknown")
    # at the start the person stands: the band frame reads -1 g on x; a turned sensor does not
    assert band.accel_g[0, 0] < -0.9 and turned.accel_g[0, 0] > -0.9


def test_labels_match_the_trace():
    trace, labels = make_session(5, "mixed")
    assert {s.exercise for s in labels.sets} >= {"clamshell", "leg_lift"}
    for s in labels.sets:
        assert trace.t_ms[0] <= s.start_ms < s.end_ms <= trace.t_ms[-1]
        if s.rep_ms:
            assert len(s.rep_ms) == s.reps and all(s.start_ms <= t <= s.end_ms for t in s.rep_ms)
    assert np.all(np.diff(trace.t_ms) >= 0)
    magnitude = np.linalg.norm(trace.accel_g, axis=1)
    assert 0.9 < np.median(magnitude) < 1.1


def test_labels_carry_each_reps_truth_and_read_back(tmp_path):
    from host_tools.traces.synth import write_session

    trace, labels = make_session(6, "leg_lift")
    for s in labels.sets:
        assert s.rep_detail is not None and len(s.rep_detail) == len(s.rep_ms) == s.reps
        for d, top in zip(s.rep_detail, s.rep_ms):
            assert d["top_ms"] == top and d["start_ms"] < top < d["end_ms"]
            assert (
                abs(d["up_ms"] + d["hold_ms"] + d["down_ms"] - (d["end_ms"] - d["start_ms"])) <= 2
            )
            assert 5 < d["rom_deg"] < 60 and d["up_ms"] > 0 and d["down_ms"] > 0
    _, lp = write_session(tmp_path / "s.csv", trace, labels)
    assert [s.rep_detail for s in read_labels(lp).sets] == [s.rep_detail for s in labels.sets]


def test_cli_writes_files_the_strict_reader_accepts(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["synth", "--seed", "2", "--rate", "50", "--no-gyro", "--out", str(out)]) == 0
    trace = read_trace(out)
    assert trace.sample_rate_hz == 50 and not trace.has_gyro
    assert read_labels(tmp_path / "s.labels.json").sets
    assert main(["synth", "--rate", "500", "--out", str(out)]) == 1
    assert "--rate" in capsys.readouterr().err
    with pytest.raises(RepbandError):
        make_session(1, "juggling")
