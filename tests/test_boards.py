"""Board files load on the host and in MicroPython; a wrong board name lists the known ones; a
key no code reads is refused (naming the file and the key); the QT Py's RGB LED gives feedback."""

import json
from pathlib import Path

import pytest

import host_tools
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


@pytest.mark.parametrize("drop", ["name", "imu", "imu.part", "imu.address", "imu.to_band"])
def test_a_board_file_missing_what_every_board_needs_says_which(drop):
    data = json.loads((BOARDS_DIR / "m5stickc_plus2.json").read_text())
    top, _, sub = drop.partition(".")
    if sub:
        del data[top][sub]
    else:
        del data[top]
    with pytest.raises(board.BoardError, match="no " + drop.replace(".", r"\.")):
        board.Board(data)


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


# -- every key a board file has is read ------------------------------------------------------

@pytest.mark.parametrize("path, where", [
    (["buzer"], "'buzer' (known: name,"),  # a typo of a part: the band would stay silent
    (["imu", "i2c", "sdaa"], "'imu.i2c.sdaa' (known in imu.i2c: id, sda, scl, freq)"),
    (["led", "active_high"], "'led.active_high' (known in led: pin, active_low)"),
    (["led led.pin"], "'led led.pin' (known: name,"),  # two known keys as KEYS spells them
])
def test_an_unknown_key_is_refused_naming_the_file_and_the_key(tmp_path, path, where):
    data = json.loads((BOARDS_DIR / "m5stickc_plus2.json").read_text())
    *parents, leaf = path
    part = data
    for p in parents:
        part = part[p]
    part[leaf] = 1
    (tmp_path / "typo.json").write_text(json.dumps(data | {"name": "typo"}))
    with pytest.raises(board.BoardError) as err:
        board.load("typo", str(tmp_path))
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path}/typo.json: unknown key {where}") and "\n" not in msg


def test_an_unknown_key_is_refused_in_micropython_too():
    from host_tools.sim.mpy_runtime import run_micropython

    data = json.loads((BOARDS_DIR / "esp32s3_lsm6dsox.json").read_text())
    data["neopixel"]["pwr"] = 38
    out = run_micropython(
        "import board\ntry:\n    board.load('esp32s3_lsm6dsox', '/lib')\n"
        "except board.BoardError as e:\n    print(e)\n",
        {"esp32s3_lsm6dsox.json": json.dumps(data).encode()},
    )
    assert out.strip() == ("/lib/esp32s3_lsm6dsox.json: unknown key 'neopixel.pwr' "
                           "(known in neopixel: pin, power)")


# Who reads each top-level key of board.KEYS (and its dotted keys): firmware modules by name,
# host modules by path. A key no listed module spells as a string is read by no code.
READERS = {
    "name": ["board"], "imu": ["board", "imu", "app"], "hold_pin": ["boot", "app"],
    "usb_sense": ["board", "app"], "buttons": ["app"], "led": ["feedback", "app"],
    "buzzer": ["feedback", "app"], "neopixel": ["feedback"], "lcd": ["display", "app"],
    "battery_adc": ["battery"], "mcu": ["band/flash.py"], "chip": ["band/flash.py"],
    "firmware_image": ["band/flash.py"], "micropython_board": ["band/flash.py"],
    "battery_mah": ["sim/power.py"],
}
FOR_PEOPLE = {"description", "wiring"}  # prose: shown to no code, read by whoever wires a band


def _source(reader):
    if reader.endswith(".py"):  # a host module
        return (Path(host_tools.__file__).parent / reader).read_text()
    text = (firmware.FIRMWARE_DIR / f"{reader}.py").read_text()
    if reader == "board":  # its KEYS list names every key: not a reading of one
        start = text.index("KEYS = (")
        text = text[:start] + text[text.index("\n)\n", start):]
    return text


def test_every_key_a_board_file_may_have_is_read_by_code():
    assert set(READERS) | FOR_PEOPLE == {k for k in board.KEYS.split() if "." not in k}
    unread = []
    for key in board.KEYS.split():
        top, _, _ = key.partition(".")
        if top in FOR_PEOPLE:
            continue
        leaf = key.rpartition(".")[2]
        if not any(f'"{leaf}"' in _source(r) for r in READERS[top]):
            unread.append(key)
    assert unread == []


