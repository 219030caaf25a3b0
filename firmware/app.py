# The band's app: FIFO batches -> counter -> log, feedback and the LCD; mode button; the day's
# counts (kept over reboots, new at local midnight); watchdog; light sleep between batches on
# battery (not while a host may be talking to it) and, when idle, deep sleep. Hardware comes in
# through `machine` and `clock` (time), so the same code runs on the band, on the virtual band
# and in tests.
import counter
import replog
import settings
from names import DAYS_1970_2000, UNIX_2000
from names import MODE_NAMES as MODE_CYCLE

MODE_NUMBERS = {name: i for i, name in enumerate(MODE_CYCLE)}
MOUNT_PATH = "/mount.json"  # the mounting learned (setting mount=learn)
IDLE_SLEEP_MS = 5 * 60 * 1000  # no rep for this long: deep sleep until motion or the button
WDT_MS = 8000
# Light sleep stops the UART (and native USB), so what a host sends meanwhile is lost. A board
# whose file names a usb_sense pin (VBUS through a divider) naps only while that pin is low and
# wakes when it rises (USB enumeration takes far longer than the wake-up); a board without one
# stays awake this long after it starts and after any button press, so a host can reach it.
HOST_LISTEN_MS = 60 * 1000
# The screen lights (display.LIT_MS) when a set starts counting, when it ends, at the day's goal
# and at a button press; every rep is a buzz. Lit at every rep, the backlight stays on through
# whole sets: over a third of the band's charge on a default day (repband bench --power, scenario
# "daily, screen lit at every rep"), for a screen the wearer lying on the side does not see.
SHOW_EVERY_REP = False
# The counter's own say on whether it reads the gyro (firmware/counter.py may set USES_GYRO);
# without it the IMU runs its accelerometer alone (the gyro is most of the IMU's current).
USES_GYRO = getattr(counter, "USES_GYRO", False)
# 80 MHz rather than the firmware's 240: the app is awake a few per cent of the time and mostly
# waits on I2C, and the ESP32 idles at about half the current at 80 MHz (ESP32 datasheet,
# modem-sleep 20-31 mA at 80 MHz vs 30-68 mA at 240 MHz)
CPU_HZ = 80000000

CLOCK_SET_AFTER = 1704067200  # 2024-01-01: an RTC behind this has not been set by a host
RESTORE_SEGMENTS = 4  # how far back the log is read at boot for today's counts


def epoch_offset(clock):
    """Seconds to add to clock.time() for Unix time (the port's epoch is 1970 or 2000)."""
    try:
        return UNIX_2000 if clock.gmtime(0)[0] == 2000 else 0
    except (AttributeError, OverflowError):
        return 0


def local_day(unix_s, utc_offset_min):
    """(day number since 2000-01-01 in local time, ms to the next local midnight)."""
    local = unix_s + utc_offset_min * 60
    return local // 86400 - DAYS_1970_2000, (86400 - local % 86400) * 1000


def restore_counts(log, day, max_segments=RESTORE_SEGMENTS):
    """Today's reps per exercise from the log (after a reboot or deep sleep): the last DAILY
    record, if it is today's, plus the reps logged after it (a set cut short by a reset). Only
    the newest segments are read, one at a time: the whole log would not fit in RAM."""
    out = [0, 0, 0]
    segs = log.segments()
    tail = [0, 0, 0]  # reps after the last DAILY
    for name in reversed(segs[-max_segments:]):
        with open(log.root + "/" + name, "rb") as f:
            recs = replog.decode(f.read())
        for k in range(len(recs) - 1, -1, -1):
            _, rtype, fields = recs[k]
            if rtype == replog.REP and 0 <= fields[1] <= 2:
                tail[fields[1]] += 1
            elif rtype == replog.DAILY:
                if fields[0] == day:
                    out[1] = fields[1] + tail[1]
                    out[2] = fields[2] + tail[2]
                return out
    return out


