"""`repband sessions`: each set the band counted, day by day: when it started, the exercise and
side (as counted then), reps, median angle and tempo; sets close together form a session."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from host_tools.data.clinical import clinical_angle_deg
from host_tools.data.model import EXERCISE_LABEL
from host_tools.data.query import choose_band, db_path
from host_tools.data.render import angle_name
from host_tools.errors import RepbandError

SESSION_GAP_MIN = 30  # sets further apart than this are separate sessions


def render(rows: list[tuple], since: date, until: date) -> str:
    if not rows:
        span = since.isoformat() if since == until else \
            f"{since.isoformat()} to {until.isoformat()}"
        return f"no sets on {span}\n"
    out = []
    day = None
    last_end = None
    session = 0
    for epoch_ms, uid, ex, side, mode, reps, dur, rom, placed in rows:
        start = datetime.fromtimestamp(epoch_ms / 1000)
        if start.date() != day:
            day = start.date()
            out.append(f"{day.strftime('%a %Y-%m-%d')}\n  {'start':8} {'exercise':10} {'side':7} "
                       f"{'reps':>4}  {'angle':<22} {'tempo':>9}")
            last_end = None
        if last_end is None or (start - last_end) > timedelta(minutes=SESSION_GAP_MIN):
            session += 1
            out.append(f"  session {session}")
        last_end = start + timedelta(milliseconds=dur)
        what = angle_name(ex)[4:] if ex != "unknown" else "swing"  # "abduction", ...
        ang = f"{clinical_angle_deg(ex, rom):3.0f}° {what}" if rom is not None else "—"
        tempo = f"{dur / 1000 / reps:5.1f} s/rep" if reps else ""
        when = start.strftime("%H:%M:%S") if placed else "~" + start.strftime("%H:%M")
        out.append(f"  {when:8} {EXERCISE_LABEL.get(ex, ex):10} {side:7} {reps:4d}  {ang:<22} "
                   f"{tempo:>9}")
    out.append("(angle: median of the set's reps, hip abduction for leg lifts, hip external\n"
               " rotation for clamshells; ~: time from the sync, the band's clock was unset)")
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path,
                        help="database file (default: the one repband sync uses)")
    parser.add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the day to show (default: today)")
    parser.add_argument("--days", type=int, default=1,
                        help="this many days, ending --day (default: 1)")
    parser.add_argument("--band", metavar="CHIP_ID",
                        help="only this band (its chip id or its start; default: all bands)")


def run(args: argparse.Namespace) -> int:
    from host_tools.data import store

    if args.days < 1:
        raise RepbandError(f"--days must be at least 1 (got {args.days})")
    until = args.day or date.today()
    since = until - timedelta(days=args.days - 1)
    with store.open_store(db_path(args.db)) as st:
        rows = st.set_rows(since, until, choose_band(st, args.band))
    sys.stdout.write(render(rows, since, until))
    return 0
