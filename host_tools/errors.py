"""repband's error types, in one place: each is a RepbandError, which the CLI prints on one line
(naming the file, port or what to do) and exits with its `exit_code`; never a traceback."""

from __future__ import annotations


class RepbandError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits with `exit_code`."""

    exit_code = 1


class TraceFormatError(RepbandError):
    """A trace or labels file breaks the format."""

    exit_code = 2


class StoreError(RepbandError):
    """The local database cannot be opened or read."""


class LinkError(RepbandError):
    """The band cannot be reached or stopped answering (a port, the cable, the raw REPL)."""

    exit_code = 3

    def __init__(self, message: str, brief: str = ""):
        super().__init__(message)
        self.brief = brief or message  # a few words, for listing several ports


class MicroPythonError(RepbandError):
    """The MicroPython runtime is missing, or the code raised inside it."""


class VirtualBandError(RepbandError):
    """The virtual band could not start or stopped."""


def did_you_mean(word: str, choices: list[str]) -> str:
    """'; did you mean X?' for the closest of `choices` to a misspelt `word` ('' if none is)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
