"""repband plot writes a PNG of the counter's signal, reps and labelled sets."""

from host_tools.cli import main
from host_tools.traces.plot import counter_signal, plot_trace
from host_tools.traces.replay import replay_trace
from host_tools.traces.synth import make_session, write_session


def test_plot_writes_a_png_with_the_replayed_reps(tmp_path):
    trace, labels = make_session(2, "leg_lift")
    path, _ = write_session(tmp_path / "s.csv", trace, labels)
    out = plot_trace(path, tmp_path / "s.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
    from host_tools.traces.traceio import read_trace

    signal, reps = counter_signal(read_trace(path))
    assert len(signal) == len(trace.t_ms)
    assert [r["t_ms"] for r in reps] == [r["t_ms"] for r in replay_trace(read_trace(path))["reps"]]


def test_plot_errors_are_one_line(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert "none.csv" in err and "no such file" in err
    trace, labels = make_session(2, "leg_lift")
    path, _ = write_session(tmp_path / "s.csv", trace, labels)
    assert main(["plot", str(path), "--out", str(tmp_path / "no" / "dir" / "x.png")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_the_plot_marks_reps_as_replay_files_them(shared_traces):
    """A set whose first reps the counter guessed clamshells (UCI subject 1 rolls the leg back
    as it lifts) is plotted as what replay reports: the whole set's exercise."""
    from host_tools.traces.traceio import read_trace

    trace = read_trace(shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv")
    _, reps = counter_signal(trace)
    want = [(r["t_ms"], r["exercise"]) for r in replay_trace(trace)["reps"]]
    assert [(r["t_ms"], r["exercise"]) for r in reps] == want and want
