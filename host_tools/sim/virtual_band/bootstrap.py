# Runs in each fresh MicroPython instance of the virtual band before boot.py: fakes in, the
# band's flash mounted at / (with standard errno values), virtual time, the IMU model on I2C.
import json
import os
import sys

import vfs

sys.path.insert(0, "/lib")
import drive  # noqa: E402 (host_tools/sim/mp/drive.py)
import esp32  # noqa: E402 (the fake: /lib/esp32.py, wake sources)
import imu_models  # noqa: E402
import machine  # noqa: E402 (the fake: /lib/machine.py)
import vband_js  # noqa: E402 (the Node side)
import vclock  # noqa: E402

# Emscripten errno values -> the standard ones a band (and mpremote) uses
_ERRNO = {44: 2, 20: 17, 54: 20, 31: 21, 28: 22, 55: 39, 2: 13, 63: 1, 8: 9, 51: 28, 29: 5}


def _mapped(fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        code = e.args[0] if e.args else 5
        raise OSError(_ERRNO.get(code, code))


class BandFlash:
    """The band's flash: VfsPosix over MEMFS /flash, raising standard errno values."""

    def __init__(self, inner):
        self.inner = inner

    def mount(self, readonly, mkfs):
        return _mapped(self.inner.mount, readonly, mkfs)

    def umount(self):
        return _mapped(self.inner.umount)

    def ilistdir(self, path):
        # (name, type, inode, size) like a board's littlefs, so `mpremote fs ls` shows sizes
        out = []
        base = path.rstrip("/")
        for entry in _mapped(lambda p: list(self.inner.ilistdir(p)), path):
            size = 0
            if entry[1] == 0x8000:
                size = _mapped(self.inner.stat, base + "/" + entry[0])[6]
            out.append((entry[0], entry[1], 0, size))
        return iter(out)

    def chdir(self, path):
        return _mapped(self.inner.chdir, path)

    def getcwd(self):
        return _mapped(self.inner.getcwd)

    def mkdir(self, path):
        return _mapped(self.inner.mkdir, path)

    def remove(self, path):
        return _mapped(self.inner.remove, path)

    def rename(self, a, b):
        # this port's VfsPosix cannot rename by absolute path: MEMFS does it (atomically)
        code = vband_js.rename(_abs(a), _abs(b))
        if code:
            raise OSError(_ERRNO.get(code, code))

    def rmdir(self, path):
        return _mapped(self.inner.rmdir, path)

    def stat(self, path):
        return _mapped(self.inner.stat, path)

    def statvfs(self, path):
        return _mapped(self.inner.statvfs, path)

    def open(self, path, mode):
        return _mapped(self.inner.open, path, mode)


def _abs(path):
    if not path.startswith("/"):
        cwd = os.getcwd()
        path = (cwd if cwd.endswith("/") else cwd + "/") + path
    return "/flash" + path


_worn = [False]


def _pace(ms):
    if not _worn[0] and clock.ms >= _cfg["trace_end_ms"]:
        _worn[0] = True
        print("[virtual band] the trace has been worn to its end")
    if _usb is not None:
        machine.Pin._levels[_usb] = vband_js.usb_power()
    if vband_js.pace(ms, clock.ms, clock.epoch_s):
        raise KeyboardInterrupt


def _nap(ms):
    # machine.lightsleep on the virtual band: the UART is stopped, so what the host sends
    # meanwhile is lost (as on an ESP32: esp-idf's light sleep gates the UART's clock); an
    # armed wake source (the button, USB power on usb_sense) ends the nap early
    slept = 0
    while slept < ms:
        step = min(20, ms - slept)
        got = vband_js.nap(step, clock.ms, clock.epoch_s)
        if got & 2:
            raise KeyboardInterrupt  # it came while the band was awake
        usb = got & 1
        clock.ms += step
        slept += step
        if _usb is not None:
            machine.Pin._levels[_usb] = usb
        if esp32.woken():
            break


with open("/lib/band.json") as f:
    _cfg = json.load(f)
if _cfg.get("uid"):
    import binascii

    machine._uid = binascii.unhexlify(_cfg["uid"])
clock = vclock.VirtualClock(vband_js.now_ms(), _pace)  # time goes on across soft reboots
clock.epoch_s = vband_js.epoch_s()
sys.modules["time"] = clock  # the firmware's clock is virtual
sys.modules["utime"] = clock


_cols = drive.load("/lib/trace.bin")[3]  # the packed trace replay and bench read too
_source = imu_models.SampleSource(_cols[0], _cols[1:])
_imu = _cfg["imu"]
# the model of the part whose driver the firmware's table picks (the host looked it up)
_model = imu_models.MODELS[_cfg["imu_driver"]](clock, _source, _imu["part"], _imu["to_band"])
machine.bus = imu_models.FakeI2C({_imu["address"]: _model})
machine.clock = clock
machine.nap = _nap
_bat = _cfg.get("battery_adc")  # the cell through the board's divider, at its ADC pin
if _bat:
    machine.ADC.levels_uv[_bat["pin"]] = _cfg["battery_mv"] * 1000 // _bat.get("divider", 2)
_usb = _cfg.get("usb_sense")  # the board's USB-power pin: high while the cable is in
if _usb is not None:
    machine.Pin._levels[_usb] = vband_js.usb_power()

vfs.umount("/")
vfs.mount(BandFlash(vfs.VfsPosix("/flash")), "/")
os.chdir("/")


def _vb_run(name):
    try:
        os.stat(name)
    except OSError:
        return
    try:
        with open(name) as f:
            code = f.read()
        exec(code, {"__name__": "__main__"})
    except machine.SleepEnded:
        print("repband: the band went to deep sleep (virtual band: its REPL stays open)")
