"""boot.py drives the power-hold pin high only on a board whose file names one (the M5StickC
Plus2's GPIO4): elsewhere that pin may be wired to something else."""

import json
import sys

import pytest

from host_tools import BOARDS_DIR, firmware
from host_tools.fakes import machine as fake_machine

boot = firmware.load("boot")  # on the host there is no /boards: importing it holds nothing


def band_root(tmp_path, *boards, config=None):
    (tmp_path / "boards").mkdir()
    for name in boards:
        (tmp_path / "boards" / f"{name}.json").write_bytes((BOARDS_DIR / f"{name}.json").read_bytes())
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
