"""The virtual band: the real firmware in the MicroPython runtime (Node.js), wearing a trace,
behind a pseudo-terminal that mpremote opens like /dev/ttyUSB0.

    with VirtualBand(board="m5stickc_plus2", trace="day.csv", flash_dir="flash") as vb:
        print(vb.pty_path)   # mpremote connect <that> fs ls

The band's flash is a host directory (persisting between runs). Its clock is virtual: it moves
when the firmware sleeps, `speed` times faster than the wall clock (0: as fast as it can);
`start_epoch_s` sets its RTC at power-on (the day it wears the trace), as a host sync would.
`uid` is what its machine.unique_id() says (hex). Its USB cable can be pulled (`unplug`, at
once or after so many more bytes to the host) and plugged in again (`plug_in`: a new pty).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
import tty
from pathlib import Path

from host_tools import BOARDS_DIR, firmware
from host_tools.band.flash import firmware_sources
from host_tools.errors import VirtualBandError
from host_tools.sim.mpy_runtime import check_runtime
from host_tools.traces import traceio

HERE = Path(__file__).resolve().parent
FAKES = HERE.parent / "fakes"
# the virtual band's cell, where its board can read one (boards/*.json "battery_adc"): a LiPo
# part used, as its fake ADC reports it through the board's divider
BATTERY_MV = 3910


def install_firmware(flash: Path, board: str) -> None:
    """What `repband flash` puts on a fresh band (as plain .py: MicroPython runs them as is)."""
    board_file = BOARDS_DIR / f"{board}.json"
    if not board_file.exists():
        from host_tools.errors import did_you_mean

        names = sorted(p.stem for p in BOARDS_DIR.glob("*.json"))
        raise VirtualBandError(f"unknown board {board!r}{did_you_mean(board, names)}; known "
                               f"boards: {', '.join(names)}")
    flash.mkdir(parents=True, exist_ok=True)
    for src in firmware_sources():
        shutil.copyfile(src, flash / src.name)
    (flash / "boards").mkdir(exist_ok=True)
    shutil.copyfile(board_file, flash / "boards" / board_file.name)
    cfg = flash / "config.json"
    if not cfg.exists():
        cfg.write_text(json.dumps({"board": board}))


class UsbLink:
    """One USB connection: a pty whose slave end the host opens. Unplugging hangs up the host's
    end (its reads and writes fail, as when a cable is pulled); the band runs on, unheard."""

    def __init__(self, to_band: Path):
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.bytes_to_host = 0
        self.plugged = True
        self._cut_at: int | None = None
        self._mark: bytes | None = None  # the cut counts from the end of this, once it is sent
        self._tail = b""  # what was sent last, as long as the mark less one byte
        self._after = 0
        self.held_at: int | None = None  # the band's output stops here until released
        self._on_hang_up = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._to_band, args=(to_band,), daemon=True)
        self._thread.start()

    def _to_band(self, sink_path: Path) -> None:
        # Polls, so no thread sits in a read on the master: a read in progress would keep the
        # pty from hanging up when unplugged.
        with open(sink_path, "ab", buffering=0) as sink:
            while self.plugged:
                try:
                    ready, _, _ = select.select([self._master], [], [], 0.05)
                    data = os.read(self._master, 4096) if ready else b""
                except OSError:
                    data = b""
                    time.sleep(0.05)
                if data and self.plugged:
                    sink.write(data)

    def send(self, data: bytes) -> None:
        """The band's output to the host; waits while the host does not read (as USB does)."""
        view = memoryview(data)
        if self._mark is not None:
            with self._lock:
                self._arm(bytes(data))
        while view and self.plugged:
            held = self.held_at
            if held is not None and self.bytes_to_host >= held:
                time.sleep(0.005)  # held: the band's output waits (a test acts meanwhile)
                continue
            with self._lock:
                cut = self._cut_at
                if held is not None and (cut is None or held < cut):
                    cut = held  # (only as far as the hold: not a hang-up there)
                    n = self._write(view[:cut - self.bytes_to_host])
                    view = view[n:]
                    if not n:
                        time.sleep(0.005)
                    continue
                n = self._write(view if cut is None else view[:cut - self.bytes_to_host])
                if cut is not None and self.bytes_to_host >= cut:
                    self._hang_up()  # exactly `after_bytes` went through
                    return
            view = view[n:]
            if not n:
                time.sleep(0.005)

    def _write(self, view: memoryview) -> int:
        try:
            n = os.write(self._master, view) if len(view) else 0
        except OSError:  # full (the host is not reading) or no longer plugged
            return 0
        self.bytes_to_host += n
        return n

    def hold(self, after_bytes: int) -> None:
        """Stop the band's output once `after_bytes` more have gone to the host, until
        release(): the host is then surely waiting for the band, mid-reply."""
        self.held_at = self.bytes_to_host + after_bytes

    def release(self) -> None:
        self.held_at = None

    def _arm(self, data: bytes) -> None:
        # (under self._lock) the cut waits for the mark; once `data` holds its end, it is set
        assert self._mark is not None
        seen = self._tail + data
        i = seen.find(self._mark)
        if i < 0:
            self._tail = seen[max(0, len(seen) - len(self._mark) + 1):]
            return
        self._cut_at = self.bytes_to_host - len(self._tail) + i + len(self._mark) + self._after
        self._mark = None

    def unplug(self, after_bytes: int | None = None, on_hang_up=None,
               after_mark: bytes | None = None) -> None:
        with self._lock:
            self._on_hang_up = on_hang_up
            if after_bytes is None:
                self._hang_up()
            elif after_mark:
                self._mark, self._tail, self._after = after_mark, b"", after_bytes
            else:
                self._cut_at = self.bytes_to_host + after_bytes

    def _hang_up(self) -> None:
        # (under self._lock) /dev/null takes over the fd numbers, so no thread can reach a newer
        # file through them; the pty hangs up once the last reference to its master is gone
        if not self.plugged:
            return
        self.plugged = False
        if self._on_hang_up is not None:
            self._on_hang_up()  # the cable is out: no USB power either
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (self._master, self._slave):
            os.dup2(null, fd)
        os.close(null)

    def close(self) -> None:
        with self._lock:
            self._hang_up()
        self._thread.join(1)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class VirtualBand:
    def __init__(self, board: str = "m5stickc_plus2", trace: str | Path | None = None,
                 flash_dir: str | Path | None = None, speed: float = 0, install: bool = False,
                 uid: str | None = None, start_epoch_s: int | None = None):
        self.board = board
        self.start_epoch_s = start_epoch_s  # its RTC at power-on (Unix s); None: never set
        self.uid = uid  # hex, for machine.unique_id() (default: the fake machine's own)
        self.trace_path = Path(trace) if trace else None
        self.speed = speed
        self._tmp = tempfile.TemporaryDirectory(prefix="repband-vband-")
        work = Path(self._tmp.name)
        self.flash_dir = Path(flash_dir) if flash_dir else work / "flash"
        self.install = install
        self.work = work
        self.output = bytearray()  # everything the band printed (for tests)
        self.proc: subprocess.Popen | None = None
        self.link: UsbLink | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "VirtualBand":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        node = check_runtime()
        board_file = BOARDS_DIR / f"{self.board}.json"
        if not board_file.exists():
            install_firmware(self.flash_dir, self.board)  # raises the clear error
        if self.install and not (self.flash_dir / "main.py").exists():
            install_firmware(self.flash_dir, self.board)
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        lib = self.work / "lib"
        lib.mkdir(exist_ok=True)
        for name in ("imu_models.py", "vclock.py", "machine.py", "esp32.py", "neopixel.py"):
            shutil.copyfile(FAKES / name, lib / name)
        shutil.copyfile(HERE.parent / "mp" / "drive.py", lib / "drive.py")
        board = json.loads(board_file.read_text())
        start_ms = 1000
        from host_tools.traces.replay import pack

        if self.trace_path is not None:
            trace = traceio.read_trace(self.trace_path)
        else:  # no trace: the band lies still on a table
            import numpy as np

            trace = traceio.Trace(Path("still"), {}, 50, "band", np.array([0, 20], dtype=np.int64),
                                  np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
        (lib / "trace.bin").write_bytes(pack(trace))
        self.trace_ms = int(trace.t_ms[-1])
        (lib / "band.json").write_text(json.dumps({
            "imu": board["imu"], "usb_sense": board.get("usb_sense"),
            "battery_adc": board.get("battery_adc"), "battery_mv": BATTERY_MV,
            "imu_driver": firmware.load("imu").driver(board["imu"]["part"]).__name__,
            # the app's first batch comes a moment after boot; a few seconds more let the
            # last set end (the counter closes a set after 12 s without a rep)
            "trace_end_ms": start_ms + self.trace_ms + 15_000, "uid": self.uid}))
        self._input = self.work / "usb-in"
        self._input.write_bytes(b"")
        self._usb = self.work / "usb-power"  # the cable: 1 plugged in (USB power), 0 not
        self._usb.write_text("1")
        cfg = {"input": str(self._input), "usb": str(self._usb), "flash_dir": str(self.flash_dir),
               "lib_dir": str(lib),
               "bootstrap": str(HERE / "bootstrap.py"), "speed": self.speed, "heap": 64 << 20,
               "start_ms": start_ms,  # the band's clock at power-on
               "epoch_s": (self.start_epoch_s - start_ms // 1000) if self.start_epoch_s else 0,
               "status": str(self.work / "worn-ms")}
        (self.work / "band.json").write_text(json.dumps(cfg))
        self.link = UsbLink(self._input)
        self.proc = subprocess.Popen([node, str(HERE / "band.mjs"), str(self.work / "band.json")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=HERE)
        self._from_band_thread = threading.Thread(target=self._from_band, daemon=True)
        self._from_band_thread.start()

    def worn_ms(self) -> int:
        """How much of its trace the band has worn so far (virtual ms)."""
        try:
            return max(0, int((self.work / "worn-ms").read_text() or 0) - 1000)
        except (OSError, ValueError):
            return 0

    @property
    def trace_done(self) -> bool:
        return b"worn to its end" in self.output or b"deep sleep" in self.output

    @property
    def pty_path(self) -> str:
        """The band's serial port as the host sees it (a new one after each plug_in)."""
        return self.link.path if self.link else ""

    def unplug(self, after_bytes: int | None = None, after_mark: bytes | None = None) -> None:
        """Pull the USB cable now, or once `after_bytes` more bytes have gone to the host (counted
        from the end of the first `after_mark` the band sends, if given: what a host's knock
        brings before it varies with timing, what follows does not)."""
        if self.link:
            self.link.unplug(after_bytes, on_hang_up=lambda: self._usb.write_text("0"),
                             after_mark=after_mark)

    def plug_in(self) -> str:
        """Plug the cable in again (the band kept running): returns the new port."""
        if self.link:
            self.link.close()
        self.link = UsbLink(self._input)
        self._usb.write_text("1")
        return self.link.path

    def _from_band(self) -> None:
        assert self.proc and self.proc.stdout
        while True:
            read1 = getattr(self.proc.stdout, "read1", None)
            data = read1(4096) if read1 is not None else self.proc.stdout.read(1)
            if not data:
                return
            self.output.extend(data)
            link = self.link
            if link is not None:
                link.send(data)  # unplugged, the band's output goes nowhere

    def wait_for(self, text: bytes, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while text not in self.output:
            if self.proc and self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise VirtualBandError(f"the virtual band stopped: {err[-2000:]}")
            if time.monotonic() > end:
                raise VirtualBandError(f"the virtual band did not print {text!r} in {timeout} s")
            time.sleep(0.02)

    def wait_trace_done(self, timeout: float = 600) -> None:
        """Until the band has worn the whole trace (or gone to sleep before that)."""
        end = time.monotonic() + timeout
        while b"worn to its end" not in self.output and b"deep sleep" not in self.output:
            if time.monotonic() > end:
                raise VirtualBandError(f"the band did not finish the trace in {timeout} s")
            self.wait_for(b"", 1)
            time.sleep(0.05)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            # SIGTERM saves the flash when the REPL is idle; a running app keeps Node busy, so
            # after a moment the band loses power instead (its flash was saved within a second)
            self.proc.terminate()
            try:
                self.proc.wait(1.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.link is not None:
            self.link.close()
        self._tmp.cleanup()