class App:
    def __init__(self, imu, log, fb, cfg, clock, machine=None, board=None, display=None):
        self.imu = imu
        self.log = log
        self.fb = fb
        self.clock = clock
        self.machine = machine
        self.board = board
        self.display = display
        self.goal = cfg["goal"]
        self.mode = cfg["mode"]
        self.side = cfg.get("side", "unknown")
        self.utc_offset_min = cfg.get("utc_offset_min", 0)
        self.rate = imu.sample_rate_hz
        # mount "learn": the band learns how it is worn (firmware/mount.py), kept on flash;
        # until it is sure it counts with the axes unknown
        self.mount = None
        if cfg.get("mount") == "learn":
            import mount

            self.mount = mount.Mount(self.rate)
            self.mount.load(MOUNT_PATH)
        self._mount_saved = self._mount_state()
        # the prescription the counter judges form against (tempo, hold, range, forward)
        self.params = settings.prescribe(counter.Params(), cfg)
        if self.mount is not None and self.side not in ("left", "right"):
            self.params.forward_y = counter.forward_y(self.mount.side)  # the thigh learned
        self.counter = counter.Counter(self.rate, self._frame_known(), MODE_NUMBERS[self.mode],
                                       self.params)
        # bound methods made once: `f = obj.method` allocates one each time it runs
        self._cfeed = self.counter.feed
        self._ticks_add = clock.ticks_add
        self.day = [0, 0, 0]  # reps today per exercise number
        self.day_no = None  # local day number (days since 2000-01-01); None: the clock is unknown
        self._day_end = None  # ticks_ms of the next local midnight
        self._daily_dirty = False  # reps since the last DAILY record
        self.shown_ex = MODE_NUMBERS[self.mode] or counter.CLAMSHELL
        self.reps = 0
        self.sets = 0
        self.t0 = clock.ticks_ms()
        # the sample clock: ticks of the current second's first sample and the sample index in
        # it, so no intermediate leaves the small ints (t0 + s * 1000 // rate did after ~6 h)
        self._t_sec = self.t0
        self._sub = 0
        self.samples = 0  # since start (for figures; not used for time)
        self._faulted = False  # the last batch failed on I2C (one FAULT record per outage)
        self.last_rep = self.t0
        self._listen_from = self.t0
        # between batches the FIFO fills to about half the batch buffer
        self.period_ms = imu.max_batch * 500 // self.rate
        self.running = True
        self.slept = False
        self._mode_pressed = False
        self.wdt = None
        self.button = None
        self.usb = None
        self._epoch = epoch_offset(clock)
        self._start_day()
        self._log_daily()  # the settings this boot counts with, before its first rep
        if machine is not None:
            self.wdt = machine.WDT(timeout=WDT_MS)
            d = board.data if board is not None else {}
            if "usb_sense" in d:
                self.usb = machine.Pin(d["usb_sense"], machine.Pin.IN)
            if "mode" in d.get("buttons", {}):
                self.button = machine.Pin(d["buttons"]["mode"], machine.Pin.IN,
                                          machine.Pin.PULL_UP)
                self.button.irq(self._on_button, machine.Pin.IRQ_FALLING)
            self._arm_light_wake()
        self._button_up = True
        self._show()

    # -- the day ---------------------------------------------------------------------------------
    def unix_time(self):
        """The wall clock in Unix seconds, or None while no host has set it since power-on."""
        t = self.clock.time() + self._epoch
        return t if t >= CLOCK_SET_AFTER else None

    def _start_day(self):
        # At start: which day it is, its counts so far (from the log), and a clock record so
        # the host can place this boot's records even if it never sets the clock during it.
        t = self.unix_time()
        if t is None:
            return  # before any clock set: counts since boot, DAILY day 0 (unknown)
        self.day_no, ms_left = local_day(t, self.utc_offset_min)
        self._day_end = self.clock.ticks_add(self.clock.ticks_ms(), ms_left)
        self.day = restore_counts(self.log, self.day_no)
        self.log.clock(t, self.clock.ticks_ms())

    def _new_day(self):
        t = self.unix_time()
        if t is None:
            self._day_end = None
            return
        day, ms_left = local_day(t, self.utc_offset_min)
        self._day_end = self.clock.ticks_add(self.clock.ticks_ms(), ms_left)
        if day == self.day_no:
            return  # the tick counter ran ahead of the RTC: midnight is a moment away
        if self._daily_dirty:
            self._log_daily()
        self.day_no = day
        self.day[0] = self.day[1] = self.day[2] = 0
        self._daily_dirty = False
        self._show()

    # -- the loop --------------------------------------------------------------------------------
    def _on_button(self, pin):
        self._mode_pressed = True  # handled in the loop: an IRQ must not allocate

    def step(self):
        """One FIFO batch through the counter."""
        imu = self.imu
        clock = self.clock
        n = imu.read_batch()
        lost = imu.lost
        if lost:
            if lost > 0 or not self._faulted:
                self.log.fault(replog.FAULT_FIFO_OVERFLOW if lost > 0 else replog.FAULT_I2C, lost)
            self._faulted = lost < 0
            # samples went missing: put the sample clock back on the wall clock
            self._t_sec = clock.ticks_ms()
            self._sub = 0
        else:
            self._faulted = False
        if n:
            self._feed(n)
        self._after_batch()

    def _frame_known(self):
        return self.mount is None or self.mount.sure

    def _mount_state(self):
        m = self.mount
        return -1 if m is None or not m.sure else m.restraps * 100000 + m.walk_s

    def _feed(self, n):
        b = self.imu.batch
        feed = self._cfeed
        add = self._ticks_add
        rate = self.rate
        t_sec = self._t_sec
        sub = self._sub
        gyro = self.imu.has_gyro
        mount = self.mount
        mounted = mount is not None
        j = 0
        for _ in range(n):
            if mounted:
                self._t_sec = t_sec  # (where a switch to the learned frame drains the counter)
                self._sub = sub
                ev = self._feed_mounted(add(t_sec, sub * 1000 // rate), b, j)
            elif gyro:
                ev = feed(add(t_sec, sub * 1000 // rate), b[j], b[j + 1], b[j + 2], b[j + 3],
                          b[j + 4], b[j + 5])
            else:  # the gyro's columns are 0: the counter's defaults
                ev = feed(add(t_sec, sub * 1000 // rate), b[j], b[j + 1], b[j + 2])
            sub += 1
            if sub == rate:
                t_sec = add(t_sec, 1000)
                sub = 0
            j += 6
            if ev:
                self._t_sec = t_sec
                self._sub = sub
                self._event(ev)
        self._t_sec = t_sec
        self._sub = sub
        self.samples += n
        if mount is not None:
            state = self._mount_state()
            if state != self._mount_saved:  # learned, refined or re-strapped: kept (rarely)
                self._mount_saved = state
                try:
                    mount.save(MOUNT_PATH)
                except OSError:
                    pass  # flash full: learned again after the next boot
                self._show()  # the LCD says it has learned (and the thigh)

    def _feed_mounted(self, t, b, j):
        # One sample through the mounting estimator and the counter: with the axes unknown
        # until the estimator is sure, then turned into the learned band frame (the gyro too)
        m = self.mount
        assert m is not None
        m.feed(t, b[j], b[j + 1], b[j + 2])
        c = self.counter
        if m.sure and not c.axes_known and not (c._in_set or c._held):
            self._learned(m)
        if self.counter.axes_known:
            o = m.apply(b[j + 3], b[j + 4], b[j + 5])
            u, v, w = o[0], o[1], o[2]
            o = m.apply(b[j], b[j + 1], b[j + 2])
            return self._cfeed(t, o[0], o[1], o[2], u, v, w)
        return self._cfeed(t, b[j], b[j + 1], b[j + 2], b[j + 3], b[j + 4], b[j + 5])

    def _learned(self, m):
        # the mounting is sure: from here on the counter counts in the learned band frame
        self.drain()
        if self.side not in ("left", "right"):  # the setting, where given, overrides it
            self.params.forward_y = counter.forward_y(m.side)
        self.counter = counter.Counter(self.rate, True, MODE_NUMBERS[self.mode], self.params)
        self._cfeed = self.counter.feed

    def _after_batch(self):
        clock = self.clock
        self.fb.tick()
        if self.display is not None:
            self.display.tick()
        if self.wdt is not None:
            self.wdt.feed()
        if self.button is not None:
            # also polled: an edge during light sleep raises no IRQ, but the press ends the nap
            up = self.button.value() == 1
            if not up and self._button_up:
                self._mode_pressed = True
            self._button_up = up
        if self._mode_pressed:
            self._mode_pressed = False
            self._listen_from = clock.ticks_ms()  # a press also opens the band to a host
            self.cycle_mode()
        if self._day_end is not None and clock.ticks_diff(clock.ticks_ms(), self._day_end) >= 0:
            self._new_day()

    def _event(self, ev):
        c = self.counter
        if ev == counter.EV_REP:
            ex = c.rep_exercise
            self.log.rep(c.rep_t_ms, ex, c.rep_rom_cdeg, c.rep_duration_ms, c.rep_up_ms,
                         c.rep_hold_ms, c.rep_down_ms, c.rep_faults)
            self.reps += 1
            self.day[ex] += 1
            self._daily_dirty = True
            self.last_rep = self.clock.ticks_ms()
            if self.day[ex] == self.goal:
                self.fb.goal()
            else:
                self.fb.rep(c.rep_faults)  # a form fault's cue, rate-limited (feedback.py)
            if ex:
                self.shown_ex = ex
            if SHOW_EVERY_REP or c.set_reps <= 1 or self.day[ex] == self.goal:
                self._show()
        elif ev == counter.EV_SET:
            ex = c.set_exercise
            n = c.set_moved
            if n:  # the whole set says which exercise it was: its reps counted as the other
                # move over (the store files their REP records under this SET's exercise too)
                self.day[counter.CLAMSHELL + counter.LEG_LIFT - ex] -= n
                before = self.day[ex]
                self.day[ex] += n
                self.shown_ex = ex
                if before < self.goal <= self.day[ex]:
                    self.fb.goal()
            self.log.set_done(c.set_start_ms, c.set_end_ms, c.set_reps, ex)
            self._log_daily()
            self.sets += 1
            self.fb.set_end()
            self._show()

    def _log_daily(self):
        # The day's counts and the settings they were counted with: the host keeps each rep's
        # side and mode, and each day's goal, as they were then (not as the settings are now).
        side = replog.SIDES.index(self.side) if self.side in replog.SIDES else 0
        if not side and self.mount is not None:
            side = self.mount.side  # learned (the setting, where given, overrides it)
        self.log.daily(self.day_no or 0, self.day[1], self.day[2], self.goal, side,
                       MODE_NUMBERS[self.mode])
        self._daily_dirty = False

    def _show(self):
        if self.display is not None:
            self.display.show(MODE_NUMBERS[self.mode], self.day, self.shown_ex, self.goal,
                              self._mount_shown())

    def _mount_shown(self):
        # for the LCD: -1 mount=fixed, 0 learning, then the thigh (the setting wins), 3 unknown
        m = self.mount
        if m is None:
            return -1
        if not m.sure:
            return 0
        side = replog.SIDES.index(self.side) if self.side in replog.SIDES else 0
        return side or m.side or 3

    def cycle_mode(self):
        self.drain()  # the open set ends in the mode it was counted in
        self.mode = MODE_CYCLE[(MODE_CYCLE.index(self.mode) + 1) % 3]
        self._log_daily()  # from here on, reps are counted in the new mode
        self.counter = counter.Counter(self.rate, self._frame_known(), MODE_NUMBERS[self.mode],
                                       self.params)
        self._cfeed = self.counter.feed
        if MODE_NUMBERS[self.mode]:
            self.shown_ex = MODE_NUMBERS[self.mode]
        self.fb.mode()
        self._show()

    def drain(self):
        # End of counting (mode change, sleep, Ctrl-C): close the open set, log what it held.
        c = self.counter
        t = self.clock.ticks_add(self._t_sec, self._sub * 1000 // self.rate)
        while True:
            ev = c.finish(t)
            if not ev:
                break
            self._event(ev)

    def nap_ms(self):
        # a FIFO batch's worth, or less while a feedback pattern plays (its next step is due)
        due = self.fb.due_ms()
        if due is not None and due < self.period_ms:
            return max(1, due)
        return self.period_ms

    def host_may_listen(self):
        """True while a host may be talking to the band: USB power on the usb_sense pin, or
        (no such pin) within HOST_LISTEN_MS of the start or the last button press."""
        if self.usb is not None:
            return self.usb.value() == 1
        clock = self.clock
        return clock.ticks_diff(clock.ticks_ms(), self._listen_from) < HOST_LISTEN_MS

    def nap(self, ms):
        # Between batches. Light sleep (about 0.8 mA instead of tens) stops the UART, so a
        # Ctrl-C from the host arriving then is lost: only on battery (see HOST_LISTEN_MS).
        m = self.machine
        if m is not None and not self.host_may_listen():
            m.lightsleep(ms)
        else:
            self.clock.sleep_ms(ms)

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
                self.nap(self.nap_ms())
        finally:
            self.log.flush()

    def sleep(self):
        self.drain()
        self.log.close()
        self.slept = True
        if self._imu_int() is not None:
            self.imu.wake_on_motion()  # the IMU's low-power mode that raises INT on motion
        else:
            self.imu.close()  # no pin to wake on: the IMU asleep (a few uA)
        if self.display is not None:
            self.display.off()
        if self.machine is not None:
            self._arm_wake()
            self.machine.deepsleep()

    def _imu_int(self):
        return self.board.imu.get("int") if self.board is not None else None

    def _arm_light_wake(self):
        # light sleep ends early when the mode button goes down or USB power comes (RTC pins
        # only: not every chip); the same sources end deep sleep, see _arm_wake
        try:
            import esp32  # type: ignore
        except ImportError:
            return
        try:
            if self.button is not None:
                esp32.wake_on_ext0(self.button, esp32.WAKEUP_ALL_LOW)
            if self.usb is not None:
                esp32.wake_on_ext1((self.usb,), esp32.WAKEUP_ANY_HIGH)
        except (ValueError, OSError):
            pass

    def _arm_wake(self):
        # Deep sleep ends with the mode button (an RTC pin on the ESP32; not on every chip) or
        # the IMU's wake-on-motion interrupt where the board file names its pin.
        try:
            import esp32  # type: ignore
        except ImportError:  # not an ESP32 (the fakes): nothing to arm
            return
        m = self.machine
        if m is None:
            return
        d = self.board.data if self.board is not None else {}
        pin = d.get("buttons", {}).get("mode")
        if pin is not None:
            try:
                esp32.wake_on_ext0(m.Pin(pin, m.Pin.IN), esp32.WAKEUP_ALL_LOW)
            except (ValueError, OSError):
                pass  # not an RTC pin: only reset/power wakes this board
        # ext1, any high: the IMU's interrupt (push-pull, active high as the drivers set it up)
        # and USB power coming (plugging the band in wakes it)
        high = [p for p in (d.get("imu", {}).get("int"), d.get("usb_sense")) if p is not None]
        if high:
            try:
                esp32.wake_on_ext1(tuple(m.Pin(p, m.Pin.IN) for p in high), esp32.WAKEUP_ANY_HIGH)
            except (ValueError, OSError):
                pass
        # pads float in deep sleep unless held: keep the Plus2's power on, and the backlight,
        # buzzer, LED and the RGB LED's power off (a floating backlight pin can light it; a
        # neopixel left powered draws ~1 mA lit or not)
        held = []
        if "hold_pin" in d:
            held.append((d["hold_pin"], 1))
        if "backlight" in d.get("lcd", {}):
            held.append((d["lcd"]["backlight"], 0))
        if "buzzer" in d:
            held.append((d["buzzer"]["pin"], 0))
        if "led" in d:
            held.append((d["led"]["pin"], 1 if d["led"].get("active_low") else 0))
        if "power" in d.get("neopixel", {}):
            held.append((d["neopixel"]["power"], 0))
        for pin, level in held:
            m.Pin(pin, m.Pin.OUT, value=level, hold=True)  # type: ignore
        deep_hold = getattr(esp32, "gpio_deep_sleep_hold", None)
        if held and deep_hold is not None:  # digital pads too (ESP32), not only RTC ones
            deep_hold(True)


def main():
    import time

    import board
    import display
    import feedback
    import machine  # type: ignore
    import settings

    cfg = settings.load()
    b = board.load()  # the board board.which() names, as boot.py and the host see it
    hold = b.data.get("hold_pin")
    if hold is not None:  # M5StickC Plus2: keeps the board powered on battery
        machine.Pin(hold, machine.Pin.OUT, value=1)
    mode_pin = b.data.get("buttons", {}).get("mode")
    if (mode_pin is not None
            and machine.Pin(mode_pin, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0):
        print("repband: safe mode (button held at power-on): the app is not started")
        return None
    try:
        machine.freq(CPU_HZ)
    except (ValueError, AttributeError):
        pass
    log = replog.Log("/log")
    log.boot(machine.reset_cause())
    fb = feedback.Feedback(b, time, machine, cfg["feedback"])
    lcd = display.open(b, machine, time)  # before the IMU: its start-up waits ~130 ms
    imu = b.open_imu(gyro=USES_GYRO)
    app = App(imu, log, fb, cfg, time, machine, b, lcd)
    print("repband: counting (%s, goal %d); Ctrl-C stops" % (cfg["mode"], cfg["goal"]))
    try:
        app.run()
    except KeyboardInterrupt:
        app.drain()
        print("repband: stopped, log flushed (%d reps)" % app.reps)
    finally:
        log.close()
    return app
