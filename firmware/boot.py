# Runs first at power-on. The M5StickC Plus2 switches itself off on battery unless its hold pin
# (GPIO4) is driven high within ~100 ms, so do that before anything else (app.main() does it
# again) -- but only on a board whose file names a hold pin: elsewhere GPIO4 may be wired to
# something that must not be driven. The board file is the one in /boards (flash puts just one
# there), else the one config.json names; reading it takes a few ms.
def hold_pin(root=""):
    import json
    import os

    try:
        names = [n for n in os.listdir(root + "/boards") if n.endswith(".json")]
    except OSError:
        return None
    if len(names) != 1:
        try:
            with open(root + "/config.json") as f:
                names = [json.load(f)["board"] + ".json"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
    try:
        with open(root + "/boards/" + names[0]) as f:
            pin = json.load(f).get("hold_pin")
    except (OSError, ValueError, AttributeError):
        return None
    return pin if isinstance(pin, int) else None


def hold_power(root=""):
    pin = hold_pin(root)
    if pin is None:
        return None
    try:
        import machine  # type: ignore

        machine.Pin(pin, machine.Pin.OUT, value=1)
    except ImportError:  # no machine module: nothing to hold
        return None
    return pin


hold_power()
