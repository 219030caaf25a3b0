"""repband demo: the README's main job. The progress it shows equals the reps that the band's
counter finds when the same trace is replayed on the host."""

from __future__ import annotations

from pathlib import Path


def replayed_reps(trace_path: Path) -> dict[str, int]:
    """Reps per exercise from the band's counter run over the trace on the host, each filed
    under its set's exercise."""
    from host_tools.traces import replay, traceio

    reps: dict[str, int] = {}
    for r in replay.replay_trace(traceio.read_trace(trace_path))["reps"]:
        reps[r["exercise"]] = reps.get(r["exercise"], 0) + 1
    return reps


def test_demo_shows_the_replayed_reps(tmp_path: Path) -> None:
    from host_tools.sim import demo

    trace = demo.make_trace(tmp_path, seed=3)  # the same day the demo makes with --seed 3
    expected = replayed_reps(trace)
    assert sum(expected.values()) > 0
    said: list[str] = []
    result = demo.demo(db=tmp_path / "d.db", out_dir=tmp_path / "out", seed=3, say=said.append)
    assert result.band_reps == {k: v for k, v in expected.items() if v}
    logged = next(line for line in said if line.startswith("the band logged"))
    for ex, n in expected.items():
        label = {"clamshell": "clamshell", "leg_lift": "leg lift"}.get(ex, ex)
        assert f"{n} {label} reps" in logged, logged
    assert (tmp_path / "out" / "progress.png").read_bytes()[:4] == b"\x89PNG"
    assert "<html" in (tmp_path / "out" / "report.html").read_text()
    assert [line for line in said if line.startswith("[")][-1].startswith("[6/6")


def test_a_set_guessed_in_part_as_clamshells_reaches_the_database_as_leg_lifts(
        tmp_path: Path, shared_traces: Path) -> None:
    """The band, its log, sync and the store together: UCI subject 1's first lifts read like
    clamshells rep by rep (the band's REP records say so); the set is leg lifts, and so are
    the day's reps in the database and in progress."""
    from host_tools.sim import demo

    trace = shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv"
    assert replayed_reps(trace) == {"leg_lift": 9}
    said: list[str] = []
    result = demo.demo(trace=trace, db=tmp_path / "d.db", out_dir=tmp_path / "out",
                       say=said.append)
    assert result.band_reps == {"leg_lift": 9}
    assert any("leg lift (right)     9 / 30" in line for line in said), said
    assert not any("clamshell" in line for line in said if "/ 30" in line)
