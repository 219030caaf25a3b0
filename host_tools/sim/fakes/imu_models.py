# Register-level models of the IMUs the band uses, from their datasheets, behind a fake I2C bus.
# MicroPython-compatible (the virtual band runs them next to the firmware).
#
# MPU6886 / MPU6050 (InvenSense register maps): WHO_AM_I 0x75 (0x19 / 0x68); PWR_MGMT_1 0x6B
# (bit7 reset, bit6 sleep, reset value 0x40: asleep); SMPLRT_DIV 0x19 and CONFIG 0x1A: output
# rate = 1 kHz / (1 + SMPLRT_DIV) with the DLPF on (DLPF_CFG 1..6), else gyro 8 kHz;
# CONFIG bit6 FIFO_MODE (MPU6886: 1 = drop new data when full, 0 = overwrite the oldest; the
# MPU6050 always overwrites); ACCEL_CONFIG 0x1C / GYRO_CONFIG 0x1B full scale in bits 4:3;
# FIFO_EN 0x23; USER_CTRL 0x6A (bit6 FIFO_EN, bit2 FIFO_RST, self-clearing); INT_STATUS 0x3A
# (bit4 FIFO_OFLOW_INT, cleared on read); FIFO_COUNT 0x72/0x73 big endian; FIFO_R_W 0x74 (a burst
# read pops bytes); data registers 0x3B..0x48 big-endian int16 in register order (accel, temp,
# gyro); a FIFO of 1024 bytes. Accel 32768/fs LSB per g; gyro 32768/fs LSB per deg/s.
# What a FIFO frame holds follows FIFO_EN: the MPU6886 has GYRO_FIFO_EN (bit4) and
# ACCEL_FIFO_EN (bit3) and writes temperature with either (accel+temp 8 bytes, temp+gyro 8,
# all 14); the MPU6050 has TEMP (7), XG (6), YG (5), ZG (4), ACCEL (3) and writes only those,
# in register order. PWR_MGMT_2 bits 2:0 put the gyro axes in standby (their registers hold
# still; the MPU6886 still writes them to the FIFO if enabled), bits 5:3 the accel axes.
try:
    import errno
    _EIO = errno.EIO
    _ENODEV = errno.ENODEV
except ImportError:  # pragma: no cover
    _EIO = 5
    _ENODEV = 19

_WHO = {"mpu6886": 0x19, "mpu6050": 0x68}
_FIFO_SIZE = 1024


class SampleSource:
    """Band-frame samples over time: lists of t_ms and (ax, ay, az, gx, gy, gz) in mg/0.1 dps.
    After the last sample it keeps returning the last one (the band lies still)."""

    def __init__(self, t_ms, cols):
        self.t = t_ms
        self.cols = cols
        self.i = 0

    def at(self, t_ms, out):
        t = self.t
        n = len(t)
        while self.i + 1 < n and t[self.i + 1] <= t_ms:
            self.i += 1
        i = self.i
        for k in range(6):
            out[k] = self.cols[k][i]
        return out

    def done(self, t_ms):
        return t_ms >= self.t[-1]


def _int16(v):
    # a reading as the part's output register holds it: saturated, then two's complement
    if v > 32767:
        v = 32767
    elif v < -32768:
        v = -32768
    return v & 0xFFFF


