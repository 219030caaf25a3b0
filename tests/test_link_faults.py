"""The link against devices that misbehave behind real ptys (tests/ptydevices.py) with the real
mpremote: a reply that never ends, a REPL that answers nothing; each is one line and an exit
code, never a hang or a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ptydevices import PtyDevice
from test_link import CP210X, FTDI, usb_ports

from host_tools import cli
from host_tools.band import link


def one_line(capsys, command: list[str], code: int) -> str:
    got = cli.main(command)
    err = capsys.readouterr().err
    assert got == code, err
    assert err.count("\n") == 1 and err.startswith(f"repband {command[0]}: "), err
    return err.strip()


def test_sync_on_a_device_that_never_stops_sending_ends_with_one_line(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(link, "REPLY_TIMEOUT_S", 3.0)
    with PtyDevice("flood") as dev:
        start = time.monotonic()
        msg = one_line(capsys, ["sync", "--port", dev.path, "--db", str(tmp_path / "r.db")],
                       link.LinkError.exit_code)
        took = time.monotonic() - start
    print(f"sync on a flooding device: ended after {took:.1f} s: {msg}")
    assert "kept sending for 3 s without ending its reply" in msg and dev.path in msg


def test_probing_ports_past_a_device_that_never_stops_sending(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    with PtyDevice("flood") as a, PtyDevice("flood") as b:
        usb_ports(monkeypatch, (a.path, CP210X), (b.path, FTDI))
        start = time.monotonic()
        msg = one_line(capsys, ["sync", "--db", str(tmp_path / "r.db")],
                       link.LinkError.exit_code)
        took = time.monotonic() - start
    print(f"probing two flooding ports: ended after {took:.1f} s: {msg}")
    assert msg.startswith("repband sync: no repband among the USB serial ports")


def test_flash_against_a_repl_that_answers_nothing_is_one_line(capsys) -> None:
    with PtyDevice("mute") as dev:
        msg = one_line(capsys, ["flash", "--board", "m5stickc_plus2", "--port", dev.path],
                       link.LinkError.exit_code)
    assert dev.path in msg and "answered nothing" in msg, msg
