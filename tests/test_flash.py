"""repband flash: board and image checks (no hardware: esptool's path is tested for its errors),
and the deploy step end to end against the virtual band (real mpremote over a pty)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_tools import RepbandError, flash


@pytest.fixture
def boards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "boards"
    d.mkdir()
    (d / "devkit.json").write_text(json.dumps({"chip": "esp32"}))
    (d / "s3board.json").write_text(json.dumps({"chip": "esp32s3", "micropython_board": "MY_S3"}))
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
