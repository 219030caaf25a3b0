# Band side of `repband record`: stream raw IMU samples to the host over the USB REPL.
# Run from the raw REPL (`import recorder; recorder.run(seconds)`); Ctrl-C ends it cleanly.
#
# Protocol (host_tools/band/record.py reads it), one line each:
#   RB1 start rate=<hz> placement=<p> board=<name> gyro=<0|1>
#   D<base64 of N samples, each struct "<ihhhhhh": t_ms, ax, ay, az (mg), gx, gy, gz (0.1 deg/s)>
#   RB1 end samples=<n> dropped=<n>
# Samples are in the band frame (x toward the knee, z out of the skin), in the counter's units, so
# the host sees exactly what the counter on the band sees. Times come from the sample index at the
# sensor's rate (the sensor's own clock), plus any samples the FIFO dropped.
import struct
import sys

try:
    from micropython import const  # type: ignore
except ImportError:  # CPython

    def const(x):
        return x


import binascii

_SAMPLE = "<ihhhhhh"
_SIZE = const(16)
_BATCH = const(32)  # samples per line: ~0.3 s at 100 Hz, ~700 characters


def _i16(v):
    # Clamp into int16 so a saturated or glitching sensor cannot break the packing.
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return v


class Streamer:
    """Packs samples into a preallocated buffer and writes one base64 line per full batch."""

    def __init__(self, write=None, batch=_BATCH):
        self.buf = bytearray(_SIZE * batch)
        self.mv = memoryview(self.buf)
        self.batch = batch
        self.n = 0
        self.total = 0
        self.write = write or sys.stdout.write

    def add(self, t_ms, ax, ay, az, gx, gy, gz):
        struct.pack_into(
            _SAMPLE,
            self.buf,
            self.n * _SIZE,
            t_ms,
            _i16(ax),
            _i16(ay),
            _i16(az),
            _i16(gx),
            _i16(gy),
            _i16(gz),
        )
        self.n += 1
        if self.n == self.batch:
            self.flush()

    def flush(self):
        if self.n:
            data = self.mv[: self.n * _SIZE]
            self.write("D" + binascii.b2a_base64(data).decode())  # pyright: ignore[reportArgumentType]
            self.total += self.n
            self.n = 0


def header(rate_hz, placement, board_name, gyro):
    g = 1 if gyro else 0
    return f"RB1 start rate={rate_hz} placement={placement} board={board_name} gyro={g}\n"


def footer(samples, dropped):
    return f"RB1 end samples={samples} dropped={dropped}\n"


def samples_for(seconds, rate_hz):
    """How many samples `seconds` (int or float; 0: no limit, -1) holds at rate_hz, the same
    in single and double precision: a float is taken to the millisecond first (int(2.3 * 50)
    is 114 in double precision and 115 in single)."""
    if not seconds or seconds < 0:
        return -1
    if isinstance(seconds, int):
        return seconds * rate_hz
    return round(seconds * 1000) * rate_hz // 1000


def run(seconds=0, source=None):
    """Stream until `seconds` of samples (0: until Ctrl-C). `source`: see imu_source()."""
    src = source if source is not None else imu_source()
    out = Streamer()
    sys.stdout.write(header(src.rate_hz, src.placement, src.board_name, src.gyro))
    limit = samples_for(seconds, src.rate_hz)
    index = 0
    dropped = 0
    try:
        while limit < 0 or index < limit:
            n, lost = src.read()
            if lost > 0:
                dropped += lost
                index += lost  # keep times on the sensor's clock across the gap
            b = src.samples  # flat: ax, ay, az, gx, gy, gz per sample (the drivers' layout)
            for i in range(n):
                if limit >= 0 and index >= limit:
                    break
                j = 6 * i
                out.add((index * 1000) // src.rate_hz, b[j], b[j + 1], b[j + 2], b[j + 3],
                        b[j + 4], b[j + 5])
                index += 1
    except KeyboardInterrupt:
        pass
    out.flush()
    sys.stdout.write(footer(out.total, dropped))
    src.close()


RATE_HZ = const(100)  # recordings are made at 100 Hz (the counter runs at any 20-200 Hz)


class imu_source:
    """The band's IMU through the board file and its driver, as batches of band-frame samples.

    read() sleeps while the FIFO fills, then returns (n, lost): samples[6*i .. 6*i+5] hold
    ax, ay, az, gx, gy, gz of sample i in mg and 0.1 deg/s; `lost` > 0 counts samples the FIFO
    overflowed on (< 0: an I2C failure, no count known).
    """

    def __init__(self):
        import board
        import settings

        self.b = board.load()
        self.imu = self.b.open_imu(RATE_HZ, gyro=True)  # recordings keep the gyro
        self.rate_hz = self.imu.sample_rate_hz
        self.gyro = self.imu.has_gyro
        self.placement = settings.placement(settings.load().get("side"))
        self.board_name = self.b.name
        self.samples = self.imu.batch
        # wake when the FIFO is about half full: no overflow, few wake-ups
        self.period_ms = self.imu.max_batch * 500 // self.rate_hz

    def read(self):
        import time

        time.sleep_ms(self.period_ms)  # type: ignore
        n = self.imu.read_batch()
        return n, self.imu.lost

    def close(self):
        self.imu.close()
