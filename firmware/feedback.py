# Feedback on the band: a short buzz per rep, two at the end of a set, a tune at the day's goal,
# the LED alongside (the count on the LCD is display.py's); a rep with a form fault gets a cue
# after its buzz (setting feedback=on; feedback=counts: the buzz alone). Non-blocking: a pattern
# is a list of (on_ms, off_ms) steps that tick() plays out between FIFO batches. A board with an
# RGB LED (a "neopixel", as the QT Py's) flashes it in the pattern's colour instead.
import counter

REP = ((60, 0),)
# form cues, each the rep's buzz and then a pattern of its own, told apart by feel:
# too fast: a quick triple (hurried); too small: one long buzz (go further); hold: two long
CUES = {"too_fast": ((60, 250), (30, 60), (30, 60), (30, 0)),
        "too_small": ((60, 250), (400, 0)),
        "hold": ((60, 250), (200, 150), (200, 0))}
# the fault each cue answers, most important first (range, then tempo, then the hold)
CUE_FAULTS = (("too_small", counter.FAULT_TOO_SMALL), ("too_fast", counter.FAULT_TOO_FAST),
              ("hold", counter.FAULT_NO_HOLD))
# at most one cue in this long (ms): about three reps of a 2-2-2 s tempo, so a set done too
# fast is told every few reps, not nagged at each
CUE_GAP_MS = 20000
SET_END = ((80, 120), (80, 0))
GOAL = ((120, 80), (120, 80), (120, 80), (400, 0))
MODE = ((30, 60), (30, 0))
# the RGB LED's colour while a pattern is on: a counted rep, set or goal green, a form cue
# orange, a mode press blue; dim (a WS2812 at full white draws ~40 mA and glares)
GREEN = (0, 24, 0)
ORANGE = (32, 10, 0)
BLUE = (0, 0, 32)
OFF = (0, 0, 0)
COLOURS = {"rep": GREEN, "set": GREEN, "goal": GREEN, "mode": BLUE, "too_fast": ORANGE,
           "too_small": ORANGE, "hold": ORANGE}


def _pixel(cfg, machine, neopixel):
    # MicroPython's neopixel module is built into its ESP32 ports; the host's tests pass a fake.
    # Elsewhere (CPython, the WebAssembly port without the fake) the board has no RGB LED.
    if neopixel is None:
        try:
            import neopixel as found
        except ImportError:
            return None
        neopixel = found
    if "power" in cfg:  # the QT Py powers its LED from a pin of its own
        machine.Pin(cfg["power"], machine.Pin.OUT, value=1)
    p = neopixel.NeoPixel(machine.Pin(cfg["pin"], machine.Pin.OUT), 1)
    p[0] = OFF
    p.write()
    return p


class Feedback:
    def __init__(self, board, clock, machine=None, enabled=True, neopixel=None):
        self.clock = clock
        self.enabled = enabled
        # how often each pattern started (for tests and the host): counts, not a list, which
        # would grow for as long as the band runs
        self.played = {"rep": 0, "set": 0, "goal": 0, "mode": 0, "too_fast": 0, "too_small": 0,
                       "hold": 0}
        self.cues = enabled is True  # feedback=counts: counts, no form cues
        self._cue_at = None  # ticks_ms of the last cue
        self.last = None  # the latest pattern's name
        self._steps = ()
        self._i = 0
        self._until = 0
        self._on = False
        self._buzzer = None
        self._led = None
        self._led_low = False
        self._pixel = None  # the RGB LED (a NeoPixel), where the board has one
        self._colour = OFF
        if machine is not None:
            d = board.data
            if "buzzer" in d:
                self._buzzer = machine.PWM(machine.Pin(d["buzzer"]["pin"]), freq=2700, duty_u16=0)
            if "led" in d:
                self._led = machine.Pin(d["led"]["pin"], machine.Pin.OUT)
                self._led_low = d["led"].get("active_low", False)
                self._led.value(1 if self._led_low else 0)
            if "neopixel" in d:
                self._pixel = _pixel(d["neopixel"], machine, neopixel)

    def _set(self, on):
        self._on = on
        if self._buzzer is not None:
            self._buzzer.duty_u16(32768 if on else 0)
        if self._led is not None:
            self._led.value((0 if on else 1) if self._led_low else (1 if on else 0))
        if self._pixel is not None:
            self._pixel[0] = self._colour if on else OFF
            self._pixel.write()

    def play(self, name, steps):
        self.played[name] += 1
        self.last = name
        if not self.enabled:
            return
        self._colour = COLOURS[name]
        self._steps = steps
        self._i = 0
        self._set(True)
        self._until = self.clock.ticks_add(self.clock.ticks_ms(), steps[0][0])

    def tick(self):
        if not self._steps or self.clock.ticks_diff(self.clock.ticks_ms(), self._until) < 0:
            return
        on_ms, off_ms = self._steps[self._i]
        if self._on and off_ms:
            self._set(False)
            self._until = self.clock.ticks_add(self._until, off_ms)
            return
        self._set(False)
        self._i += 1
        if self._i >= len(self._steps):
            self._steps = ()
            return
        self._set(True)
        self._until = self.clock.ticks_add(self._until, self._steps[self._i][0])

    def due_ms(self):
        """ms until tick() has a step to play (None: no pattern playing): the app naps no
        longer than this, so a 60 ms buzz lasts 60 ms and not until the next FIFO batch."""
        if not self._steps:
            return None
        d = self.clock.ticks_diff(self._until, self.clock.ticks_ms())
        return max(0, d)

    def rep(self, faults=0):
        """The buzz of a counted rep; with a form fault (counter.FAULT_* bits) its cue instead,
        which begins with the same buzz, unless a cue played less than CUE_GAP_MS ago."""
        if self.cues and faults:
            now = self.clock.ticks_ms()
            if self._cue_at is None or self.clock.ticks_diff(now, self._cue_at) >= CUE_GAP_MS:
                for name, bit in CUE_FAULTS:
                    if faults & bit:
                        self._cue_at = now
                        self.played["rep"] += 1
                        self.play(name, CUES[name])
                        return
        self.play("rep", REP)

    def set_end(self):
        self.play("set", SET_END)

    def goal(self):
        self.play("goal", GOAL)

    def mode(self):
        self.play("mode", MODE)
