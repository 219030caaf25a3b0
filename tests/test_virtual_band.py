"""The virtual band: the real firmware in MicroPython behind a pty that plain mpremote drives."""

import subprocess
import sys
from pathlib import Path

import pytest

from host_tools import firmware
from host_tools.sim.virtual_band import VirtualBand, VirtualBandError
from host_tools.traces.replay import replay_trace
from host_tools.traces.traceio import read_trace

replog = firmware.load("replog")
MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def mpremote(port, *args, timeout=60):
    proc = subprocess.run([MPREMOTE, "connect", port, *args], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def test_mpremote_fs_and_exec_work_and_flash_persists(tmp_path):
    flash = tmp_path / "flash"
    with VirtualBand(flash_dir=flash, speed=0, install=True) as vb:
        vb.wait_for(b">>> ")
        listing = mpremote(vb.pty_path, "fs", "ls")
        assert "counter.py" in listing and "main.py" in listing
        size = (flash / "counter.py").stat().st_size
        assert f"{size} counter.py" in " ".join(listing.split())
        assert mpremote(vb.pty_path, "exec", "import counter; print(counter.EXERCISE_NAMES[2])") \
            .strip() == "leg_lift"
        (tmp_path / "note.txt").write_text("hello band")
        mpremote(vb.pty_path, "fs", "cp", str(tmp_path / "note.txt"), ":note.txt")
        assert mpremote(vb.pty_path, "fs", "cat", ":note.txt").strip() == "hello band"
        out = subprocess.run([MPREMOTE, "connect", vb.pty_path, "fs", "cat", ":nope.txt"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "No such file" in (out.stdout + out.stderr)
    assert (flash / "note.txt").read_text() == "hello band"  # kept on the host
    with VirtualBand(
        flash_dir=flash, speed=0, install=True
    ) as vb:  # a second run sees the same flash
        vb.wait_for(b">>> ")
        assert mpremote(vb.pty_path, "fs", "cat", ":note.txt").strip() == "hello band"


def test_ctrl_c_interrupts_the_running_app(shared_traces, tmp_path):
    trace = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    with VirtualBand(trace=trace, flash_dir=tmp_path / "f", speed=1, install=True) as vb:
        vb.wait_for(b"Ctrl-C stops")
        out = mpremote(vb.pty_path, "exec", "print('hello from the REPL')")
        assert "hello from the REPL" in out
        assert b"stopped, log flushed" in vb.output


def test_the_app_logs_the_reps_replay_counts(shared_traces, tmp_path):
    """End to end: the app in the virtual band over a real recording logs what replay counts."""
    path = shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv"
    flash = tmp_path / "flash"
    with VirtualBand(trace=path, flash_dir=flash, speed=0, install=True) as vb:
        vb.wait_for(b"deep sleep", timeout=60)
    reps = [r for r in replog.Log(str(flash / "log")).records() if r[1] == replog.REP]
    replayed = replay_trace(read_trace(path))["reps"]
    assert len(reps) == len(replayed) == 9
    for (_, _, (t_ms, _ex, _rom, _dur, up, hold, down, _faults)), r in zip(reps, replayed):
        assert abs((t_ms - 1000) - r["t_ms"]) <= 1500  # the band's clock started at 1 s
        # REP v2 carries the rep's phases (the band's FIFO timing: within a few ticks)
        assert abs(up + hold + down - (r["up_ms"] + r["hold_ms"] + r["down_ms"])) <= 600


def test_unknown_board_is_a_clear_error(tmp_path):
    with pytest.raises(VirtualBandError, match="unknown board 'm5nope'; known boards: "):
        VirtualBand(board="m5nope", flash_dir=tmp_path).start()


NAPS = ("import machine; print('naps', sum(1 for e in machine.events if e[0] == 'lightsleep'))")


def naps(port):
    out = mpremote(port, "resume", "exec", NAPS)  # resume: no soft reset, the app's events stay
    return int(out.split("naps")[1].split()[0])


def test_a_host_attached_keeps_the_repl_answering_with_light_sleep_on(shared_traces, tmp_path):
    """USB power on the board's usb_sense pin: the band never naps in light sleep (which would
    stop its UART), so the host's first Ctrl-C is heard while the app counts."""
    trace = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    with VirtualBand(board="esp32_devkitc_mpu6050", trace=trace, flash_dir=tmp_path / "f",
                     speed=4, install=True) as vb:
        vb.wait_for(b"Ctrl-C stops")
        vb.wait_for(b"", 1)
        assert naps(vb.pty_path) == 0
        assert b"stopped, log flushed" in vb.output  # the app heard the first Ctrl-C


def test_on_battery_the_band_naps_deaf_and_plugging_in_wakes_it(shared_traces, tmp_path):
    """No USB power: every nap is a light sleep, and what is sent meanwhile is lost; plugging
    the cable in ends the nap (usb_sense is a wake source) and the REPL answers."""
    import time

    trace = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    # at speed 2 a nap lasts 850 ms of wall time and the band is awake a few ms a batch: a byte
    # sent at a random moment lands in a nap all but always
    with VirtualBand(board="esp32_devkitc_mpu6050", trace=trace, flash_dir=tmp_path / "f",
                     speed=2, install=True) as vb:
        vb.wait_for(b"Ctrl-C stops")
        vb.unplug()
        time.sleep(4)  # 8 s of the band's time: several batches, each a light sleep
        with open(vb._input, "ab") as usb:  # a Ctrl-C straight into the band's UART, unplugged
            usb.write(b"\x03")
        time.sleep(1)
        assert b"stopped, log flushed" not in vb.output  # lost: it arrived during a light sleep
        port = vb.plug_in()
        assert naps(port) >= 3
        assert b"stopped, log flushed" in vb.output


def test_a_band_napping_between_batches_is_reached_by_knocking(shared_traces, tmp_path):
    """The Plus2 cannot tell a host is attached (no usb_sense pin): a minute after it starts it
    naps in light sleep between FIFO batches, deaf. The link's Ctrl-C every 10 ms lands in one
    of its awake moments, so a session starts without a button press."""
    import time

    from host_tools.band import link

    trace = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    with VirtualBand(board="m5stickc_plus2", trace=trace, flash_dir=tmp_path / "f",
                     speed=20, install=True) as vb:
        vb.wait_for(b"Ctrl-C stops")
        end = time.monotonic() + 60
        while vb.worn_ms() < 75_000 and time.monotonic() < end:  # past its listening minute
            time.sleep(0.05)
        assert b"stopped" not in vb.output
        with link.raw_session(vb.pty_path, restart=False) as t:  # raises if nothing answers
            napped = int(t.transport.exec(NAPS).split(b"naps")[1].split()[0])
        assert b"stopped, log flushed" in vb.output  # a knock was heard by the app
        assert napped >= 3  # it had been napping in light sleep


def test_a_cut_after_a_mark_counts_from_the_marks_end_however_the_output_is_chunked(
        tmp_path: Path) -> None:
    """What a host's knock brings before the raw REPL's banner varies with timing; a cut counted
    from the banner's end lands on the same byte of what follows, in pieces of any size."""
    from host_tools.sim.virtual_band import UsbLink

    mark = b"raw REPL; CTRL-B to exit\r\n>"
    for prompts in (1, 6):
        stream = b"\r\n>>> " * prompts + b"\r\n" + mark + bytes(range(256))
        for piece in (1, 5, 13, 26, 27, 28, 100, len(stream)):
            usb = UsbLink(tmp_path / "sink")  # (the pty holds what is sent: nobody need read)
            try:
                usb.unplug(after_bytes=40, after_mark=mark)
                for i in range(0, len(stream), piece):
                    usb.send(stream[i:i + piece])
                assert usb.bytes_to_host == stream.index(mark) + len(mark) + 40, (prompts, piece)
                assert not usb.plugged
            finally:
                usb.close()
