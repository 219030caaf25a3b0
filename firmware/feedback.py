# Feedback on the band: a short buzz per rep, two at the end of a set, a tune at the day's goal,
# the LED alongside (the count on the LCD is display.py's). Non-blocking: a pattern is a list of
# (on_ms, off_ms) steps that tick() plays out between FIFO batches.
REP = ((60, 0),)
SET_END = ((80, 120), (80, 0))
GOAL = ((120, 80), (120, 80), (120, 80), (400, 0))
MODE = ((30, 60), (30, 0))


class Feedback:
    def __init__(self, board, clock, machine=None, enabled=True):
        self.clock = clock
        self.enabled = enabled
        # how often each pattern started (for tests and the host): counts, not a list, which
        # would grow for as long as the band runs
        self.played = {"rep": 0, "set": 0, "goal": 0, "mode": 0}
        self.last = None  # the latest pattern's name
        self._steps = ()
        self._i = 0
        self._until = 0
        self._on = False
        self._buzzer = None
        self._led = None
        self._led_low = False
        if machine is not None:
            d = board.data
            if "buzzer" in d:
                self._buzzer = machine.PWM(machine.Pin(d["buzzer"]["pin"]), freq=2700, duty_u16=0)
            if "led" in d:
                self._led = machine.Pin(d["led"]["pin"], machine.Pin.OUT)
                self._led_low = d["led"].get("active_low", False)
                self._led.value(1 if self._led_low else 0)

    def _set(self, on):
        self._on = on
        if self._buzzer is not None:
            self._buzzer.duty_u16(32768 if on else 0)
        if self._led is not None:
            self._led.value((0 if on else 1) if self._led_low else (1 if on else 0))

    def play(self, name, steps):
        self.played[name] += 1
        self.last = name
        if not self.enabled:
            return
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

    def rep(self):
        self.play("rep", REP)

    def set_end(self):
        self.play("set", SET_END)

    def goal(self):
        self.play("goal", GOAL)

    def mode(self):
        self.play("mode", MODE)
