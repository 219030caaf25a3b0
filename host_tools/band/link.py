"""Finding the band on USB and talking to it: mpremote's SerialTransport in raw REPL, with
one-line errors for what goes wrong with a serial port (none, busy, no permission, not a
repband, firmware too old).

Without --port the band is found by its USB bridge (vendor/product ids) and, when several
ports qualify, by asking each who it is (the band service's hello)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from host_tools.band.client import BandClient, check_protocol
from host_tools.errors import LinkError

REPL_TIMEOUT_S = 10.0  # mpremote's own wait for the raw REPL
PROBE_TIMEOUT_S = 2.0  # asking a candidate port who it is, when several qualify
READ_TIMEOUT_S = 2.0  # one serial read (mpremote waits this long for a 2-byte reply)
# A band on battery naps between FIFO batches (light sleep: its UART hears nothing), awake a few
# ms every period_ms (up to 1.7 s, firmware/app.py). A Ctrl-C every KNOCK_EVERY_S until anything
# answers lands in one of those moments; KNOCK_S covers two periods and then some.
KNOCK_S = 4.0
KNOCK_EVERY_S = 0.01
# the longest one reply may take (a sync batch is ~3 s at 115200 baud): mpremote's own waits end
# only when nothing arrives, so a device that never stops sending would hold us for ever
REPLY_TIMEOUT_S = 60.0
# USB bridges found on ESP32 boards: (vendor, product) -> name
USB_IDS = {
    (0x10C4, 0xEA60): "CP210x",
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D4): "CH9102",
    (0x0403, 0x6001): "FTDI",
    (0x0403, 0x6015): "FTDI",
    (0x303A, 0x1001): "ESP32-S3 native USB",
}


def candidate_ports() -> list[tuple[str, str]]:
    from serial.tools import list_ports

    return [(p.device, USB_IDS[(p.vid, p.pid)]) for p in list_ports.comports()
            if (p.vid, p.pid) in USB_IDS]


def find_port() -> str:
    """The band's port: the only USB serial port of an ESP32 bridge, or else the only one of
    several whose device says it is a repband."""
    ports = candidate_ports()
    if not ports:
        raise LinkError("no band found on USB: plug it in with a data cable (not a charge-only "
                        "one), or name the port with --port")
    if len(ports) == 1:
        return ports[0][0]
    answers = {dev: probe(dev) for dev, _ in ports}
    bands = [dev for dev, _ in ports if isinstance(answers[dev], dict)]
    if len(bands) == 1:
        return bands[0]

    def said(dev: str) -> str:
        a = answers[dev]
        if isinstance(a, dict):
            return f"repband {a.get('uid')} ({a.get('board') or 'no board set'})"
        return a

    listed = "; ".join(f"{dev} ({name}): {said(dev)}" for dev, name in ports)
    if not bands:
        raise LinkError(f"no repband among the USB serial ports: {listed}; name the port with "
                        "--port")
    raise LinkError(f"several bands: {listed}; choose one with --port")


def probe(port: str, timeout_s: float | None = None) -> dict | str:
    """Ask the device on `port` who it is: the band's hello (a dict, whatever its protocol), or
    a few words saying why not. It stops the band's app, as every session does."""
    timeout_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        transport = open_raw(port, timeout_s)
    except LinkError as exc:
        return exc.brief
    answer: dict | str = "no answer"
    try:
        answer = BandClient(transport, port).hello(timeout_s)
        return answer
    except LinkError as exc:
        return exc.brief
    finally:
        _leave(transport, restart=isinstance(answer, dict))  # a repband goes back to counting


# ---------------------------------------------------------------- why a port will not open


def _holder(port: str) -> str | None:
    """Which process holds `port`: the owner of its exclusive lock (as mpremote and pyserial
    take one), else any other process that has it open (Linux /proc), as 'PID (name)'."""
    try:
        st = os.stat(port)
    except OSError:
        return None
    pids: list[str] = []
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with contextlib.suppress(OSError):
        for line in Path("/proc/locks").read_text().splitlines():
            f = line.split()
            if len(f) > 5 and f[1] == "FLOCK" and f[5] == dev:
                pids.append(f[4])
    if not pids:
        target = os.path.realpath(port)
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == target
                       for fd in os.listdir(f"/proc/{pid}/fd")):
                    pids.append(pid)
    for pid in pids:
        with contextlib.suppress(OSError):
            return f"{pid} ({Path(f'/proc/{pid}/comm').read_text().strip()})"
    return None


def _open_errno(port: str) -> int:
    """Open and lock `port` as pyserial does, to learn what mpremote's 'failed to access' hid."""
    try:
        fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return exc.errno or errno.EIO
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return 0
    except OSError as exc:
        return exc.errno or errno.EIO
    finally:
        os.close(fd)


def permission_message(port: str) -> str:
    return (f"{port}: permission denied; add yourself to the dialout group "
            "(sudo usermod -aG dialout $USER, then log out and in) or add a udev rule")


def check_port(port: str) -> None:
    if not os.path.exists(port):
        raise LinkError(f"{port}: no such serial port; is the band plugged in? (repband finds it "
                        "without --port)", "no such port")


