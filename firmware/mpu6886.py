# Driver for the InvenSense MPU6886 and MPU6050 (M5StickC Plus2, AtomS3, GY-521 breakouts).
# Reads the FIFO in batches (one burst per batch, no per-sample register polling) into a
# preallocated buffer, converting to the counter's units (mg, 0.1 deg/s) in the band frame.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython (driver tests)
    def const(x):
        return x

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)  # MPU6886 only
_MOT_THR = const(0x1F)  # MPU6050 motion threshold (2 mg/LSB at +-2..16 g? 32 mg/LSB)
_WOM_THR_X = const(0x20)  # MPU6886 wake-on-motion thresholds (4 mg/LSB), X/Y/Z
_FIFO_EN = const(0x23)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_ACCEL_XOUT_H = const(0x3B)
_ACCEL_INTEL_CTRL = const(0x69)  # MPU6886
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_PWR_MGMT_2 = const(0x6C)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

_FRAME_6AXIS = const(14)  # accel 6 + temperature 2 + gyro 6, in register order, big endian
_FIFO_BYTES = const(1024)
_OFLOW = const(0x10)  # INT_STATUS.FIFO_OFLOW_INT
# FIFO_EN: the MPU6886 has two bits, GYRO (4: temperature + gyro) and ACCEL (3: accel +
# temperature), and puts temperature in a frame whenever either is on (14 or 8 bytes); the
# MPU6050 has one bit per source (7 TEMP, 6..4 XG..ZG, 3 ACCEL) and writes only those (6 bytes
# accel only)
_FIFO_EN_6AXIS = {"mpu6886": 0x18, "mpu6050": 0xF8}
_FIFO_EN_ACCEL = const(0x08)
_FRAME_ACCEL = {"mpu6886": 8, "mpu6050": 6}
_GYRO_STANDBY = const(0x07)  # PWR_MGMT_2 STBY_XG | STBY_YG | STBY_ZG

PARTS = {0x19: "mpu6886", 0x68: "mpu6050"}
ACCEL_FS_G = (2, 4, 8, 16)
GYRO_FS_DPS = (250, 500, 1000, 2000)


class IMUError(Exception):
    pass


def _axes(to_band):
    """(byte offsets of the IMU axes each band axis reads, then their signs), from to_band
    (a signed permutation, see board.Board.to_band; None: the IMU frame is the band's)."""
    o = [1, 2, 3]
    if to_band is not None:
        to_band([1, 2, 3], o)
    return tuple([2 * (abs(k) - 1) for k in o] + [1 if k > 0 else -1 for k in o])


