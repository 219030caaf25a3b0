"""The count and goal on the LCD, in MicroPython (framebuf is built in there): the panel gets a
sane ST7789 start-up and windows inside its visible area, the count row is redrawn when the count
changes and only then, the backlight and panel sleep when nothing happens, the text is the font
scaled up; boards without an LCD draw nothing."""

import ast

import pytest

from host_tools import BOARDS_DIR, REPO_ROOT
from host_tools.sim.mpy_runtime import run_micropython
from host_tools.traces.replay import pack
from host_tools.traces.synth import make_session

FAKES = REPO_ROOT / "host_tools" / "sim" / "fakes"
SWRESET, SLPIN, SLPOUT, NORON, INVON = 0x01, 0x10, 0x11, 0x13, 0x21
DISPOFF, DISPON, CASET, RASET, RAMWR, MADCTL, COLMOD = 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x36, 0x3A


def files(**extra):
    out = {n: (FAKES / n).read_bytes() for n in ("machine.py", "imu_models.py", "vclock.py")}
    out.update({p.name: p.read_bytes() for p in BOARDS_DIR.glob("*.json")})
    out.update(extra)
    return out


WEAR = """
import board, drive, fakeband, imu_models, machine, vclock
rate, known, mode, cols = drive.load('/lib/trace.bin')
clock = vclock.VirtualClock(0)
b = board.load('%(board)s', '/lib')
model = imu_models.MPU6886Model(clock, imu_models.SampleSource(cols[0], cols[1:]), b.imu['part'],
                                b.imu['to_band'])
bus = imu_models.FakeI2C({b.imu['address']: model})
app, clock = fakeband.build('%(board)s', '/log', bus, 50, clock=clock)
end = cols[0][len(cols[0]) - 1] + 20000
app.run(lambda a: clock.ms > end)
print('R', app.reps, app.sets, app.display is not None)
for e in machine.events:
    print('E', repr(e))
"""


def wear(board, seed=1):
    trace, _ = make_session(seed, "mixed", rate_hz=50)
    out = run_micropython(WEAR % {"board": board}, files(**{"trace.bin": pack(trace)}),
                          heap_bytes=32 << 20)
    lines = out.splitlines()
    reps, sets, has_display = next(x for x in lines if x.startswith("R ")).split()[1:]
    events = [ast.literal_eval(x[2:]) for x in lines if x.startswith("E ")]
    return int(reps), int(sets), has_display == "True", events


def commands(events, dc_pin):
    """(command, data bytes or (length, crc), index in events) as the panel saw them."""
    dc = 0
    out = []
    for k, (what, detail) in enumerate(events):
        if what == "pin" and detail[0] == dc_pin:
            dc = detail[1]
        elif what == "spi":
            if dc == 0:
                out.append([detail[0], None, k])
            else:
                out[-1][1] = detail
    return out


@pytest.fixture(scope="module")
def plus2_run():
    return wear("m5stickc_plus2")


def test_panel_start_up_follows_the_datasheet(plus2_run):
    _, _, has_display, events = plus2_run
    assert has_display and ("spi_init", (1, 20000000)) in events
    cmds = commands(events, dc_pin=14)
    names = [c for c, _, _ in cmds]
    assert names[:7] == [
        SWRESET,
        SLPOUT,
        COLMOD,
        MADCTL,
        INVON,
        NORON,
        CASET,
    ]  # Plus2: IPS, inverted
    assert cmds[2][1] == b"\x55" and cmds[3][1] == b"\x00"  # 16-bit pixels, portrait
    first_on = names.index(DISPON)
    cleared = [c for c in cmds[:first_on] if c[0] == RASET]
    rows = sorted(
        (int.from_bytes(d[:2], "big"), int.from_bytes(d[2:], "big")) for _, d, _ in cleared
    )
    assert rows[0][0] == 40 and rows[-1][1] == 40 + 239  # the whole panel cleared
    assert all(b[0] == a[1] + 1 for a, b in zip(rows, rows[1:]))
    assert ("pin", (27, 1)) in events  # backlight


def test_every_window_is_inside_the_visible_panel(plus2_run):
    cmds = commands(plus2_run[3], dc_pin=14)
    writes = 0
    for k, (c, data, _) in enumerate(cmds):
        if c != RAMWR:
            continue
        assert cmds[k - 2][0] == CASET and cmds[k - 1][0] == RASET
        x0, x1 = (
            int.from_bytes(cmds[k - 2][1][:2], "big"),
            int.from_bytes(cmds[k - 2][1][2:], "big"),
        )
        y0, y1 = (
            int.from_bytes(cmds[k - 1][1][:2], "big"),
            int.from_bytes(cmds[k - 1][1][2:], "big"),
        )
        assert 52 <= x0 <= x1 <= 52 + 134 and 40 <= y0 <= y1 <= 40 + 239  # the Plus2's offsets
        assert data[0] == (x1 - x0 + 1) * (y1 - y0 + 1) * 2  # exactly the window's pixels
        writes += 1
    assert writes > 10


def test_the_count_row_is_redrawn_when_the_count_changes(plus2_run):
    reps, sets, _, events = plus2_run
    cmds = commands(events, dc_pin=14)
    count_row = 40 + (240 - 120) // 2 + 24  # display.Display.rows[1] plus the y offset
    pushes = [cmds[k + 1][1] for k, (c, d, _) in enumerate(cmds)
              if c == RASET and int.from_bytes(d[:2], "big") == count_row]
    assert reps > 10
    # the 0 at start, then a set's first rep and its end (app.SHOW_EVERY_REP off: the backlight
    # would stay on through whole sets): never per sample
    assert len(pushes) == 1 + 2 * sets
    # each shows another number than the one before (leg lifts, then clamshells from 1 again)
    assert all(a[1] != b[1] for a, b in zip(pushes, pushes[1:]))
    # each set's first rep shows the same "1"; its end shows its own count, never "0" or "1"
    crcs = [crc for _, crc in pushes]
    ones = set(crcs[1::2])
    assert len(ones) == 1 and crcs[0] not in ones
    assert all(c not in ones and c != crcs[0] for c in crcs[2::2])


