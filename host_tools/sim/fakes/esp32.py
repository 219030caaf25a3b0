# A stand-in for MicroPython's `esp32` module: the deep-sleep wake sources and pad hold the app
# arms, recorded in the fake machine's events. MicroPython-compatible.
try:
    from host_tools.sim.fakes import machine
except ImportError:  # inside MicroPython, where the fake is installed as `machine`
    machine = __import__("machine")  # (not `import machine`: type checkers would read the stubs)

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


armed = {}  # wake source -> (pins, level): what ends a light sleep early


def wake_on_ext0(pin, level):
    machine.events.append(("wake_ext0", (pin.pin, level)))
    armed["ext0"] = ((pin.pin,), level)


def wake_on_ext1(pins, level):
    machine.events.append(("wake_ext1", (tuple(p.pin for p in pins), level)))
    armed["ext1"] = (tuple(p.pin for p in pins), level)


def woken():
    """True if an armed wake source holds its level now (ext0: that level; ext1 ANY_HIGH: any
    pin high, ALL_LOW: all low)."""
    for pins, level in armed.values():
        levels = [machine.Pin._levels.get(p, 0) for p in pins]
        if level and any(levels):
            return True
        if not level and not any(levels):
            return True
    return False


def gpio_deep_sleep_hold(enable):
    machine.events.append(("deep_sleep_hold", enable))
