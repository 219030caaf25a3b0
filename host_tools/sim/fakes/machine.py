# A stand-in for MicroPython's `machine` module on a board with no hardware: pins, PWM, SPI, a
# watchdog, RTC and sleep that record what the firmware did; I2C goes to register models.
# MicroPython-compatible (the virtual band installs it as `machine`).
bus = None  # the I2C bus with the IMU's register model: set by whoever runs the firmware
clock = None  # a virtual clock that lightsleep() moves on, if set (else light sleep takes no time)

events = []  # (what, detail) in order, for tests and the host
record = True  # False: pins, PWM, SPI and light sleep record nothing (so measuring the firmware's
# heap use does not count the fake's own bookkeeping)


class Pin:
    IN = 1
    OUT = 2
    PULL_UP = 1
    IRQ_FALLING = 2
    IRQ_RISING = 1
    _levels = {}
    _irqs = {}

    def __init__(self, pin, mode=IN, pull=None, value=None, hold=None):
        self.pin = pin
        if value is not None:
            self.value(value)
        if hold is not None:
            events.append(("hold", (pin, hold)))
        Pin._levels.setdefault(pin, 1 if pull == Pin.PULL_UP else 0)

    def init(self, mode=-1, pull=-1, value=None, hold=None):
        # re-configure, as machine.Pin.init (the real neopixel module calls pin.init(pin.OUT))
        if value is not None:
            self.value(value)
        if hold is not None:
            events.append(("hold", (self.pin, hold)))

    def __call__(self, v=None):
        return self.value(v)

    def value(self, v=None):
        if v is None:
            return Pin._levels.get(self.pin, 0)
        Pin._levels[self.pin] = v
        if record:
            events.append(("pin", (self.pin, v)))
        return None

    def irq(self, handler=None, trigger=IRQ_FALLING):
        Pin._irqs[self.pin] = handler

    @staticmethod
    def press(pin):
        """The host presses a button: the level drops and the IRQ handler runs."""
        Pin._levels[pin] = 0
        h = Pin._irqs.get(pin)
        if h is not None:
            h(Pin(pin))
        Pin._levels[pin] = 1


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin
        self._duty = duty_u16

    def duty_u16(self, v=None):
        if v is None:
            return self._duty
        if record and bool(v) != bool(self._duty):
            events.append(("buzz", 1 if v else 0))
        self._duty = v
        return None

    def freq(self, f=None):
        return 2700

    def deinit(self):
        pass


class SPI:
    """Records what is written, in `events` beside the pin changes (so a test can tell commands
    from data by the DC pin): ("spi", bytes) for short writes, ("spi", (length, crc32)) else."""

    def __init__(self, id=1, baudrate=1000000, polarity=0, phase=0, sck=None, mosi=None,
                 miso=None):
        self.id = id
        self.baudrate = baudrate
        self.written = 0  # bytes
        events.append(("spi_init", (id, baudrate)))

    def write(self, buf):
        self.written += len(buf)
        if not record:
            return
        if len(buf) <= 16:
            events.append(("spi", bytes(buf)))
        else:
            import binascii

            events.append(("spi", (len(buf), binascii.crc32(buf) & 0xFFFFFFFF)))

    def deinit(self):
        pass


class ADC:
    """An ADC pin reads the voltage its host set in `levels_uv` (the virtual band: its battery
    through the board's divider), 0 elsewhere; calibrated microvolts, as read_uv on an ESP32."""

    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    levels_uv = {}

    def __init__(self, pin, atten=None):
        self.pin = pin.pin if isinstance(pin, Pin) else pin
        self._atten = atten

    def atten(self, a):
        self._atten = a

    def read_uv(self):
        return ADC.levels_uv.get(self.pin, 0)

    def read_u16(self):
        return min(65535, ADC.levels_uv.get(self.pin, 0) * 65535 // 3300000)


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        self.starved = 0  # feeds that came later than the timeout: the band would have reset
        self._last = clock.ms if clock is not None else 0
        events.append(("wdt", timeout))

    def feed(self):
        self.feeds += 1
        if clock is not None:
            if clock.ms - self._last > self.timeout:
                self.starved += 1
            self._last = clock.ms


class RTC:
    _dt = (2026, 1, 1, 3, 0, 0, 0, 0)

    def datetime(self, dt=None):
        if dt is None:
            return RTC._dt
        RTC._dt = tuple(dt)
        events.append(("rtc", RTC._dt))
        return None


class SleepEnded(Exception):
    """Deep sleep ends the run (the band would reboot on wake)."""


def deepsleep(ms=0):
    events.append(("deepsleep", ms))
    raise SleepEnded()


nap = None  # nap(ms) -> ms slept: who runs the firmware may model light sleep (the virtual
# band: the UART deaf meanwhile, an early wake when a wake pin rises); else the clock moves on


def lightsleep(ms=0):
    if record:
        events.append(("lightsleep", ms))
    if nap is not None:
        nap(ms)
    elif clock is not None:
        clock.ms += ms  # not clock.sleep_ms: the UART hears nothing meanwhile


def I2C(id=0, scl=None, sda=None, freq=400000):  # noqa: N802 (MicroPython's name)
    return bus


PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
_reset_cause = PWRON_RESET


def reset_cause():
    return _reset_cause


_uid = b"\x24\x0a\xc4\x12\x34\x56"  # whoever runs the firmware may set another


def unique_id():
    return _uid


_freq = [240000000]


def freq(f=None):
    if f is None:
        return _freq[0]
    _freq[0] = f
    events.append(("freq", f))
    return None


def reset():
    raise SleepEnded()
