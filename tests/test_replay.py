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
