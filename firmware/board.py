# Board files: which pins, IMU and feedback parts a board has, and how its IMU sits in the band.
# Pure (no machine): the host loads the same files to check them and to flash.
import json

import imu

try:
    import os
except ImportError:  # pragma: no cover
    import uos as os  # type: ignore

DIRS = ("/boards", "boards", "../boards")
PARTS = imu.PARTS  # the IMU parts a board file may name: those imu.DRIVERS has a driver for


# Every key a board file may have, a part's own keys dotted under it. load() refuses any other,
# so a typo ("buzer") is an error naming the file and the key, not a band that stays silent.
# Each is read by the firmware (the module named) or the host; name, description and wiring
# are for people too. tests/test_boards.py checks each is read where this says. One string,
# space-separated (not a tuple of them): half the heap on the band (~1 KB, not ~2 KB, as .mpy).
KEYS = (
    " name description wiring"
    " mcu chip firmware_image micropython_board"  # the host: flash
    " battery_mah"  # the host: bench --power
    " imu imu.part imu.address imu.to_band imu.int"  # board, imu, app
    " imu.i2c imu.i2c.id imu.i2c.sda imu.i2c.scl imu.i2c.freq"
    " hold_pin usb_sense buttons buttons.mode"  # boot, app
    " led led.pin led.active_low buzzer buzzer.pin"  # feedback, app
    " neopixel neopixel.pin neopixel.power"  # feedback
    " lcd lcd.width lcd.height lcd.offset lcd.cs lcd.dc lcd.reset"  # display
    " lcd.backlight lcd.invert lcd.spi lcd.spi.id lcd.spi.sck lcd.spi.mosi"
    " lcd.spi.baudrate"
    " battery_adc battery_adc.pin battery_adc.divider"  # battery
    " "
)


class BoardError(Exception):
    pass


def check_keys(data, where, prefix=""):
    """BoardError naming `where` (the file) and the first key of `data` not in KEYS."""
    for k in data:
        key = prefix + k
        if " " in key or " " + key + " " not in KEYS:  # ("imu imu.part" would match two)
            n = len(prefix)
            known = [c for c in KEYS.split() if c.startswith(prefix) and "." not in c[n:]]
            raise BoardError("%s: unknown key %r (known%s: %s)"
                             % (where, key, " in " + prefix[:-1] if prefix else "",
                                ", ".join(c[n:] for c in known)))
        if type(data[k]) is dict:
            check_keys(data[k], where, key + ".")


def _dir():
    for d in DIRS:
        try:
            os.stat(d)
            return d
        except OSError:
            pass
    raise BoardError("no boards/ folder on the band: run repband flash --board NAME")


def known(folder=None):
    folder = folder or _dir()
    return sorted(n[:-5] for n in os.listdir(folder) if n.endswith(".json"))


class Board:
    def __init__(self, data):
        self.data = data
        self.name = data.get("name", "?")
        for key in ("name", "imu", "imu.part", "imu.address", "imu.to_band"):
            part = key.split(".")
            d = data
            for k in part[:-1]:
                d = d[k]
            if type(d) is not dict or part[-1] not in d:
                raise BoardError("board %s: no %s (every board file needs name, imu.part, "
                                 "imu.address, imu.to_band)" % (self.name, key))
        imu = data["imu"]
        if imu["part"] not in PARTS:
            raise BoardError("board %s: unknown IMU part %r (known: %s)"
                             % (self.name, imu["part"], ", ".join(PARTS)))
        m = imu["to_band"]
        ok = len(m) == 3
        for row in m:
            ok = ok and len(row) == 3 and sum(1 for v in row if v) == 1
            # ints only: 1.0 == 1 would pass, then index the sample with a float
            ok = ok and all(type(v) is int and v in (-1, 0, 1) for v in row)
        cols = [sum(abs(m[r][c]) for r in range(3)) for c in range(3)] if ok else []
        if not ok or cols != [1, 1, 1]:
            raise BoardError(
                "board %s: imu.to_band must be a signed permutation matrix" % self.name
            )
        # band axis i = sign[i] * imu axis src[i]: integer ops only, no matrix product per sample
        self.src = [row.index(1) if 1 in row else row.index(-1) for row in m]
        self.sign = [row[self.src[i]] for i, row in enumerate(m)]
        self.imu = imu
        for key, pin in (("imu.int", imu.get("int")), ("usb_sense", data.get("usb_sense"))):
            if pin is not None and type(pin) is not int:
                raise BoardError(
                    "board %s: %s must be a GPIO number, not %r" % (self.name, key, pin)
                )

    def has(self, part):
        return part in self.data

    def to_band(self, v, out):
        # v: IMU-frame triple (list/array of ints); out: 3-slot buffer for the band frame
        s = self.src
        g = self.sign
        out[0] = g[0] * v[s[0]]
        out[1] = g[1] * v[s[1]]
        out[2] = g[2] * v[s[2]]
        return out

    def open_imu(self, rate_hz=None, gyro=False):
        # The driver comes from the one table of them, imu.DRIVERS. rate_hz None: the driver's
        # default (what the app counts at). gyro False: the accelerometer alone (the gyro
        # powered down: most of the IMU's current).
        part = self.imu["part"]
        try:
            driver = imu.driver(part)
        except imu.IMUError as e:  # its module is not on the band
            raise BoardError(str(e))
        return driver(imu.bus(self), self.imu["address"], part, rate_hz=rate_hz,
                      to_band=self.to_band, gyro=gyro)


def which(folder=None):
    """Which board this band is (its name): the one config.json names, else the one board file
    in `folder` (flash leaves just one). BoardError when config.json names a board with no file
    here (no falling back to another board: the user's setting is wrong, and says so), or names
    none and the folder has no board file or several. boot.py (the hold pin), load (the app)
    and service.py (what the band tells the host) all ask this, so they cannot disagree.
    config.json is the settings file beside the boards folder: /config.json on the band."""
    import settings

    folder = folder or _dir()
    try:
        names = known(folder)
    except OSError:
        raise BoardError("no %s folder on the band: run repband flash --board NAME" % folder)
    cut = folder.rfind("/")
    name = settings.load((folder[:cut + 1] if cut >= 0 else "") + "config.json").get("board")
    if not name:
        if len(names) == 1:
            return names[0]
        raise BoardError(
            "no board chosen: set 'board' in config.json (known: %s)" % ", ".join(names)
        )
    if name not in names:
        raise BoardError("unknown board %r; known boards: %s" % (name, ", ".join(names)))
    return name


def load(name=None, folder=None):
    """The board `name` (None: which() this band is) from its file in `folder`."""
    folder = folder or _dir()
    if name is None:
        name = which(folder)
    names = known(folder)
    if name not in names:
        raise BoardError("unknown board %r; known boards: %s" % (name, ", ".join(names)))
    path = folder + "/" + name + ".json"
    with open(path) as f:
        data = json.load(f)
    check_keys(data, path)
    return Board(data)