class MPU6886:
    """One part on an I2C bus. `to_band` maps IMU axes to band axes (board.Board.to_band).
    gyro=False: accelerometer only (gyro in standby, 8 or 6 bytes a FIFO frame instead of 14,
    so a FIFO fill lasts about twice as long); the gyro columns of `batch` then stay 0.
    batch: samples per read at most (None: what the FIFO holds)."""

    def __init__(self, i2c, address=0x68, part="mpu6886", rate_hz=50, accel_fs_g=8,
                 gyro_fs_dps=1000, batch=None, to_band=None, sleep_ms=None, gyro=True):
        self.i2c = i2c
        self.address = address
        self.part = part
        self.sample_rate_hz = 1000 // (1000 // rate_hz)  # what the divider really gives
        self.accel_fs_g = accel_fs_g
        self.gyro_fs_dps = gyro_fs_dps
        self.has_gyro = gyro
        self.to_band = to_band
        self._sleep = sleep_ms
        self.i2c_errors = 0
        self._frame = _FRAME_6AXIS if gyro else _FRAME_ACCEL.get(part, 6)
        fits = _FIFO_BYTES // self._frame
        self.max_batch = fits if batch is None or batch > fits else batch
        self.batch = [0] * (6 * self.max_batch)  # ax, ay, az, gx, gy, gz per sample
        self._raw = bytearray(self._frame * self.max_batch)
        mv = memoryview(self._raw)
        # one view per sample count, made once: slicing per batch would allocate
        self._views = [mv[:k * self._frame] for k in range(self.max_batch + 1)]
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)
        self._map = _axes(to_band)
        self.overflows = 0
        self.lost = 0  # of the last read_batch: > 0 overflowed, -1 I2C failure, 0 fine
        self.ready = False  # set once init() has run to its end
        self.init()

    # -- registers -------------------------------------------------------------------------
    def _w(self, reg, value):
        # set-up writes are retried (a bus glitch must not leave a register half set up);
        # the batch reads are retried as a whole in read_batch
        self._b1[0] = value
        for attempt in range(3):
            try:
                self.i2c.writeto_mem(self.address, reg, self._b1)
                return
            except OSError:
                self.i2c_errors += 1
                if attempt == 2:
                    raise

    def _r(self, reg):
        self.i2c.readfrom_mem_into(self.address, reg, self._b1)
        return self._b1[0]

    def init(self):
        self.ready = False
        try:
            try:
                who = self._r(_WHO_AM_I)
            except OSError:
                self.i2c_errors += 1
                who = self._r(_WHO_AM_I)  # once more: a glitch is not a missing part
        except OSError as e:
            raise IMUError("no %s answers at I2C address 0x%02x (%s): check the wiring and the "
                           "board file" % (self.part, self.address, e))
        found = PARTS.get(who)
        if found != self.part:
            raise IMUError("expected a %s at 0x%02x but WHO_AM_I reads 0x%02x (%s)"
                           % (self.part, self.address, who, found or "unknown part"))
        self._w(_PWR_MGMT_1, 0x80)  # reset
        self._sleep_ms(10)
        # awake; clock: CLKSEL 1 (MPU6886: the PLL if ready, else the internal oscillator; the
        # MPU6050: the X gyro's PLL, which needs the gyro: accel only runs on the 8 MHz one)
        self._w(_PWR_MGMT_1, 0x00 if self.part == "mpu6050" and not self.has_gyro else 0x01)
        self._w(_PWR_MGMT_2, 0x00 if self.has_gyro else _GYRO_STANDBY)
        self._w(_CONFIG, 0x03)  # DLPF ~44 Hz: internal rate 1 kHz; FIFO overwrites when full
        self._w(_SMPLRT_DIV, 1000 // self.sample_rate_hz - 1)
        self._w(_ACCEL_CONFIG, ACCEL_FS_G.index(self.accel_fs_g) << 3)
        if self.part == "mpu6886":
            self._w(_ACCEL_CONFIG2, 0x03)
        self._w(_GYRO_CONFIG, GYRO_FS_DPS.index(self.gyro_fs_dps) << 3)
        self._accel_div = 32768 // self.accel_fs_g  # LSB per g
        # gyro LSB per 0.1 dps, as a fraction: 32768 / fs LSB per dps
        self._gyro_num = 10 * self.gyro_fs_dps
        self.reset_fifo()
        self.ready = True

    def _sleep_ms(self, ms):
        if self._sleep is None:
            import time

            self._sleep = time.sleep_ms  # type: ignore
        self._sleep(ms)

    def reset_fifo(self):
        self._w(_USER_CTRL, 0x04)  # FIFO_RST (self-clearing), FIFO off
        self._w(_FIFO_EN, _FIFO_EN_6AXIS[self.part] if self.has_gyro else _FIFO_EN_ACCEL)
        self._w(_USER_CTRL, 0x40)  # FIFO on
        self._r(_INT_STATUS)  # clear a stale overflow flag

    # -- data ------------------------------------------------------------------------------
    def read_batch(self):
        """Reads what the FIFO holds (up to the batch size) into self.batch and returns the
        number of samples; self.lost says what went wrong: > 0 the FIFO overflowed (samples
        lost), -1 the bus failed (three tries, then the part is started afresh, again at every
        call until that succeeds). Allocates nothing."""
        if self.ready:
            for attempt in range(3):
                try:
                    return self._read_batch()
                except OSError:
                    self.i2c_errors += 1
        try:  # the bus or the part is wedged (or a restart failed half-way): start afresh
            self.init()
        except (OSError, IMUError):
            self.ready = False  # a reset that got through leaves the part asleep: retry
        self.lost = -1
        return 0

    def _read_batch(self):
        self.lost = 0
        if self._r(_INT_STATUS) & _OFLOW:
            # the FIFO wrapped: frames may be misaligned, so start clean and say so
            self.overflows += 1
            self.reset_fifo()
            self.lost = 1
            return 0
        self.i2c.readfrom_mem_into(self.address, _FIFO_COUNTH, self._b2)
        fsize = self._frame
        n = ((self._b2[0] << 8) | self._b2[1]) // fsize
        if n > self.max_batch:
            n = self.max_batch
        if n == 0:
            return 0
        self.i2c.readfrom_mem_into(self.address, _FIFO_R_W, self._views[n])
        if self.has_gyro:
            self._convert_6axis(n)
        else:
            self._convert_accel(n, fsize)
        return n

    def _convert_accel(self, n, fsize):
        # band axis k = sign k * IMU axis src k (see _axes): the bytes are picked straight
        # from the frame, big endian, sign-extended by (hi ^ 0x80) - 0x80, no call per sample
        raw = self._raw
        out = self.batch
        adiv = self._accel_div
        p0, p1, p2, s0, s1, s2 = self._map
        i = 0
        j = 0
        for _ in range(n):  # range(0, n * fsize, fsize) would allocate: its step is no constant
            out[j] = s0 * (((((raw[i + p0] ^ 0x80) - 0x80) << 8) | raw[i + p0 + 1]) * 1000 // adiv)
            out[j + 1] = s1 * (((((raw[i + p1] ^ 0x80) - 0x80) << 8) | raw[i + p1 + 1]) * 1000
                               // adiv)
            out[j + 2] = s2 * (((((raw[i + p2] ^ 0x80) - 0x80) << 8) | raw[i + p2 + 1]) * 1000
                               // adiv)
            i += fsize
            j += 6

    def _convert_6axis(self, n):
        self._convert_accel(n, _FRAME_6AXIS)
        raw = self._raw
        out = self.batch
        gnum = self._gyro_num
        p0, p1, p2, s0, s1, s2 = self._map
        i = 8  # the gyro's bytes follow accel and temperature
        j = 3
        for _ in range(n):
            out[j] = s0 * (((((raw[i + p0] ^ 0x80) - 0x80) << 8) | raw[i + p0 + 1]) * gnum
                           // 32768)
            out[j + 1] = s1 * (((((raw[i + p1] ^ 0x80) - 0x80) << 8) | raw[i + p1 + 1]) * gnum
                               // 32768)
            out[j + 2] = s2 * (((((raw[i + p2] ^ 0x80) - 0x80) << 8) | raw[i + p2 + 1]) * gnum
                               // 32768)
            i += _FRAME_6AXIS
            j += 6

    def wake_on_motion(self, threshold_mg=80):
        """Low-power accelerometer-only mode that raises INT on motion (before deep sleep)."""
        if self.part == "mpu6886":
            thr = min(255, threshold_mg // 4)
            for r in range(3):
                self._w(_WOM_THR_X + r, thr)
            self._w(_ACCEL_INTEL_CTRL, 0xC0)  # wake-on-motion on, compare with the previous sample
            self._w(_INT_ENABLE, 0xE0)
        else:
            self._w(_MOT_THR, min(255, threshold_mg // 32))
            self._w(_INT_ENABLE, 0x40)
        self._w(_PWR_MGMT_2, 0x07)  # gyro off
        self._w(_PWR_MGMT_1, 0x21)  # cycle mode

    def close(self):
        self._w(_USER_CTRL, 0x00)
        self._w(_PWR_MGMT_1, 0x40)  # sleep


def open(board, rate_hz=50, gyro=False):  # noqa: A001 - the board's driver entry point
    from machine import I2C, Pin  # type: ignore

    c = board.imu["i2c"]
    i2c = I2C(c["id"], scl=Pin(c["scl"]), sda=Pin(c["sda"]), freq=c.get("freq", 400000))
    return MPU6886(i2c, board.imu["address"], board.imu["part"], rate_hz=rate_hz,
                   to_band=board.to_band, gyro=gyro)
