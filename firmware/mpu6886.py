# Driver for the InvenSense MPU6886 and MPU6050 (M5StickC Plus2, AtomS3, GY-521 breakouts): the
# part class on imu.IMU (which has the bus, retries and recovery): set-up, FIFO reset, and its
# big-endian FIFO frames turned into the counter's units (mg, 0.1 deg/s) in the band frame.
from imu import IMU, IMUError, const  # noqa: F401 - IMUError: the drivers' one error type

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


class MPU6886(IMU):
    """An MPU6886 or MPU6050 (part "mpu6050"), see imu.IMU. Without the gyro a FIFO frame is
    8 or 6 bytes instead of 14. batch None: what the FIFO holds."""

    ADDRESS = 0x68
    PART = "mpu6886"
    RATE_HZ = 50
    _WHO_PARTS = PARTS
    _WHO_REG = _WHO_AM_I
    _AXIS0 = 0  # big endian: an axis is its high byte, then its low byte

    def _rate(self, rate_hz):
        return 1000 // (1000 // rate_hz)  # what the divider really gives

    def _fifo_layout(self, batch):
        self._frame = _FRAME_6AXIS if self.has_gyro else _FRAME_ACCEL.get(self.part, 6)
        fits = _FIFO_BYTES // self._frame
        n = fits if batch is None or batch > fits else batch
        return n, self._frame, n

    # -- registers -------------------------------------------------------------------------
    def _setup(self):
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

    def reset_fifo(self):
        self._w(_USER_CTRL, 0x04)  # FIFO_RST (self-clearing), FIFO off
        self._w(_FIFO_EN, _FIFO_EN_6AXIS[self.part] if self.has_gyro else _FIFO_EN_ACCEL)
        self._w(_USER_CTRL, 0x40)  # FIFO on
        self._r(_INT_STATUS)  # clear a stale overflow flag

    # -- data ------------------------------------------------------------------------------
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