@pytest.mark.parametrize("name", NAMES)
def test_every_board_file_key_is_one_the_loader_knows(name):
    """load() refuses unknown keys; this lists them all at once for a board file under work."""
    def keys(d, prefix=""):
        for k, v in d.items():
            yield prefix + k
            if isinstance(v, dict):
                yield from keys(v, prefix + k + ".")

    data = json.loads((BOARDS_DIR / f"{name}.json").read_text())
    assert [k for k in keys(data) if k not in board.KEYS.split()] == []


# -- the QT Py's RGB LED -------------------------------------------------------------------------

def test_the_neopixel_flashes_each_pattern_in_its_colour_and_goes_dark():
    from host_tools.sim.fakes import machine as fake_machine
    from host_tools.sim.fakes import neopixel as fake_neopixel
    from host_tools.sim.fakes.vclock import VirtualClock

    feedback = firmware.load("feedback")
    counter = firmware.load("counter")
    b = board.load("esp32s3_lsm6dsox", str(BOARDS_DIR))
    pin, power = b.data["neopixel"]["pin"], b.data["neopixel"]["power"]
    clock = VirtualClock(0)
    fake_machine.events.clear()
    fb = feedback.Feedback(b, clock, fake_machine, True, neopixel=fake_neopixel)
    assert ("pin", (power, 1)) in fake_machine.events  # the LED's power on
    shown = []

    def play(start, steps):
        fake_machine.events.clear()
        start()
        for _ in range(200):
            clock.sleep_ms(10)
            fb.tick()
        shown.append([rgb for what, (p, (rgb,)) in
                      (e for e in fake_machine.events if e[0] == "rgb") if p == pin])
        lit = [c for c in shown[-1] if c != feedback.OFF]
        assert len(lit) == len(steps) and shown[-1][-1] == feedback.OFF  # one flash a step
        return set(lit)

    assert play(fb.rep, feedback.REP) == {feedback.GREEN}
    assert play(fb.set_end, feedback.SET_END) == {feedback.GREEN}
    assert play(fb.mode, feedback.MODE) == {feedback.BLUE}
    clock.sleep_ms(feedback.CUE_GAP_MS)
    cue = feedback.CUES["too_small"]
    assert play(lambda: fb.rep(counter.FAULT_TOO_SMALL), cue) == {feedback.ORANGE}
    assert fb.played["too_small"] == 1


def test_the_neopixel_fake_keeps_grb_bytes_and_refuses_what_the_real_one_does():
    from host_tools.sim.fakes import machine as fake_machine
    from host_tools.sim.fakes import neopixel as fake_neopixel

    np = fake_neopixel.NeoPixel(fake_machine.Pin(39), 2)
    np[0] = (1, 2, 3)
    np[1] = (250, 0, 7)
    assert bytes(np.buf) == bytes([2, 1, 3, 0, 250, 7]) and np[1] == (250, 0, 7) and len(np) == 2
    with pytest.raises(ValueError):
        np[0] = (256, 0, 0)  # a byte each
    with pytest.raises(AttributeError):
        fake_neopixel.NeoPixel(39, 1)  # a pin number, not a machine.Pin


def test_the_qtpy_feedback_runs_in_micropython_with_the_fakes():
    """The feedback module and the fake as the virtual band runs them: the LED shows the rep."""
    from host_tools.sim.fakes import machine as fake_machine
    from host_tools.sim.fakes import neopixel as fake_neopixel
    from host_tools.sim.fakes import vclock
    from host_tools.sim.mpy_runtime import run_micropython

    files = {Path(m.__file__).name: Path(m.__file__).read_bytes()
             for m in (fake_machine, fake_neopixel, vclock)}
    files["esp32s3_lsm6dsox.json"] = (BOARDS_DIR / "esp32s3_lsm6dsox.json").read_bytes()
    out = run_micropython(
        "import board, feedback, machine, vclock\n"
        "c = vclock.VirtualClock(0)\n"
        "fb = feedback.Feedback(board.load('esp32s3_lsm6dsox', '/lib'), c, machine)\n"
        "fb.rep()\n"
        "for _ in range(20):\n    c.sleep_ms(10)\n    fb.tick()\n"
        "print([e[1][1][0] for e in machine.events if e[0] == 'rgb'])\n",
        files,
    )
    fb = firmware.load("feedback")
    assert out.strip() == str([fb.OFF, fb.GREEN, fb.OFF])
