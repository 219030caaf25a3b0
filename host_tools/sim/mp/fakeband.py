# The band's app on the fakes, inside MicroPython (or CPython): a board file, the IMU's register
# model (or recorded FIFO bytes), the fake machine and a virtual clock, put together the way
# app.main() does on a band. Used by the app's MicroPython tests and `repband bench --power`.
import app
import board
import display
import feedback
import machine  # the fake (host_tools/sim/fakes/machine.py), installed under this name
import mpu6886
import replog
import vclock


class ReplayI2C:
    """FIFO bytes recorded beforehand, served one batch at a time: the bus then costs (and
    allocates) nothing the band would not, so only the firmware is measured. Counts the bytes a
    real bus would carry (address, register, data)."""

    def __init__(self, fifo, batch, who=0x19, frame=14):
        self.who = who  # WHO_AM_I: 0x19 MPU6886, 0x68 MPU6050
        self.mv = memoryview(fifo)
        self.i = 0
        self.batch_bytes = batch * frame  # frame: bytes a sample (14 with the gyro, 8 without)
        self.wire_bytes = 0
        # one view per batch, made now: a slice per read would be the fake's allocation
        bb = self.batch_bytes
        self.chunks = [self.mv[i:i + bb] for i in range(0, len(fifo) - bb + 1, bb)]

    def readfrom_mem_into(self, addr, reg, buf):
        n = len(buf)
        self.wire_bytes += 3 + n  # addr+W, reg, addr+R (repeated start), then the data
        if reg == 0x74:  # FIFO_R_W
            if n == self.batch_bytes and self.i % n == 0:
                buf[:] = self.chunks[self.i // n]
            else:
                buf[:] = self.mv[self.i:self.i + n]
            self.i += n
        elif reg == 0x72:  # FIFO_COUNT: a full batch while the recording lasts
            k = self.batch_bytes if self.i + self.batch_bytes <= len(self.mv) else 0
            buf[0] = k >> 8
            buf[1] = k & 0xFF
        elif reg == 0x75:
            buf[0] = self.who
        else:
            buf[0] = 0

    def writeto_mem(self, addr, reg, data):
        self.wire_bytes += 2 + len(data)

    def done(self):
        return self.i + self.batch_bytes > len(self.mv)


def build(board_name, log_root, bus, rate_hz, cfg=None, batch=None, boards_dir="/lib",
          clock=None):
    """An App as app.main() makes it, on `bus` (FakeI2C with a register model, or ReplayI2C)."""
    b = board.load(board_name, boards_dir)
    clock = clock or vclock.VirtualClock(0)
    machine.bus = bus
    machine.clock = clock
    imu = mpu6886.MPU6886(bus, b.imu["address"], b.imu["part"], rate_hz=rate_hz, batch=batch,
                          to_band=b.to_band, sleep_ms=clock.sleep_ms, gyro=app.USES_GYRO)
    log = replog.Log(log_root)
    log.boot(machine.reset_cause())
    c = {"goal": 100, "mode": "auto", "feedback": True}
    c.update(cfg or {})
    fb = feedback.Feedback(b, clock, machine, c["feedback"])
    lcd = display.open(b, machine, clock)
    return app.App(imu, log, fb, c, clock, machine, b, lcd), clock
