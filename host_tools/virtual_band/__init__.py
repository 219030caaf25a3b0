"""The virtual band: the real firmware in the MicroPython runtime (Node.js), wearing a trace,
behind a pseudo-terminal that mpremote opens like /dev/ttyUSB0.

    with VirtualBand(board="m5stickc_plus2", trace="day.csv", flash_dir="flash") as vb:
        print(vb.pty_path)   # mpremote connect <that> fs ls

The band's flash is a host directory (persisting between runs). Its clock is virtual: it moves
when the firmware sleeps, `speed` times faster than the wall clock (0: as fast as it can).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import tty
from pathlib import Path

from host_tools import BOARDS_DIR, FIRMWARE_DIR, RepbandError, traceio
from host_tools.mpy_runtime import check_runtime

HERE = Path(__file__).resolve().parent
FAKES = HERE.parent / "fakes"


class VirtualBandError(RepbandError):
    pass


def install_firmware(flash: Path, board: str) -> None:
    """What `repband flash` puts on a fresh band (as plain .py: MicroPython runs them as is)."""
    board_file = BOARDS_DIR / f"{board}.json"
    if not board_file.exists():
        known = ", ".join(sorted(p.stem for p in BOARDS_DIR.glob("*.json")))
        raise VirtualBandError(f"unknown board {board!r}; known boards: {known}")
    flash.mkdir(parents=True, exist_ok=True)
    for src in FIRMWARE_DIR.glob("*.py"):
        shutil.copyfile(src, flash / src.name)
    (flash / "boards").mkdir(exist_ok=True)
    shutil.copyfile(board_file, flash / "boards" / board_file.name)
    cfg = flash / "config.json"
    if not cfg.exists():
        cfg.write_text(json.dumps({"board": board}))


class VirtualBand:
    def __init__(self, board: str = "m5stickc_plus2", trace: str | Path | None = None,
                 flash_dir: str | Path | None = None, speed: float = 0, install: bool = False):
        self.board = board
        self.trace_path = Path(trace) if trace else None
        self.speed = speed
        self._tmp = tempfile.TemporaryDirectory(prefix="repband-vband-")
        work = Path(self._tmp.name)
        self.flash_dir = Path(flash_dir) if flash_dir else work / "flash"
        self.install = install
        self.work = work
        self.output = bytearray()  # everything the band printed (for tests)
        self.proc: subprocess.Popen | None = None
        self.pty_path = ""

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
        for name in ("imu_models.py", "vclock.py", "machine.py"):
            shutil.copyfile(FAKES / name, lib / name)
        board = json.loads(board_file.read_text())
        start_ms = 1000
        from host_tools.replay import pack

        if self.trace_path is not None:
            trace = traceio.read_trace(self.trace_path)
        else:  # no trace: the band lies still on a table
            import numpy as np

            trace = traceio.Trace(Path("still"), {}, 50, "band", np.array([0, 20], dtype=np.int64),
                                  np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
        (lib / "trace.bin").write_bytes(pack(trace))
        self.trace_ms = int(trace.t_ms[-1])
        (lib / "band.json").write_text(json.dumps({
            "imu": board["imu"], "start_ms": start_ms,
            # the app's first batch comes a moment after boot; a few seconds more let the
            # last set end (the counter closes a set after 12 s without a rep)
            "trace_end_ms": start_ms + self.trace_ms + 15_000}))
        self._input = self.work / "usb-in"
        self._input.write_bytes(b"")
        cfg = {"input": str(self._input), "flash_dir": str(self.flash_dir), "lib_dir": str(lib),
               "bootstrap": str(HERE / "bootstrap.py"), "speed": self.speed, "heap": 64 << 20}
        (self.work / "band.json").write_text(json.dumps(cfg))
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.pty_path = os.ttyname(self._slave)
        self.proc = subprocess.Popen([node, str(HERE / "band.mjs"), str(self.work / "band.json")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=HERE)
        self._stop = False
        self._threads = [threading.Thread(target=self._to_band, daemon=True),
                         threading.Thread(target=self._from_band, daemon=True)]
        for t in self._threads:
            t.start()

    def _to_band(self) -> None:
        with open(self._input, "ab", buffering=0) as sink:
            while not self._stop:
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    return
                if data:
                    sink.write(data)

    def _from_band(self) -> None:
        assert self.proc and self.proc.stdout
        while True:
            data = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") else \
                self.proc.stdout.read(1)
            if not data:
                return
            self.output.extend(data)
            try:
                os.write(self._master, data)
            except OSError:
                return

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
        self._stop = True
        if self.proc and self.proc.poll() is None:
            # SIGTERM saves the flash when the REPL is idle; a running app keeps Node busy, so
            # after a moment the band loses power instead (its flash was saved within a second)
            self.proc.terminate()
            try:
                self.proc.wait(1.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (getattr(self, "_master", None), getattr(self, "_slave", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._tmp.cleanup()
