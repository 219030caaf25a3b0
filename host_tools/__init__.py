"""repband host tools: the laptop side of the band (traces, replay, evaluation, the link, sync)."""

import sys


def _quiet_interrupt(kind, value, tb) -> None:
    # Ctrl-C while Python is still importing a command (before the CLI's own handler) is one
    # line too, not a traceback, also when an import wraps it in an error of its own
    exc, seen = value, 0
    while exc is not None and seen < 20:
        if isinstance(exc, KeyboardInterrupt):
            print("repband: interrupted", file=sys.stderr)
            return
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    sys.__excepthook__(kind, value, tb)


if sys.excepthook is sys.__excepthook__:
    sys.excepthook = _quiet_interrupt

from pathlib import Path  # noqa: E402  (after the hook)

# the checkout (shared traces beside it, node_modules); an installed package has none of these
REPO_ROOT = Path(__file__).resolve().parent.parent


def __getattr__(name: str) -> Path:
    # FIRMWARE_DIR, BOARDS_DIR: where the band's files are (host_tools.firmware finds them, in a
    # wheel or a checkout), looked up on first use so `repband --help` does not pay for it
    if name in ("FIRMWARE_DIR", "BOARDS_DIR"):
        from host_tools import firmware

        return getattr(firmware, name)
    raise AttributeError(f"module 'host_tools' has no attribute {name!r}")
