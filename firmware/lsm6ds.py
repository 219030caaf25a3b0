# Driver for the ST LSM6DSOX (tagged FIFO): FIFO batch reads into a preallocated buffer, in the
# counter's units (mg, 0.1 deg/s) and the band frame. An LSM6DS3 (untagged FIFO) is recognised
# and refused with a clear message.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython (driver tests)
    def const(x):
        return x

_FIFO_CTRL1 = const(0x07)
_FIFO_CTRL3 = const(0x09)
_FIFO_CTRL4 = const(0x0A)
_INT1_CTRL = const(0x0D)
_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_WAKE_UP_THS = const(0x5B)
_MD1_CFG = const(0x5E)
_TAP_CFG2 = const(0x58)
_FIFO_STATUS1 = const(0x3A)
_FIFO_DATA_OUT_TAG = const(0x78)

_WORD = const(7)  # tag + 6 bytes, little endian
_TAG_GYRO = const(0x01)
_TAG_ACCEL = const(0x02)
_OVR = const(0x40)  # FIFO_STATUS2.FIFO_OVR_IA

PARTS = {0x6C: "lsm6dsox", 0x69: "lsm6ds3", 0x6A: "lsm6ds3tr-c"}
# full-scale code (bits 3:2) and sensitivity: mg per LSB * 1000 for accel, mdps per LSB * 100 for gyro
_XL_FS = {2: (0, 61), 4: (2, 122), 8: (3, 244), 16: (1, 488)}
_G_FS = {250: (0, 875), 500: (1, 1750), 1000: (2, 3500), 2000: (3, 7000)}
_ODR = {12: 1, 26: 2, 52: 3, 104: 4, 208: 5, 416: 6}


class IMUError(Exception):
    pass


def _axes(to_band):
    """(byte offsets in a FIFO word of the IMU axes each band axis reads, then their signs),
    from to_band (a signed permutation, see board.Board.to_band; None: the band's frame)."""
    o = [1, 2, 3]
    if to_band is not None:
        to_band([1, 2, 3], o)
    return tuple([1 + 2 * (abs(k) - 1) for k in o] + [1 if k > 0 else -1 for k in o])


_FIFO_WORDS = const(512)  # what the driver plans for: the part holds more (up to 9 KB)


