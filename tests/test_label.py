"""repband label: proposals from the band's counter, accepted with --yes or edited by prompts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from host_tools.errors import RepbandError
from host_tools.firmware import load

RATE = 50
# Where exercise_rows() puts the sets: 5 s still, 8 leg lifts of 2.5 + 0.5 s, 20 s still,
# 6 clams of 3 + 0.5 s (each set ends when its last rep is back down).
TRUE_BOUNDS_MS = [(5000, 5000 + 8 * 3000 - 500), (49000, 49000 + 6 * 3500 - 500)]


def exercise_rows(rate: int = RATE) -> list[tuple[int, float, float, float]]:
    """Lying on the side: 8 leg lifts (gravity swings along x), rest, 6 clams (x and y), rest."""
    rows: list[tuple[int, float, float, float]] = []
    n = 0

    def add(ax: float, ay: float, az: float) -> None:
        nonlocal n
        rows.append((n * 1000 // rate, ax, ay, az))
        n += 1

    def still(sec: float) -> None:
        for _ in range(int(sec * rate)):
            add(0.0, 0.0, 1.0)

    def reps(count: int, period: float, amp_deg: float, clam: bool) -> None:
        for _ in range(count):
            steps = int(period * rate)
            for i in range(steps):
                s = math.sin(math.radians(amp_deg) * (1 - math.cos(2 * math.pi * i / steps)) / 2)
                if clam:
                    add(0.7 * s, 0.7 * s, math.sqrt(1 - 0.98 * s * s))
                else:
                    add(s, 0.0, math.sqrt(1 - s * s))
            still(0.5)

    still(5)
    reps(8, 2.5, 30, clam=False)
    still(20)
    reps(6, 3.0, 25, clam=True)
    still(20)
    return rows


def write_trace(path: Path, axes: str = "band") -> Path:
    lines = [
        "# format: repband-trace/1",
        f"# sample_rate_hz: {RATE}",
        "# placement: thigh_right_lateral",
        f"# axes: {axes}",
        "# source: synthetic, written by test_label",
        "t_ms,ax,ay,az",
    ]
    lines += [f"{t},{ax:.4f},{ay:.4f},{az:.4f}" for t, ax, ay, az in exercise_rows()]
    path.write_text("\n".join(lines) + "\n")
    return path


def counter_sets(axes_known: bool = True) -> list[dict]:
    """The sets the band's counter finds in the same samples, computed here directly."""
    cm = load("counter")
    c = cm.Counter(RATE, axes_known=axes_known)
    sets = []
    rows = exercise_rows()

    def take(ev: int) -> None:
        if ev & cm.EV_SET:
            sets.append(
                {
                    "exercise": cm.EXERCISE_NAMES[c.set_exercise],
                    "start_ms": c.set_start_ms,
                    "end_ms": c.set_end_ms,
                    "reps": c.set_reps,
                }
            )

    for t, ax, ay, az in rows:
        take(c.feed(t, round(ax * 1000), round(ay * 1000), round(az * 1000), 0, 0, 0))
    while ev := c.finish(rows[-1][0]):
        take(ev)
    return sets


@pytest.fixture
def label_mod():
    from host_tools.traces import label

    return label


def read_sets(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    assert data["format"] == "repband-labels/1"
    return data["sets"]


def test_yes_writes_the_counters_sets(tmp_path: Path, label_mod) -> None:
    trace = write_trace(tmp_path / "day.csv")
    out, _ = label_mod.label_trace(trace, yes=True)
    assert out == tmp_path / "day.labels.json"
    got = read_sets(out)
    expected = counter_sets()
    assert len(expected) == 2  # the fixture has a leg-lift set and a clam set
    assert [(s["exercise"], s["reps"]) for s in got] == [
        (e["exercise"], e["reps"]) for e in expected
    ]
    # Proposed bounds hug the reps: within 1.5 s of where each set truly starts and ends.
    for s, (start, end) in zip(got, TRUE_BOUNDS_MS, strict=True):
        assert abs(s["start_ms"] - start) <= 1500 and abs(s["end_ms"] - end) <= 1500, s
    for s in got:
        assert len(s["rep_ms"]) == s["reps"]
        assert all(s["start_ms"] - 2000 <= t <= s["end_ms"] + 2000 for t in s["rep_ms"])


def test_prompts_accept_edit_drop_and_add(tmp_path: Path, label_mod) -> None:
    trace = write_trace(tmp_path / "day.csv")
    expected = counter_sets()
    answers = iter(
        [
            "e",  # set 1: edit
            "other",  # exercise
            "supine straight-leg raise",  # its name
            "",  # start: keep
            "",  # end: keep
            "none",  # nobody counted them
            "d",  # set 2: drop
            "y",  # add a missed set
            "clamshell",
            "100s",  # start at 100 s
            "130000",  # end in ms
            "7",
            "n",  # no more
        ]
    )
    said: list[str] = []
    asker = label_mod.Asker(ask=lambda prompt: next(answers), say=said.append)
    out, _ = label_mod.label_trace(trace, asker=asker)
    got = read_sets(out)
    proposed, _ = label_mod.label_trace(trace, yes=True, force=True, asker=None)
    assert got[0] == {
        "exercise": "other",
        "start_ms": read_sets(proposed)[0]["start_ms"],
        "end_ms": read_sets(proposed)[0]["end_ms"],
        "reps": None,
        "name": "supine straight-leg raise",
    }
    assert got[1] == {"exercise": "clamshell", "start_ms": 100000, "end_ms": 130000, "reps": 7}
    assert len(got) == 2
    assert any(f"{expected[0]['reps']} reps" in line for line in said)


def test_existing_labels_need_force(tmp_path: Path, label_mod) -> None:
    trace = write_trace(tmp_path / "day.csv")
    (tmp_path / "day.labels.json").write_text("{}")
    with pytest.raises(RepbandError, match="day.labels.json: already exists; pass --force"):
        label_mod.label_trace(trace, yes=True)
    label_mod.label_trace(trace, yes=True, force=True)


def test_unknown_axes_need_an_exercise(tmp_path: Path, label_mod) -> None:
    trace = write_trace(tmp_path / "u.csv", axes="unknown")
    with pytest.raises(RepbandError, match="axes are unknown"):
        label_mod.label_trace(trace, yes=True)
    out, sets = label_mod.label_trace(trace, yes=True, exercise="clamshell")
    assert sets and all(s["exercise"] == "clamshell" for s in read_sets(out))
    assert [s["reps"] for s in read_sets(out)] == [s["reps"] for s in counter_sets(False)]


def test_plot_is_a_png(tmp_path: Path, label_mod) -> None:
    trace = write_trace(tmp_path / "day.csv")
    label_mod.label_trace(trace, yes=True, plot=tmp_path / "day.png")
    assert (tmp_path / "day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
