# Runs first at power-on. The M5StickC Plus2 switches itself off on battery unless its hold pin
# (GPIO4) is driven high within ~100 ms, so do that before anything else (app.main() does it
# again) -- but only on a board whose file names a hold pin: elsewhere GPIO4 may be wired to
# something that must not be driven. The board is the one board.which() says (as the app and
# the host see it); finding it and reading its file takes a few ms.
def hold_pin(root=""):
    import json

    try:
        import board
    except ImportError:  # not flashed yet: no board to know
        return None
    try:
        name = board.which(root + "/boards")
        with open(root + "/boards/" + name + ".json") as f:
            pin = json.load(f).get("hold_pin")
    except (board.BoardError, ImportError, OSError, ValueError, AttributeError):
        return None  # no board, or a broken one: hold nothing (the app says why it cannot start)
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
