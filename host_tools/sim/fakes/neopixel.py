# A stand-in for MicroPython's `neopixel` module (WS2812 "NeoPixel" RGB LEDs on one data pin):
# its NeoPixel class, pixels set and read as (r, g, b) tuples and kept in `buf` as the GRB bytes
# the LEDs take; write() records what the LEDs then show in the fake machine's events, as
# ("rgb", (pin, ((r, g, b), ...))). MicroPython-compatible (the virtual band installs it as
# `neopixel`).
try:
    from host_tools.sim.fakes import machine
except ImportError:  # MicroPython (the virtual band): the same fake is /lib/machine.py
    machine = __import__("machine")  # (not the MicroPython stubs' machine, for pyright)


class NeoPixel:
    ORDER = (1, 0, 2, 3)  # where r, g, b (and w) go in a pixel's bytes: G R B (W) on the wire

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp  # 3: RGB, 4: RGBW
        self.buf = bytearray(n * bpp)
        self.timing = timing  # 1: 800 kHz, 0: 400 kHz
        pin.init(pin.OUT)  # as the real module does: pin must be a machine.Pin
        self.writes = 0

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        o = i * self.bpp
        for k in range(self.bpp):
            self.buf[o + self.ORDER[k]] = v[k]  # a value over 255 raises, as a bytearray does

    def __getitem__(self, i):
        o = i * self.bpp
        return tuple(self.buf[o + self.ORDER[k]] for k in range(self.bpp))

    def fill(self, v):
        for i in range(self.n):
            self[i] = v

    def write(self):
        self.writes += 1
        if machine.record:
            machine.events.append(("rgb", (self.pin.pin, tuple(self[i] for i in range(self.n)))))
