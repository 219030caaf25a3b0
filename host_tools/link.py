"""Finding the band on USB and talking to it: mpremote's SerialTransport in raw REPL, with
one-line errors for what goes wrong with a serial port (none, busy, no permission, not a
repband, firmware too old)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from host_tools import RepbandError

PROTOCOL = 1
# USB bridges found on ESP32 boards: (vendor, product) -> name
USB_IDS = {
    (0x10C4, 0xEA60): "CP210x",
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D4): "CH9102",
    (0x0403, 0x6001): "FTDI",
    (0x0403, 0x6015): "FTDI",
    (0x303A, 0x1001): "ESP32-S3 native USB",
}


class LinkError(RepbandError):
    exit_code = 3


def candidate_ports() -> list[tuple[str, str]]:
    from serial.tools import list_ports

    return [(p.device, USB_IDS[(p.vid, p.pid)]) for p in list_ports.comports()
            if (p.vid, p.pid) in USB_IDS]


def find_port() -> str:
    ports = candidate_ports()
    if not ports:
        raise LinkError("no band found on USB: plug it in with a data cable (not a charge-only "
                        "one), or name the port with --port")
    if len(ports) > 1:
        listed = ", ".join(f"{d} ({n})" for d, n in ports)
        raise LinkError(f"several possible bands: {listed}; choose one with --port")
    return ports[0][0]


def _holder(port: str) -> str | None:
    """Which process has `port` open (Linux /proc), as 'PID (name)'."""
    try:
        target = os.path.realpath(port)
    except OSError:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.path.realpath(f"/proc/{pid}/fd/{fd}") == target:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"{pid} ({name})"
        except OSError:
            continue
    return None


def check_port(port: str) -> None:
    """Tell apart what mpremote reports as one 'failed to access' error."""
    if not os.path.exists(port):
        raise LinkError(f"{port}: no such serial port; is the band plugged in? (repband finds it "
                        "without --port)")
    if not os.access(port, os.R_OK | os.W_OK):
        raise LinkError(permission_message(port))


def permission_message(port: str) -> str:
    return (f"{port}: permission denied; add yourself to the dialout group "
            "(sudo usermod -aG dialout $USER, then log out and in) or add a udev rule")


def open_raw(port: str) -> Any:
    """An mpremote SerialTransport on `port` in raw REPL (interrupting the app)."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    check_port(port)
    try:
        transport = SerialTransport(port, baudrate=115200)
    except TransportError as exc:
        holder = _holder(port)
        if holder:
            raise LinkError(f"{port} is busy: used by process {holder}; close it first") from None
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError) and cause.errno == errno.EACCES:
            raise LinkError(permission_message(port)) from None
        raise LinkError(f"{port}: cannot open ({exc})") from None
    try:
        transport.enter_raw_repl(soft_reset=False)
    except Exception as exc:  # noqa: BLE001 - anything here means no MicroPython answers
        transport.close()
        raise LinkError(f"{port}: no MicroPython REPL answers ({exc}); is this a repband?") from None
    return transport


def hello(transport: Any, port: str = "the band") -> dict:
    from mpremote.transport import TransportError

    try:
        out = transport.exec("import service\nservice.hello()").decode()
    except TransportError as exc:
        if "No module named" in str(exc) or "ImportError" in str(exc):
            raise LinkError(f"{port}: a MicroPython board, but not a repband (no service module): "
                            "run repband flash --board BOARD") from None
        raise LinkError(f"{port}: {exc}") from None
    line = next((x for x in out.splitlines() if x.startswith("RB-HELLO ")), None)
    if line is None:
        raise LinkError(f"{port}: answered {out.strip()[:80]!r}, not a repband hello")
    info = json.loads(line[len("RB-HELLO "):])
    if int(info.get("repband", 0)) < PROTOCOL:
        raise LinkError(f"{port}: firmware too old (protocol {info.get('repband')}, this repband "
                        f"needs {PROTOCOL}): run repband flash --board {info.get('board') or 'BOARD'}")
    return info


@contextlib.contextmanager
def raw_session(port: str, require_repband: bool = True) -> Iterator[Any]:
    transport = open_raw(port)
    try:
        if require_repband:
            transport.band_info = hello(transport, port)
        yield transport
    finally:
        try:
            transport.exit_raw_repl()
        except Exception:  # noqa: BLE001 - the cable may be gone: nothing to restore
            pass
        transport.close()
