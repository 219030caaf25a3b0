"""`repband sessions`: each set the band counted, day by day: when it started, the exercise and
side (as counted then), reps, median angle and tempo, and under it the set's form (median range
against the prescription, median up/hold/down, the share of reps with each fault); sets close
together form a session."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from host_tools.data.model import EXERCISE_LABEL
from host_tools.data.query import choose_band, db_path, set_form_summary
from host_tools.data.render import angle_name, form_text
from host_tools.errors import RepbandError

SESSION_GAP_MIN = 30  # sets further apart than this are separate sessions


def correction_lines(corrections: list[dict]) -> list[str]:
    """What was corrected by hand on the days (Store.corrected_days), one line each."""
    out = []
    for c in corrections:
        if c["to_day"]:
            out.append(f"  #{c['id']} {c['to_day']}: the band's sets of {c['day']} moved here "
                       "(its clock was wrong)")
        else:
            out.append(
                f"  #{c['id']} {c['day']}: {EXERCISE_LABEL.get(c['exercise'], c['exercise'])}"
                f" ({c['side']}) {c['reps']} reps a day (the band counted "
                f"{c['band_reps']})"
            )
    return out


def render(
    rows: list[tuple], since: date, until: date, corrections: list[dict] | None = None
) -> str:
    notes = correction_lines(corrections or [])
    tail = (
        ["corrected by hand (repband correct --list; --undo ID takes one back):"] + notes
        if notes
        else []
    )
    if not rows:
        span = (
            since.isoformat() if since == until else f"{since.isoformat()} to {until.isoformat()}"
        )
        return "\n".join([f"no sets on {span}"] + tail) + "\n"
    corrected_days = {c["to_day"] or c["day"] for c in corrections or []}
    out = []
    day = None
    last_end = None
    session = 0
    for row in rows:
        epoch_ms, uid, ex, side, mode, reps, dur, rom, placed = row[:9]
        start = datetime.fromtimestamp(epoch_ms / 1000)
        if start.date() != day:
            day = start.date()
            mark = "  (corrected by hand, see below)" if day.isoformat() in corrected_days else ""
            out.append(
                f"{day.strftime('%a %Y-%m-%d')}{mark}\n  {'start':8} {'exercise':10} {'side':7} "
                f"{'reps':>4}  {'angle':<22} {'tempo':>9}"
            )
            last_end = None
        if last_end is None or (start - last_end) > timedelta(minutes=SESSION_GAP_MIN):
            session += 1
            out.append(f"  session {session}")
        last_end = start + timedelta(milliseconds=dur)
        what = angle_name(ex)[4:] if ex != "unknown" else "swing"  # "abduction", ...
        ang = f"{rom:3.0f}° {what}" if rom is not None else "—"
        tempo = f"{dur / 1000 / reps:5.1f} s/rep" if reps else ""
        when = start.strftime("%H:%M:%S") if placed else "~" + start.strftime("%H:%M")
        out.append(
            f"  {when:8} {EXERCISE_LABEL.get(ex, ex):10} {side:7} {reps:4d}  {ang:<22} {tempo:>9}"
        )
        out.append(f"  {'':8} form: {form_text(set_form_summary(row))}")
    out.append(
        "(angle: median of the set's reps, hip abduction for leg lifts, hip external\n"
        " rotation for clamshells; ~: time from the sync, the band's clock was unset;\n"
        " under each set its form: the band's median range (min: the prescription's), median\n"
        " seconds up/hold/down (rx: prescribed), share of reps with each fault; — where the\n"
        " band logged no form)"
    )
    return "\n".join(out + tail) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="database file (default: the one repband sync uses)"
    )
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the day to show (default: today)",
    )
    parser.add_argument(
        "--days", type=int, default=1, help="this many days, ending --day (default: 1)"
    )
    parser.add_argument(
        "--band",
        metavar="CHIP_ID",
        help="only this band (its chip id or its start; default: all bands)",
    )


def run(args: argparse.Namespace) -> int:
    from host_tools.data import store

    if args.days < 1:
        raise RepbandError(f"--days must be at least 1 (got {args.days})")
    until = args.day or date.today()
    since = until - timedelta(days=args.days - 1)
    with store.open_store(db_path(args.db)) as st:
        uid = choose_band(st, args.band)
        rows = st.set_rows(since, until, uid)
        corrections = st.corrected_days(since, until, uid)
    sys.stdout.write(render(rows, since, until, corrections))
    return 0
