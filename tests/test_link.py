"""Finding the band and every one-line error of the link, against virtual bands behind real
ptys with the real mpremote: no band, several (told apart by asking each who it is), port
missing, permission denied, port busy, no MicroPython, not a repband, firmware too old/new."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import serial.tools.list_ports
from bands import BOARD, band_flash
from serial.tools.list_ports_common import ListPortInfo

from host_tools import cli
from host_tools.band import client, link
from host_tools.sim.virtual_band import VirtualBand

CP210X, CH340, FTDI = (0x10C4, 0xEA60), (0x1A86, 0x7523), (0x0403, 0x6001)


def usb_ports(monkeypatch: pytest.MonkeyPatch, *ports: tuple[str, tuple[int, int] | None]) -> None:
    """What pyserial lists: each (device, (vid, pid)), None for a port that is not USB."""
    infos = []
    for device, ids in ports:
        info = ListPortInfo(device, skip_link_detection=True)
        if ids:
            info.vid, info.pid = ids
        infos.append(info)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: infos)


def sync_fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """`repband sync ARGS` fails with one line on stderr and the link's exit code: that line."""
    code = cli.main(["sync", *args])
    err = capsys.readouterr().err
    assert code == link.LinkError.exit_code, err
    assert err.count("\n") == 1 and err.startswith("repband sync: "), err
    return err.strip()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "repband.db")


@pytest.fixture
def repband(tmp_path: Path):
    with VirtualBand(flash_dir=band_flash(tmp_path / "band"), uid="aa0000000001") as vb:
        yield vb


@pytest.fixture
def plain(tmp_path: Path):
    """A board with MicroPython and nothing else on its flash."""
    with VirtualBand(flash_dir=tmp_path / "plain") as vb:
        yield vb


@pytest.fixture
def silent():
    """A serial port where nothing answers (a device that is not MicroPython)."""
    master, slave = os.openpty()
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


# ---------------------------------------------------------------- finding the band


def test_no_band_found(monkeypatch: pytest.MonkeyPatch, capsys, db: str) -> None:
    usb_ports(monkeypatch)
    assert "no band found on USB" in sync_fails(capsys, "--db", db)
    usb_ports(monkeypatch, ("/dev/ttyS0", None), ("/dev/ttyACM0", (0x2341, 0x0043)))  # Arduino
    assert "no band found on USB: plug it in with a data cable" in sync_fails(capsys, "--db", db)


def test_one_candidate_is_taken_without_asking(monkeypatch, repband, capsys, db: str) -> None:
    usb_ports(monkeypatch, ("/dev/ttyS0", None), (repband.pty_path, CP210X))
    monkeypatch.setattr(link, "probe", lambda *a: pytest.fail("asked a lone candidate"))
    assert link.find_port() == repband.pty_path
    assert cli.main(["sync", "--db", db]) == 0
    assert "band aa0000000001 (m5stickc_plus2)" in capsys.readouterr().out


def test_of_several_ports_the_one_that_says_it_is_a_repband_is_taken(
        monkeypatch, repband, plain, silent, capsys, db: str) -> None:
    monkeypatch.setattr(link, "PROBE_TIMEOUT_S", 1.0)
    usb_ports(monkeypatch, (plain.pty_path, CH340), (silent, FTDI), (repband.pty_path, CP210X))
    assert link.find_port() == repband.pty_path
    assert cli.main(["sync", "--db", db]) == 0
    assert "band aa0000000001" in capsys.readouterr().out


def test_several_bands_are_named_and_none_is_guessed(monkeypatch, repband, plain, tmp_path,
                                                     capsys, db: str) -> None:
    with VirtualBand(flash_dir=band_flash(tmp_path / "other"), uid="bb0000000002") as other:
        usb_ports(monkeypatch, (repband.pty_path, CP210X), (plain.pty_path, CH340),
                  (other.pty_path, CP210X))
        msg = sync_fails(capsys, "--db", db)
    assert msg.startswith("repband sync: several bands: ") and msg.endswith(
        "choose one with --port"
    )
    assert f"{repband.pty_path} (CP210x): repband aa0000000001 ({BOARD})" in msg
    assert f"{other.pty_path} (CP210x): repband bb0000000002 ({BOARD})" in msg
    assert f"{plain.pty_path} (CH340): MicroPython, not a repband" in msg
    assert not Path(db).exists()  # nothing was synced


def test_several_ports_and_no_repband(monkeypatch, plain, silent, capsys, db: str) -> None:
    monkeypatch.setattr(link, "PROBE_TIMEOUT_S", 1.0)
    usb_ports(monkeypatch, (plain.pty_path, CH340), (silent, FTDI))
    msg = sync_fails(capsys, "--db", db)
    assert "no repband among the USB serial ports: " in msg
    assert f"{plain.pty_path} (CH340): MicroPython, not a repband" in msg
    assert f"{silent} (FTDI): no MicroPython answers" in msg


# ---------------------------------------------------------------- ports that will not open


def test_port_missing(capsys, db: str) -> None:
    msg = sync_fails(capsys, "--port", "/dev/ttyNOPE0", "--db", db)
    assert msg == ("repband sync: /dev/ttyNOPE0: no such serial port; is the band plugged in? "
                   "(repband finds it without --port)")


