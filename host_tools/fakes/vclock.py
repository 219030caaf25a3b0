# A virtual clock with MicroPython's time API: time passes only when the firmware sleeps (or
# when the host moves it), so a 30-minute trace runs in seconds. MicroPython-compatible.
_PERIOD = 1 << 30  # ticks wrap like on the band


class VirtualClock:
    def __init__(self, ms=0, on_sleep=None):
        self.ms = ms
        self.epoch_s = 0
        self.on_sleep = on_sleep  # called after each sleep (the virtual band paces and polls here)

    def ticks_ms(self):
        return self.ms % _PERIOD

    def ticks_us(self):
        return (self.ms * 1000) % _PERIOD

    def ticks_add(self, t, delta):
        return (t + delta) % _PERIOD

    def ticks_diff(self, a, b):
        return ((a - b + _PERIOD // 2) % _PERIOD) - _PERIOD // 2

    def sleep_ms(self, ms):
        self.ms += ms
        if self.on_sleep is not None:
            self.on_sleep(ms)

    def sleep_us(self, us):
        self.sleep_ms(us // 1000)

    def sleep(self, s):
        self.sleep_ms(int(s * 1000))

    def time(self):
        return self.epoch_s + self.ms // 1000

    def time_ns(self):
        return (self.epoch_s * 1000 + self.ms) * 1000000

    def localtime(self, secs=None):
        return (2026, 1, 1, 0, 0, 0, 3, 1)
