# Board files: which pins, IMU and feedback parts a board has, and how its IMU sits in the band.
# Pure (no machine): the host loads the same files to check them and to flash.
import json

try:
    import os
except ImportError:  # pragma: no cover
    import uos as os  # type: ignore

DIRS = ("/boards", "boards", "../boards")
PARTS = ("mpu6886", "mpu6050", "lsm6dsox", "lsm6ds3")


class BoardError(Exception):
    pass


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
        self.name = data["name"]
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
            raise BoardError("board %s: imu.to_band must be a signed permutation matrix" % self.name)
        # band axis i = sign[i] * imu axis src[i]: integer ops only, no matrix product per sample
        self.src = [row.index(1) if 1 in row else row.index(-1) for row in m]
        self.sign = [row[self.src[i]] for i, row in enumerate(m)]
        self.imu = imu
        for key, pin in (("imu.int", imu.get("int")), ("usb_sense", data.get("usb_sense"))):
            if pin is not None and type(pin) is not int:
                raise BoardError("board %s: %s must be a GPIO number, not %r" % (self.name, key, pin))

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
        # The driver module is named after the part family (firmware/mpu6886.py, lsm6ds.py).
        # rate_hz None: the driver's default (what the app counts at). gyro False: the
        # accelerometer alone (the gyro powered down: most of the IMU's current).
        part = self.imu["part"]
        modname = "lsm6ds" if part.startswith("lsm6ds") else "mpu6886"
        try:
            mod = __import__(modname)
        except ImportError:
            raise BoardError("no driver %s.py for the %s on this band: run repband flash" % (modname, part))
        if rate_hz is None:
            return mod.open(self, gyro=gyro)
        return mod.open(self, rate_hz, gyro=gyro)


def load(name=None, folder=None):
    folder = folder or _dir()
    if name is None:
        try:
            with open(folder + "/../config.json" if folder.startswith("/") else "config.json") as f:
                name = json.load(f).get("board")
        except (OSError, ValueError):
            name = None
    names = known(folder)
    if name is None:
        if len(names) == 1:
            name = names[0]
        else:
            raise BoardError("no board chosen: set 'board' in config.json (known: %s)" % ", ".join(names))
    if name not in names:
        raise BoardError("unknown board %r; known boards: %s" % (name, ", ".join(names)))
    with open(folder + "/" + name + ".json") as f:
        return Board(json.load(f))
