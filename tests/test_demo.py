"""repband demo: the README's main job. The progress it shows equals the reps that the band's
counter finds when the same trace is replayed on the host."""

from __future__ import annotations

from pathlib import Path

from host_tools.firmware import load


def replayed_reps(trace_path: Path) -> dict[str, int]:
    """Reps per exercise from the band's counter run over the trace on the host."""
    from host_tools.traces import traceio

    trace = traceio.read_trace(trace_path)
    cm = load("counter")
    c = cm.Counter(round(trace.sample_rate_hz), axes_known=True)
    reps: dict[str, int] = {}
    last = 0

    def take(ev: int) -> None:
        if ev & cm.EV_REP:
            name = cm.EXERCISE_NAMES[c.rep_exercise]
            reps[name] = reps.get(name, 0) + 1

    for s in zip(*(col.tolist() for col in traceio.counter_ints(trace)), strict=True):
        last = s[0]
        take(c.feed(*s))
    while ev := c.finish(last):
        take(ev)
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
