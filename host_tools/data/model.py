"""What progress is: per-day counts, goals and range of motion of each (exercise, side) in a
window of days, computed once (`compute`) into a `Progress`, which the terminal table, the CSV,
the PNG (host_tools.data.render) and the HTML report all draw from, so they always agree. No
database and no drawing here: the database side is host_tools.data.query."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from host_tools import firmware
from host_tools.errors import RepbandError

# a rep's form faults, in the order of the bits of its `faults` (the counter's own names)
FAULT_NAMES: tuple[str, ...] = tuple(firmware.load("counter").FAULT_NAMES)

DEFAULT_GOAL = 100  # reps per exercise per day, as on the band
EXERCISE_ORDER = ("clamshell", "leg_lift", "unknown")
EXERCISE_LABEL = {"clamshell": "clamshell", "leg_lift": "leg lift", "unknown": "unknown"}
SIDE_ORDER = ("right", "left", "unknown")


@dataclass(frozen=True)
class DayCount:
    """How many reps of one exercise on one side were counted on one (local) day."""

    day: date
    exercise: str
    side: str
    reps: int


@dataclass(frozen=True)
class RomSample:
    """One rep's range of motion (the band's thigh swing, degrees), for trends."""

    day: date
    exercise: str
    side: str
    rom_deg: float


Key = tuple[str, str]  # (exercise, side)


@dataclass(frozen=True)
class RepForm:
    """One rep's form as the band logged it: its range (the band's rom_deg, the number the
    band judges against the prescription's minimum), phases in ms, faults (FAULT_NAMES bits)."""

    rom_deg: float
    up_ms: int
    hold_ms: int
    down_ms: int
    faults: int


@dataclass(frozen=True)
class Prescription:
    """What the band judged form against (its settings, as a sync saw them)."""

    reps: int
    sets: int
    tempo_s: int
    hold_s: int
    min_rom_deg: int


@dataclass(frozen=True)
class Form:
    """The form of a group of reps (a set, or a week's sets of one exercise and side): medians
    and the share of reps with each fault; `reps` == 0 (firmware that logged no form): unknown."""

    reps: int
    rom_deg: float | None
    up_ms: float | None
    hold_ms: float | None
    down_ms: float | None
    fault_share: dict[str, float]  # FAULT_NAMES -> share of the reps (0..1)
    rx: Prescription | None = None


def form_of(reps: Iterable[RepForm], rx: Prescription | None = None) -> Form:
    reps = list(reps)
    if not reps:
        return Form(0, None, None, None, None, {}, rx)

    def med(f) -> float:
        return float(statistics.median(f(r) for r in reps))

    share = {name: sum(1 for r in reps if r.faults >> bit & 1) / len(reps)
             for bit, name in enumerate(FAULT_NAMES)}
    return Form(len(reps), med(lambda r: r.rom_deg), med(lambda r: r.up_ms),
                med(lambda r: r.hold_ms), med(lambda r: r.down_ms), share, rx)


@dataclass(frozen=True)
class SetForm:
    """One set (Store.set_rows) with the form of its reps."""

    day: date
    exercise: str
    side: str
    reps: tuple[RepForm, ...]  # its reps that carry form (none from older firmware)
    rx: Prescription | None