class LSM6DSOX:
    """gyro=False: accelerometer only (CTRL2_G ODR_G = 0: gyro powered down; FIFO_CTRL3
    BDR_GY = 0: no gyro words), one FIFO word a sample instead of two; the gyro columns of
    `batch` then stay 0. batch: samples per read at most (None: 128)."""

    def __init__(self, i2c, address=0x6A, part="lsm6dsox", rate_hz=52, accel_fs_g=8,
                 gyro_fs_dps=1000, batch=None, to_band=None, sleep_ms=None, gyro=True):
        self.i2c = i2c
        self.address = address
        self.part = part
        rate = 12
        for r in sorted(_ODR):
            if r <= rate_hz:
                rate = r
        self.sample_rate_hz = rate
        self.accel_fs_g = accel_fs_g
        self.gyro_fs_dps = gyro_fs_dps
        self.has_gyro = gyro
        self.to_band = to_band
        self._sleep = sleep_ms
        self.i2c_errors = 0
        per = 2 if gyro else 1  # FIFO words a sample
        self.max_batch = batch or 128
        if self.max_batch * per > _FIFO_WORDS:
            self.max_batch = _FIFO_WORDS // per
        self.batch = [0] * (6 * self.max_batch)
        self._raw = bytearray(_WORD * per * self.max_batch)
        mv = memoryview(self._raw)
        # one view per word count, made once: slicing per batch would allocate
        self._views = [mv[:k * _WORD] for k in range(per * self.max_batch + 1)]
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)
        self._map = _axes(to_band)
        self._g = [0, 0, 0]  # the last gyro word (band frame), paired with the next accel word
        self.overflows = 0
        self.lost = 0  # of the last read_batch: > 0 overflowed, -1 I2C failure, 0 fine
        self.ready = False  # set once init() has run to its end
        self.init()

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

    def _sleep_ms(self, ms):
        if self._sleep is None:
            import time

            self._sleep = time.sleep_ms  # type: ignore
        self._sleep(ms)

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
        if found != "lsm6dsox":
            raise IMUError("expected a %s at 0x%02x but WHO_AM_I reads 0x%02x (%s)%s"
                           % (self.part, self.address, who, found or "unknown part",
                              ": its untagged FIFO is not supported yet" if found else ""))
        self._w(_CTRL3_C, 0x01)  # software reset
        self._sleep_ms(10)
        self._w(_CTRL3_C, 0x44)  # block data update, register auto-increment
        odr = _ODR[self.sample_rate_hz]
        xl_code, self._xl_sens = _XL_FS[self.accel_fs_g]
        g_code, self._g_sens = _G_FS[self.gyro_fs_dps]
        self._w(_CTRL1_XL, (odr << 4) | (xl_code << 2))
        self._w(_CTRL2_G, ((odr << 4) if self.has_gyro else 0) | (g_code << 2))
        self.reset_fifo()
        self.ready = True

    def reset_fifo(self):
        self._w(_FIFO_CTRL4, 0x00)  # bypass: empties the FIFO
        odr = _ODR[self.sample_rate_hz]
        # BDR_GY (7:4) and BDR_XL (3:0): batch at the output rate; no gyro words without gyro
        self._w(_FIFO_CTRL3, ((odr << 4) if self.has_gyro else 0) | odr)
        self._w(_FIFO_CTRL4, 0x06)  # continuous: the oldest data is overwritten when full

    def read_batch(self):
        """As MPU6886.read_batch: the number of samples read into self.batch, self.lost says
        what went wrong (> 0 overflow, -1 the bus). Allocates nothing."""
        if self.ready:
            for attempt in range(3):
                try:
                    return self._read_batch()
                except OSError:
                    self.i2c_errors += 1
        try:
            self.init()
        except (OSError, IMUError):
            self.ready = False  # a reset that got through leaves the part powered down: retry
        self.lost = -1
        return 0

    def _read_batch(self):
        self.lost = 0
        self.i2c.readfrom_mem_into(self.address, _FIFO_STATUS1, self._b2)
        if self._b2[1] & _OVR:
            self.overflows += 1
            self.reset_fifo()
            self.lost = 1
            return 0
        words = ((self._b2[1] & 0x03) << 8) | self._b2[0]
        top = len(self._views) - 1
        if words > top:
            words = top
        if words == 0:
            return 0
        self.i2c.readfrom_mem_into(self.address, _FIFO_DATA_OUT_TAG, self._views[words])
        return self._convert(words)

    def _convert(self, words):
        # band axis k = sign k * IMU axis src k (see _axes): bytes picked straight from the
        # word (little endian, sign-extended by (hi ^ 0x80) - 0x80), no call per sample
        raw = self._raw
        out = self.batch
        xs = self._xl_sens
        p0, p1, p2, s0, s1, s2 = self._map
        n = 0
        j = 0
        for i in range(0, words * _WORD, _WORD):
            tag = raw[i] >> 3
            if tag == _TAG_ACCEL:
                out[j] = s0 * ((raw[i + p0] | (((raw[i + p0 + 1] ^ 0x80) - 0x80) << 8)) * xs
                               // 1000)  # mg
                out[j + 1] = s1 * ((raw[i + p1] | (((raw[i + p1 + 1] ^ 0x80) - 0x80) << 8)) * xs
                                   // 1000)
                out[j + 2] = s2 * ((raw[i + p2] | (((raw[i + p2 + 1] ^ 0x80) - 0x80) << 8)) * xs
                                   // 1000)
                g = self._g
                out[j + 3] = g[0]
                out[j + 4] = g[1]
                out[j + 5] = g[2]
                n += 1
                j += 6
            elif tag == _TAG_GYRO:  # paired with the next accel word
                gs = self._g_sens
                g = self._g
                g[0] = s0 * ((raw[i + p0] | (((raw[i + p0 + 1] ^ 0x80) - 0x80) << 8)) * gs
                             // 10000)  # mdps*100 per LSB -> 0.1 deg/s
                g[1] = s1 * ((raw[i + p1] | (((raw[i + p1 + 1] ^ 0x80) - 0x80) << 8)) * gs
                             // 10000)
                g[2] = s2 * ((raw[i + p2] | (((raw[i + p2 + 1] ^ 0x80) - 0x80) << 8)) * gs
                             // 10000)
        return n

    def wake_on_motion(self, threshold_mg=80):
        self._w(_FIFO_CTRL4, 0x00)
        self._w(_CTRL2_G, 0x00)  # gyro off
        self._w(_CTRL1_XL, (1 << 4) | (_XL_FS[self.accel_fs_g][0] << 2))  # 12.5 Hz
        self._w(_TAP_CFG2, 0x80)  # interrupts enable
        self._w(_WAKE_UP_THS, min(63, threshold_mg * 64 // (self.accel_fs_g * 1000)))
        self._w(_MD1_CFG, 0x20)  # wake-up on INT1

    def close(self):
        self._w(_FIFO_CTRL4, 0x00)
        self._w(_CTRL1_XL, 0x00)
        self._w(_CTRL2_G, 0x00)


def open(board, rate_hz=52, gyro=False):  # noqa: A001 - the board's driver entry point
    from machine import I2C, Pin  # type: ignore

    c = board.imu["i2c"]
    i2c = I2C(c["id"], scl=Pin(c["scl"]), sda=Pin(c["sda"]), freq=c.get("freq", 400000))
    return LSM6DSOX(i2c, board.imu["address"], board.imu["part"], rate_hz=rate_hz,
                    to_band=board.to_band, gyro=gyro)
