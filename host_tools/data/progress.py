"""`repband progress`: today's reps against the goal, the last N days, streaks, left vs right,
weekly totals, range-of-motion trends (as the clinical angle: host_tools.data.clinical).

Reads the database `repband sync` fills. The numbers are computed once (`compute`) into a
`Progress`, which the terminal table, the CSV export, the PNG plot and the HTML report
(`host_tools.data.report`) all draw from, so they always agree.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from host_tools.errors import RepbandError
from host_tools.data.clinical import ANGLE_NAME, clinical_angle_deg

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


@dataclass
class Progress:
    today: date
    days: list[date]  # oldest first, ending today; from the first day with data, if later
    counts: dict[Key, list[int]]  # reps per day, aligned with `days`
    goals: dict[Key, list[int | None]]  # the goal in force each day (None: not recorded)
    rom_median_deg: dict[Key, list[float | None]]  # median clinical angle a day (None: no detail)
    bands: list[str] = field(default_factory=list)
    swing_median_deg: dict[Key, list[float | None]] = field(default_factory=dict)  # as measured
    window_days: int = 0  # the window asked for (days may start later: the band began then)
    # corrected by hand (`repband correct`): (key, day index) -> the band's own count, and
    # day index -> the days whose records were moved to it (the band's clock was wrong)
    corrected: dict[tuple[Key, int], int] = field(default_factory=dict)
    moved: dict[int, list[date]] = field(default_factory=dict)

    def is_corrected(self, key: Key, i: int) -> bool:
        return (key, i) in self.corrected or i in self.moved

    def series_keys(self) -> list[Key]:
        def order(k: Key) -> tuple[int, str, str]:
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
        """Days in a row the goal was reached, ending today (or yesterday, if today is not done)."""
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

    def medians(k: Key, angle) -> list[float | None]:
        lists = rom_lists.get(k, [[]] * n)
        return [statistics.median(angle(k[0], x) for x in v) if v else None for v in lists]

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
        rom_median_deg={k: medians(k, clinical_angle_deg) for k in per_key},
        bands=bands or [],
        swing_median_deg={k: medians(k, lambda ex, x: x) for k in per_key},
        window_days=days,
        corrected=corrected,
        moved=moved,
    )


# ---------------------------------------------------------------- loading from the database


def db_path(db: Path | None) -> Path:
    """The database to read (the default one unless `db`); a clear error if there is none."""
    from host_tools.data import store

    path = store.default_path() if db is None else Path(db)
    if not path.exists():
        raise RepbandError(f"{path}: no database yet; run `repband sync` with the band plugged in")
    return path


def choose_band(st, band: str | None) -> str | None:
    """The band named by --band (a chip id, or its unique start); None: all bands."""
    if band is None:
        return None
    ids = st.band_ids()
    hits = [b for b in ids if b == band] or [b for b in ids if b.startswith(band)]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(ids) or "none yet"
    if hits:
        raise RepbandError(f"--band {band}: more than one band starts so ({', '.join(hits)})")
    raise RepbandError(f"--band {band}: no such band in the database (bands: {known})")


def load(db: Path | None, *, days: int = 30, today: date | None = None,
         band: str | None = None) -> Progress:
    """Read the window from the sync database (default location unless `db` is given)."""
    path = db_path(db)
    today = today or date.today()
    since = today - timedelta(days=days - 1)
    from host_tools.data import store

    with store.open_store(path) as st:
        uid = choose_band(st, band)
        counts = [
            DayCount(d, ex, side, n)
            for d, ex, side, n in st.daily_counts(since=since, until=today, uid=uid)
        ]
        roms = [
            RomSample(d, ex, side, rom)
            for d, ex, side, rom in st.rep_roms(since=since, until=today, uid=uid)
        ]
        goals = st.goals(uid)
        day_goals = st.day_goals(since, today, uid)
        first = st.first_day(uid)
        bands = [uid] if uid else st.band_ids()
        corrections = st.corrected_days(since, today, uid)
    return compute(counts, roms, today=today, days=days, goals=goals, bands=bands,
                   day_goals=day_goals, first_day=first, corrections=corrections)


# ---------------------------------------------------------------- rendering


def bar(value: int, goal: int, width: int = 20) -> str:
    """A bar of block characters, full at the goal; eighths for the fractional cell."""
    if goal <= 0:
        return " " * width
    cells = min(1.0, value / goal) * width
    full = int(cells)
    part = int((cells - full) * 8)
    s = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part and full < width else "")
    return s + "·" * (width - len(s))


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int], top: int) -> str:
    top = max(top, max(values, default=0), 1)
    return "".join(" " if v == 0 else SPARK[min(7, (v * 8 - 1) // top)] for v in values)


def label(key: Key) -> str:
    ex, side = key
    return f"{EXERCISE_LABEL.get(ex, ex)} ({side})"


def angle_name(ex: str) -> str:
    return ANGLE_NAME.get(ex, ANGLE_NAME["unknown"])


def _goal_text(g: int | None) -> str:
    return "?" if g is None else str(g)


def short_label(key: Key) -> str:
    ex, side = key
    return f"{EXERCISE_LABEL.get(ex, ex)} {side[0].upper() if side != 'unknown' else '?'}"


def render(prog: Progress, width: int | None = None) -> str:
    """The terminal view: today, streaks, the window day by day, left vs right, weeks, ROM.
    Lines fit `width` columns (default: the terminal's, 80 when piped)."""
    import shutil

    width = width or shutil.get_terminal_size((80, 24)).columns
    out = io.StringIO()
    w = out.write
    keys = prog.series_keys()
    w(f"Today, {prog.today.isoformat()}" + (f"  (band {', '.join(prog.bands)})"
                                           if len(prog.bands) == 1 else "") + "\n")
    if not keys:
        w(f"  no reps in the last {prog.window_days or len(prog.days)} days\n")
        return out.getvalue()
    name_w = max(len(label(k)) for k in keys)
    for k in keys:
        n, goal = prog.today_reps(k), prog.goal_today(k)
        if goal is None:
            w(f"  {label(k):<{name_w}}  {n:4d}   (no goal known yet: sync the band)\n")
            continue
        done = "  goal reached!" if n >= goal else f"  {goal - n} to go"
        if prog.is_corrected(k, len(prog.days) - 1):
            done += "  (corrected*)"
        w(f"  {label(k):<{name_w}}  {n:4d} / {goal:<4d} {bar(n, goal)}{done}\n")
    w("\nStreaks (days in a row at the goal)\n")
    for k in keys:
        met, total = prog.adherence(k)
        unknown = prog.unknown_goal_days(k)
        w(
            f"  {label(k):<{name_w}}  now {prog.streak(k):3d}   best {prog.best_streak(k):3d}   "
            f"goal reached on {met} of {total} {'day' if total == 1 else 'days'}"
            + (f" ({unknown} with no goal recorded)" if unknown else "") + "\n"
        )
    w(f"\nFrom {prog.days[0].isoformat()} to {prog.today.isoformat()}"
      f" ({len(prog.days)} {'day' if len(prog.days) == 1 else 'days'})\n")
    top = max(max(prog.counts[k]) for k in keys)
    room = max(10, width - name_w - 16)  # the sparkline shows the last days that fit
    for k in keys:
        w(f"  {label(k):<{name_w}}  |{sparkline(prog.counts[k][-room:], top)}|"
          f"  max {max(prog.counts[k])}\n")
    cols = [(k, max(12, len(label(k)))) for k in keys]
    if 14 + sum(c + 2 for _, c in cols) > width:  # too wide: 'clamshell R' in the headers
        cols = [(k, max(12, len(short_label(k)))) for k in keys]
    per_line = max(1, (width - 14) // (max(c for _, c in cols) + 2))
    head = label if all(c == max(12, len(label(k))) for k, c in cols) else short_label
    for j in range(0, len(cols), per_line):
        part = cols[j:j + per_line]
        w("\n  date        " + "".join(f"{head(k):>{c}}  " for k, c in part) + "\n")
        for i, d in enumerate(prog.days):
            if not any(prog.counts[k][i] for k, _ in part):
                continue
            cells = ""
            for k, c in part:
                n, g = prog.counts[k][i], prog.goals[k][i]
                mark = "?" if g is None else ("✓" if n >= g else " ")
                star = "*" if prog.is_corrected(k, i) else ""
                cells += f"{str(n) + star:>{c - 1}}{mark}  "
            w(f"  {d.isoformat()}  {cells}\n")
    notes = correction_notes(prog)
    if notes:
        w("\n* corrected by hand (repband correct --list; --undo ID takes one back)\n")
        for note in notes:
            w(f"  {note}\n")
    sides = {ex: v for ex, v in prog.sides().items() if len(v) == 2}
    if sides:
        w("\nLeft vs right (the whole period: reps, median angle)\n")
        for ex, by_side in sides.items():
            cells = []
            for side in ("right", "left"):
                n, ang = by_side[side]
                cells.append(f"{side} {n:5d} reps" + (f", {ang:4.1f}°" if ang is not None else ""))
            w(f"  {EXERCISE_LABEL.get(ex, ex):<10} {'   '.join(cells)}\n")
    weeks = prog.weeks()
    if len(weeks) > 1:
        w("\nWeekly totals (weeks from Monday; change from the week before)\n")
        for j in range(0, len(cols), per_line):
            part = cols[j:j + per_line]
            w("  week of    " + "".join(f"{head(k):>{c}}  " for k, c in part) + "\n")
            for i, (monday, per) in enumerate(weeks):
                if i < len(weeks) - 8:
                    continue  # the last eight weeks
                whole = i and weeks[i - 1][0] >= prog.days[0]  # the week before began in it
                cells = ""
                for k, c in part:
                    change = f" ({per[k] - weeks[i - 1][1][k]:+d})" if whole else ""
                    cells += f"{str(per[k]) + change:>{c}}  "
                w(f"  {monday.isoformat()}  {cells}\n")
    trends = [(k, prog.rom_trend(k)) for k in keys]
    if any(a is not None or b is not None for _, (a, b) in trends):
        w("\nRange of motion (median angle a day: first vs last third of the days)\n")
        for k, (early, late) in trends:
            if early is None or late is None:
                continue
            change = f"  ({late - early:+.1f}°)"
            w(f"  {label(k):<{name_w}}  {early:5.1f}° -> {late:5.1f}°{change}  "
              f"{angle_name(k[0])}\n")
    return out.getvalue()


def correction_notes(prog: Progress) -> list[str]:
    """One line per corrected day: what the band said, what it is now."""
    out = []
    for i, d in enumerate(prog.days):
        for src in prog.moved.get(i, []):
            out.append(f"{d.isoformat()}: the band's reps of {src.isoformat()} (its clock was "
                       "wrong)")
        for k in prog.series_keys():
            if (k, i) in prog.corrected:
                out.append(f"{d.isoformat()}: {label(k)} {prog.counts[k][i]} reps (the band "
                           f"counted {prog.corrected[(k, i)]})")
    return out


def write_csv(prog: Progress, path: Path) -> None:
    """One row per day and (exercise, side), from the first day with data: the reps, the goal
    in force that day (empty: not recorded), the median angle; `corrected` 1 where the day
    was corrected by hand, `band_reps` what the band counted (its records' day moved: the
    reps moved with it)."""
    try:
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["date", "exercise", "side", "reps", "goal", "goal_reached",
                         "rom_median_deg", "angle", "angle_median_deg", "corrected",
                         "band_reps"])
            for k in prog.series_keys():
                for i, d in enumerate(prog.days):
                    swing = prog.swing_median_deg[k][i]
                    ang = prog.rom_median_deg[k][i]
                    g = prog.goals[k][i]
                    wr.writerow([
                        d.isoformat(), k[0], k[1], prog.counts[k][i],
                        "" if g is None else g,
                        "" if g is None else int(prog.counts[k][i] >= g),
                        "" if swing is None else f"{swing:.1f}",
                        angle_name(k[0]),
                        "" if ang is None else f"{ang:.1f}",
                        int(prog.is_corrected(k, i)),
                        prog.corrected.get((k, i), prog.counts[k][i]),
                    ])
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the CSV ({exc.strerror})") from None


def write_reps_csv(db: Path | None, path: Path, *, days: int = 30, today: date | None = None,
                   band: str | None = None) -> int:
    """One row per rep in the window, oldest first; returns how many."""
    from datetime import datetime

    from host_tools.data import store

    today = today or date.today()
    since = today - timedelta(days=days - 1)
    with store.open_store(db_path(db)) as st:
        rows = st.rep_rows(since, today, choose_band(st, band))
    try:
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["time", "band", "exercise", "side", "mode", "rom_deg", "angle",
                         "angle_deg", "duration_s", "time_known"])
            for epoch_ms, uid, ex, side, mode, rom, dur, placed in rows:
                wr.writerow([
                    datetime.fromtimestamp(epoch_ms / 1000).isoformat(timespec="seconds"),
                    uid, ex, side, mode or "", f"{rom:.1f}", angle_name(ex),
                    f"{clinical_angle_deg(ex, rom):.1f}", f"{dur / 1000:.2f}", int(bool(placed)),
                ])
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the CSV ({exc.strerror})") from None
    return len(rows)