@dataclass
class Progress:
    today: date
    days: list[date]  # oldest first, ending today; from the first day with data, if later
    counts: dict[Key, list[int]]  # reps per day, aligned with `days`
    goals: dict[Key, list[int | None]]  # the goal in force each day (None: not recorded)
    rom_median_deg: dict[Key, list[float | None]]  # median rom_deg a day (None: no detail)
    bands: list[str] = field(default_factory=list)
    window_days: int = 0  # the window asked for (days may start later: the band began then)
    # corrected by hand (`repband correct`): (key, day index) -> the band's own count, and
    # day index -> the days whose records were moved to it (the band's clock was wrong)
    corrected: dict[tuple[Key, int], int] = field(default_factory=dict)
    moved: dict[int, list[date]] = field(default_factory=dict)
    sets: list[SetForm] = field(default_factory=list)  # every set in the days, oldest first

    def is_corrected(self, key: Key, i: int) -> bool:
        return (key, i) in self.corrected or i in self.moved

    def series_keys(self) -> list[Key]:
        def order(k: Key) -> tuple[int, str, int]:
            ex, side = k
            rank = EXERCISE_ORDER.index(ex) if ex in EXERCISE_ORDER else len(EXERCISE_ORDER)
            return rank, ex, SIDE_ORDER.index(side) if side in SIDE_ORDER else 9

        return sorted(self.counts, key=order)

    def today_reps(self, key: Key) -> int:
        return self.counts[key][-1]

    def goal_today(self, key: Key) -> int | None:
        return self.goals[key][-1]

    def met(self, key: Key) -> list[bool | None]:
        """Per day: the goal reached, or not; None where the day's goal is not known."""
        return [None if g is None else n >= g for n, g in zip(self.counts[key], self.goals[key])]

    def streak(self, key: Key) -> int:
        """Days in a row the goal was reached, ending today (or yesterday if today is not done)."""
        met = self.met(key)
        i = len(met) - 1
        if not met[i]:
            i -= 1  # today is still going: yesterday's streak stands
        n = 0
        while i >= 0 and met[i]:
            n += 1
            i -= 1
        return n

    def best_streak(self, key: Key) -> int:
        best = run = 0
        for ok in self.met(key):
            run = run + 1 if ok else 0
            best = max(best, run)
        return best

    def adherence(self, key: Key) -> tuple[int, int]:
        """(days the goal was reached, days since the band began, in the window)."""
        return sum(1 for m in self.met(key) if m), len(self.days)

    def unknown_goal_days(self, key: Key) -> int:
        return sum(1 for g in self.goals[key] if g is None)

    def rom_trend(self, key: Key) -> tuple[float | None, float | None]:
        """Median angle over the first and the last third of the days that have per-rep detail."""
        vals = [v for v in self.rom_median_deg[key] if v is not None]
        if not vals:
            return None, None
        third = max(1, len(vals) // 3)
        return statistics.median(vals[:third]), statistics.median(vals[-third:])

    def weeks(self) -> list[tuple[date, dict[Key, int]]]:
        """Reps per ISO week (Monday first), oldest first: (Monday, reps per key)."""
        out: dict[date, dict[Key, int]] = {}
        for i, d in enumerate(self.days):
            monday = d - timedelta(days=d.weekday())
            week = out.setdefault(monday, {k: 0 for k in self.counts})
            for k in self.counts:
                week[k] += self.counts[k][i]
        return sorted(out.items())

    def form_weeks(self, key: Key) -> list[tuple[date, int, Form]]:
        """Form per ISO week (Monday first), oldest first, of the key's sets in the days:
        (Monday, sets, the form of all their reps, against the last set's prescription).
        Weeks without a set are left out."""
        weeks: dict[date, list[SetForm]] = {}
        for s in self.sets:
            if (s.exercise, s.side) == key and self.days and s.day >= self.days[0]:
                weeks.setdefault(s.day - timedelta(days=s.day.weekday()), []).append(s)
        return [(monday, len(sets), form_of((r for s in sets for r in s.reps), sets[-1].rx))
                for monday, sets in sorted(weeks.items())]

    def sides(self) -> dict[str, dict[str, tuple[int, float | None]]]:
        """Left vs right per exercise over the window: side -> (reps, median angle of the days)."""
        out: dict[str, dict[str, tuple[int, float | None]]] = {}
        for ex, side in self.series_keys():
            if side not in ("left", "right"):
                continue
            vals = [v for v in self.rom_median_deg[(ex, side)] if v is not None]
            out.setdefault(ex, {})[side] = (sum(self.counts[(ex, side)]),
                                            statistics.median(vals) if vals else None)
        return out


def compute(
    counts: Iterable[DayCount],
    roms: Iterable[RomSample],
    *,
    today: date,
    days: int = 30,
    goals: dict[str, int] | None = None,
    bands: list[str] | None = None,
    day_goals: dict[tuple[date, str], int] | None = None,
    first_day: date | None = None,
    corrections: list[dict] | None = None,
    sets: Iterable[SetForm] = (),
) -> Progress:
    """Gather per-day counts and ROM samples into the window of `days` days ending `today`,
    begun no earlier than the first day with data (or `first_day`, when the band began).

    Goals: with `day_goals` ((day, side) -> goal as the band logged it; (day, "") for the day
    whatever the side), each day has the goal in force then, today the band's setting now
    (`goals`, per exercise, as the last sync saw it; else what the band logged today), and a
    day with none recorded has None. Without it, every day has `goals` (DEFAULT_GOAL where
    missing). `corrections`: those in force on the days (Store.corrected_days), to mark."""
    if days < 1:
        raise RepbandError(f"--days must be at least 1 (got {days})")
    counts, roms = list(counts), list(roms)
    start = today - timedelta(days=days - 1)
    seen = [c.day for c in counts if c.reps] + [r.day for r in roms]
    if first_day is not None:
        seen.append(first_day)
    begun = min((d for d in seen if start <= d <= today), default=today)
    if first_day is not None and first_day < start:
        begun = start
    n = (today - begun).days + 1
    window = [begun + timedelta(days=i) for i in range(n)]
    index = {d: i for i, d in enumerate(window)}
    per_key: dict[Key, list[int]] = defaultdict(lambda: [0] * n)
    for c in counts:
        i = index.get(c.day)
        if i is not None:
            per_key[(c.exercise, c.side)][i] += c.reps
    rom_lists: dict[Key, list[list[float]]] = defaultdict(lambda: [[] for _ in range(n)])
    for r in roms:
        i = index.get(r.day)
        if i is not None:
            rom_lists[(r.exercise, r.side)][i].append(r.rom_deg)
            per_key[(r.exercise, r.side)]  # a key with detail but no count still shows
    goals = goals or {}

    def goal(key: Key, d: date) -> int | None:
        if day_goals is None:
            return int(goals.get(key[0], DEFAULT_GOAL))
        if d == today and key[0] in goals:
            return goals[key[0]]  # today: the goal set now (a change counts from today)
        return day_goals.get((d, key[1]), day_goals.get((d, "")))

    def medians(k: Key) -> list[float | None]:
        lists = rom_lists.get(k, [[]] * n)
        return [statistics.median(v) if v else None for v in lists]

    corrected: dict[tuple[Key, int], int] = {}
    moved: dict[int, list[date]] = {}
    for c in corrections or []:
        if c.get("to_day"):
            i = index.get(date.fromisoformat(c["to_day"]))
            if i is not None:
                moved.setdefault(i, []).append(date.fromisoformat(c["day"]))
            continue
        i = index.get(date.fromisoformat(c["day"]))
        if i is not None:
            key = (c["exercise"], c["side"])
            corrected[(key, i)] = corrected.get((key, i), 0) + c["band_reps"]
            per_key[key]  # a day set by hand to reps on a side the band never counted

    return Progress(
        today=today,
        days=window,
        counts=dict(per_key),
        goals={k: [goal(k, d) for d in window] for k in per_key},
        rom_median_deg={k: medians(k) for k in per_key},
        bands=bands or [],
        window_days=days,
        corrected=corrected,
        moved=moved,
        sets=sorted(sets, key=lambda x: x.day),
    )
