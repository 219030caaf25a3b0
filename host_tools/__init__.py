"""repband host tools: the laptop side of the band (trace I/O, replay, evaluation, band link, sync)."""

import sys


def _quiet_interrupt(kind, value, tb) -> None:
    # Ctrl-C while Python is still importing a command (before the CLI's own handler) is one
    # line too, not a traceback
    if issubclass(kind, KeyboardInterrupt):
        print("repband: interrupted", file=sys.stderr)
    else:
        sys.__excepthook__(kind, value, tb)


if sys.excepthook is sys.__excepthook__:
    sys.excepthook = _quiet_interrupt

from pathlib import Path  # noqa: E402  (after the hook)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_DIR = REPO_ROOT / "firmware"
BOARDS_DIR = REPO_ROOT / "boards"


class RepbandError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits with `exit_code`."""

    exit_code = 1


def did_you_mean(word: str, choices: list[str]) -> str:
    """'; did you mean X?' for the closest of `choices` to a misspelt `word` ('' if none is)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
