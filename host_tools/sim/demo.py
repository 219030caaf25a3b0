"""`repband demo`: the whole system on a virtual band, no hardware needed.

1. make a trace to wear: a synthetic day of exercise (or --trace FILE),
2. start a virtual band wearing it (the real firmware in MicroPython behind a pty),
3. install the firmware on it with `repband flash` (compiled to .mpy, over mpremote),
4. let the band count the day's reps (virtual time runs --speed times faster),
5. `repband sync` its log into a database (a temporary one unless --db),
6. show `repband progress`, and write a plot and an HTML report into ./out/.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from host_tools import REPO_ROOT
from host_tools.errors import RepbandError

DEFAULT_BOARD = "m5stickc_plus2"
SHARED_TRACES = REPO_ROOT.parent / "shared" / "traces"


@dataclass
class DemoResult:
    trace: Path
    db: Path
    port: str
    band_reps: dict[str, int]  # exercise -> reps logged by the band (from the database)
    progress_text: str
    plot: Path | None
    report: Path | None


def make_trace(work: Path, seed: int) -> Path:
    """A synthetic day of clamshell and leg-lift sets with rests, walking and other exercises."""
    from host_tools.traces import synth

    path = work / "synthetic-day.csv"
    synth.write_day(path, seed=seed)
    return path


def side_of(trace: Path) -> str | None:
    """'left'/'right' from the trace's placement (thigh_right_lateral, ...), if it says."""
    from host_tools.traces import traceio

    placement = traceio.read_trace(trace).meta.get("placement", "")
    return next((s for s in ("left", "right") if f"_{s}" in placement), None)


def demo(
    *,
    trace: Path | None = None,
    db: Path | None = None,
    out_dir: Path | None = Path("out"),
    board: str = DEFAULT_BOARD,
    speed: float = 0,
    seed: int = 1,
    say: Callable[[str], None] = print,
) -> DemoResult:
    from host_tools.band import config, flash, link, sync
    from host_tools.data import progress
    from host_tools.data.model import EXERCISE_LABEL
    from host_tools.sim.virtual_band import VirtualBand

    t_start = time.monotonic()

    def step(n: int, text: str) -> None:
        say(f"[{n}/6 {time.monotonic() - t_start:5.1f} s] {text}")

    with tempfile.TemporaryDirectory(prefix="repband-demo-") as tmp:
        work = Path(tmp)
        if trace is None:
            step(1, "making a synthetic day of exercise to wear (host_tools.traces.synth)")
            trace = make_trace(work, seed)
        elif not trace.is_file():
            raise RepbandError(f"{trace}: no such trace file")
        else:
            step(1, f"wearing {trace}")
        db_path = db if db is not None else work / "repband.db"
        step(2, f"starting a virtual {board} band wearing {trace.name}")
        with VirtualBand(board=board, trace=trace, flash_dir=work / "flash", speed=speed) as vb:
            port = vb.pty_path
            say(f"        its USB serial port is {port} (try: mpremote connect {port} fs ls)")
            side = side_of(trace)
            step(3, f"installing the firmware: repband flash --board {board} --port {port}"
                 + (f"; repband config set side={side}" if side else ""))
            # one session, so the app starts once, with its settings, and counts the whole trace
            with link.raw_session(port, require_repband=False) as band:
                deployed = flash.deploy(band, board, show=False)
                if side:
                    config.write_settings(band, {"side": side})
            say(
                f"        {len(deployed.written)} files written, {deployed.bytes_written} bytes"
                + (f"; worn on the {side} thigh" if side else "") + "; band restarted"
            )
            step(4, "the band is counting the trace's reps")
            from host_tools.status_line import working

            total_min = vb.trace_ms / 60000
            with working(lambda: f"        worn {min(vb.worn_ms(), vb.trace_ms) / 60000:.1f} of "
                                 f"{total_min:.1f} min of the trace (virtual time)"):
                vb.wait_trace_done()
            step(5, f"syncing the band's log: repband sync --port {port} --db {db_path}")
            summary = sync.sync(port, db_path)
            say(f"        {summary}")
        step(6, "your progress (repband progress)")
        prog = progress.load(db_path, days=30, today=date.today())
        text = progress.render(prog)
        say(text.rstrip())
        plot_path = report_path = None
        if out_dir is not None:
            from host_tools.data import report

            out_dir.mkdir(parents=True, exist_ok=True)
            plot_path = out_dir / "progress.png"
            report_path = out_dir / "report.html"
            progress.write_plot(prog, plot_path)
            report.write_html(prog, report_path)
            say(f"wrote {plot_path} and {report_path} (open it in a browser)")
        band_reps: dict[str, int] = {}
        for (ex, _side), counts in prog.counts.items():
            band_reps[ex] = band_reps.get(ex, 0) + sum(counts)
        say(
            "the band logged "
            + ", ".join(
                f"{n} {EXERCISE_LABEL.get(ex, ex)} reps" for ex, n in band_reps.items()
            )
            + f" from {trace.name}"
        )
        say(f"done in {time.monotonic() - t_start:.0f} s")
        return DemoResult(trace, db_path, port, band_reps, text, plot_path, report_path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trace", type=Path, help="wear this trace instead of a synthetic day")
    parser.add_argument(
        "--db", type=Path, help="sync into this database (default: a temporary one)"
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("out"),
        help="where to write the plot/report (default: out)",
    )
    parser.add_argument(
        "--board", default=DEFAULT_BOARD, help=f"board to emulate (default: {DEFAULT_BOARD})"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=0,
        help="virtual time speed-up (default: as fast as it goes)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the synthetic day (default: 1)"
    )


def run(args: argparse.Namespace) -> int:
    demo(
        trace=args.trace,
        db=args.db,
        out_dir=args.out,
        board=args.board,
        speed=args.speed,
        seed=args.seed,
        say=lambda s: print(s, flush=True),
    )
    return 0
