"""repband: count clamshells and side-lying leg lifts on a thigh-worn band, and see how it went.

Each subcommand lives in its own module, which defines `add_arguments(parser)` and
`run(args) -> int`. Errors a user can cause are raised as RepbandError and printed on one line;
tracebacks only with --debug.
"""

import argparse
import importlib
import sys

from host_tools.errors import RepbandError


class _Parser(argparse.ArgumentParser):
    """A usage error is one line (naming the command and where its help is), exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

# name -> (module, one-line help)
COMMANDS = {
    "replay": (
        "host_tools.traces.replay",
        "replay traces through the band's counter, one JSON line each",
    ),
    "eval": ("host_tools.traces.evaluate", "score replayed reps against .labels.json files"),
    "plot": (
        "host_tools.traces.plot",
        "draw a trace, the counted reps and the labelled sets to a PNG",
    ),
    "bench": (
        "host_tools.sim.bench",
        "measure the counter's speed and heap use (CPython, MicroPython)",
    ),
    "synth": ("host_tools.traces.synth", "write a synthetic trace (+ labels) for tests and demos"),
    "virtual-band": (
        "host_tools.sim.virtual_band.cli",
        "run the firmware on a virtual band behind a pty",
    ),
    "flash": ("host_tools.band.flash", "install MicroPython and the repband firmware on a band"),
    "sync": ("host_tools.band.sync", "pull the band's log into the local database"),
    "progress": ("host_tools.data.progress", "today's reps vs goal, last 30 days, streaks"),
    "report": ("host_tools.data.report", "a one-page HTML summary for a physiotherapist"),
    "record": ("host_tools.band.record", "stream raw IMU samples from the band into a trace file"),
    "label": ("host_tools.traces.label", "help write a trace's .labels.json"),
    "config": ("host_tools.band.config", "read and set the band's settings"),
    "demo": ("host_tools.sim.demo", "wear a trace on the virtual band, sync, show progress"),
    "status": (
        "host_tools.band.status",
        "the band now: firmware, side, clock, battery, log space, records to sync, last sync",
    ),
    "sessions": (
        "host_tools.data.sessions",
        "each set of a day: start time, exercise, side, reps, angle, tempo",
    ),
    "correct": (
        "host_tools.data.correct",
        "correct a wrong day by hand (a count, or a day moved), beside the band's records; "
        "--undo takes it back",
    ),
}


EXIT_CODES = """exit codes: 0 done, 1 an error (a file, the database), 2 a usage error (arguments,
a broken trace or labels file), 3 a band or link problem, 130 interrupted (Ctrl-C).
--debug (anywhere on the line) shows the traceback of an error."""


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("repband")
    except PackageNotFoundError:
        return "unknown"


def _chosen(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Only the chosen command's module is imported (so `repband --help` and each command start
    fast). Every command is listed; one whose module does not import says so when chosen."""
    parser = _Parser(
        prog="repband",
        description=(__doc__ or "").splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        help="print repband's version and exit",
        version=f"repband {version()} (band firmware {_firmware_version()})",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    if chosen is not None and chosen not in COMMANDS:
        from host_tools.errors import did_you_mean

        parser.error(
            f"unknown command {chosen!r}{did_you_mean(chosen, list(COMMANDS))} "
            f"(commands: {', '.join(COMMANDS)})"
        )
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = _import_command(name, module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def _import_command(name: str, module_name: str):
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        if _from_interrupt(exc):  # (numpy's; main() reports it as an interrupt)
            raise
        # a broken install or a missing dependency, not the user's input: one line, what to do
        raise RepbandError(
            f"cannot load the {name} command ({module_name}: {exc}); reinstall "
            "repband (pip install repband, or ./dev in a checkout); --debug "
            "shows the traceback"
        ) from exc


def _firmware_version() -> str:
    import re

    from host_tools import FIRMWARE_DIR

    m = re.search(r'^VERSION = "([^"]+)"', (FIRMWARE_DIR / "service.py").read_text(), re.M)
    return m.group(1) if m else "unknown"


def _from_interrupt(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 an error (a file, the database), 2 a usage error (arguments, a
    broken trace or labels file), 3 a band or link problem; 130 interrupted."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    if debug:  # anywhere on the line, as git's and esptool's global options are not
        argv = ["--debug"] + [a for a in argv if a != "--debug"]
    command = _chosen(argv) or "repband"
    try:
        parser = build_parser(argv)  # (imports the command's module: Ctrl-C may come here)
        args = parser.parse_args(argv)
        command = args.command
        return int(args._run(args) or 0)
    except RepbandError as exc:
        if debug:
            raise
        print(f"repband {command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"repband {command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a Ctrl-C inside an import comes out wrapped: numpy turns it
        # into an ImportError, a class body's __set_name__ (numpy's finfo) into a RuntimeError
        if debug or not _from_interrupt(exc):
            raise
        print(f"repband {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
