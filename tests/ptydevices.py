"""Serial devices that misbehave, behind real ptys, for the link's fault tests: a MicroPython
raw REPL whose every command is answered by a flood that never ends (at UART speed), or by
nothing at all (an empty reply)."""

from __future__ import annotations

import os
import select
import threading
import time

BAUD_BYTES_S = 11_520  # 115200 baud, 8N1


class PtyDevice:
    """`mode`: "flood" (each command's reply never ends), "mute" (each command's reply is
    empty: OK, no output, no error)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _send(self, data: bytes) -> None:
        try:
            os.write(self.master, data)
        except OSError:
            self._stop.set()

    def _run(self) -> None:
        pending = b""
        flooding = False
        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.01)
            if r:
                try:
                    pending += os.read(self.master, 4096)
                except OSError:
                    return
            if flooding:  # about 50 ms of a UART's worth at a time
                self._send(b"0123456789abcdef" * (BAUD_BYTES_S // 20 // 16))
                time.sleep(0.05)
                continue
            if b"\x01" in pending and b"\x04" not in pending:  # Ctrl-A: the raw REPL
                pending = b""
                self._send(b"raw REPL; CTRL-B to exit\r\n>")
            elif b"\x05A\x01" in pending:  # raw-paste: not supported
                pending = pending.replace(b"\x05A\x01", b"")
                self._send(b"R\x00")
            elif b"\x04" in pending:  # a command's end
                pending = b""
                if self.mode == "flood":
                    self._send(b"OK")
                    flooding = True
                else:
                    self._send(b"OK\x04\x04>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> PtyDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
