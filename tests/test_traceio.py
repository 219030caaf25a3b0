"""The strict trace reader: every broken file is rejected naming file and line; valid files
round-trip exactly; nothing is dropped."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.errors import RepbandError
from host_tools.traces.traceio import (
    Trace,
    TraceFormatError,
    counter_ints,
    find_traces,
    labels_path_for,
    read_labels,
    read_trace,
    write_trace,
)

HEADER = "# format: repband-trace/1\n# sample_rate_hz: 50\n# axes: band\nt_ms,ax,ay,az,gx,gy,gz\n"


def good_rows(n):
    return "".join(f"{20 * i},0.1,-0.2,0.98,1.5,0,-2\n" for i in range(n))


def write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_reads_a_valid_trace(tmp_path):
    trace = read_trace(write(tmp_path, HEADER + good_rows(5)))
    assert trace.sample_rate_hz == 50 and trace.axes == "band" and trace.has_gyro
    assert trace.t_ms.tolist() == [0, 20, 40, 60, 80]
    assert (
        counter_ints(trace)[1].tolist() == [100] * 5
        and counter_ints(trace)[4].tolist() == [15] * 5
    )


@pytest.mark.parametrize("text, line, words", [
    (HEADER.replace("t_ms,ax,ay,az,gx,gy,gz", "t_ms,ax,ay") + "0,1,2\n", 4, "missing column"),
    (HEADER + good_rows(2) + "40,0.1,abc,0.9,0,0,0\n", 7, "not a number"),
    (HEADER + good_rows(3) + "10,0.1,0.1,0.9,0,0,0\n", 8, "backwards"),
    (HEADER, 5, "no samples"),
    (HEADER + good_rows(2) + "40,0.1,0.1\n", 7, "values, header has"),
    (HEADER + good_rows(1) + "20,nan,0,1,0,0,0\n", 6, "not finite"),
    (HEADER.replace("gx,gy,gz", "gx") + "0,1,1,1,1\n", 4, "gyro"),
    (HEADER + good_rows(1) + "99999999999999999999999,0.1,0,1,0,0,0\n", 6, "t_ms = "
     "99999999999999999999999 is out of range"),  # beyond 64 bits: was cast with a warning
    (HEADER + good_rows(1) + "\uff12\uff10,0.1,0,1,0,0,0\n", 6, "not a number"),  # fullwidth
    (HEADER + good_rows(1) + "1_000,0.1,0,1,0,0,0\n", 6, "not a number"),
    (HEADER + good_rows(1) + "20,1e300,0,1,0,0,0\n", 6, "ax = 1e300 is out of range"),
    (HEADER + good_rows(1) + "-20,0.1,0,1,0,0,0\n", 6, "t_ms = -20 is out of range"),
])
def test_rejects_broken_files_naming_the_line(tmp_path, text, line, words):
    p = write(tmp_path, text)
    with pytest.raises(TraceFormatError) as err:
        read_trace(p)
    assert f"{p}:{line}" in str(err.value) and words in str(err.value)


@pytest.mark.parametrize("meta, words", [
    ("# sample_rate_hz: 500\n", "outside 20-200"),
    ("# axes: sideways\n", "axes"),
    ("# format: repband-trace/9\n", "format"),
])
def test_rejects_bad_metadata(tmp_path, meta, words):
    p = write(tmp_path, meta + "t_ms,ax,ay,az\n0,0,0,1\n20,0,0,1\n")
    with pytest.raises(TraceFormatError, match=words):
        read_trace(p)


def test_non_utf8_and_missing_files(tmp_path):
    with pytest.raises(TraceFormatError, match=r":2: not UTF-8"):
        read_trace(write(tmp_path, b"t_ms,ax,ay,az\n0,\xff,0,1\n"))
    with pytest.raises(TraceFormatError, match="no such file"):
        read_trace(tmp_path / "missing.csv")
    with pytest.raises(RepbandError, match="no such file"):
        find_traces([tmp_path / "nowhere"])


cell = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=4),
                 st.integers().map(str))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=1, max_size=8), min_size=1, max_size=6))
def test_fuzz_every_file_is_read_whole_or_rejected_with_a_line(tmp_path_factory, rows):
    """Whatever the rows, the reader either returns every row or names a line of the file."""
    text = "t_ms,ax,ay,az\n" + "".join(",".join(r).replace("\n", " ").replace("\r", " ") + "\n"
                                       for r in rows)
    p = write(tmp_path_factory.mktemp("fuzz"), text)
    try:
        trace = read_trace(p)
    except TraceFormatError as err:
        assert str(p) in str(err)
        return
    assert len(trace.t_ms) == len(rows)  # nothing dropped


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 50), rate=st.sampled_from([20, 25, 100, 200]), gyro=st.booleans(),
       seed=st.integers(0, 2**16))
def test_round_trip(tmp_path_factory, n, rate, gyro, seed):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.integers(0, 2 * 1000 // rate, n))
    accel = np.round(rng.normal(0, 1, (n, 3)), 5)
    g = np.round(rng.normal(0, 50, (n, 3)), 3) if gyro else None
    p = tmp_path_factory.mktemp("rt") / "r.csv"
    write_trace(p, Trace(p, {"source": "test"}, rate, "unknown", t, accel, g))
    back = read_trace(p)
    assert np.array_equal(back.t_ms, t) and np.allclose(back.accel_g, accel, atol=5e-6)
    assert (back.gyro_dps is None) == (not gyro)
    assert back.meta["source"] == "test" and back.sample_rate_hz == rate


def test_labels_strict(tmp_path):
    p = tmp_path / "x.labels.json"
    p.write_text(json.dumps({"format": "repband-labels/1", "sets": [
        {"exercise": "leg_lift", "start_ms": 5, "end_ms": 9, "reps": 2},
        {"exercise": "leg_lift", "start_ms": 5, "end_ms": 1, "reps": 2}]}))
    with pytest.raises(TraceFormatError, match=r"sets\[1\]: ends"):
        read_labels(p)
    p.write_text('{"format": "repband-labels/1", "sets": [{"exercise": "clamshell", '
                 '"start_ms": 0, "end_ms": 1, "reps": null}]}')
    with pytest.raises(TraceFormatError, match="true count"):
        read_labels(p)
    p.write_text("{oops")
    with pytest.raises(TraceFormatError, match=":1: not valid JSON"):
        read_labels(p)
    assert labels_path_for(tmp_path / "a.csv").name == "a.labels.json"


@pytest.mark.parametrize("case, words", [
    ("directory", "is a directory, not a labels file"),
    ("deep", "nested too deep"),
    ("huge", "is not a whole number of ms in 0..2**53"),
])
def test_labels_that_cannot_be_labels_are_one_line(tmp_path, case, words):
    p = tmp_path / "a.labels.json"
    if case == "directory":
        p.mkdir()
    elif case == "deep":
        p.write_text(
            '{"format": "repband-labels/1", "sets": ' + "[" * 100_000 + "]" * 100_000 + "}"
        )
    else:
        p.write_text(json.dumps({"format": "repband-labels/1", "sets": [
            {"exercise": "clamshell", "start_ms": 0, "end_ms": 10**30, "reps": 3}]}))
    with pytest.raises(TraceFormatError) as err:
        read_labels(p)
    assert str(err.value).startswith(f"{p}") and words in str(err.value)
    assert "\n" not in str(err.value)


def test_writing_into_a_folder_that_is_not_there_is_one_line(tmp_path):
    trace = read_trace(write(tmp_path, HEADER + good_rows(3)))
    with pytest.raises(RepbandError) as err:
        write_trace(tmp_path / "nodir" / "x.csv", trace)
    assert str(err.value).startswith(f"{tmp_path / 'nodir' / 'x.csv'}: cannot write")


def test_a_folder_is_searched_without_its_hidden_folders_and_installed_packages(tmp_path):
    from host_tools.traces.traceio import find_traces

    for rel in ("a/t1.csv", "a/b/t2.csv", ".venv/lib/x.csv", "a/.git/y.csv",
                "node_modules/pkg/z.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("t_ms,ax,ay,az\n")
    assert [p.relative_to(tmp_path).as_posix() for p in find_traces([tmp_path])] == \
        ["a/b/t2.csv", "a/t1.csv"]
    hidden = tmp_path / ".venv" / "lib" / "x.csv"
    assert find_traces([hidden]) == [hidden]  # named, it is read