def test_permission_denied_says_how_to_fix_it(repband) -> None:
    """Run as a user the port does not admit (tests run as root, whom the kernel admits
    anywhere): the kernel refuses the open, and the message says what to do."""
    port = repband.pty_path
    public = tempfile.mkdtemp(prefix="repband-perm-")  # a database the other user may write
    os.chmod(public, 0o777)
    if os.geteuid() != 0:
        os.chmod(port, 0)  # the pty is ours: take our own access away
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: another user runs `repband sync`
        code, err = 99, ""
        try:
            import io

            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)  # nobody
            sys.stderr = io.StringIO()
            code = cli.main(["sync", "--port", port, "--db", f"{public}/r.db"])
            err = sys.stderr.getvalue()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            err = repr(exc)
        finally:
            os.write(write, json.dumps([code, err]).encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        code, err = json.loads(f.read() or "[null, \"\"]")
    os.waitpid(pid, 0)
    assert code == link.LinkError.exit_code, err
    assert err == (f"repband sync: {port}: permission denied; add yourself to the dialout group "
                   "(sudo usermod -aG dialout $USER, then log out and in) or add a udev rule\n")


def test_port_busy_names_the_process_holding_it(repband, capsys, db: str) -> None:
    # what another mpremote (or a serial monitor built on pyserial) does: open with a lock
    hold = ("import serial, sys, time\ns = serial.Serial(sys.argv[1], exclusive=True)\n"
            "print('held', flush=True)\ntime.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", hold, repband.pty_path],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "held"
        msg = sync_fails(capsys, "--port", repband.pty_path, "--db", db)
    finally:
        holder.kill()
        holder.wait()
    assert msg.startswith(f"repband sync: {repband.pty_path} is busy: used by process "
                          f"{holder.pid} (python")
    assert msg.endswith("; close it first")
    assert cli.main(["sync", "--port", repband.pty_path, "--db", db]) == 0  # free again


# ---------------------------------------------------------------- what answers


def test_no_micropython_answers(monkeypatch, silent, capsys, db: str) -> None:
    monkeypatch.setattr(link, "REPL_TIMEOUT_S", 1.0)
    msg = sync_fails(capsys, "--port", silent, "--db", db)
    assert msg.startswith(f"repband sync: {silent}: no MicroPython REPL answers (")
    assert msg.endswith("is this a repband? (one asleep wakes at a press of its mode button: "
                        "press it and try again)")


def test_a_plain_micropython_board_is_not_a_repband(plain, capsys, db: str) -> None:
    msg = sync_fails(capsys, "--port", plain.pty_path, "--db", db)
    assert msg == (f"repband sync: {plain.pty_path}: a MicroPython board, but not a repband (no "
                   "service module): run repband flash --board BOARD")


@pytest.mark.parametrize(("delta", "needle"), [
    (-1, ("repband firmware too old (protocol {old}, this repband needs {ours}): run repband "
          "flash --board m5stickc_plus2")),
    (+1, ("repband firmware newer than these host tools (protocol {new}, they speak {ours}): "
          "update repband")),
], ids=["older", "newer"])
def test_firmware_of_another_protocol(tmp_path, capsys, db: str, delta: int, needle: str) -> None:
    flash = band_flash(tmp_path / "band")
    service = flash / "service.py"
    text = service.read_text()
    assert f"\nPROTOCOL = {client.PROTOCOL} " in text
    service.write_text(text.replace(f"\nPROTOCOL = {client.PROTOCOL} ",
                                    f"\nPROTOCOL = {client.PROTOCOL + delta} "))
    with VirtualBand(flash_dir=flash) as vb:
        msg = sync_fails(capsys, "--port", vb.pty_path, "--db", db)
    ours = client.PROTOCOL
    assert msg == f"repband sync: {vb.pty_path}: " + needle.format(
        old=ours - 1, new=ours + 1, ours=ours)


def test_firmware_from_before_the_band_service_is_too_old(tmp_path, capsys, db: str) -> None:
    flash = band_flash(tmp_path / "band")
    (flash / "service.py").unlink()
    with VirtualBand(flash_dir=flash) as vb:
        msg = sync_fails(capsys, "--port", vb.pty_path, "--db", db)
    assert msg == (f"repband sync: {vb.pty_path}: repband firmware too old (no sync service): "
                   "run repband flash --board BOARD")


@pytest.mark.parametrize("hello", [
    '{"repband": 2, "uid": "aa01", "last": "abc", "acked": 0}',
    '[1, 2, 3]',
    '{"repband": 2, "board": "m5stickc_plus2", "last": 5}',
    '{"repband": 2, "uid": "aa01", "last": 5, "goal": "100"}',
    '{"repband": 2, "uid": "aa01", "last": 5, "goal": 1e400}',
    '{"repband": 2, "uid": "../../etc", "last": 5}',
    '{"repband": 2, "uid": "aa01", "last": 99999999999}',
    '{"repband": 2, "uid": "aa01", "side": ["left"]}',
    '{"repband": 2, "uid": "aa01", "log": {"id": 1}}',
    '{"repband": "2", "uid": "aa01"}',
    '{"repband": 2, "uid": "aa01", "board": "x\\ny"}',
    "[" * 100_000,
], ids=["last-str", "list", "no-uid", "goal-str", "goal-inf", "uid-path", "last-huge",
        "side-list", "log-dict", "protocol-str", "board-newline", "deep"])
def test_a_hostile_or_broken_hello_is_refused_before_anything_is_stored(
        tmp_path, capsys, db: str, hello: str) -> None:
    flash = band_flash(tmp_path / "band")
    service = flash / "service.py"
    text = service.read_text()
    start = text.index('    print("RB-HELLO " + json.dumps(')
    end = text.index("\n\n", start)
    service.write_text(text[:start] + f"    print('RB-HELLO ' + {hello!r})" + text[end:])
    with VirtualBand(flash_dir=flash) as vb:
        msg = sync_fails(capsys, "--port", vb.pty_path, "--db", db)
    assert msg.startswith(f"repband sync: {vb.pty_path}: ") and "run repband flash" in msg, msg
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == 0
    con.close()
