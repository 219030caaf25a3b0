# Driver for the ST LSM6DSOX (tagged FIFO): the part class on imu.IMU (which has the bus,
# retries and recovery): set-up, FIFO reset, and its tagged little-endian FIFO words turned into
# the counter's units (mg, 0.1 deg/s) in the band frame. An LSM6DS3 (untagged FIFO) is
# recognised and refused with a clear message.
from imu import IMU, IMUError, const  # noqa: F401 - IMUError: the drivers' one error type

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
# full-scale code (bits 3:2) and sensitivity: mg per LSB * 1000 for accel, mdps per LSB * 100
# for gyro
_XL_FS = {2: (0, 61), 4: (2, 122), 8: (3, 244), 16: (1, 488)}
_G_FS = {250: (0, 875), 500: (1, 1750), 1000: (2, 3500), 2000: (3, 7000)}
_ODR = {12: 1, 26: 2, 52: 3, 104: 4, 208: 5, 416: 6}
_FIFO_WORDS = const(512)  # what the driver plans for: the part holds more (up to 9 KB)


class LSM6DSOX(IMU):
    """An LSM6DSOX, see imu.IMU. gyro=False: CTRL2_G ODR_G = 0 (gyro powered down) and
    FIFO_CTRL3 BDR_GY = 0 (no gyro words): one FIFO word a sample instead of two. batch None:
    128 samples."""

    ADDRESS = 0x6A
    PART = "lsm6dsox"
    RATE_HZ = 52
    _WHO_PARTS = PARTS
    _WHO_REG = _WHO_AM_I
    _AXIS0 = 1  # after the tag byte; little endian: an axis is its low byte, then its high byte

    def _rate(self, rate_hz):
        rate = 12
        for r in sorted(_ODR):
            if r <= rate_hz:
                rate = r
        return rate

    def _fifo_layout(self, batch):
        per = 2 if self.has_gyro else 1  # FIFO words a sample
        n = batch or 128
        if n * per > _FIFO_WORDS:
            n = _FIFO_WORDS // per
        self._g = [0, 0, 0]  # the last gyro word (band frame), paired with the next accel word
        return n, _WORD, per * n

    def _refusal(self, found):
        if found == "lsm6dsox":
            return None
        return ": its untagged FIFO is not supported yet" if found else ""

    def _setup(self):
        self._w(_CTRL3_C, 0x01)  # software reset
        self._sleep_ms(10)
        self._w(_CTRL3_C, 0x44)  # block data update, register auto-increment
        odr = _ODR[self.sample_rate_hz]
        xl_code, self._xl_sens = _XL_FS[self.accel_fs_g]
        g_code, self._g_sens = _G_FS[self.gyro_fs_dps]
        self._w(_CTRL1_XL, (odr << 4) | (xl_code << 2))
        self._w(_CTRL2_G, ((odr << 4) if self.has_gyro else 0) | (g_code << 2))

    def reset_fifo(self):
        self._w(_FIFO_CTRL4, 0x00)  # bypass: empties the FIFO
        odr = _ODR[self.sample_rate_hz]
        # BDR_GY (7:4) and BDR_XL (3:0): batch at the output rate; no gyro words without gyro
        self._w(_FIFO_CTRL3, ((odr << 4) if self.has_gyro else 0) | odr)
        self._w(_FIFO_CTRL4, 0x06)  # continuous: the oldest data is overwritten when full

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

