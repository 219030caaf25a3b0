"""repband progress: today's counts, streaks and the window equal what went into the database."""

from __future__ import annotations

import csv
import random
import re
import statistics
from datetime import date, timedelta
from pathlib import Path

import pytest

from host_tools.data import progress
from host_tools.data.model import DayCount, RomSample
from host_tools.errors import RepbandError

TODAY = date(2026, 3, 15)


def random_history(seed: int, days: int = 40) -> list[tuple[date, str, str, int, float]]:
    """(day, exercise, side, reps, rom_deg) rows: some days at the goal, some short, some empty."""
    rng = random.Random(seed)
    rows = []
    for back in range(days):
        d = TODAY - timedelta(days=back)
        for ex in ("clamshell", "leg_lift"):
            r = rng.random()
            n = 0 if r < 0.2 else (rng.randint(100, 130) if r < 0.7 else rng.randint(1, 99))
            rows.append((d, ex, "right", n, 20 + rng.random() * 20))
    return rows


def expected_streak(per_day: dict[date, int], goal: int) -> int:
    d = TODAY if per_day.get(TODAY, 0) >= goal else TODAY - timedelta(days=1)
    n = 0
    while per_day.get(d, 0) >= goal:
        n += 1
        d -= timedelta(days=1)
    return n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compute_matches_inserted(seed: int) -> None:
    rows = random_history(seed)
    counts = [DayCount(d, ex, side, n) for d, ex, side, n, _ in rows if n]
    roms = [RomSample(d, ex, side, rom) for d, ex, side, n, rom in rows if n]
    prog = progress.compute(counts, roms, today=TODAY, days=30, goals={"clamshell": 100})
    for ex in ("clamshell", "leg_lift"):
        per_day = {d: n for d, e, _, n, _ in rows if e == ex}
        key = (ex, "right")
        assert prog.today_reps(key) == per_day[TODAY]
        assert prog.streak(key) == expected_streak(per_day, 100)
        window = [TODAY - timedelta(days=29 - i) for i in range(30)]
        assert prog.counts[key] == [per_day.get(d, 0) for d in window]
        assert prog.adherence(key)[0] == sum(per_day.get(d, 0) >= 100 for d in window)


def test_render_shows_todays_numbers_and_streak() -> None:
    rows = random_history(7)
    counts = [DayCount(d, ex, side, n) for d, ex, side, n, _ in rows if n]
    prog = progress.compute(counts, [], today=TODAY, days=30)
    text = progress.render(prog)
    for ex, label in (("clamshell", "clamshell"), ("leg_lift", "leg lift")):
        per_day = {d: n for d, e, _, n, _ in rows if e == ex}
        today_line = re.search(rf"^  {label} \(right\)\s+(\d+) / (\d+)", text, re.MULTILINE)
        assert today_line, text
        assert int(today_line.group(1)) == per_day[TODAY] and int(today_line.group(2)) == 100
        streak_line = re.search(
            rf"^  {label} \(right\)\s+now\s+(\d+)\s+best\s+(\d+)", text, re.MULTILINE
        )
        assert streak_line and int(streak_line.group(1)) == expected_streak(per_day, 100)


def test_streak_counts_yesterday_while_today_is_running() -> None:
    counts = [DayCount(TODAY - timedelta(days=i), "leg_lift", "left", 100) for i in range(1, 4)]
    counts.append(DayCount(TODAY, "leg_lift", "left", 10))
    prog = progress.compute(counts, [], today=TODAY, days=30)
    assert prog.streak(("leg_lift", "left")) == 3
    counts.append(DayCount(TODAY, "leg_lift", "left", 90))  # today reaches 100 too
    prog = progress.compute(counts, [], today=TODAY, days=30)
    assert prog.streak(("leg_lift", "left")) == 4


