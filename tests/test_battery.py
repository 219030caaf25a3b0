"""The battery where the board can read it (firmware/battery.py): the M5StickC Plus2's cell on
GPIO38 through its 1:2 divider, averaged, in MicroPython with nothing allocated by a read; the
boards with no battery ADC have no reader (status says "unknown")."""

import json

import pytest

from host_tools import BOARDS_DIR, REPO_ROOT, firmware
from host_tools.band.status import format_status
from host_tools.sim.mpy_runtime import run_micropython

battery = firmware.load("battery")
FAKES = REPO_ROOT / "host_tools" / "sim" / "fakes"


def board_data(name: str) -> dict:
    return json.loads((BOARDS_DIR / f"{name}.json").read_text())


def test_only_the_plus2_names_a_battery_adc_and_it_is_gpio38_halved() -> None:
    have = {
        p.stem: json.loads(p.read_text()).get("battery_adc") for p in BOARDS_DIR.glob("*.json")
    }
    assert have.pop("m5stickc_plus2") == {"pin": 38, "divider": 2}
    assert set(have.values()) == {None}  # AtomS3, DevKitC + GY-521, QT Py ESP32-S3: none
    for name in have:
        assert battery.open(board_data(name), object()) is None


def test_a_read_on_micropython_averages_the_pin_and_allocates_nothing() -> None:
    script = """
import gc, json, micropython, machine, battery
with open('/lib/m5stickc_plus2.json') as f:
    b = battery.open(json.load(f), machine)
machine.ADC.levels_uv[38] = 1_955_000  # a 3.91 V cell halved
print('MV', b.mv(), battery.percent(b.mv()))
def reads(n):
    mv = 0
    for _ in range(n):
        mv = b.mv()
    return mv
def measure():
    reads(1)
    gc.collect()
    before = gc.mem_alloc()
    micropython.heap_lock()
    try:
        mv = reads(20)
    finally:
        micropython.heap_unlock()
    return gc.mem_alloc() - before, mv
used, mv = measure()
print('HEAP', used, mv)
"""
    files = {
        "machine.py": (FAKES / "machine.py").read_bytes(),
        "m5stickc_plus2.json": (BOARDS_DIR / "m5stickc_plus2.json").read_bytes(),
    }
    out = run_micropython(script, files).splitlines()
    mv_line = next(x for x in out if x.startswith("MV ")).split()
    heap_line = next(x for x in out if x.startswith("HEAP ")).split()
    assert (int(mv_line[1]), int(mv_line[2])) == (3910, 71)
    assert int(heap_line[1]) == 0 and int(heap_line[2]) == 3910


@pytest.mark.parametrize(
    ("mv", "pct"), [(3000, 0), (3300, 0), (3725, 50), (4150, 100), (4300, 100)]
)
def test_percent_is_a_rough_guide_clipped_to_0_100(mv: int, pct: int) -> None:
    assert battery.percent(mv) == pct


def test_status_says_unknown_where_the_board_cannot_read_it() -> None:
    info = {"uid": "b1", "board": "m5stack_atoms3", "last": 3, "side": "left", "goal": 100}
    text = format_status(info, {"battery_mv": None}, None, 3, 0.0)
    assert "battery    unknown (this board cannot read it)" in text.splitlines()
    text = format_status(info, {"battery_mv": 4020}, None, 3, 0.0)
    assert "battery    4.02 V (about 84 % full)" in text.splitlines()
