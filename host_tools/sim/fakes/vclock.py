# A virtual clock with MicroPython's time API: time passes only when the firmware sleeps (or
# when the host moves it), so a 30-minute trace runs in seconds. MicroPython-compatible.
_PERIOD = 1 << 30  # ticks wrap like on the band
# 2**30 itself is one past MicroPython's small ints (31-bit on a 32-bit port): arithmetic with it
# would allocate a big int every call, which the band's C ticks functions never do
_HALF = 1 << 29
_MASK = (1 << 29) - 1 + (1 << 29)


class VirtualClock:
    def __init__(self, ms=0, on_sleep=None):
        self.ms = ms
        self.epoch_s = 0
        self.on_sleep = on_sleep  # called after each sleep (the virtual band paces and polls here)

    def ticks_ms(self):
        return self.ms & _MASK

    def ticks_us(self):
        return (self.ms * 1000) & _MASK

    # No intermediate leaves the small ints, so these allocate nothing, like the band's
    def ticks_add(self, t, delta):
        t = t - _HALF - _HALF + delta if delta >= 0 else t + delta
        return t + _HALF + _HALF if t < 0 else t

    def ticks_diff(self, a, b):
        d = a - b
        if d >= _HALF:
            return d - _HALF - _HALF
        if d < -_HALF:
            return d + _HALF + _HALF
        return d

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