def test_csv_and_plot(tmp_path: Path) -> None:
    rows = random_history(3)
    counts = [DayCount(d, ex, side, n) for d, ex, side, n, _ in rows if n]
    roms = [RomSample(d, ex, side, rom) for d, ex, side, n, rom in rows if n]
    prog = progress.compute(counts, roms, today=TODAY, days=30)
    progress.write_csv(prog, tmp_path / "p.csv")
    with open(tmp_path / "p.csv") as f:
        table = list(csv.DictReader(f))
    got = {(r["date"], r["exercise"]): int(r["reps"]) for r in table}
    angle = {(r["date"], r["exercise"]): r["rom_median_deg"] for r in table}
    for d, ex, _, n, rom in rows:
        if (TODAY - d).days < 30:
            assert got[(d.isoformat(), ex)] == n
            # one rep a day here: its median is the band's rom_deg, the clinical angle as the
            # band computed it (a clamshell's too: the host does not convert it again)
            assert angle[(d.isoformat(), ex)] == (f"{rom:.1f}" if n else "")
    assert {r["angle"] for r in table} == {"hip abduction", "hip external rotation"}
    progress.write_plot(prog, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(RepbandError, match="no database yet"):
        progress.load(tmp_path / "none.db")
    prog = progress.compute([], [], today=TODAY, days=3)
    assert "no reps" in progress.render(prog)
    with pytest.raises(RepbandError, match=str(tmp_path / "nodir")):
        progress.write_csv(prog, tmp_path / "nodir" / "x.csv")
    with pytest.raises(RepbandError, match="--days"):
        progress.compute([], [], today=TODAY, days=0)


def test_the_terminal_view_fits_80_columns_even_for_90_days() -> None:
    counts = [DayCount(TODAY - timedelta(days=i), ex, side, 30 + (i * 7) % 90)
              for i in range(90) for ex in ("clamshell", "leg_lift") for side in ("left", "right")]
    prog = progress.compute(counts, [], today=TODAY, days=90)
    text = progress.render(prog, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Left vs right" in text and "Weekly totals" in text
    for k in prog.series_keys():  # every day still in the table, under short headers
        assert sum(prog.counts[k]) == sum(c.reps for c in counts if (c.exercise, c.side) == k)


def test_each_day_is_judged_against_its_own_goal() -> None:
    days = [TODAY - timedelta(days=i) for i in range(4)]
    counts = [DayCount(d, "clamshell", "right", 55) for d in days]
    # the goal was 60 on the first two days, 50 since; the first day has none recorded
    goals = {(days[2], ""): 60, (days[1], "right"): 50, (days[0], ""): 50}
    prog = progress.compute(counts, [], today=TODAY, days=30, day_goals=goals,
                            goals={"clamshell": 50}, first_day=days[3])
    key = ("clamshell", "right")
    assert prog.days == list(reversed(days))  # from the first day, not 30 days back
    assert prog.goals[key] == [None, 60, 50, 50]
    assert prog.met(key) == [None, False, True, True]
    assert prog.streak(key) == 2 and prog.adherence(key) == (2, 4)
    assert prog.unknown_goal_days(key) == 1


def test_form_by_week_pools_each_weeks_reps_against_its_last_prescription() -> None:
    from host_tools.data.model import FAULT_NAMES, Prescription, RepForm, SetForm

    rng = random.Random(4)
    rx_a, rx_b = Prescription(10, 3, 2, 2, 20), Prescription(12, 3, 3, 0, 0)
    sets = []
    for back in range(0, 28, 2):
        d = TODAY - timedelta(days=back)
        reps = tuple(RepForm(rng.uniform(10, 40), rng.randint(300, 3000), rng.randint(0, 4000),
                             rng.randint(300, 3000), rng.getrandbits(len(FAULT_NAMES)))
                     for _ in range(rng.randint(3, 9)))
        sets.append(SetForm(d, "leg_lift", "right", reps, rx_a if back > 10 else rx_b))
    sets.append(SetForm(TODAY, "clamshell", "left", (), None))  # from older firmware
    counts = [DayCount(s.day, s.exercise, s.side, len(s.reps) or 5) for s in sets]
    prog = progress.compute(counts, [], today=TODAY, days=30, sets=sets)
    weeks = prog.form_weeks(("leg_lift", "right"))
    mondays = sorted({s.day - timedelta(days=s.day.weekday()) for s in sets[:-1]})
    assert [w[0] for w in weeks] == mondays
    for monday, n_sets, form in weeks:
        mine = sorted((s for s in sets[:-1] if s.day - timedelta(days=s.day.weekday()) == monday),
                      key=lambda s: s.day)
        reps = [r for s in mine for r in s.reps]
        assert n_sets == len(mine) and form.reps == len(reps) and form.rx == mine[-1].rx
        assert form.rom_deg == statistics.median(r.rom_deg for r in reps)
        assert (form.up_ms, form.hold_ms, form.down_ms) == tuple(
            statistics.median(getattr(r, k) for r in reps)
            for k in ("up_ms", "hold_ms", "down_ms"))
        for bit, name in enumerate(FAULT_NAMES):
            assert form.fault_share[name] == sum(r.faults >> bit & 1 for r in reps) / len(reps)
    (old,) = prog.form_weeks(("clamshell", "left"))
    assert old[1] == 1 and old[2].reps == 0 and old[2].rom_deg is None
