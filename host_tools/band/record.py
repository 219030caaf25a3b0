"""`repband record --out trace.csv`: stream raw IMU samples from the band into a trace file.

The band runs firmware/recorder.py from the raw REPL: it reads FIFO batches through the board's
IMU driver and prints each batch as one base64 line of band-frame integer samples (mg, 0.1 deg/s).
The host decodes them, runs the band's counter over them to show reps live, and writes the trace
(format: ../shared/docs/trace-format.md) when the recording ends: after --seconds, on Ctrl-C, or
when the band goes away (then with what arrived, and a warning).
"""

from __future__ import annotations

import argparse
import binascii
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools.band.client import BandClient
from host_tools.errors import RepbandError

# Protocol (firmware/recorder.py writes it; version 1):
#   "RB1 start rate=<hz> placement=<p> board=<name> gyro=<0|1>"   once
#   "D<base64>"   one FIFO batch: N samples of struct SAMPLE (t_ms, ax, ay, az, gx, gy, gz)
#   "RB1 end samples=<n> dropped=<n>"                            once, last
SAMPLE = struct.Struct("<ihhhhhh")
PROTOCOL = "RB1"


@dataclass
class Recording:
    sample_rate_hz: int = 0
    placement: str = "thigh_unknown"
    board: str = "unknown"
    gyro: bool = True
    samples: list[tuple[int, int, int, int, int, int, int]] = field(default_factory=list)
    ended: bool = False  # the band said "end": nothing was lost in transit
    dropped: int = 0  # samples the band's FIFO overflowed on


def decode_batch(line: bytes) -> list[tuple[int, int, int, int, int, int, int]]:
    raw = binascii.a2b_base64(line[1:])
    if len(raw) % SAMPLE.size:
        raise ValueError(f"batch of {len(raw)} bytes is not whole samples")
    return [SAMPLE.unpack_from(raw, i) for i in range(0, len(raw), SAMPLE.size)]


def parse_header(line: str, rec: Recording) -> None:
    fields = dict(p.split("=", 1) for p in line.split()[2:] if "=" in p)
    rec.sample_rate_hz = int(fields.get("rate", "0"))
    rec.placement = fields.get("placement", rec.placement)
    rec.board = fields.get("board", rec.board)
    rec.gyro = fields.get("gyro", "1") != "0"


class LiveReps:
    """The band's counter over the incoming samples, printing each rep and set as it is found."""

    def __init__(self, sample_rate_hz: int, say: Callable[[str], None]):
        from host_tools.firmware import load

        self.cm = load("counter")
        self.counter = self.cm.Counter(sample_rate_hz, axes_known=True)
        self.say = say
        self.reps = 0
        self.sets = 0

    def feed(self, s: tuple[int, ...]) -> None:
        self._event(self.counter.feed(*s))

    def finish(self, t_ms: int) -> None:
        from host_tools.sim.mp import drive

        drive.drain(self.counter, t_ms, self._event)

    def _event(self, ev: int) -> None:
        c, cm = self.counter, self.cm
        if ev & cm.EV_REP:
            self.reps += 1
            self.say(
                f"  rep {c.set_reps:3d} at {c.rep_t_ms / 1000:7.1f} s  "
                f"{cm.EXERCISE_NAMES[c.rep_exercise]:<9}"
                f" ROM {c.rep_rom_cdeg / 100:5.1f}°"
            )
        if ev & cm.EV_SET:
            self.sets += 1
            self.say(
                f"  set {self.sets}: {c.set_reps} {cm.EXERCISE_NAMES[c.set_exercise]} reps, "
                f"{c.set_start_ms / 1000:.1f} s to {c.set_end_ms / 1000:.1f} s"
                + (f" ({c.set_moved} of them shown above as "
                   f"{cm.EXERCISE_NAMES[cm.CLAMSHELL + cm.LEG_LIFT - c.set_exercise]})"
                   if c.set_moved else "")
            )