def plot_png(prog: Progress, size_in: tuple[float, float] = (9, 5.5), dpi: int = 100) -> bytes:
    """Reps per day with the day's goal (top) and the median angle per day (bottom: a line
    broken where a day has no detail, axis from zero), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = prog.series_keys()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=size_in, sharex=True, height_ratios=[3, 2])
    x = list(range(len(prog.days)))
    width = 0.8 / max(1, len(keys))
    for j, k in enumerate(keys):
        xs = [i - 0.4 + width * (j + 0.5) for i in x]
        ax1.bar(xs, prog.counts[k], width=width, label=label(k), color=f"C{j}")
    goal_days = [max((g for g in (prog.goals[k][i] for k in keys) if g is not None), default=None)
                 for i in x]
    if any(g is not None for g in goal_days):
        ys = [float("nan") if g is None else g for g in goal_days]
        ax1.step([i - 0.5 for i in x] + [x[-1] + 0.5], ys + ys[-1:], where="post",
                 color="black", linestyle="--", linewidth=1, label="daily goal")
    top = max([max(prog.counts[k]) for k in keys] + [g or 0 for g in goal_days] + [1])
    ax1.set_ylim(0, top * 1.15)
    ax1.set_ylabel("reps per day")
    if keys:  # above the plot, where it hides nothing
        ax1.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, ncol=len(keys) + 1,
                   frameon=False, borderaxespad=0.2)
    any_rom = False
    top_angle = 0.0
    for j, k in enumerate(keys):  # each series the colour of its bars (the legend above)
        vals = prog.rom_median_deg[k]
        if any(v is not None for v in vals):
            any_rom = True
            top_angle = max(top_angle, max(v for v in vals if v is not None))
            ys = [float("nan") if v is None else v for v in vals]  # a gap where no detail
            ax2.plot(x, ys, marker="o", markersize=3, label=label(k), color=f"C{j}")
    ax2.set_ylim(0, max(10.0, top_angle * 1.15))  # from zero
    ax2.set_ylabel("median angle (°)")
    if any_rom:
        names = " and ".join(sorted({angle_name(k[0]) for k in keys if k[0] != "unknown"}))
        ax2.set_title(names or "thigh swing", fontsize=8, loc="left")
    else:
        ax2.text(0.5, 0.5, "no per-rep detail", transform=ax2.transAxes, ha="center")
    step = max(1, len(x) // 10)
    ax2.set_xticks(x[::step])
    ax2.set_xticklabels([d.strftime("%m-%d") for d in prog.days][::step])
    ax2.set_xlim(-0.6, max(len(x), 7) - 0.4)  # a short period keeps bars of a week's width
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def write_plot(prog: Progress, path: Path) -> None:
    try:
        Path(path).write_bytes(plot_png(prog))
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the plot ({exc.strerror})") from None


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="database file (default: the one repband sync uses)"
    )
    parser.add_argument("--days", type=int, default=30,
                        help="window length in days, ending today (default: 30)")
    parser.add_argument("--band", metavar="CHIP_ID",
                        help="only this band (its chip id or its start; default: all bands)")
    parser.add_argument("--plot", type=Path, metavar="OUT.png",
                        help="draw the window to a PNG (default: no plot)")
    parser.add_argument("--csv", type=Path, metavar="OUT.csv",
                        help="export one row per day and exercise/side (default: none)")
    parser.add_argument("--reps-csv", type=Path, metavar="OUT.csv",
                        help="export one row per rep (default: none)")


def run(args: argparse.Namespace) -> int:
    prog = load(args.db, days=args.days, band=args.band)
    sys.stdout.write(render(prog))
    if args.plot:
        write_plot(prog, args.plot)
        print(f"plot written to {args.plot}")
    if args.csv:
        write_csv(prog, args.csv)
        print(f"CSV written to {args.csv}")
    if args.reps_csv:
        n = write_reps_csv(args.db, args.reps_csv, days=args.days, band=args.band)
        print(f"{n} reps written to {args.reps_csv}")
    return 0
