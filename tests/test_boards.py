"""Board files load on the host and in MicroPython; a wrong board name lists the known ones."""

import json

import pytest

from host_tools import BOARDS_DIR, firmware

board = firmware.load("board")
NAMES = sorted(p.stem for p in BOARDS_DIR.glob("*.json"))


def test_the_four_supported_boards_are_there():
    assert {
        "m5stickc_plus2",
        "m5stack_atoms3",
        "esp32_devkitc_mpu6050",
        "esp32s3_lsm6dsox",
    } <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_board_loads_and_maps_imu_axes_to_the_band(name):
    b = board.load(name, str(BOARDS_DIR))
    assert b.name == name and b.imu["part"] in board.PARTS
    m = b.imu["to_band"]
    v = [11, 22, 33]
    out = b.to_band(v, [0, 0, 0])
    assert out == [sum(m[r][c] * v[c] for c in range(3)) for r in range(3)]
    assert isinstance(b.imu["i2c"]["sda"], int) and isinstance(b.imu["address"], int)


def test_unknown_board_lists_known_ones():
    with pytest.raises(board.BoardError) as err:
        board.load("m5stick_plus9", str(BOARDS_DIR))
    assert "m5stick_plus9" in str(err.value) and all(n in str(err.value) for n in NAMES)


def test_bad_rotation_is_refused(tmp_path):
    data = json.loads((BOARDS_DIR / "m5stickc_plus2.json").read_text())
    data["imu"]["to_band"] = [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    (tmp_path / "bad.json").write_text(json.dumps(data | {"name": "bad"}))
    with pytest.raises(board.BoardError, match="signed permutation"):
        board.load("bad", str(tmp_path))


def test_boards_load_in_micropython():
    from host_tools.sim.mpy_runtime import run_micropython

    files = {f"{n}.json": (BOARDS_DIR / f"{n}.json").read_bytes() for n in NAMES}
    out = run_micropython(
        "import board\nfor n in board.known('/lib'):\n"
        "    b = board.load(n, '/lib')\n    print(b.name, b.to_band([1, 2, 3], [0, 0, 0]))\n",
        files,
    )
    assert [line.split()[0] for line in out.splitlines()] == NAMES


@pytest.mark.parametrize("bad", [1.0, True, "1"])
def test_a_non_integer_in_the_axis_map_is_refused(tmp_path, bad):
    """1.0 == 1 and True == 1 in Python: such a map would pass a value check and then index
    the sample with a float (the counter raised)."""
    data = json.loads((BOARDS_DIR / "m5stickc_plus2.json").read_text())
    data["imu"]["to_band"] = [[0, -1, 0], [bad, 0, 0], [0, 0, 1]]
    (tmp_path / "bad.json").write_text(json.dumps(data | {"name": "bad"}))
    with pytest.raises(board.BoardError, match="signed permutation"):
        board.load("bad", str(tmp_path))


def test_pins_must_be_gpio_numbers(tmp_path):
    data = json.loads((BOARDS_DIR / "esp32_devkitc_mpu6050.json").read_text())
    data["usb_sense"] = "35"
    (tmp_path / "bad.json").write_text(json.dumps(data | {"name": "bad"}))
    with pytest.raises(board.BoardError, match="usb_sense must be a GPIO number"):
        board.load("bad", str(tmp_path))
