"""repband flash: board and image checks (no hardware: esptool's path is tested for its errors),
and the deploy step end to end against the virtual band (real mpremote over a pty)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_tools.band import flash
from host_tools.errors import RepbandError


@pytest.fixture
def boards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "boards"
    d.mkdir()
    imu = {"part": "mpu6886", "address": 104, "to_band": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}
    (d / "devkit.json").write_text(json.dumps({"name": "devkit", "chip": "esp32", "imu": imu}))
    (d / "s3board.json").write_text(json.dumps(
        {"name": "s3board", "chip": "esp32s3", "micropython_board": "MY_S3", "imu": imu}))
    monkeypatch.setattr(flash, "BOARDS_DIR", d)
    return d


def esp_image(chip_id: int, size: int = 0x20000) -> bytes:
    head = bytearray(size)
    head[0] = 0xE9
    head[12:14] = chip_id.to_bytes(2, "little")
    return bytes(head)


def test_unknown_board_lists_the_known_ones(boards: Path) -> None:
    with pytest.raises(RepbandError) as err:
        flash.load_board("m5stick")
    msg = str(err.value)
    assert "'m5stick'" in msg and "devkit, s3board" in msg and "\n" not in msg


def test_a_board_file_the_band_would_refuse_is_refused_before_flashing(boards: Path) -> None:
    """A typo in a key, a missing IMU part, a bad axis map: one line naming the file, at
    `repband flash`, not a band whose app stops at every boot."""
    good = json.loads((boards / "devkit.json").read_text())
    cases = {
        "typo": dict(good, buzer={"pin": 2}),
        "nopart": dict(good, imu={k: v for k, v in good["imu"].items() if k != "part"}),
        "axes": dict(good, imu=dict(good["imu"], to_band=[[1, 0, 0], [1, 0, 0], [0, 0, 1]])),
    }
    for name, data in cases.items():
        (boards / f"{name}.json").write_text(json.dumps(data))
        with pytest.raises(RepbandError) as err:
            flash.load_board(name)
        msg = str(err.value)
        assert f"{name}.json" in msg and "\n" not in msg, msg
    assert "buzer" in str(pytest.raises(RepbandError, flash.load_board, "typo").value)
    assert flash.load_board("devkit") == good


def test_image_help_names_the_download_page(boards: Path) -> None:
    assert "micropython.org/download/ESP32_GENERIC/" in flash.image_help(
        {"chip": "esp32"}, "devkit"
    )
    s3 = flash.load_board("s3board")
    assert "micropython.org/download/MY_S3/" in flash.image_help(s3, "s3board")


def test_missing_image_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.bin"
    with pytest.raises(RepbandError) as err:
        flash.check_image(missing, "esp32", "HELP")
    assert str(missing) in str(err.value) and "no such file" in str(err.value)
    assert str(err.value).endswith("HELP")


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("readme.txt", b"hello world\n" * 10000, "not an ESP32 firmware image"),
        ("tiny.bin", b"\xe9" + bytes(100), "only 101 bytes"),
        ("fw.uf2", esp_image(0), "not a flashable .bin"),
        ("s3.bin", esp_image(9), "for the ESP32-S3, but the board has an ESP32"),
    ],
)
def test_wrong_image_file(tmp_path: Path, name: str, data: bytes, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(RepbandError) as err:
        flash.check_image(path, "esp32", "HELP")
    assert needle in str(err.value) and str(path) in str(err.value)


def test_right_image_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.bin"
    path.write_bytes(esp_image(9))
    assert flash.check_image(path, "esp32s3", "HELP")[0] == 0xE9


def test_esptool_on_a_missing_port_is_one_clear_line(tmp_path: Path) -> None:
    image = tmp_path / "ok.bin"
    image.write_bytes(esp_image(0))
    with pytest.raises(RepbandError) as err:
        flash.write_micropython("/dev/ttyNOPE0", image, "esp32", "HELP", show=False)
    msg = str(err.value)
    assert msg.startswith("/dev/ttyNOPE0: ") and "\n" not in msg


def test_cli_wrong_image_exits_with_one_line(
    boards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from host_tools import cli

    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not firmware")
    code = cli.main(["flash", "--board", "devkit", "--port", "/dev/null", "--firmware", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        err.count("\n") == 1
        and str(bad) in err
        and "micropython.org/download/ESP32_GENERIC/" in err
    )


def test_compile_keeps_boot_and_main_as_source(tmp_path: Path) -> None:
    files = flash.compile_firmware(tmp_path, "xtensawin")
    sources = {p.name for p in flash.firmware_sources()}
    for name in sources:
        if name in flash.KEEP_AS_PY:
            assert files[name] == (flash.FIRMWARE_DIR / name).read_bytes()
        else:
            mpy = files[name[:-3] + ".mpy"]
            assert mpy[:1] == b"M" and mpy[1] == flash.MPY_VERSION
    assert len(files) == len(sources)


# ---------------------------------------------------------------- end to end, virtual band

BOARD = "m5stickc_plus2"


def still_trace(path: Path, seconds: int = 5, rate: int = 100) -> Path:
    """A band lying still on its side: enough for the virtual band to boot and idle."""
    lines = [
        "# format: repband-trace/1",
        f"# sample_rate_hz: {rate}",
        "# placement: thigh_right_lateral",
        "# axes: band",
        "# source: test_flash, written by the test",
        "t_ms,ax,ay,az,gx,gy,gz",
    ]
    lines += [f"{i * 1000 // rate},0.0,0.0,1.0,0.0,0.0,0.0" for i in range(seconds * rate)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def virtual_band(tmp_path: Path):
    from host_tools.sim import virtual_band as vb_mod

    trace = still_trace(tmp_path / "still.csv")
    with vb_mod.VirtualBand(board=BOARD, trace=trace, flash_dir=tmp_path / "flash", speed=1) as vb:
        yield vb, tmp_path / "flash"


def test_deploy_lands_files_then_skips_then_redeploys_a_change(
    virtual_band: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vb, flash_dir = virtual_band
    port = vb.pty_path
    _, first = flash.flash(BOARD, port, show=False)
    expected = flash.compile_firmware(tmp_path, "xtensawin")
    expected[flash.board_file_on_band(BOARD)] = (flash.BOARDS_DIR / f"{BOARD}.json").read_bytes()
    assert set(expected) <= set(first.written)
    for name, data in expected.items():  # what landed in the band's flash is what was built
        assert (flash_dir / name).read_bytes() == data, name
    assert not list(flash_dir.glob("*.part"))

    assert flash.SETTINGS_FILE_ON_BAND in first.written  # a fresh band gets default settings

    _, second = flash.flash(BOARD, port, show=False)
    # Everything is up to date; the settings are the user's now, so they are left alone.
    assert second.written == []
    assert set(second.skipped) == set(first.written) - {flash.SETTINGS_FILE_ON_BAND}

    # One firmware source changes: only its .mpy is written again.
    fw = tmp_path / "fw"
    fw.mkdir()
    for src in flash.firmware_sources():
        (fw / src.name).write_bytes(src.read_bytes())
    with open(fw / "counter.py", "a") as f:
        f.write("\n_DEPLOY_TEST = 12345\n")
    monkeypatch.setattr(flash, "FIRMWARE_DIR", fw)
    _, third = flash.flash(BOARD, port, show=False)
    assert third.written == ["counter.mpy"]
    assert b"_DEPLOY_TEST" in (flash_dir / "counter.mpy").read_bytes()

    # A file damaged on the band (same size, other bytes) is found by its hash and rewritten.
    from host_tools.band import link

    size = len((flash_dir / "recorder.mpy").read_bytes())
    with link.raw_session(port, require_repband=False) as transport:
        transport.write_file("/recorder.mpy", b"x" * size)
    _, fourth = flash.flash(BOARD, port, show=False)
    assert fourth.written == ["recorder.mpy"]


def test_flashing_another_board_names_it_in_the_settings_and_sync_says_when_the_app_cannot_start(
    virtual_band: tuple, tmp_path: Path, capsys
) -> None:
    from host_tools import cli
    from host_tools.band import link

    vb, flash_dir = virtual_band
    port = vb.pty_path
    flash.flash(BOARD, port, show=False)
    settings = json.loads((flash_dir / "config.json").read_text())

    def set_config(cfg: dict) -> None:  # as a user's `repband config` left them
        with link.raw_session(port, require_repband=False) as t:
            t.write_file("/config.json", json.dumps(cfg).encode())

    set_config({**settings, "board": BOARD, "goal": 77})
    other = "esp32_devkitc_mpu6050"
    _, result = flash.flash(other, port, show=False)  # the band set up as BOARD, now another
    assert sorted(p.name for p in (flash_dir / "boards").iterdir()) == [f"{other}.json"]
    now = json.loads((flash_dir / "config.json").read_text())
    assert now == {**settings, "board": other, "goal": 77}  # the user's settings kept
    assert flash.SETTINGS_FILE_ON_BAND in result.written
    with link.raw_session(port) as t:
        assert t.info["app"] == "" and t.info["board"] == other

    # settings naming a board the band has no file for: sync stores the log and says so
    set_config({**now, "board": "nosuch"})
    code = cli.main(["sync", "--port", port, "--db", str(tmp_path / "r.db")])
    cap = capsys.readouterr()
    assert code == link.LinkError.exit_code
    assert cap.out.startswith("band ") and "new records" in cap.out
    assert cap.err.count("\n") == 1 and cap.err.startswith(
        f"repband sync: {port}: the band's app cannot start (unknown board 'nosuch'"), cap.err
    assert "run repband flash --board" in cap.err


def test_cable_pulled_during_a_flash_is_one_line_and_a_rerun_completes(
        virtual_band: tuple, tmp_path: Path, capsys) -> None:
    from host_tools import cli

    vb, flash_dir = virtual_band
    for cut in (20, 60, 150):  # bytes from the band before the cable goes (a flash gets ~200)
        vb.unplug(after_bytes=cut)
        code = cli.main(["flash", "--board", BOARD, "-p", vb.pty_path])
        err = capsys.readouterr().err
        assert code == 3, err
        lines = [ln for ln in err.splitlines() if ln.startswith("repband flash: ")]
        assert len(lines) == 1 and "Traceback" not in err, err
        vb.plug_in()
    assert cli.main(["flash", "--board", BOARD, "-p", vb.pty_path]) == 0
    (tmp_path / "build").mkdir()
    expected = flash.compile_firmware(tmp_path / "build", "xtensawin")
    for name, data in expected.items():
        assert (flash_dir / name).read_bytes() == data, name
