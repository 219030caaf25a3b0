"""Every call the host makes to the band, in one place: `BandClient(transport)` over an mpremote
transport already in raw REPL (host_tools.band.link opens one and hands it over).

Each method runs one piece of Python on the band (the services of firmware/service.py,
settings.py, recorder.py, or mpremote's file calls) and returns what the host needs. What goes
wrong on the way is mapped here, once, to a LinkError (exit code 3): the port hanging up
(pyserial's SerialException, an OSError), the band not answering (mpremote's TransportError),
or the code failing on the band (TransportExecError, carrying the band's own error output:
BandRefused, whose `detail` is its last line). A command says what it is doing with `task()`,
which words those messages: "during sync ...; run repband sync again: nothing is lost".
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from host_tools.errors import LinkError, RepbandError

PROTOCOL = 2  # the band service's protocol this repband speaks (firmware/service.py)
AGAIN = "try again"


class BandRefused(LinkError):
    """The code sent ran on the band and raised there; `detail`: the last line of its error."""

    def __init__(self, message: str, detail: str):
        super().__init__(message, "failed on the band")
        self.detail = detail


class BandClient:
    """The band behind `transport` (raw REPL), reached as `port`; `info`: its hello, once asked."""

    def __init__(self, transport: Any, port: str = "the band"):
        self.transport = transport
        self.port = port
        self.info: dict[str, Any] = {}
        self._during = ""  # what the messages say the host was doing (task())
        self._again = AGAIN

    # ------------------------------------------------------------ the one error mapping

    @contextlib.contextmanager
    def task(self, during: str, again: str) -> Iterator[BandClient]:
        """Calls inside the block word their errors as `during` ("during flash") and `again`
        (what the user does next)."""
        saved = self._during, self._again
        self._during, self._again = f" {during}", again
        try:
            yield self
        finally:
            self._during, self._again = saved

    @contextlib.contextmanager
    def _mapped(self) -> Iterator[None]:
        from mpremote.transport import TransportError, TransportExecError

        port, during, again = self.port, self._during, self._again
        try:
            yield
        except TransportExecError as exc:
            lines = (exc.error_output or "").strip().splitlines()
            detail = lines[-1] if lines else "?"
            raise BandRefused(f"{port}: the band failed{during} ({detail}); {again}",
                              detail) from None
        except OSError:  # pyserial's SerialException: the port hung up
            raise LinkError(f"{port}: the port went away{during} (cable pulled?); plug the band "
                            f"in and {again}", "port went away") from None
        except TransportError as exc:
            raise LinkError(f"{port}: the band stopped answering{during} ({exc}); {again}",
                            "no proper answer") from None

    def run(self, code: str) -> str:
        """Run `code` on the band; what it printed. (Collected by a consumer: mpremote's own
        collecting of a reply grows one bytes object a byte at a time, quadratic in a batch.)"""
        out = bytearray()
        with self._mapped():
            self.transport.exec(code, data_consumer=out.extend)
        return out.rstrip(b"\x04").decode(errors="replace")

    @property
    def serial(self) -> Any:
        """The port itself, for a stream the band sends on its own (the recorder)."""
        return self.transport.serial

    # ------------------------------------------------------------ who it is

    def hello(self, timeout_s: float = 10.0) -> dict[str, Any]:
        """Who the band is (its service's hello), checked field by field; not against our
        protocol (check_protocol)."""
        port = self.port
        with self._mapped():
            out, err = self.transport.exec_raw("import service\nservice.hello()",
                                               timeout=timeout_s)
        if err:
            text = err.decode(errors="replace")
            if "ImportError" in text and "service" in text:
                if self._has_counter():  # a repband from before the band service existed
                    raise LinkError(f"{port}: repband firmware too old (no sync service): run "
                                    "repband flash --board BOARD", "repband, firmware too old")
                raise LinkError(f"{port}: a MicroPython board, but not a repband (no service "
                                "module): run repband flash --board BOARD",
                                "MicroPython, not a repband")
            last = text.strip().splitlines()[-1] if text.strip() else "?"
            raise LinkError(f"{port}: the band's service failed ({last}); run repband flash "
                            "--board BOARD", "repband, service failed")
        line = next((x for x in out.decode(errors="replace").splitlines()
                     if x.startswith("RB-HELLO ")), None)
        if line is None:
            raise LinkError(f"{port}: answered {out.decode(errors='replace').strip()[:80]!r}, "
                            "not a repband hello", "MicroPython, not a repband")
        try:
            info = json.loads(line[len("RB-HELLO "):])
        except (ValueError, RecursionError):
            raise LinkError(f"{port}: a garbled hello ({line[:80]!r}); run repband flash "
                            "--board BOARD", "repband, garbled hello") from None
        problem = hello_problem(info)
        if problem:
            raise LinkError(f"{port}: the band's hello is not a repband's ({problem}); run "
                            "repband flash --board BOARD", "repband, garbled hello")
        self.info = info
        return info

    def _has_counter(self) -> bool:
        try:
            out = self.transport.exec("import os\nprint([n for n in os.listdir('/') if "
                                      "n.startswith('counter.')])")
        except Exception:  # noqa: BLE001 - only a hint for the message
            return False
        return b"counter." in out

    def status(self) -> dict[str, Any]:
        """The band now (service.status()): battery, clock, log space, ..."""
        out = self.run("import service\nservice.status()")
        line = next((ln for ln in out.splitlines() if ln.startswith("RB-STATUS ")), None)
        if line is None:
            raise RepbandError(f"{self.port}: unexpected answer from the band: {out[:80]!r}")
        return json.loads(line[10:])

    # ------------------------------------------------------------ its log (sync)

    def set_clock_and_export(self, unix_s: int, utc_offset_min: int, after: int,
                             batch: int) -> str:
        return self.run(f"import service\nservice.clock_set({unix_s}, {utc_offset_min})\n"
                        f"service.export({after}, {batch})")

    def ack_and_export(self, acked: int, after: int, batch: int) -> str:
        """Free what is acknowledged (committed on the laptop), then export the next batch."""
        return self.run(f"import service\nservice.ack({acked})\nservice.export({after}, {batch})")

    def ack(self, seq: int) -> None:
        self.run(f"import service\nservice.ack({seq})")

    def restore_id(self, log_id: str) -> None:
        """Give the band back its log's id (damaged on the band, matched by its records)."""
        if not re.fullmatch(r"[0-9a-f]{16}", log_id):
            raise ValueError(f"not a log id: {log_id!r}")
        self.run(f"import service\nservice.restore_id('{log_id}')")

    # ------------------------------------------------------------ its settings

    def read_settings(self) -> dict[str, Any]:
        return self._json("import settings,json\nprint(json.dumps(settings.load()))")

    def write_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(changes)
        return self._json("import settings,json\n"
                          f"print(json.dumps(settings.update(json.loads({payload!r}))))")

    def _json(self, code: str) -> dict[str, Any]:
        out = self.run(code)
        try:
            result = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = None
        if not isinstance(result, dict):
            raise RepbandError(f"{self.port}: unexpected answer from the band: "
                               f"{out.encode()[:80]!r}")
        return result

    # ------------------------------------------------------------ recording

    def start_recorder(self, seconds: float) -> None:
        """Start firmware/recorder.py; it streams on `serial` until it ends (no reply here)."""
        with self._mapped():
            self.transport.exec_raw_no_follow(f"import recorder\nrecorder.run({float(seconds)!r})")

    # ------------------------------------------------------------ its files (flash)

    def mpy_and_files(self, boards_dir: str) -> tuple[int, list[tuple[str, int]]]:
        """(sys.implementation._mpy, [(path, size)] of the files in / and /`boards_dir`)."""
        with self._mapped():
            try:
                return self.transport.eval(
                    "(getattr(__import__('sys').implementation,'_mpy',0),"
                    f"[(d+f[0],f[3] if len(f)>3 else 0) for d in ('','{boards_dir}/') "
                    "for f in (__import__('os').ilistdir('/'+d) if d=='' or "
                    f"'{boards_dir}' in __import__('os').listdir('/') else ()) if f[1]==0x8000])"
                )
            except (SyntaxError, ValueError):  # what mpremote's eval makes of a non-Python reply
                raise LinkError(f"{self.port}: the REPL answered nothing readable; is this a "
                                "MicroPython board? (a new one: repband flash --firmware "
                                "IMAGE.bin)") from None

    def sha256(self, name: str) -> bytes:
        # mpremote's fs_hashfile hashes on the band, or reads the file back if it has no hashlib
        with self._mapped():
            return bytes(self.transport.fs_hashfile("/" + name, "sha256"))

    def mkdir(self, name: str) -> None:
        with self._mapped():
            try:
                self.transport.fs_mkdir("/" + name)
            except OSError:
                pass  # already there (empty)

    def remove(self, name: str) -> None:
        with self._mapped():
            self.transport.fs_rmfile("/" + name)

    def write_file(self, path: str, data: bytes) -> None:
        """Write `path` (a test's or a tool's plain write; flash writes with write_atomic)."""
        with self._mapped():
            self.transport.fs_writefile(path, data)

    def write_atomic(self, name: str, data: bytes, progress: Callable[[int], Any],
                     chunk: int) -> None:
        """Write beside, then rename: a cable pulled mid-write never leaves a half main.py."""
        tmp = "/" + name + ".part"
        done = 0

        def step(written: int, _total: int) -> None:
            nonlocal done
            progress(written - done)
            done = written

        with self._mapped():
            self.transport.fs_writefile(tmp, data, chunk_size=chunk, progress_callback=step)
            if not data:
                self.transport.fs_touchfile(tmp)
        self.run(f"import os\ntry:\n os.remove({'/' + name!r})\nexcept OSError:\n pass\n"
                 f"os.rename({tmp!r},{'/' + name!r})")

    def name_board_in_settings(self, path: str, board_name: str) -> bool:
        """If the band's settings (`path`) name another board, name `board_name` there (written
        beside, renamed); whether they changed."""
        out = self.run(
            f"import json, os\ntry:\n with open({path!r}) as f:\n  c = json.load(f)\n"
            "except (OSError, ValueError):\n c = None\n"
            f"if isinstance(c, dict) and c.get('board', {board_name!r}) != {board_name!r}:\n"
            f" c['board'] = {board_name!r}\n with open({path + '.tmp'!r}, 'w') as f:\n"
            f"  json.dump(c, f)\n os.rename({path + '.tmp'!r}, {path!r})\n"
            " print('RB-BOARD-SET')\n")
        return "RB-BOARD-SET" in out


# ---------------------------------------------------------------- what a hello may say

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _int(v: Any, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


# what a hello may hold (protocol 2): field -> (check, required)
HELLO_FIELDS: dict[str, tuple[Callable[[Any], bool], bool]] = {
    "repband": (lambda v: _int(v, 0, 1 << 16), True),
    "uid": (lambda v: isinstance(v, str) and bool(_NAME.fullmatch(v)), True),
    "board": (lambda v: v is None or (isinstance(v, str) and bool(_NAME.fullmatch(v))), False),
    "fw": (lambda v: isinstance(v, str) and len(v) <= 32, False),
    # "?": the log had an id, damaged beyond reading (the host decides by `mark`)
    "log": (lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{0,32}|-|\?", v)),
            False),
    "mark": (lambda v: v is None or (isinstance(v, list) and len(v) == 2
                                      and _int(v[0], 1, 0xFFFFFFFF)
                                      and _int(v[1], 0, 0xFFFFFFFF)), False),
    "last": (lambda v: _int(v, -1, 0xFFFFFFFF), False),
    "acked": (lambda v: _int(v, -1, 0xFFFFFFFF), False),
    "goal": (lambda v: _int(v, 1, 1000), False),
    "side": (lambda v: v in ("left", "right", "unknown"), False),
    "app": (lambda v: isinstance(v, str) and len(v) <= 200, False),
}


def hello_problem(info: Any) -> str:
    """What is wrong with a hello off the wire ("" if nothing): everything in it is checked
    before it is used or stored."""
    if not isinstance(info, dict):
        return f"a {type(info).__name__}, not an object"
    for key, (ok, required) in HELLO_FIELDS.items():
        if key not in info:
            if required:
                return f"no {key}"
            continue
        if not ok(info[key]):
            return f"{key} = {json.dumps(info[key])[:40]}"
    return ""


def check_protocol(info: dict[str, Any], port: str = "the band") -> None:
    theirs = int(info.get("repband", 0))
    board = info.get("board") or "BOARD"
    if theirs < PROTOCOL:
        raise LinkError(f"{port}: repband firmware too old (protocol {theirs}, this repband "
                        f"needs {PROTOCOL}): run repband flash --board {board}")
    if theirs > PROTOCOL:
        raise LinkError(f"{port}: repband firmware newer than these host tools (protocol "
                        f"{theirs}, they speak {PROTOCOL}): update repband")
