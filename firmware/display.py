# The day's count and goal on the board's LCD (ST7789-class panels over SPI: the M5StickC Plus2's
# ST7789V2 135x240, the AtomS3's GC9107 128x128, which takes the same commands used here).
# Text is framebuf's 8x8 font scaled up, drawn into one strip buffer a text row high and pushed
# to that row's window on the panel: a whole-screen buffer (135x240x2 = 64 KB) would not fit
# beside the app. Drawn on events only (rep, mode, goal, new day), never per sample; the
# backlight and the panel go to sleep a few seconds after the last event.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

# ST7789 commands (Sitronix ST7789V datasheet, section 9.1); the GC9107 has the same ones
_SWRESET = const(0x01)
_SLPIN = const(0x10)
_SLPOUT = const(0x11)
_NORON = const(0x13)
_INVON = const(0x21)
_DISPOFF = const(0x28)
_DISPON = const(0x29)
_CASET = const(0x2A)
_RASET = const(0x2B)
_RAMWR = const(0x2C)
_MADCTL = const(0x36)
_COLMOD = const(0x3A)

_BIG = const(4)  # the count: 8x8 glyphs drawn 32 px high
_SMALL = const(2)  # mode, goal and the two exercises' counts: 16 px
SPI_HZ = 20000000  # well inside what the ESP32 gives pins routed through its GPIO matrix
LIT_MS = 8000  # backlight on this long after an event (it draws more than the rest of the band)
MODE_LABELS = ("AUTO", "CLAM", "LIFT")
# how the band is worn (setting mount=learn, firmware/mount.py): show()'s `mount`, -1 for
# mount=fixed (nothing shown), 0 still learning, 1 left, 2 right, 3 learned but not the thigh
MOUNT_LABELS = ("LEARNING", "LEFT LEG", "RIGHT LEG", "SIDE ?")
MOUNT_MARKS = ("", " L", " R", "")


def _rgb(r, g, b):
    # RGB565 with its bytes swapped: framebuf stores pixels little endian, the panel reads
    # them most significant byte first
    c = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
    return ((c & 0xFF) << 8) | (c >> 8)


BLACK = _rgb(0, 0, 0)
WHITE = _rgb(255, 255, 255)
GREY = _rgb(150, 150, 150)
GREEN = _rgb(0, 220, 80)
ORANGE = _rgb(255, 160, 0)


def open(board, machine, clock):  # noqa: A001 - like the drivers' entry points
    """The board's display, or None where it has no LCD (or on the host, without framebuf)."""
    lcd = board.data.get("lcd")
    if lcd is None or machine is None:
        return None
    try:
        import framebuf  # noqa: F401
    except ImportError:  # CPython: the host has no framebuf (MicroPython tests the display)
        return None
    return Display(lcd, machine, clock)


