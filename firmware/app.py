# The band's app: FIFO batches -> counter -> log and feedback; mode button; watchdog; sleep.
# Hardware comes in through `machine` and `clock` (time), so the same code runs on the band,
# on the virtual band and in tests.
import counter
import replog

MODE_NUMBERS = {"auto": 0, "clamshell": 1, "leg_lift": 2}
MODE_CYCLE = ("auto", "clamshell", "leg_lift")
IDLE_SLEEP_MS = 5 * 60 * 1000  # no rep for this long: deep sleep until motion or the button
WDT_MS = 8000


class App:
    def __init__(self, imu, log, fb, cfg, clock, machine=None, board=None):
        self.imu = imu
        self.log = log
        self.fb = fb
        self.clock = clock
        self.machine = machine
        self.goal = cfg["goal"]
        self.mode = cfg["mode"]
        self.rate = imu.sample_rate_hz
        self.counter = counter.Counter(self.rate, True, MODE_NUMBERS[self.mode])
        self.day = [0, 0, 0]  # reps today per exercise number
        self.reps = 0
        self.sets = 0
        self.t0 = clock.ticks_ms()
        self.samples = 0
        self.last_rep = self.t0
        # between batches the FIFO fills to about half the batch buffer
        self.period_ms = imu.max_batch * 500 // self.rate
        self.running = True
        self.slept = False
        self._mode_pressed = False
        self.wdt = None
        self.button = None
        if machine is not None:
            self.wdt = machine.WDT(timeout=WDT_MS)
            if board is not None and "mode" in board.data.get("buttons", {}):
                self.button = machine.Pin(board.data["buttons"]["mode"], machine.Pin.IN,
                                          machine.Pin.PULL_UP)
                self.button.irq(self._on_button, machine.Pin.IRQ_FALLING)

    def _on_button(self, pin):
        self._mode_pressed = True  # handled in the loop: an IRQ must not allocate

    def step(self):
        """One FIFO batch through the counter."""
        imu = self.imu
        n, lost = imu.read_batch()
        if lost:
            self.log.fault(replog.FAULT_FIFO_OVERFLOW if lost > 0 else replog.FAULT_I2C, lost)
            # samples went missing: put the sample clock back on the wall clock
            self.samples = self.clock.ticks_diff(self.clock.ticks_ms(), self.t0) * self.rate // 1000
        b = imu.batch
        c = self.counter
        feed = c.feed
        t0 = self.t0
        rate = self.rate
        s = self.samples
        for k in range(n):
            j = 6 * k
            ev = feed(t0 + s * 1000 // rate, b[j], b[j + 1], b[j + 2], b[j + 3], b[j + 4], b[j + 5])
            s += 1
            if ev:
                self._event(ev)
        self.samples = s
        self.fb.tick()
        if self.wdt is not None:
            self.wdt.feed()
        if self._mode_pressed:
            self._mode_pressed = False
            self.cycle_mode()

    def _event(self, ev):
        c = self.counter
        if ev == counter.EV_REP:
            self.log.rep(c.rep_t_ms, c.rep_exercise, c.rep_rom_cdeg, c.rep_duration_ms)
            self.reps += 1
            self.day[c.rep_exercise] += 1
            self.last_rep = self.clock.ticks_ms()
            if self.day[c.rep_exercise] == self.goal:
                self.fb.goal()
            else:
                self.fb.rep()
        elif ev == counter.EV_SET:
            self.log.set_done(c.set_start_ms, c.set_end_ms, c.set_reps, c.set_exercise)
            self.log.daily(0, self.day[1], self.day[2])
            self.sets += 1
            self.fb.set_end()

    def cycle_mode(self):
        self.mode = MODE_CYCLE[(MODE_CYCLE.index(self.mode) + 1) % 3]
        self.drain()
        self.counter = counter.Counter(self.rate, True, MODE_NUMBERS[self.mode])
        self.fb.mode()

    def drain(self):
        # End of counting (mode change, sleep, Ctrl-C): close the open set, log what it held.
        c = self.counter
        t = self.t0 + self.samples * 1000 // self.rate
        while True:
            ev = c.finish(t)
            if not ev:
                break
            self._event(ev)

    def run(self, until=None):
        """Runs until stopped (Ctrl-C), `until(app)` says so, or it goes to sleep when idle."""
        clock = self.clock
        try:
            while self.running:
                self.step()
                if until is not None and until(self):
                    break
                if clock.ticks_diff(clock.ticks_ms(), self.last_rep) > IDLE_SLEEP_MS:
                    self.sleep()
                    break
                clock.sleep_ms(self.period_ms)
        finally:
            self.log.flush()

    def sleep(self):
        self.drain()
        self.log.close()
        self.slept = True
        self.imu.wake_on_motion()
        if self.machine is not None:
            self.machine.deepsleep()


def main():
    import machine  # type: ignore
    import time

    import board
    import feedback
    import settings

    cfg = settings.load()
    b = board.load(cfg.get("board"))
    hold = b.data.get("hold_pin")
    if hold is not None:  # M5StickC Plus2: keeps the board powered on battery
        machine.Pin(hold, machine.Pin.OUT, value=1)
    mode_pin = b.data.get("buttons", {}).get("mode")
    if mode_pin is not None and machine.Pin(mode_pin, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0:
        print("repband: safe mode (button held at power-on): the app is not started")
        return None
    log = replog.Log("/log")
    log.boot(machine.reset_cause())
    imu = b.open_imu()
    fb = feedback.Feedback(b, time, machine, cfg["feedback"])
    app = App(imu, log, fb, cfg, time, machine, b)
    print("repband: counting (%s, goal %d); Ctrl-C stops" % (cfg["mode"], cfg["goal"]))
    try:
        app.run()
    except KeyboardInterrupt:
        app.drain()
        print("repband: stopped, log flushed (%d reps)" % app.reps)
    finally:
        log.close()
    return app