def stream(
    band: BandClient,
    seconds: float,
    *,
    on_sample: Callable[[tuple[int, ...]], None] | None = None,
    on_start: Callable[[Recording], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Recording:
    """Run the recorder on the band (raw REPL) and collect its samples until it ends.

    Ctrl-C (KeyboardInterrupt) on the host is passed to the band as Ctrl-C, and the recording
    still ends cleanly: the band flushes its last batch and says "end".
    """
    rec = Recording()
    port = band.port
    ser = band.serial
    ser.timeout = 0.2  # so a Ctrl-C that the band never answers still ends the recording
    band.start_recorder(seconds)
    buf = bytearray()
    interrupted = False
    deadline_after_ctrl_c = 0.0
    error_text = b""
    while True:
        try:
            if stop is not None and not interrupted and stop():
                raise KeyboardInterrupt
            chunk = ser.read(max(1, min(ser.in_waiting, 65536)))
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            deadline_after_ctrl_c = time.monotonic() + 5
            ser.write(b"\x03")
            continue
        except OSError as exc:  # the port vanished (cable pulled, band reset)
            if rec.samples:
                return rec
            raise RepbandError(f"{port}: lost the band while recording ({exc})") from None
        if not chunk:
            if interrupted and time.monotonic() > deadline_after_ctrl_c:
                return rec
            continue
        buf.extend(chunk)
        while True:
            if buf[:1] == b"\x04":  # end of the program's output; error output follows
                end = buf.find(b"\x04", 1)
                if end < 0:
                    break
                error_text = bytes(buf[1:end])
                if b">" in buf[end + 1 :]:
                    # The raw REPL's prompt was read with the output: ask for a fresh one, so
                    # the next command on this transport finds its ">".
                    ser.write(b"\x01")
                if error_text.strip() and b"KeyboardInterrupt" not in error_text:
                    last = error_text.decode(errors="replace").strip().splitlines()[-1]
                    if "recorder" in last and "ImportError" in last:
                        raise RepbandError(
                            f"{port}: the band has no recorder: update it with repband flash "
                            "--board B"
                        )
                    raise RepbandError(f"{port}: the recorder stopped with an error: {last}")
                return rec
            nl = buf.find(b"\n")
            eot = buf.find(b"\x04")
            if eot >= 0 and (nl < 0 or eot < nl):
                del buf[:eot]
                continue
            if nl < 0:
                break
            line = bytes(buf[:nl]).rstrip(b"\r")
            del buf[: nl + 1]
            _handle_line(line, rec, on_sample, on_start)


def _handle_line(
    line: bytes,
    rec: Recording,
    on_sample: Callable[[tuple[int, ...]], None] | None,
    on_start: Callable[[Recording], None] | None,
) -> None:
    if line.startswith(b"D"):
        try:
            batch = decode_batch(line)
        except (ValueError, binascii.Error):
            rec.dropped += 1  # a garbled line: counted, never invented
            return
        rec.samples.extend(batch)
        if on_sample:
            for s in batch:
                on_sample(s)
    elif line.startswith(PROTOCOL.encode() + b" start"):
        parse_header(line.decode(errors="replace"), rec)
        if on_start:
            on_start(rec)
    elif line.startswith(PROTOCOL.encode() + b" end"):
        rec.ended = True
        fields = dict(
            p.split("=", 1) for p in line.decode(errors="replace").split()[2:] if "=" in p
        )
        rec.dropped += int(fields.get("dropped", "0") or 0)


def to_trace(rec: Recording, path: Path) -> Any:
    """The recording as a traceio.Trace in trace-format units (g, deg/s)."""
    import numpy as np

    from host_tools.traces import traceio

    data = np.array(rec.samples, dtype=np.int64).reshape(-1, 7)
    return traceio.Trace(
        path=path,
        meta={
            "format": traceio.TRACE_FORMAT,
            "sample_rate_hz": str(rec.sample_rate_hz),
            "placement": rec.placement,
            "axes": "band",
            "source": f"recorded with repband record, board {rec.board}",
        },
        sample_rate_hz=float(rec.sample_rate_hz),
        axes="band",
        t_ms=data[:, 0],
        accel_g=data[:, 1:4] / 1000.0,
        gyro_dps=data[:, 4:7] / 10.0 if rec.gyro else None,
    )


def record(
    port: str,
    out: Path,
    seconds: float = 0,
    *,
    say: Callable[[str], None] = print,
    stop: Callable[[], bool] | None = None,
    force: bool = False,
) -> Recording:
    from host_tools.band import link
    from host_tools.traces import traceio

    if out.suffix != ".csv":
        raise RepbandError(f"{out}: a trace file must end in .csv")
    if not out.parent.exists():
        raise RepbandError(f"{out.parent}: no such directory")
    if out.exists() and not force:
        raise RepbandError(f"{out}: already exists (a recording?); name another file, or add "
                           "--force to replace it")
    from host_tools.status_line import StatusLine

    live: list[LiveReps] = []
    line = StatusLine()  # elapsed and samples so far, on a terminal
    count = [0]
    def tell(text: str) -> None:  # a line of its own, the status line cleared first
        line.clear()
        say(text)

    def started(rec: Recording) -> None:
        tell(
            f"recording from {port} ({rec.board}, {rec.sample_rate_hz} Hz, {rec.placement}); "
            + (f"{seconds:g} s" if seconds else "Ctrl-C to stop")
        )
        live.append(LiveReps(rec.sample_rate_hz, tell))

    def sample(s: tuple[int, ...]) -> None:
        count[0] += 1
        if live:
            live[0].feed(s)
            line.show(f"recording: {line.elapsed():.0f}" + (f" of {seconds:g}" if seconds else "")
                      + f" s, {count[0]} samples, {live[0].reps} reps")

    with link.raw_session(port) as band:
        rec = stream(band, seconds, on_sample=sample, on_start=started, stop=stop)
    line.clear()
    if not rec.samples:
        raise RepbandError(f"{port}: the band sent no samples; nothing written to {out}")
    if live:
        live[0].finish(rec.samples[-1][0])
    try:
        traceio.write_trace(out, to_trace(rec, out))
    except OSError as exc:
        raise RepbandError(f"{out}: cannot write the trace ({exc.strerror})") from None
    dur = (rec.samples[-1][0] - rec.samples[0][0]) / 1000
    reps = live[0].reps if live else 0
    tell(
        f"{out}: {len(rec.samples)} samples, {dur:.1f} s, {reps} reps counted"
        + ("" if rec.ended else " (the band stopped answering: kept what arrived)")
        + (f"; {rec.dropped} samples lost to FIFO overflow" if rec.dropped else "")
    )
    return rec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--out", type=Path, required=True, metavar="TRACE.csv", help="output trace"
    )
    parser.add_argument("-p", "--port", help="serial port of the band (default: find it)")
    parser.add_argument(
        "--seconds", type=_positive_seconds, default=None,
        help="stop after this long (default: until Ctrl-C)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")


def _positive_seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0 (leave "
                                         "--seconds out to record until Ctrl-C)")
    return v


def run(args: argparse.Namespace) -> int:
    from host_tools.band import link

    port = args.port or link.find_port()
    record(port, args.out, args.seconds or 0, say=lambda s: print(s, flush=True),
           force=args.force)
    return 0
