"""Replay: the same counter source gives identical output on CPython and inside MicroPython."""

import json

import pytest

from host_tools.cli import main
from host_tools.errors import RepbandError
from host_tools.traces.replay import replay_traces


def test_micropython_gives_identical_output_on_every_shared_trace(shared_traces):
    on_cpython = replay_traces([shared_traces], runtime="cpython")
    on_micropython = replay_traces([shared_traces], runtime="micropython")
    assert len(on_cpython) == len(list(shared_traces.rglob("*.csv")))
    assert sum(len(r["reps"]) for r in on_cpython) > 100  # there is something to compare
    reps = [x for r in on_cpython for x in r["reps"]]
    for field in ("up_ms", "hold_ms", "down_ms", "rom_deg"):  # the form fields vary: compared
        assert len({x[field] for x in reps}) > 10, field
    seen = {f for x in reps for f in x["faults"]}  # (UCI's fast and low-amplitude sets)
    assert {"too_small", "too_fast", "no_hold"} <= seen, seen
    for a, b in zip(on_cpython, on_micropython):
        assert a == b, a["trace"]


def test_replay_prints_one_json_object_per_trace(shared_traces, capsys):
    paths = sorted((shared_traces / "uci-pt").glob("s1-e4-u3-*.csv"))
    assert main(["replay", *map(str, paths)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["trace"] for line in lines] == [str(p) for p in paths]
    first = json.loads(lines[0])
    assert first["reps"] and set(first["reps"][0]) >= {
        "t_ms", "exercise", "rom_deg", "duration_ms", "up_ms", "hold_ms", "down_ms", "faults"}
    assert sum(s["reps"] for s in first["sets"]) == len(first["reps"])


def test_fixed_exercise_and_bad_inputs(shared_traces, tmp_path, capsys):
    path = shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv"
    result = replay_traces([path], mode="clamshell")[0]
    assert result["reps"] and {r["exercise"] for r in result["reps"]} == {"clamshell"}
    with pytest.raises(RepbandError, match="no such file"):
        replay_traces([tmp_path / "nope.csv"])
    bad = tmp_path / "bad.csv"
    bad.write_text("t_ms,ax,ay,az\n0,1,2,3\n10,1,x,3\n")
    assert main(["replay", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv:3" in err and "not a number" in err and "Traceback" not in err


def test_a_sets_reps_are_reported_as_its_exercise_without_the_guess_s_own_fault():
    """drive()'s flat lists as the counter fills them: two reps guessed clamshells (one with a
    pelvis roll, judged for clamshells alone), a third a leg lift, then their set, leg lifts;
    a rep after it (the next set's, still open) keeps its guess."""
    from host_tools import firmware
    from host_tools.sim.mp import drive
    from host_tools.traces.replay import result_dict

    cm = firmware.load("counter")
    roll_small = cm.FAULT_PELVIS_ROLL | cm.FAULT_TOO_SMALL
    rep = lambda t, ex, faults: [t, ex, 2000, 3000, 1, 900, 1000, 1100, faults]  # noqa: E731
    reps = rep(5000, cm.CLAMSHELL, roll_small) + rep(9000, cm.CLAMSHELL, 0) + rep(
        13000, cm.LEG_LIFT, cm.FAULT_DRIFT_FORWARD)
    sets = [3000, 15000, 3, cm.LEG_LIFT, 2, 3]
    reps += rep(40000, cm.CLAMSHELL, cm.FAULT_PELVIS_ROLL)
    assert len(sets) == drive.SET_FIELDS
    got = result_dict("x.csv", reps, sets)
    assert [(r["exercise"], r["faults"]) for r in got["reps"]] == [
        ("leg_lift", ["too_small"]), ("leg_lift", []), ("leg_lift", ["drift_forward"]),
        ("clamshell", ["pelvis_roll"])]
    assert got["sets"] == [{"start_ms": 3000, "end_ms": 15000, "reps": 3,
                            "exercise": "leg_lift"}]
