# What every IMU driver shares: register access on the I2C bus with retries, the batch read
# that recovers a glitching or wedged bus, the one IMUError, and the one table from a board
# file's imu.part to its driver. A part class (mpu6886.MPU6886, lsm6ds.LSM6DSOX) adds only what
# its registers make different: set-up, FIFO reset, and turning FIFO bytes into the counter's
# units (mg, 0.1 deg/s) in the band frame.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython (driver tests)
    def const(x):
        return x

# board file imu.part -> (driver module, class): the one place a driver is picked. The module
# is imported only when the IMU is opened, so a band loads just its own part's driver into RAM.
DRIVERS = (
    ("mpu6886", "mpu6886", "MPU6886"),
    ("mpu6050", "mpu6886", "MPU6886"),
    ("lsm6dsox", "lsm6ds", "LSM6DSOX"),
    ("lsm6ds3", "lsm6ds", "LSM6DSOX"),  # known, so its driver can say why it refuses it
)
PARTS = tuple([row[0] for row in DRIVERS])

_TRIES = const(3)


class IMUError(Exception):
    pass


def driver(part):
    """The driver class for a board file's imu.part; IMUError if there is none on the band."""
    for name, module, cls in DRIVERS:
        if name == part:
            try:
                return getattr(__import__(module), cls)
            except ImportError:
                raise IMUError("no driver %s.py for the %s on this band: run repband flash"
                               % (module, part))
    raise IMUError("unknown IMU part %r (known: %s)" % (part, ", ".join(PARTS)))


def bus(board):
    """The I2C bus the board file wires its IMU to."""
    from machine import I2C, Pin  # type: ignore

    c = board.imu["i2c"]
    return I2C(c["id"], scl=Pin(c["scl"]), sda=Pin(c["sda"]), freq=c.get("freq", 400000))


def _axes(to_band, first):
    """(byte offsets of the IMU axes each band axis reads, `first` being the X axis's, then
    their signs), from to_band (a signed permutation, see board.Board.to_band; None: the IMU
    frame is the band's)."""
    o = [1, 2, 3]
    if to_band is not None:
        to_band([1, 2, 3], o)
    return tuple([first + 2 * (abs(k) - 1) for k in o] + [1 if k > 0 else -1 for k in o])


class IMU:
    """One part on an I2C bus, read in FIFO batches (one burst a batch, no per-sample register
    polling) into preallocated buffers. `to_band` maps IMU axes to band axes
    (board.Board.to_band). gyro=False: accelerometer only (the gyro powered down, fewer FIFO
    bytes a sample, so a FIFO fill lasts longer); the gyro columns of `batch` then stay 0.
    batch: samples per read at most (None: the part's default). None for address, part or
    rate_hz: the part class's ADDRESS, PART, RATE_HZ."""

    # a part class sets each of these
    ADDRESS = 0
    PART = ""
    RATE_HZ = 50
    _WHO_PARTS = {}  # noqa: RUF012 - WHO_AM_I value -> part name; each part class has its own
    _WHO_REG = 0  # the WHO_AM_I register
    _AXIS0 = 0  # offset of the X axis's first byte in a sample's accel (or gyro) bytes

    def __init__(self, i2c, address=None, part=None, rate_hz=None, accel_fs_g=8,
                 gyro_fs_dps=1000, batch=None, to_band=None, sleep_ms=None, gyro=True):
        self.i2c = i2c
        self.address = self.ADDRESS if address is None else address
        self.part = part or self.PART
        self.sample_rate_hz = self._rate(self.RATE_HZ if rate_hz is None else rate_hz)
        self.accel_fs_g = accel_fs_g
        self.gyro_fs_dps = gyro_fs_dps
        self.has_gyro = gyro
        self.to_band = to_band
        self._sleep = sleep_ms
        self.i2c_errors = 0
        self.max_batch, unit, units = self._fifo_layout(batch)
        self.batch = [0] * (6 * self.max_batch)  # ax, ay, az, gx, gy, gz per sample
        self._raw = bytearray(unit * units)
        mv = memoryview(self._raw)
        # one view per count of FIFO units (frames or words), made once: slicing per batch
        # would allocate
        self._views = [mv[:k * unit] for k in range(units + 1)]
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)
        self._map = _axes(to_band, self._AXIS0)
        self.overflows = 0
        self.lost = 0  # of the last read_batch: > 0 overflowed, -1 I2C failure, 0 fine
        self.ready = False  # set once init() has run to its end
        self.init()

    # -- what a part class defines --------------------------------------------------------
    def _rate(self, rate_hz):
        """The sample rate the part really gives when asked for rate_hz."""
        return rate_hz

    def _fifo_layout(self, batch):
        """(samples a read at most, bytes a FIFO unit, units the buffer holds)."""
        raise NotImplementedError

    def _refusal(self, found):
        """None if the part WHO_AM_I names (`found`, None: unknown) is one this driver runs,
        else what to add to the error."""
        return None if found == self.part else ""

    def _setup(self):
        """Resets the part and sets it up (rate, full scales, power), up to its FIFO."""
        raise NotImplementedError

    def reset_fifo(self):
        raise NotImplementedError

    def _read_batch(self):
        """One try at read_batch; OSError on a bus failure."""
        raise NotImplementedError

    def wake_on_motion(self, threshold_mg=80):
        """Low-power accelerometer-only mode that raises INT on motion (before deep sleep)."""
        raise NotImplementedError

    def close(self):
        """The part powered down."""
        raise NotImplementedError

    # -- registers --------------------------------------------------------------------------
    def _w(self, reg, value):
        # set-up writes are retried (a bus glitch must not leave a register half set up);
        # the batch reads are retried as a whole in read_batch
        self._b1[0] = value
        for attempt in range(_TRIES):
            try:
                self.i2c.writeto_mem(self.address, reg, self._b1)
                return
            except OSError:
                self.i2c_errors += 1
                if attempt == _TRIES - 1:
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
                who = self._r(self._WHO_REG)
            except OSError:
                self.i2c_errors += 1
                who = self._r(self._WHO_REG)  # once more: a glitch is not a missing part
        except OSError as e:
            raise IMUError("no %s answers at I2C address 0x%02x (%s): check the wiring and the "
                           "board file" % (self.part, self.address, e))
        found = self._WHO_PARTS.get(who)
        why = self._refusal(found)
        if why is not None:
            raise IMUError("expected a %s at 0x%02x but WHO_AM_I reads 0x%02x (%s)%s"
                           % (self.part, self.address, who, found or "unknown part", why))
        self._setup()
        self.reset_fifo()
        self.ready = True

    # -- data -------------------------------------------------------------------------------
    def read_batch(self):
        """Reads what the FIFO holds (up to the batch size) into self.batch and returns the
        number of samples; self.lost says what went wrong: > 0 the FIFO overflowed (samples
        lost), -1 the bus failed (three tries, then the part is started afresh, again at every
        call until that succeeds). Allocates nothing."""
        if self.ready:
            for _ in range(_TRIES):
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
