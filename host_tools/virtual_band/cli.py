"""`repband virtual-band`: run the firmware on a virtual band wearing a trace, behind a pty."""

from __future__ import annotations

import argparse
import signal
import time

from host_tools.virtual_band import VirtualBand


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="m5stickc_plus2")
    parser.add_argument("--trace", help="trace the band wears (default: lying still)")
    parser.add_argument("--flash", help="host directory that keeps the band's flash between runs")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="virtual time per wall-clock time (0: as fast as possible)")


def run(args: argparse.Namespace) -> int:
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
