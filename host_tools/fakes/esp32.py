# A stand-in for MicroPython's `esp32` module: the deep-sleep wake sources and pad hold the app
# arms, recorded in the fake machine's events. MicroPython-compatible.
try:
    from host_tools.fakes import machine
except ImportError:  # inside MicroPython, where the fake is installed as `machine`
    import machine

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


def wake_on_ext0(pin, level):
    machine.events.append(("wake_ext0", (pin.pin, level)))


def wake_on_ext1(pins, level):
    machine.events.append(("wake_ext1", (tuple(p.pin for p in pins), level)))


def gpio_deep_sleep_hold(enable):
    machine.events.append(("deep_sleep_hold", enable))