def test_backlight_and_panel_sleep_between_events(plus2_run):
    events = plus2_run[3]
    cmds = commands(events, dc_pin=14)
    names = [c for c, _, _ in cmds]
    assert ("pin", (27, 0)) in events
    k = names.index(SLPIN)
    assert names[k - 1] == DISPOFF
    later = names[k:]
    assert SLPOUT in later and later.index(SLPOUT) < later.index(RAMWR)  # woken before drawing


def test_a_board_without_an_lcd_draws_nothing():
    reps, _, has_display, events = wear("esp32_devkitc_mpu6050")
    assert reps > 10 and not has_display
    assert not [e for e in events if e[0] in ("spi", "spi_init")]


def test_the_count_is_the_font_scaled_up():
    script = """
import board, display, framebuf, machine, vclock
clock = vclock.VirtualClock(0)
d = display.open(board.load('m5stickc_plus2', '/lib'), machine, clock)
rows = []
d._push = lambda y, n, mv: rows.append((y, n, bytes(mv)))
d.show(1, [0, 42, 7], 1, 100)
y, n, big = [r for r in rows if r[0] == d.rows[1]][0]
ref = framebuf.FrameBuffer(bytearray(16), 16, 8, framebuf.MONO_HLSB)
ref.text('42', 0, 0, 1)
w = d.width
x0 = (w - 64) // 2
bad = 0
for py in range(32):
    for px in range(w):
        on = big[2 * (py * w + px)] | big[2 * (py * w + px) + 1]
        gx = (px - x0) // 4
        want = 0 <= px - x0 < 64 and ref.pixel(gx, py // 4)
        bad += (1 if on else 0) != (1 if want else 0)
rows.clear()
d.show(1, [0, 100, 7], 1, 100)
y, n, big = [r for r in rows if r[0] == d.rows[1]][0]
lit = [big[i:i + 2] for i in range(0, len(big), 2) if big[i] | big[i + 1]]
print('D', n, bad, len(rows), lit[0].hex(), len(set(lit)))
"""
    out = run_micropython(script, files())
    n, bad, rows, colour, colours = next(
        x for x in out.splitlines() if x.startswith("D ")
    ).split()[1:]
    assert int(n) == 32 and int(bad) == 0  # "42" at 4x, centred, exactly the font's pixels
    # at the goal only the count and both-counts rows change; the count turns green, sent
    # most significant byte first (RGB565 0x06EA)
    assert int(rows) == 2 and colour == "06ea" and int(colours) == 1


def test_the_atoms3_panel_gets_its_own_window():
    reps, _, has_display, events = wear("m5stack_atoms3")
    cmds = commands(events, dc_pin=33)
    assert has_display and reps > 10 and INVON not in [c for c, _, _ in cmds]
    for k, (c, data, _) in enumerate(cmds):
        if c == RAMWR:
            x0, x1 = (int.from_bytes(cmds[k - 2][1][i:i + 2], "big") for i in (0, 2))
            y0, y1 = (int.from_bytes(cmds[k - 1][1][i:i + 2], "big") for i in (0, 2))
            assert 0 <= x0 <= x1 <= 127 and 32 <= y0 <= y1 <= 32 + 127  # 128x128 seen of 128x160
            assert data[0] == (x1 - x0 + 1) * (y1 - y0 + 1) * 2


MOUNT_SCRIPT = """
import board, display, machine, vclock
clock = vclock.VirtualClock(0)
d = display.open(board.load('%(board)s', '/lib'), machine, clock)
rows = []
d._push = lambda y, n, mv: rows.append((y, bytes(mv)))
texts = []
d._row = lambda fb, mv, scale, y, text, color: texts.append((y, text))
for m in (%(states)s):
    texts.clear()
    d.show(0, [0, 5, 0], 1, 100, m)
    print('T', m, repr(texts))
"""


def shown_texts(board: str, states: str) -> list[list]:
    """What each show() drew, in order: (y, text) per row drawn."""
    out = run_micropython(MOUNT_SCRIPT % {"board": board, "states": states}, files())
    return [ast.literal_eval(ln.split(None, 2)[2]) for ln in out.splitlines()
            if ln.startswith("T ")]


def test_the_lcd_says_learning_until_the_band_knows_how_it_is_worn_then_the_thigh():
    got = shown_texts("m5stickc_plus2", "-1, 0, 0, 1, 3")
    assert not [t for _, t in got[0] if "LEARN" in t or "LEG" in t]  # mount=fixed: nothing
    assert [t for _, t in got[1]] == ["LEARNING"]  # (drawn once: rows that did not change stay)
    assert got[1][0][0] > max(y for y, _ in got[0])  # its own row, under the counts
    assert got[2] == [] and [t for _, t in got[3]] == ["LEFT LEG"]
    assert [t for _, t in got[4]] == ["SIDE ?"]
    # the AtomS3's short panel says it in the mode row
    got = shown_texts("m5stack_atoms3", "-1, 0, 2")
    assert ("AUTO" in [t for _, t in got[0]] and [t for _, t in got[1]] == ["LEARNING"]
            and [t for _, t in got[2]] == ["AUTO R"])
