"""`repband virtual-band`: run the firmware on a virtual band wearing a trace, behind a pty."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from host_tools.errors import RepbandError
from host_tools.sim.virtual_band import VirtualBand

DEFAULT_BOARD = "m5stickc_plus2"
DEFAULT_UID = "240ac4123456"  # the fake machine's unique_id


def parse_start(text: str) -> int:
    """'2026-11-20T08:00' (local time, as the laptop's clock reads) -> Unix seconds."""
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise RepbandError(f"--start {text!r}: expected a local date and time such as "
                           "2026-11-20T08:00") from None


def parse_uid(text: str) -> str:
    t = text.lower()
    if len(t) % 2 or not 2 <= len(t) <= 16 or any(c not in "0123456789abcdef" for c in t):
        raise RepbandError(f"--uid {text!r}: expected a chip id in hex, e.g. {DEFAULT_UID}")
    return t


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default=DEFAULT_BOARD,
                        help=f"board file to emulate, from boards/ (default: {DEFAULT_BOARD})")
    parser.add_argument("--trace", help="trace the band wears (default: lying still)")
    parser.add_argument("--flash", help="host directory that keeps the band's flash between runs "
                                        "(default: a temporary one)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="virtual time per wall-clock time, 0: as fast as possible "
                             "(default: 1)")
    parser.add_argument("--start", metavar="YYYY-MM-DDTHH:MM",
                        help="the band's clock at power-on, local time: the day it wears the "
                             "trace (default: unset, as after a flat battery, until a sync)")
    parser.add_argument("--uid", help=f"its chip id in hex, to run several bands "
                                      f"(default: {DEFAULT_UID})")


def run(args: argparse.Namespace) -> int:
    if args.flash and Path(args.flash).exists() and not Path(args.flash).is_dir():
        raise RepbandError(f"{args.flash}: a file, not a folder; --flash names the folder that "
                           "keeps the band's flash (made if missing)")
    if args.trace:
        from host_tools.traces import traceio

        traceio.read_trace(args.trace)  # a broken trace is its one-line error, here
    start = parse_start(args.start) if args.start else None
    uid = parse_uid(args.uid) if args.uid else None
    with VirtualBand(args.board, args.trace, args.flash, args.speed, install=True, uid=uid,
                     start_epoch_s=start) as vb:
        print(
            f"virtual {args.board} on {vb.pty_path}   (try: mpremote connect {vb.pty_path} fs ls)"
        )
        print(f"flash in {vb.flash_dir}; Ctrl-C here stops the band", flush=True)
        stop = []
        signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
        tty = sys.stderr.isatty()
        said_end = False
        try:
            while not stop and vb.proc and vb.proc.poll() is None:
                time.sleep(0.2)
                if args.trace and not said_end:
                    if vb.trace_done:
                        said_end = True
                        if tty:
                            sys.stderr.write("\r\033[K")
                        print(f"the band has worn {args.trace} to its end "
                              f"({vb.trace_ms / 60000:.1f} min); it goes on lying still",
                              flush=True)
                    elif tty:
                        worn = min(vb.worn_ms(), vb.trace_ms)
                        sys.stderr.write(f"\rwearing {args.trace}: {worn / 60000:5.1f} of "
                                         f"{vb.trace_ms / 60000:.1f} min (virtual)")
                        sys.stderr.flush()
        except KeyboardInterrupt:
            pass
    return 0