class Display:
    def __init__(self, lcd, machine, clock):
        import framebuf

        self.clock = clock
        self.width = lcd["width"]
        self.height = lcd["height"]
        off = lcd.get("offset", (0, 0))
        self.xoff = off[0]
        self.yoff = off[1]
        Pin = machine.Pin
        s = lcd["spi"]
        self.spi = machine.SPI(s["id"], baudrate=s.get("baudrate", SPI_HZ), polarity=0, phase=0,
                               sck=Pin(s["sck"]), mosi=Pin(s["mosi"]))
        self.cs = Pin(lcd["cs"], Pin.OUT, value=1)
        self.dc = Pin(lcd["dc"], Pin.OUT, value=0)
        self.rst = Pin(lcd["reset"], Pin.OUT, value=1) if "reset" in lcd else None
        self.bl = Pin(lcd["backlight"], Pin.OUT, value=0) if "backlight" in lcd else None
        self._c = bytearray(1)
        self._d = bytearray(4)
        # one strip a big text row high; small rows use its first half
        w = self.width
        self._strip = bytearray(w * 8 * _BIG * 2)
        mv = memoryview(self._strip)
        self._big = framebuf.FrameBuffer(self._strip, w, 8 * _BIG, framebuf.RGB565)
        self._big_mv = mv
        self._small = framebuf.FrameBuffer(self._strip, w, 8 * _SMALL, framebuf.RGB565)
        self._small_mv = mv[:w * 8 * _SMALL * 2]
        self._glyph_buf = bytearray(8)
        self._glyph = framebuf.FrameBuffer(self._glyph_buf, 8, 8, framebuf.MONO_HLSB)
        # a tall panel (the Plus2's 240) has a row under the counts for the learned mounting; a
        # short one (the AtomS3's 128) says it in the mode row
        top = (self.height - 120) // 2
        # mode, count, goal, both counts, mounting (tall panels)
        self.rows = (top, top + 24, top + 64, top + 96, top + 128)
        self.tall = top + 128 + 8 * _SMALL <= self.height
        self._shown = [-1, -1, -1, -1, -1, -2]  # what the rows show: skip rows that did not change
        self.pushes = 0  # bytes of pixels sent (for tests and the power estimate)
        self.lit = False
        self._off_at = 0
        self._slept_at = None
        self._init(lcd.get("invert", False))

    # -- the panel ---------------------------------------------------------------------------
    def _cmd(self, c, data=None):
        self._c[0] = c
        self.cs(0)
        self.dc(0)
        self.spi.write(self._c)
        if data is not None:
            self.dc(1)
            self.spi.write(data)
        self.cs(1)

    def _init(self, invert):
        sleep = self.clock.sleep_ms
        if self.rst is not None:  # a hardware reset pulse (>= 10 us), then 5 ms before commands
            self.rst(0)
            sleep(1)
            self.rst(1)
            sleep(5)
        self._cmd(_SWRESET)
        sleep(120)  # the datasheet's wait after a reset before Sleep Out
        self._cmd(_SLPOUT)
        sleep(5)
        self._d[0] = 0x55  # 16 bits a pixel (RGB565) on the interface and in the panel
        self._cmd(_COLMOD, memoryview(self._d)[:1])
        self._d[0] = 0x00  # portrait, RGB order, rows and columns as addressed
        self._cmd(_MADCTL, memoryview(self._d)[:1])
        if invert:  # IPS panels like the Plus2's show true colours inverted
            self._cmd(_INVON)
        self._cmd(_NORON)
        self.clear()
        self._cmd(_DISPON)
        self._light(True)

    def _window(self, x0, y0, x1, y1):
        d = self._d
        x0 += self.xoff
        x1 += self.xoff
        y0 += self.yoff
        y1 += self.yoff
        d[0] = x0 >> 8
        d[1] = x0 & 0xFF
        d[2] = x1 >> 8
        d[3] = x1 & 0xFF
        self._cmd(_CASET, d)
        d[0] = y0 >> 8
        d[1] = y0 & 0xFF
        d[2] = y1 >> 8
        d[3] = y1 & 0xFF
        self._cmd(_RASET, d)

    def _push(self, y, rows, mv):
        self._window(0, y, self.width - 1, y + rows - 1)
        self._cmd(_RAMWR, mv)
        self.pushes += len(mv)

    def clear(self):
        self._big.fill(BLACK)
        h = 8 * _BIG
        y = 0
        while y < self.height:
            rows = min(h, self.height - y)
            self._push(y, rows, self._big_mv[:self.width * rows * 2])
            y += rows
        for i in range(len(self._shown)):
            self._shown[i] = -2

    def _light(self, on):
        if self.bl is not None:
            self.bl(1 if on else 0)
        self.lit = on

    def _wake(self):
        if self.lit:
            return
        if self._slept_at is not None:  # Sleep Out no sooner than 120 ms after Sleep In
            left = 120 - self.clock.ticks_diff(self.clock.ticks_ms(), self._slept_at)
            if left > 0:
                self.clock.sleep_ms(left)
        self._cmd(_SLPOUT)
        self.clock.sleep_ms(5)
        self._cmd(_DISPON)
        self._light(True)

    def tick(self):
        """Between batches: the backlight and the panel sleep once the event is old."""
        if self.lit and self.clock.ticks_diff(self.clock.ticks_ms(), self._off_at) >= 0:
            self._light(False)
            self._cmd(_DISPOFF)
            self._cmd(_SLPIN)  # the frame memory keeps the picture for the next wake
            self._slept_at = self.clock.ticks_ms()

    # -- text ----------------------------------------------------------------------------------
    def _row(self, fb, mv, scale, y, text, color):
        fb.fill(BLACK)
        g = self._glyph
        while scale > 1 and 8 * scale * len(text) > self.width:
            scale -= 1  # a long row in smaller letters rather than cut off
        step = 8 * scale
        x = (self.width - step * len(text)) // 2
        if x < 0:
            x = 0
        for ch in text:
            g.fill(0)
            g.text(ch, 0, 0, 1)
            for gy in range(8):
                for gx in range(8):
                    if g.pixel(gx, gy):
                        fb.fill_rect(x + gx * scale, gy * scale, scale, scale, color)
            x += step
        self._push(y, len(mv) // (2 * self.width), mv)

    def show(self, mode, counts, exercise, goal, mount=-1):
        """The day's count of `exercise` (1 clamshell, 2 leg lift) against the goal, the mode,
        both exercises' counts and how the band is worn (`mount`, see MOUNT_LABELS); rows that
        did not change are not sent again."""
        self._wake()
        n = counts[exercise]
        done = n >= goal
        s = self._shown
        if self.tall:
            if s[0] != mode:
                s[0] = mode
                self._row(self._small, self._small_mv, _SMALL, self.rows[0], MODE_LABELS[mode],
                          GREY)
            if s[5] != mount:
                s[5] = mount
                if mount >= 0:  # (mount=fixed: the row stays blank)
                    self._row(self._small, self._small_mv, _SMALL, self.rows[4],
                              MOUNT_LABELS[mount], GREY if mount == 0 else ORANGE)
        elif s[0] != mode * 8 + mount + 1:
            s[0] = mode * 8 + mount + 1
            text = MOUNT_LABELS[0] if mount == 0 else \
                MODE_LABELS[mode] + (MOUNT_MARKS[mount] if mount > 0 else "")
            self._row(self._small, self._small_mv, _SMALL, self.rows[0], text, GREY)
        if s[1] != n or s[2] != done:
            s[1] = n
            s[2] = done
            self._row(self._big, self._big_mv, _BIG, self.rows[1], "%d" % n,
                      GREEN if done else WHITE)
        if s[3] != goal:
            s[3] = goal
            self._row(self._small, self._small_mv, _SMALL, self.rows[2], "/%d" % goal, GREY)
        both = counts[1] * 10000 + counts[2]
        if s[4] != both:
            s[4] = both
            self._row(self._small, self._small_mv, _SMALL, self.rows[3],
                      "C%d L%d" % (counts[1], counts[2]), ORANGE)
        self._off_at = self.clock.ticks_add(self.clock.ticks_ms(), LIT_MS)

    def off(self):
        """Before deep sleep: backlight off, panel asleep."""
        if self.lit:
            self._light(False)
            self._cmd(_DISPOFF)
            self._cmd(_SLPIN)