def _cannot_open(port: str, detail: str) -> LinkError:
    code = _open_errno(port)
    if code in (errno.EACCES, errno.EPERM):
        return LinkError(permission_message(port), "permission denied")
    if code in (errno.EBUSY, errno.EWOULDBLOCK):
        holder = _holder(port)
        who = f"used by process {holder}" if holder else "used by another program"
        return LinkError(f"{port} is busy: {who}; close it first", f"busy ({who})")
    if code == errno.ENOENT:
        return LinkError(f"{port}: the port went away; is the band plugged in?", "no such port")
    reason = os.strerror(code) if code else detail
    return LinkError(f"{port}: cannot open ({reason})", "cannot open")


# ---------------------------------------------------------------- sessions


def open_raw(port: str, timeout_s: float | None = None) -> Any:
    """An mpremote SerialTransport on `port` in raw REPL (interrupting the app)."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    timeout_s = REPL_TIMEOUT_S if timeout_s is None else timeout_s
    check_port(port)
    try:
        # a read timeout: on a pty mpremote reads without asking what is waiting, so without
        # one its own timeouts never fire when nothing answers
        transport = SerialTransport(port, baudrate=115200,
                                    timeout=min(READ_TIMEOUT_S, timeout_s))
    except TransportError as exc:
        raise _cannot_open(port, str(exc)) from None
    _bound_replies(transport, REPLY_TIMEOUT_S if timeout_s == REPL_TIMEOUT_S else timeout_s)
    try:
        _knock(transport, min(KNOCK_S, timeout_s))
        # mpremote prints what it got instead of a prompt: keep that off our one-line errors
        with contextlib.redirect_stdout(io.StringIO()):
            transport.enter_raw_repl(soft_reset=False,
                                     timeout_overall=timeout_s)  # type: ignore[arg-type]
            # (mpremote annotates int seconds; it compares a float as well)
    except OSError:  # pyserial's SerialException: the port hung up
        _leave(transport)
        raise LinkError(f"{port}: the port went away (cable pulled?); plug the band in and try "
                        "again", "port went away") from None
    except TransportError as exc:
        _leave(transport)
        holder = _holder(port)
        if holder:  # open without a lock elsewhere: it may be eating the band's replies
            raise LinkError(f"{port}: no answer; the port is also open in process {holder}: "
                            "close it first", f"busy (also open in process {holder})") from None
        raise LinkError(f"{port}: no MicroPython REPL answers ({exc}); is this a repband? (one "
                        "asleep wakes at a press of its mode button: press it and try again)",
                        "no MicroPython answers") from None
    return transport


def _knock(transport: Any, limit_s: float) -> bool:
    """Ctrl-C every KNOCK_EVERY_S until the device sends anything (a napping band is awake for
    one of them; the app stops and the REPL answers) or `limit_s` passes. True if it answered."""
    ser = transport.serial
    deadline = time.monotonic() + limit_s
    while True:
        ser.write(b"\x03")
        end = min(deadline, time.monotonic() + KNOCK_EVERY_S)
        while time.monotonic() < end:
            if ser.in_waiting:
                return True
            time.sleep(0.001)
        if time.monotonic() >= deadline:
            return False


def _bound_replies(transport: Any, limit_s: float) -> None:
    """Every wait for a reply on `transport` ends within `limit_s`, as a TransportError saying
    so: mpremote's read_until checks its timeouts only while nothing arrives, so a device that
    never stops sending would hold it for ever."""
    from mpremote.transport import TransportError

    real = transport.read_until
    ser = transport.serial

    class Endless(Exception):
        pass

    def read_until(min_num_bytes, ending, timeout=10, data_consumer=None, timeout_overall=None):
        limit = limit_s if timeout_overall is None else min(timeout_overall, limit_s)
        deadline = time.monotonic() + limit
        read = ser.read

        def bounded_read(n: int = 1) -> bytes:
            if time.monotonic() > deadline:
                raise Endless
            return read(n)

        ser.read = bounded_read  # (an attribute of this Serial object only, for this wait)
        try:
            return real(min_num_bytes, ending, timeout, data_consumer, timeout_overall)
        except Endless:
            raise TransportError(f"it kept sending for {limit:g} s without ending its reply; "
                                 "is this a repband?") from None
        finally:
            del ser.read

    transport.read_until = read_until


def _leave(transport: Any, restart: bool = False) -> None:
    """Back to the friendly REPL and close; the cable may be gone, so nothing here may fail.
    `restart`: soft-reset the band on the way out, so it boots into its app and counts again
    (every session stopped the app to get the REPL)."""
    with contextlib.suppress(Exception):
        transport.exit_raw_repl()
    if restart:
        with contextlib.suppress(Exception):
            transport.serial.write(b"\x04")
            transport.serial.flush()
    with contextlib.suppress(Exception):
        transport.close()


@contextlib.contextmanager
def raw_session(port: str, require_repband: bool = True,
                restart: bool = True) -> Iterator[BandClient]:
    """The band in raw REPL (its app stopped) for the `with` block, as a BandClient (its
    `info`: the band's hello, checked against our protocol, if `require_repband`); afterwards
    it is soft-reset into its app again (`restart`), unless it never said it is a repband."""
    transport = open_raw(port)
    known = False
    try:
        client = BandClient(transport, port)
        if require_repband:
            check_protocol(client.hello(), port)
        known = True
        yield client
    finally:
        _leave(transport, restart=restart and known)
