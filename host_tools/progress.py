"""`repband progress`: today's reps against the goal, the last N days, streaks, range-of-motion trends.

Reads the database `repband sync` fills. The numbers are computed once (`compute`) into a
`Progress`, which the terminal table, the CSV export, the PNG plot and the HTML report
(`host_tools.report`) all draw from, so they always agree.
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

from host_tools import RepbandError

DEFAULT_GOAL = 100  # reps per exercise per day, as on the band
EXERCISE_ORDER = ("clamshell", "leg_lift", "unknown")
EXERCISE_LABEL = {"clamshell": "clamshell", "leg_lift": "leg lift", "unknown": "unknown"}


@dataclass(frozen=True)
class DayCount:
    """How many reps of one exercise on one side were counted on one (local) day."""

    day: date
    exercise: str
    side: str
    reps: int


@dataclass(frozen=True)
class RomSample:
    """One rep's range of motion, for trends."""

    day: date
    exercise: str
    side: str
    rom_deg: float


Key = tuple[str, str]  # (exercise, side)


@dataclass
class Progress:
    today: date
    days: list[date]  # oldest first, ending today
    counts: dict[Key, list[int]]  # reps per day, aligned with `days`
    goals: dict[Key, int]
    rom_median_deg: dict[Key, list[float | None]]  # median ROM per day (None: no rep detail)
    bands: list[str] = field(default_factory=list)

    def series_keys(self) -> list[Key]:
        def order(k: Key) -> tuple[int, str, str]:
            ex, side = k
            rank = EXERCISE_ORDER.index(ex) if ex in EXERCISE_ORDER else len(EXERCISE_ORDER)
            return rank, ex, side

        return sorted(self.counts, key=order)

    def today_reps(self, key: Key) -> int:
        return self.counts[key][-1]

    def met(self, key: Key) -> list[bool]:
        goal = self.goals[key]
        return [n >= goal for n in self.counts[key]]

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
        """(days the goal was reached, days in the window)."""
        return sum(self.met(key)), len(self.days)

    def rom_trend(self, key: Key) -> tuple[float | None, float | None]:
        """Median ROM over the first and the last third of the days that have per-rep detail."""
        vals = [v for v in self.rom_median_deg[key] if v is not None]
        if not vals:
            return None, None
        third = max(1, len(vals) // 3)
        return statistics.median(vals[:third]), statistics.median(vals[-third:])


def compute(
    counts: Iterable[DayCount],
    roms: Iterable[RomSample],
    *,
    today: date,
    days: int = 30,
    goals: dict[str, int] | None = None,
    bands: list[str] | None = None,
) -> Progress:
    """Gather per-day counts and ROM samples into the window of `days` days ending `today`."""
    if days < 1:
        raise RepbandError(f"--days must be at least 1 (got {days})")
    window = [today - timedelta(days=days - 1 - i) for i in range(days)]
    index = {d: i for i, d in enumerate(window)}
    per_key: dict[Key, list[int]] = defaultdict(lambda: [0] * days)
    for c in counts:
        i = index.get(c.day)
        if i is not None:
            per_key[(c.exercise, c.side)][i] += c.reps
    rom_lists: dict[Key, list[list[float]]] = defaultdict(lambda: [[] for _ in range(days)])
    for r in roms:
        i = index.get(r.day)
        if i is not None:
            rom_lists[(r.exercise, r.side)][i].append(r.rom_deg)
            per_key[(r.exercise, r.side)]  # a key with detail but no count still shows
    goals = goals or {}
    prog = Progress(
        today=today,
        days=window,
        counts=dict(per_key),
        goals={k: int(goals.get(k[0], DEFAULT_GOAL)) for k in per_key},
        rom_median_deg={
            k: [statistics.median(v) if v else None for v in rom_lists.get(k, [[]] * days)]
            for k in per_key
        },
        bands=bands or [],
    )
    return prog


# ---------------------------------------------------------------- loading from the database


def load(db: Path | None, *, days: int = 30, today: date | None = None) -> Progress:
    """Read the window from the sync database (default location unless `db` is given)."""
    if db is None:
        from host_tools import store

        path = store.default_path()
    else:
        path = Path(db)
    if not path.exists():
        raise RepbandError(f"{path}: no database yet; run `repband sync` with the band plugged in")
    today = today or date.today()
    since = today - timedelta(days=days - 1)
    from host_tools import store

    with store.open_store(path) as st:
        counts = [
            DayCount(d, ex, side, n)
            for d, ex, side, n in st.daily_counts(since=since, until=today)
        ]
        roms = [
            RomSample(d, ex, side, rom)
            for d, ex, side, rom in st.rep_roms(since=since, until=today)
        ]
        goals = st.goals()
        bands = st.band_ids()
    return compute(counts, roms, today=today, days=days, goals=goals, bands=bands)


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


def render(prog: Progress) -> str:
    """The terminal view: today, streaks, the window day by day, ROM trend."""
    out = io.StringIO()
    w = out.write
    keys = prog.series_keys()
    w(f"Today, {prog.today.isoformat()}\n")
    if not keys:
        w(f"  no reps in the last {len(prog.days)} days\n")
        return out.getvalue()
    name_w = max(len(label(k)) for k in keys)
    for k in keys:
        n, goal = prog.today_reps(k), prog.goals[k]
        done = "  goal reached!" if n >= goal else f"  {goal - n} to go"
        w(f"  {label(k):<{name_w}}  {n:4d} / {goal:<4d} {bar(n, goal)}{done}\n")
    w("\nStreaks (days in a row at the goal)\n")
    for k in keys:
        met, total = prog.adherence(k)
        w(
            f"  {label(k):<{name_w}}  now {prog.streak(k):3d}   best {prog.best_streak(k):3d}   "
            f"goal reached on {met} of the last {total} days\n"
        )
    w(f"\nLast {len(prog.days)} days ({prog.days[0].isoformat()} to {prog.today.isoformat()})\n")
    top = max(max(prog.counts[k]) for k in keys)
    for k in keys:
        w(
            f"  {label(k):<{name_w}}  |{sparkline(prog.counts[k], top)}|  max {max(prog.counts[k])}\n"
        )
    w("\n  date        " + "".join(f"{label(k):>{max(12, len(label(k)))}}  " for k in keys) + "\n")
    for i, d in enumerate(prog.days):
        if not any(prog.counts[k][i] for k in keys):
            continue
        cells = ""
        for k in keys:
            n = prog.counts[k][i]
            mark = "✓" if n >= prog.goals[k] else " "
            cells += f"{n:>{max(12, len(label(k))) - 1}}{mark}  "
        w(f"  {d.isoformat()}  {cells}\n")
    trends = [(k, prog.rom_trend(k)) for k in keys]
    if any(a is not None or b is not None for _, (a, b) in trends):
        w("\nRange of motion (median per day; first vs last third of the days with detail)\n")
        for k, (early, late) in trends:
            if early is None and late is None:
                continue
            e = f"{early:5.1f}°" if early is not None else "   — "
            lt = f"{late:5.1f}°" if late is not None else "   — "
            change = f"  ({late - early:+.1f}°)" if early is not None and late is not None else ""
            w(f"  {label(k):<{name_w}}  {e} -> {lt}{change}\n")
    return out.getvalue()


def write_csv(prog: Progress, path: Path) -> None:
    try:
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(
                ["date", "exercise", "side", "reps", "goal", "goal_reached", "rom_median_deg"]
            )
            for k in prog.series_keys():
                for i, d in enumerate(prog.days):
                    rom = prog.rom_median_deg[k][i]
                    wr.writerow(
                        [
                            d.isoformat(),
                            k[0],
                            k[1],
                            prog.counts[k][i],
                            prog.goals[k],
                            int(prog.counts[k][i] >= prog.goals[k]),
                            "" if rom is None else f"{rom:.1f}",
                        ]
                    )
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the CSV ({exc.strerror})") from None


def plot_png(prog: Progress) -> bytes:
    """Daily reps against the goal (top) and median range of motion (bottom), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = prog.series_keys()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=[3, 2])
    x = list(range(len(prog.days)))
    width = 0.8 / max(1, len(keys))
    for j, k in enumerate(keys):
        xs = [i - 0.4 + width * (j + 0.5) for i in x]
        ax1.bar(xs, prog.counts[k], width=width, label=label(k))
    for goal in sorted({prog.goals[k] for k in keys}):
        ax1.axhline(goal, color="black", linestyle="--", linewidth=1)
        ax1.text(x[-1] + 0.4, goal, f"goal {goal}", va="bottom", ha="right", fontsize=8)
    top = max([max(prog.counts[k]) for k in keys] + list(prog.goals.values()) + [1])
    ax1.set_ylim(0, top * 1.25)
    ax1.set_ylabel("reps per day")
    ax1.set_title(f"repband: {prog.days[0].isoformat()} to {prog.today.isoformat()}")
    if keys:
        ax1.legend(loc="upper left", fontsize=8, ncol=len(keys))
    any_rom = False
    for k in keys:
        pts = [(i, v) for i, v in enumerate(prog.rom_median_deg[k]) if v is not None]
        if pts:
            any_rom = True
            ax2.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label(k))
    ax2.set_ylabel("median ROM (°)")
    if not any_rom:
        ax2.text(0.5, 0.5, "no per-rep detail", transform=ax2.transAxes, ha="center")
    step = max(1, len(x) // 10)
    ax2.set_xticks(x[::step])
    ax2.set_xticklabels([d.strftime("%m-%d") for d in prog.days][::step])
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
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
    parser.add_argument("--days", type=int, default=30, help="window length in days (default 30)")
    parser.add_argument("--plot", type=Path, metavar="OUT.png", help="draw the window to a PNG")
    parser.add_argument("--csv", type=Path, metavar="OUT.csv", help="export the window as CSV")


def run(args: argparse.Namespace) -> int:
    prog = load(args.db, days=args.days)
    sys.stdout.write(render(prog))
    if args.plot:
        write_plot(prog, args.plot)
        print(f"plot written to {args.plot}")
    if args.csv:
        write_csv(prog, args.csv)
        print(f"CSV written to {args.csv}")
    return 0
