"""boot.py drives the power-hold pin high only on a board whose file names one (the M5StickC
Plus2's GPIO4): elsewhere that pin may be wired to something else. It finds the board as the app
and the host's hello do (board.which), so the three never disagree."""

import json
import sys

import pytest

from host_tools import BOARDS_DIR, firmware
from host_tools.sim.fakes import machine as fake_machine

boot = firmware.load("boot")  # on the host there is no /boards: importing it holds nothing
board = firmware.load("board")
service = firmware.load("service")


def band_root(tmp_path, *boards, config=None):
    (tmp_path / "boards").mkdir()
    for name in boards:
        (tmp_path / "boards" / f"{name}.json").write_bytes(
            (BOARDS_DIR / f"{name}.json").read_bytes()
        )
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
    return str(tmp_path)


@pytest.mark.parametrize("name, pin", [("m5stickc_plus2", 4), ("esp32_devkitc_mpu6050", None),
                                       ("esp32s3_lsm6dsox", None), ("m5stack_atoms3", None)])
def test_the_hold_pin_comes_from_the_board_file(tmp_path, name, pin):
    assert boot.hold_pin(band_root(tmp_path, name)) == pin


def test_with_several_board_files_config_json_chooses(tmp_path):
    root = band_root(tmp_path, "m5stickc_plus2", "esp32_devkitc_mpu6050",
                     config={"board": "esp32_devkitc_mpu6050"})
    assert boot.hold_pin(root) is None
    (tmp_path / "config.json").write_text(json.dumps({"board": "m5stickc_plus2"}))
    assert boot.hold_pin(root) == 4
    (tmp_path / "config.json").write_text("{not json")
    assert boot.hold_pin(root) is None


def test_no_boards_folder_holds_nothing(tmp_path):
    assert boot.hold_pin(str(tmp_path)) is None


def test_only_the_plus2_pin_is_driven(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "machine", fake_machine)
    fake_machine.events.clear()
    devkit, plus2 = tmp_path / "devkit", tmp_path / "plus2"
    devkit.mkdir()
    plus2.mkdir()
    assert boot.hold_power(band_root(devkit, "esp32_devkitc_mpu6050")) is None
    assert not fake_machine.events
    assert boot.hold_power(band_root(plus2, "m5stickc_plus2")) == 4
    assert fake_machine.events == [("pin", (4, 1))]


PLUS2, DEVKIT = "m5stickc_plus2", "esp32_devkitc_mpu6050"


@pytest.mark.parametrize("boards, config, want, error", [
    ([PLUS2], None, PLUS2, None),  # no config.json: the lone board file
    ([PLUS2], {"goal": 50}, PLUS2, None),  # a config.json naming no board: the same
    ([PLUS2, DEVKIT], {"board": PLUS2}, PLUS2, None),  # several: config.json chooses
    # config.json names a board whose file is gone (the band was flashed as another): no
    # falling back to the lone file anywhere (boot.py did, holding power for an app that then
    # stopped at "unknown board"): the user's setting is wrong, and the host is told so
    ([PLUS2], {"board": "gone"}, None, "unknown board 'gone'; known boards: m5stickc_plus2"),
    ([PLUS2, DEVKIT], {}, None, "no board chosen: set 'board' in config.json"),
], ids=["lone file", "config names none", "config chooses", "config names a gone board",
        "several, none named"])
def test_boot_the_app_and_the_hosts_hello_name_the_same_board(tmp_path, monkeypatch, capsys,
                                                               boards, config, want, error):
    root = band_root(tmp_path, *boards, config=config)
    monkeypatch.chdir(tmp_path)  # the band's / for board.load() and service (boards/ is found)
    monkeypatch.setattr(service, "LOG_ROOT", str(tmp_path / "log"))

    pin = boot.hold_pin(root)
    service.hello()
    hello = json.loads(capsys.readouterr().out.split("RB-HELLO ", 1)[1])
    if want is None:
        with pytest.raises(board.BoardError) as err:
            board.load()
        assert str(err.value).startswith(error)
        assert (pin, hello["board"], hello["app"]) == (None, None, str(err.value))
    else:
        assert board.load().name == want
        want_pin = json.loads((BOARDS_DIR / f"{want}.json").read_text()).get("hold_pin")
        assert (pin, hello["board"], hello["app"]) == (want_pin, want, "")
