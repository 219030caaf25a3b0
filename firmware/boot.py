# Runs first at power-on. The M5StickC Plus2 switches itself off on battery unless GPIO4 is
# driven high within ~100 ms, so do that before anything else (app.main() does it again).
try:
    import machine  # type: ignore

    machine.Pin(4, machine.Pin.OUT, value=1)
except Exception:  # another board, or no machine module: nothing to hold
    pass
