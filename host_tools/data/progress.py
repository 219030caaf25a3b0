"""`repband progress`: today's reps against the goal, the last N days, streaks, left vs right,
weekly totals, range-of-motion trends (as the clinical angle: host_tools.data.clinical).

Reads the database `repband sync` fills. The command only: the numbers are host_tools.data.model
(computed once into a Progress), the database side host_tools.data.query, the table, CSV and PNG
host_tools.data.render (the HTML report, host_tools.data.report, draws from the same Progress).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from host_tools.data.model import Progress, compute
from host_tools.data.query import db_path, load, rep_rows
from host_tools.data.render import render, write_csv, write_plot, write_reps_csv

# what callers and tests reach through this module (each lives in one of the three above)
__all__ = ["Progress", "compute", "db_path", "load", "render", "write_csv", "write_plot",
           "add_arguments", "run"]


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
        n = write_reps_csv(rep_rows(args.db, days=args.days, band=args.band), args.reps_csv)
        print(f"{n} reps written to {args.reps_csv}")
    return 0
