"""`repband correct`: put a wrong day right by hand, beside what the band said (never over it).

Two kinds, each kept in the database's `corrections` (host_tools.data.store), shown as corrected
by progress, sessions and the report, and taken back with `--undo ID`:
- a day's count: `--day D --exercise clamshell --side left --reps N` (the band missed reps, or
  counted some that were not);
- a day moved: `--day D --move-to E`, every record of the band's day D counted on E (its clock
  was wrong that day).
A sync adds records, never corrections, so syncing again changes nothing here; giving the same
correction twice keeps one.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from host_tools import firmware
from host_tools.data.model import EXERCISE_LABEL
from host_tools.data.query import choose_band, db_path
from host_tools.errors import RepbandError

EXERCISES: tuple[str, ...] = firmware.load("names").EXERCISES  # the band's own names
SIDES = ("left", "right", "unknown")


def describe(c: dict) -> str:
    if c["to_day"]:
        return f"{c['day']} moved to {c['to_day']} (band {c['uid']})"
    return (f"{c['day']} {EXERCISE_LABEL.get(c['exercise'], c['exercise'])} ({c['side']}) "
            f"{c['reps']} reps (band {c['uid']})")


def list_text(rows: list[dict]) -> str:
    if not rows:
        return "no corrections\n"
    out = []
    for c in rows:
        made = datetime.fromtimestamp(c["made_ms"] / 1000).strftime("%Y-%m-%d %H:%M")
        state = "" if c["undone_ms"] is None else "  (undone " + datetime.fromtimestamp(
            c["undone_ms"] / 1000).strftime("%Y-%m-%d %H:%M") + ")"
        out.append(f"#{c['id']:<3d} {made}  {describe(c)}{state}")
    return "\n".join(out) + "\n"


def _one_band(st, band: str | None) -> str:
    uid = choose_band(st, band)
    if uid is not None:
        return uid
    ids = st.band_ids()
    if not ids:
        raise RepbandError("no band in the database yet; run repband sync first")
    if len(ids) > 1:
        raise RepbandError(f"several bands in the database ({', '.join(ids)}): name one with "
                           "--band")
    return ids[0]


def _side(st, uid: str, day: date, exercise: str, side: str | None) -> str:
    if side is not None:
        return side
    seen = sorted({s for d, ex, s, n in st.daily_counts(day, day, uid, corrected=False)
                   if ex == exercise and n})
    if len(seen) == 1:
        return seen[0]
    what = EXERCISE_LABEL[exercise] + "s"
    if not seen:
        raise RepbandError(f"the band counted no {what} on {day}: say which thigh with --side "
                           "left|right")
    raise RepbandError(f"the band counted {what} on {day} on more than one side "
                       f"({', '.join(seen)}): name one with --side")


def run_correct(db: Path | None, *, day: date | None, band: str | None = None,
                exercise: str | None = None, side: str | None = None, reps: int | None = None,
                move_to: date | None = None) -> str:
    """Adds one correction; returns the line to print."""
    from host_tools.data import store

    if day is None:
        raise RepbandError("--day is needed (the day to correct), or --list / --undo ID")
    if (reps is None) == (move_to is None):
        raise RepbandError("give either --reps N (with --exercise) or --move-to YYYY-MM-DD")
    if reps is not None:
        if exercise is None:
            raise RepbandError("--reps needs --exercise clamshell|leg_lift")
        if reps < 0:
            raise RepbandError(f"--reps must be 0 or more (got {reps})")
    elif exercise is not None or side is not None:
        raise RepbandError("--move-to moves the whole day: leave out --exercise and --side")
    if move_to == day:
        raise RepbandError(f"--move-to {move_to} is the day itself")
    with store.open_store(db_path(db)) as st:
        uid = _one_band(st, band)
        if reps is not None:
            assert exercise is not None
            side = _side(st, uid, day, exercise, side)
            cid, new = st.add_correction(uid, day, exercise=exercise, side=side, reps=reps)
            was = st.corrected_days(day, day, uid)
            band_n = next((c["band_reps"] for c in was if c["id"] == cid), 0)
            text = (f"{day} {EXERCISE_LABEL[exercise]} ({side}) {reps} reps (the band counted "
                    f"{band_n})")
        else:
            assert move_to is not None
            cid, new = st.add_correction(uid, day, to_day=move_to)
            text = f"the band's records of {day} are counted on {move_to}"
    head = f"correction #{cid}: " if new else f"already in force, correction #{cid}: "
    return head + text + f"; undo with: repband correct --undo {cid}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path,
                        help="database file (default: the one repband sync uses)")
    parser.add_argument("--band", metavar="CHIP_ID",
                        help="the band (its chip id or its start; default: the only one)")
    parser.add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the day to correct (required unless --list or --undo)")
    parser.add_argument("--exercise", choices=EXERCISES,
                        help="with --reps: the exercise whose count is wrong")
    parser.add_argument("--side", choices=SIDES,
                        help="with --reps: the thigh (default: the one the band counted that "
                             "exercise on that day, if only one)")
    parser.add_argument("--reps", type=int, metavar="N",
                        help="the day's right count of that exercise and side")
    parser.add_argument("--move-to", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="count every record of --day on this day instead (the band's "
                             "clock was wrong)")
    parser.add_argument("--list", action="store_true",
                        help="list every correction, undone ones too, and stop")
    parser.add_argument("--undo", type=int, metavar="ID",
                        help="take correction ID back (see --list); the band's own records "
                             "count again")


def run(args: argparse.Namespace) -> int:
    from host_tools.data import store

    if args.list or args.undo is not None:
        with store.open_store(db_path(args.db)) as st:
            if args.undo is not None:
                c = st.undo_correction(args.undo)
                print(f"correction #{c['id']} undone: {describe(c)}")
                return 0
            uid = choose_band(st, args.band)
            sys.stdout.write(list_text(st.corrections(uid, undone=True)))
        return 0
    print(run_correct(args.db, day=args.day, band=args.band, exercise=args.exercise,
                      side=args.side, reps=args.reps, move_to=args.move_to))
    return 0
