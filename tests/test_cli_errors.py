"""Every error at the command line is one line naming the file or port and what to do, with
the documented exit code (0 done, 1 an error, 2 usage or a broken input file, 3 the band or
its link, 130 interrupted) - never a traceback. Includes the fuzz run: malformed traces and
labels through the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPBAND = str(Path(sys.executable).with_name("repband"))


def test_ctrl_c_at_any_moment_of_a_command_is_one_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("# sample_rate_hz: 50\nt_ms,ax,ay,az\n"
                     + "".join(f"{20 * i},0,0,1\n" for i in range(3000)))
    results = []
    for k in range(20):
        proc = subprocess.Popen([REPBAND, "replay", str(trace)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(k * 0.012)  # from the first milliseconds to well into the command
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        results.append((proc.returncode, err))
    # Python's own start-up (its site module, or the console-script wrapper's first import,
    # before any repband code runs) dies with an error of its own when interrupted: counted
    # apart, nothing repband can catch (no host_tools frame in it)
    startup = [err for _, err in results if "Traceback" in err and "host_tools/" not in err]
    tracebacks = [err for _, err in results if err not in startup
                  and ("Traceback" in err or err.count("\n") > 1)]
    interrupted = sum(1 for code, _ in results if code in (130, -signal.SIGINT))
    print(f"Ctrl-C at 20 moments of 0-230 ms: {len(tracebacks)} tracebacks from repband, "
          f"{len(startup)} in Python's start-up before repband, {interrupted} interrupted")
    assert not tracebacks, tracebacks[0]


# ---------------------------------------------------------------- one-line errors, by case


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """The CLI in this process: (exit code, stdout, stderr). Any exception escaping it is a
    traceback the user would have seen."""
    import contextlib
    import io

    from host_tools import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def good_trace(rng, rows: int = 150) -> list[str]:
    lines = ["# format: repband-trace/1", "# sample_rate_hz: 50", "# axes: band",
             "t_ms,ax,ay,az,gx,gy,gz"]
    for i in range(rows):
        a = [rng.uniform(-1.5, 1.5) for _ in range(3)]
        g = [rng.uniform(-200, 200) for _ in range(3)]
        lines.append(f"{20 * i}," + ",".join(f"{v:.4f}" for v in a) + ","
                     + ",".join(f"{v:.2f}" for v in g))
    return lines


def good_labels() -> dict:
    return {"format": "repband-labels/1", "notes": "",
            "sets": [{"exercise": "clamshell", "start_ms": 200, "end_ms": 2500, "reps": 2},
                     {"exercise": "other", "start_ms": 2600, "end_ms": 2900, "reps": None}]}


# tokens that are no number any column takes
BAD_CELLS = ["", "abc", "1_000", "\uff11\uff12", "nan", "inf", "-inf", "1e400", "0x10", "--1",
             "1.2.3", " ", "1,5".replace(",", ";"), "99999999999999999999999", "1e300", "\x00",
             "+", ".", "e5", "1e", "NaN", "Infinity", "١٢"]


def broken_trace(rng, lines: list[str]) -> tuple[bytes, str]:
    """A trace broken in one way (named), as bytes."""
    head, rows = lines[:4], lines[4:]
    kind = rng.choice(["cell", "cell", "cell", "t_neg", "columns", "backwards", "empty_line",
                       "no_header", "dup_column", "unknown_column", "utf8", "meta_colon",
                       "rate", "axes", "format", "no_rows", "gyro_part"])
    k = rng.randrange(len(rows))
    if kind == "cell":
        cells = rows[k].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(BAD_CELLS)
        rows[k] = ",".join(cells)
    elif kind == "t_neg":
        rows[k] = "-" + rows[k] if k else "-5" + rows[k][1:]
    elif kind == "columns":
        rows[k] = rows[k] + ",0" if rng.random() < 0.5 else rows[k].rsplit(",", 1)[0]
    elif kind == "backwards":
        k = max(k, 1)
        rows[k] = str(int(rows[k - 1].split(",")[0]) - rng.randint(1, 19)) + "," + \
            rows[k].split(",", 1)[1]
    elif kind == "empty_line":
        rows.insert(max(k, 1), "")
    elif kind == "no_header":
        head = head[:3]
    elif kind == "dup_column":
        head[3] = "t_ms,ax,ax,az,gx,gy,gz"
    elif kind == "unknown_column":
        head[3] = "t_ms,ax,ay,az,gx,gy,temp"
    elif kind == "utf8":
        return ("\n".join(head + rows[:k]) + "\n").encode() + b"\xff\xfe1,2\n", kind
    elif kind == "meta_colon":
        head.insert(1, "# a comment without a colon")
    elif kind == "rate":
        head[1] = "# sample_rate_hz: " + rng.choice(["abc", "0", "1e9", "-50", "nan", "5"])
    elif kind == "axes":
        head[2] = "# axes: " + rng.choice(["sideways", "", "BAND"])
    elif kind == "format":
        head[0] = "# format: " + rng.choice(["repband-trace/2", "csv", ""])
    elif kind == "no_rows":
        rows = []
    elif kind == "gyro_part":
        head[3] = "t_ms,ax,ay,az,gx,gy"
        rows = [r.rsplit(",", 1)[0] for r in rows]
        head[3] = head[3].replace("gy", "q")
    return ("\n".join(head + rows) + "\n").encode(), kind


def broken_labels(rng) -> tuple[str | None, str]:
    """Labels broken in one way (named): their text, or None for a directory in their place."""
    doc = good_labels()
    s = doc["sets"][0]
    kind = rng.choice(["json", "top", "format", "sets", "set", "exercise", "start", "end",
                       "order", "reps", "rep_ms", "name", "notes", "deep", "directory", "nan",
                       "huge"])
    if kind == "json":
        text = json.dumps(doc)
        return text[: rng.randrange(1, len(text) - 1)], kind
    if kind == "top":
        return json.dumps(rng.choice([[doc], "labels", 3, None])), kind
    if kind == "format":
        doc["format"] = rng.choice(["repband-labels/2", None, 1])
    elif kind == "sets":
        doc["sets"] = rng.choice([{}, "x", None, 5])
    elif kind == "set":
        doc["sets"][0] = rng.choice([[], "set", 1, None])
    elif kind == "exercise":
        s["exercise"] = rng.choice(["squat", "", None, 1, "Clamshell"])
    elif kind == "start":
        s["start_ms"] = rng.choice(["200", -1, 2.5, True, None, [200]])
    elif kind == "end":
        s["end_ms"] = rng.choice(["2500", -3, 1e3, False, {}])
    elif kind == "order":
        s["start_ms"], s["end_ms"] = 2500, 200
    elif kind == "reps":
        s["reps"] = rng.choice([None, -1, "2", 2.0, True])
    elif kind == "rep_ms":
        s["rep_ms"] = rng.choice(["300", [300, "400"], [1.5], 7, [True]])
    elif kind == "name":
        s["name"] = rng.choice([1, [], {"a": 1}])
    elif kind == "notes":
        doc["notes"] = rng.choice([1, None, ["n"]])
    elif kind == "deep":
        n = rng.choice([2_000, 50_000])
        return '{"format": "repband-labels/1", "sets": ' + "[" * n + "]" * n + "}", kind
    elif kind == "directory":
        return None, kind
    elif kind == "nan":
        s["end_ms"] = float("nan")
    elif kind == "huge":
        s[rng.choice(["start_ms", "end_ms", "reps"])] = 10 ** rng.randint(17, 400)
    return json.dumps(doc), kind


def test_fuzz_the_cli_with_malformed_traces_and_labels(tmp_path: Path) -> None:
    """Seeded: 400 broken traces through replay and eval, 200 broken labels through eval.
    Every one is refused on one line naming the file, with exit code 2; none is a traceback,
    none exits 0."""
    import random

    rng = random.Random(9)
    tracebacks: list[str] = []
    accepted: list[str] = []
    kinds: dict[str, int] = {}
    cases = 0

    def check(argv: list[str], path: Path, kind: str) -> None:
        nonlocal cases
        cases += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        try:
            code, _, err = run_cli(argv)
        except Exception as exc:  # noqa: BLE001 - a traceback: what this test hunts
            tracebacks.append(f"{kind}: {argv}: {type(exc).__name__}: {exc}"[:300])
            return
        if code == 0:
            accepted.append(f"{kind}: {path.read_bytes()[:200] if path.is_file() else path}")
        assert code == 2, (kind, argv, code, err)
        assert err.count("\n") == 1 and err.startswith(f"repband {argv[0]}: {path}"), (kind, err)

    for i in range(400):
        d = tmp_path / f"t{i}"
        d.mkdir()
        data, kind = broken_trace(rng, good_trace(rng))
        trace = d / "a.csv"
        trace.write_bytes(data)
        (d / "a.labels.json").write_text(json.dumps(good_labels()))
        check(["replay", str(trace)], trace, "trace:" + kind)
        check(["eval", str(trace)], trace, "trace:" + kind)
    for i in range(200):
        d = tmp_path / f"l{i}"
        d.mkdir()
        trace = d / "a.csv"
        trace.write_text("\n".join(good_trace(rng)) + "\n")
        text, kind = broken_labels(rng)
        labels = d / "a.labels.json"
        if text is None:
            labels.mkdir()
        else:
            labels.write_text(text)
        check(["eval", str(trace)], labels, "labels:" + kind)
    print(f"CLI fuzz: {cases} runs ({400} broken traces x replay and eval, {200} broken labels "
          f"x eval; {len(kinds)} kinds of damage): {len(tracebacks)} tracebacks, "
          f"{len(accepted)} exit 0")
    assert not tracebacks, tracebacks[:5]
    assert not accepted, accepted[:5]


@pytest.mark.parametrize("case", ["record-seconds-0", "record-seconds-neg", "record-exists",
                                  "synth-nodir", "vband-flash-file", "sync-db-under-file",
                                  "unknown-command"])
def test_each_user_mistake_is_one_line_with_its_exit_code(tmp_path: Path, case: str) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    old = tmp_path / "old.csv"
    old.write_text("a 592 s recording\n")
    argv, code, needle = {
        "record-seconds-0": (["record", "--out", str(tmp_path / "n.csv"), "--seconds", "0"], 2,
                             "not a number of seconds above 0"),
        "record-seconds-neg": (["record", "--out", str(tmp_path / "n.csv"), "--seconds=-1"], 2,
                               "not a number of seconds above 0"),
        "record-exists": (["record", "--out", str(old), "--port", "/dev/null"], 1,
                          f"{old}: already exists"),
        "synth-nodir": (["synth", "--out", str(tmp_path / "nodir" / "x.csv")], 1,
                        "cannot write"),
        "vband-flash-file": (["virtual-band", "--flash", str(f)], 1, f"{f}: a file, not a folder"),
        "sync-db-under-file": (["sync", "--port", "/dev/null", "--db", str(f / "x.db")], 1,
                               f"{f / 'x.db'}: cannot make its folder"),
        "unknown-command": (["nosuch"], 2, "unknown command"),
    }[case]
    got, _, err = run_cli(argv)
    assert got == code, err
    assert err.count("\n") == 1 and err.startswith("repband") and needle in err, err
    if case == "record-exists":
        assert old.read_text() == "a 592 s recording\n"


@pytest.mark.parametrize("wrapper", [ImportError, RuntimeError])
def test_a_ctrl_c_that_an_import_wraps_is_still_an_interrupt(monkeypatch, capsys, wrapper):
    """Ctrl-C while a command's module imports numpy can come out as another exception caused
    by the KeyboardInterrupt (numpy's ImportError; RuntimeError from a class body's
    __set_name__, seen once in 20 interrupts): one line and exit 130, as any interrupt."""
    import importlib

    from host_tools import cli

    def interrupted_import(name, *a, **k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ki:
            raise wrapper(f"Error calling __set_name__ while importing {name}") from ki

    monkeypatch.setattr(importlib, "import_module", interrupted_import)
    assert cli.main(["replay", "x.csv"]) == 130
    err = capsys.readouterr().err
    assert err == "repband replay: interrupted\n"


def test_a_ctrl_c_before_the_cli_runs_is_one_line_even_wrapped(capsys):
    """Before main() (the console script importing host_tools.cli), repband's excepthook turns
    an interrupt, or an error an import raised because of one, into one line; any other
    error still gets Python's traceback."""
    import host_tools

    def raised(exc_type, cause=None):
        try:
            if cause is None:
                raise exc_type("x")
            try:
                raise cause
            except BaseException as c:
                raise exc_type("x") from c
        except BaseException as e:
            return e

    for e in (raised(KeyboardInterrupt), raised(RuntimeError, KeyboardInterrupt)):
        host_tools._quiet_interrupt(type(e), e, e.__traceback__)
        assert capsys.readouterr().err == "repband: interrupted\n"
    e = raised(RuntimeError, ValueError("y"))
    host_tools._quiet_interrupt(type(e), e, e.__traceback__)
    assert "Traceback" in capsys.readouterr().err