class RegisterModel:
    """What the parts share: 128 registers behind a bus that can be made to fail, samples taken
    from `source` at the output rate the registers set (catching up with the clock at each bus
    access), turned from the band frame into the part's own axes, and a FIFO of bytes that loses
    its oldest data when full and is read in bursts from one register. A part class sets the
    constants and defines what its registers make different: `power_on` (after the shared
    reset), `_odr_hz`, `_sample`, `_overflow`, `_reg` and `_write_reg`."""

    PART = ""
    FIFO_DATA = 0  # the register a burst read pops FIFO bytes from
    FIFO_WORD = 1  # a burst pops whole words of this many bytes (zeros once the FIFO is empty)
    FIFO_BYTES = 0  # the FIFO's size

    def __init__(self, clock, source, part=None, to_band=None):
        self.clock = clock  # .ticks_ms()
        self.source = source
        self.part = part or self.PART
        # to_band: rows of the board's IMU->band matrix; the model needs band->IMU (transpose)
        self.to_band = to_band or [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        self.fail_next = 0  # transactions to NACK (I2C error injection)
        self.transactions = 0
        self._s = [0] * 6
        self._a = [0, 0, 0]  # the sample in the part's axes: accel (mg), gyro (0.1 dps)
        self._g = [0, 0, 0]
        self.power_on()

    def power_on(self):
        self.regs = bytearray(128)
        self.fifo = bytearray()
        self._last_ms = self.clock.ticks_ms()
        self._phase_us = 0

    # -- timing ----------------------------------------------------------------------------
    def _odr_hz(self):
        """The output rate the registers set, None while the part makes no samples."""
        raise NotImplementedError

    def _advance(self):
        now = self.clock.ticks_ms()
        elapsed = now - self._last_ms
        if elapsed <= 0:
            return
        self._last_ms = now
        odr = self._odr_hz()
        if odr is None:
            return
        period_us = int(1000000 / odr)
        self._phase_us += elapsed * 1000
        while self._phase_us >= period_us:
            self._phase_us -= period_us
            self._sample(now - self._phase_us // 1000)

    def _sample(self, t_ms):
        raise NotImplementedError

    def _imu_axes(self, t_ms):
        """The source's sample at t_ms in the part's axes, into self._a and self._g."""
        s = self.source.at(t_ms, self._s)
        m = self.to_band
        a = self._a
        g = self._g
        for axis in range(3):
            # IMU axis = sum over band axes of to_band[band][imu] * band value (transpose)
            a[axis] = 0
            g[axis] = 0
            for b in range(3):
                a[axis] += m[b][axis] * s[b]
                g[axis] += m[b][axis] * s[3 + b]

    # -- FIFO ------------------------------------------------------------------------------
    def _push(self, data):
        if len(self.fifo) + len(data) > self.FIFO_BYTES:
            if self._overflow():
                return  # the part drops the new data
            self.fifo = self.fifo[len(data):]  # the oldest is overwritten
        self.fifo.extend(data)

    def _overflow(self):
        """Flag an overflow; True: the new data is dropped rather than the oldest."""
        raise NotImplementedError

    def _pop_fifo(self, n):
        out = bytearray(n)
        k = (n + self.FIFO_WORD - 1) // self.FIFO_WORD * self.FIFO_WORD
        got = self.fifo[:k]
        self.fifo = self.fifo[k:]
        k = min(n, len(got))
        out[:k] = got[:k]
        return out

    # -- bus -------------------------------------------------------------------------------
    def _check_bus(self):
        self.transactions += 1
        if self.fail_next:
            self.fail_next -= 1
            raise OSError(_EIO)

    def _reg(self, r):
        """What reading register r gives (and does: read-to-clear)."""
        return self.regs[r]

    def _write_reg(self, r, v):
        self.regs[r] = v

    def read(self, reg, n):
        self._check_bus()
        self._advance()
        if reg == self.FIFO_DATA:
            return self._pop_fifo(n)
        out = bytearray(n)
        for i in range(n):
            out[i] = self._reg((reg + i) & 0x7F)
        return out

    def write(self, reg, data):
        self._check_bus()
        self._advance()
        for i in range(len(data)):
            self._write_reg((reg + i) & 0x7F, data[i])
        self._last_ms = self.clock.ticks_ms()


class MPU6886Model(RegisterModel):
    PART = "mpu6886"
    FIFO_DATA = 0x74  # FIFO_R_W
    FIFO_BYTES = _FIFO_SIZE

    def power_on(self):
        super().power_on()
        self.regs[0x75] = _WHO[self.part]
        self.regs[0x6B] = 0x40

    # -- timing ----------------------------------------------------------------------------
    def rate_hz(self):
        dlpf = self.regs[0x1A] & 0x07
        base = 1000 if 0 < dlpf < 7 else 8000
        return base / (1 + self.regs[0x19])

    def _odr_hz(self):
        if self.regs[0x6B] & 0x40:  # asleep: no samples
            return None
        return self.rate_hz()

    def _sample(self, t_ms):
        self._imu_axes(t_ms)
        frame = bytearray(14)
        afs = 2 << ((self.regs[0x1C] >> 3) & 3)
        gfs = 250 << ((self.regs[0x1B] >> 3) & 3)
        for axis in range(3):
            self._put(frame, 2 * axis, self._a[axis] * 32768 // (afs * 1000))
            self._put(frame, 8 + 2 * axis, self._g[axis] * 32768 // (gfs * 10))
        self._put(frame, 6, 0)  # temperature: not modelled
        stby = self.regs[0x6C]
        for axis in range(3):  # an axis in standby does not update its output registers
            if stby & (0x20 >> axis):
                frame[2 * axis:2 * axis + 2] = self.regs[0x3B + 2 * axis:0x3D + 2 * axis]
            if stby & (0x04 >> axis):
                frame[8 + 2 * axis:10 + 2 * axis] = self.regs[0x43 + 2 * axis:0x45 + 2 * axis]
        self.regs[0x3B:0x49] = frame
        if self.regs[0x6A] & 0x40:
            data = self._fifo_frame(frame)
            if data:
                self._push(data)

    def _overflow(self):
        self.regs[0x3A] |= 0x10
        return self.part == "mpu6886" and bool(self.regs[0x1A] & 0x40)  # FIFO_MODE=1: drop new

    def _fifo_frame(self, frame):
        en = self.regs[0x23]
        if self.part == "mpu6886":
            acc, gyr = en & 0x08, en & 0x10
            if acc and gyr:
                return frame
            if acc:
                return frame[0:8]
            if gyr:
                return frame[6:14]
            return b""
        out = bytearray()
        if en & 0x08:
            out.extend(frame[0:6])
        if en & 0x80:
            out.extend(frame[6:8])
        for axis in range(3):
            if en & (0x40 >> axis):
                out.extend(frame[8 + 2 * axis:10 + 2 * axis])
        return out

    @staticmethod
    def _put(buf, i, v):  # big endian
        v = _int16(v)
        buf[i] = v >> 8
        buf[i + 1] = v & 0xFF

    # -- registers -------------------------------------------------------------------------
    def _reg(self, r):
        if r == 0x72:
            return len(self.fifo) >> 8
        if r == 0x73:
            return len(self.fifo) & 0xFF
        v = self.regs[r]
        if r == 0x3A:
            self.regs[0x3A] = 0  # read to clear
        return v

    def _write_reg(self, r, v):
        if r == 0x6B and v & 0x80:
            self.power_on()  # device reset: registers to reset values, asleep
            return
        if r == 0x6A and v & 0x04:
            self.fifo = bytearray()
            v &= ~0x04
        if r in (0x75, 0x72, 0x73):
            return  # read-only
        self.regs[r] = v


class FakeI2C:
    """machine.I2C's memory interface over models attached by address. Fault injection:
    `fail_calls` holds call numbers (0 = the first call from now on) that fail with EIO before
    reaching the device; `error_pct` fails that share of all calls (a fixed pseudo-random
    sequence from `seed`, the same in every runtime). `calls` counts them."""

    def __init__(self, devices, error_pct=0, seed=1):
        self.devices = devices
        self.calls = 0
        self.fail_calls = ()
        self.error_pct = error_pct
        self.failed = 0
        self._rng = seed & 0x7FFFFFFF or 1

    def fail_at(self, *numbers):
        """Fail the calls `numbers` counted from now (0: the next one)."""
        self.fail_calls = tuple(self.calls + k for k in numbers)

    def _fault(self):
        k = self.calls
        self.calls += 1
        bad = k in self.fail_calls
        if self.error_pct:
            # Park-Miller, small ints only (48271 * x < 2**47: CPython-exact, and on
            # MicroPython it is a big-int product but only in the fake)
            self._rng = self._rng * 48271 % 2147483647
            bad = bad or self._rng % 100 < self.error_pct
        if bad:
            self.failed += 1
            raise OSError(_EIO)

    def _dev(self, addr):
        self._fault()
        d = self.devices.get(addr)
        if d is None:
            raise OSError(_ENODEV)
        return d

    def scan(self):
        return sorted(self.devices)

    def readfrom_mem_into(self, addr, reg, buf):
        data = self._dev(addr).read(reg, len(buf))
        buf[:] = data  # type: ignore

    def readfrom_mem(self, addr, reg, n):
        return bytes(self._dev(addr).read(reg, n))

    def writeto_mem(self, addr, reg, data):
        self._dev(addr).write(reg, data)


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, ms=0):
        self.ms = ms

    def ticks_ms(self):
        return self.ms

    def sleep_ms(self, ms):
        self.ms += ms


# LSM6DSOX (ST datasheet DS12814): WHO_AM_I 0x0F = 0x6C (LSM6DS3: 0x69); CTRL3_C 0x12 bit0
# SW_RESET; CTRL1_XL 0x10 / CTRL2_G 0x11: ODR in bits 7:4 (1 = 12.5 Hz, 2 = 26 ... 6 = 416 Hz),
# full scale in bits 3:2 (accel 0:+-2 1:+-16 2:+-4 3:+-8 g; gyro 0:250 1:500 2:1000 3:2000 dps);
# sensitivities 0.061/0.122/0.244/0.488 mg and 8.75/17.5/35/70 mdps per LSB; FIFO_CTRL3 0x09
# batch rates; FIFO_CTRL4 0x0A mode (0 bypass: empty, 6 continuous: overwrite the oldest);
# FIFO_STATUS1/2 0x3A/0x3B: unread words in 10 bits, bit6 of STATUS2 = overrun (cleared on read);
# FIFO_DATA_OUT_TAG 0x78 + 6 data bytes little endian, a burst rolls back to 0x78 every word;
# tags: 0x01 gyro, 0x02 accel (bits 7:3). FIFO depth modelled as 512 words (assumption).
_LSM_ODR = {1: 12.5, 2: 26.0, 3: 52.0, 4: 104.0, 5: 208.0, 6: 416.0}
_LSM_XL_FS = (2, 16, 4, 8)
_LSM_G_FS = (250, 500, 1000, 2000)
_LSM_WORDS = 512


class LSM6DSOXModel(RegisterModel):
    PART = "lsm6dsox"
    FIFO_DATA = 0x78  # FIFO_DATA_OUT_TAG
    FIFO_WORD = 7  # a burst rolls back to the tag every word
    FIFO_BYTES = _LSM_WORDS * 7

    def power_on(self):
        super().power_on()
        self.regs[0x0F] = 0x6C if self.part == "lsm6dsox" else 0x69
        self.regs[0x12] = 0x04  # IF_INC
        self.ovr = False

    def _odr_hz(self):
        return _LSM_ODR.get(self.regs[0x10] >> 4)  # None: accelerometer powered down

    def _word(self, tag, values, scale_num, scale_den):
        w = bytearray(7)
        w[0] = tag << 3
        for k in range(3):
            v = _int16(values[k] * scale_num // scale_den)
            w[1 + 2 * k] = v & 0xFF
            w[2 + 2 * k] = v >> 8
        return w

    def _sample(self, t_ms):
        self._imu_axes(t_ms)
        xl_fs = _LSM_XL_FS[(self.regs[0x10] >> 2) & 3]
        g_fs = _LSM_G_FS[(self.regs[0x11] >> 2) & 3]
        # LSB = mg / (0.061 * fs/2) ; dps: LSB = dds * 100 / (8.75 * fs/250 * 10)
        accel = self._word(0x02, self._a, 1000 * 2, 61 * xl_fs)
        gyro = self._word(0x01, self._g, 10000 * 250, 875 * g_fs)
        self.regs[0x28:0x2E] = accel[1:]
        if self.regs[0x11] >> 4:  # a powered-down gyro's output registers hold still
            self.regs[0x22:0x28] = gyro[1:]
        if self.regs[0x0A] & 0x07 == 6:
            # FIFO_CTRL3: BDR_GY (7:4) and BDR_XL (3:0), 0 = not batched; a sensor powered
            # down (ODR 0 in CTRL2_G / CTRL1_XL) makes no words either. Modelled: a batched
            # sensor at its own output rate (the BDR value itself is not modelled).
            bdr = self.regs[0x09]
            if bdr >> 4 and self.regs[0x11] >> 4:
                self._push(gyro)
            if bdr & 0x0F:
                self._push(accel)

    def _overflow(self):
        self.ovr = True
        return False  # continuous mode: the oldest word goes

    def _reg(self, r):
        words = len(self.fifo) // 7
        if r == 0x3A:
            return words & 0xFF
        if r == 0x3B:
            v = ((words >> 8) & 0x03) | (0x40 if self.ovr else 0)
            self.ovr = False
            return v
        return self.regs[r]

    def _write_reg(self, r, v):
        if r == 0x12 and v & 0x01:
            self.power_on()
            return
        if r == 0x0A and v & 0x07 == 0:
            self.fifo = bytearray()
        if r == 0x0F:
            return
        self.regs[r] = v


# The register model each firmware driver class (firmware/imu.py DRIVERS) talks to: which part a
# board file names is looked up there, never guessed from its name here.
MODELS = {"MPU6886": MPU6886Model, "LSM6DSOX": LSM6DSOXModel}
