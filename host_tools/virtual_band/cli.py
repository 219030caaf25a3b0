"""`repband virtual-band`: run the firmware on a virtual band wearing a trace, behind a pty."""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path

from host_tools import RepbandError
from host_tools.virtual_band import VirtualBand


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="m5stickc_plus2")
    parser.add_argument("--trace", help="trace the band wears (default: lying still)")
    parser.add_argument("--flash", help="host directory that keeps the band's flash between runs")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="virtual time per wall-clock time (0: as fast as possible)")


def run(args: argparse.Namespace) -> int:
    if args.flash and Path(args.flash).exists() and not Path(args.flash).is_dir():
        raise RepbandError(f"{args.flash}: a file, not a folder; --flash names the folder that "
                           "keeps the band's flash (made if missing)")
    if args.trace:
        from host_tools import traceio

        traceio.read_trace(args.trace)  # a broken trace is its one-line error, here
    with VirtualBand(args.board, args.trace, args.flash, args.speed, install=True) as vb:
        print(f"virtual {args.board} on {vb.pty_path}   (try: mpremote connect {vb.pty_path} fs ls)")
        print(f"flash in {vb.flash_dir}; Ctrl-C here stops the band")
        stop = []
        signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
        try:
            while not stop and vb.proc and vb.proc.poll() is None:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0
