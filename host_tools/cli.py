"""repband: count clamshells and side-lying leg lifts on a thigh-worn band, and see how it went.

Each subcommand lives in its own module, which defines `add_arguments(parser)` and
`run(args) -> int`. Errors a user can cause are raised as RepbandError and printed on one line;
tracebacks only with --debug.
"""

import argparse
import importlib
import importlib.util
import sys

from host_tools import RepbandError

# name -> (module, one-line help)
COMMANDS = {
    "replay": ("host_tools.replay", "replay traces through the band's counter, one JSON line each"),
    "eval": ("host_tools.evaluate", "score replayed reps against .labels.json files"),
    "plot": ("host_tools.plot", "draw a trace, the counted reps and the labelled sets to a PNG"),
    "bench": ("host_tools.bench", "measure the counter's speed and heap use (CPython, MicroPython)"),
    "synth": ("host_tools.synth", "write a synthetic trace (+ labels) for tests and demos"),
    "virtual-band": ("host_tools.virtual_band.cli", "run the firmware on a virtual band behind a pty"),
    "flash": ("host_tools.flash", "install MicroPython and the repband firmware on a band"),
    "sync": ("host_tools.sync", "pull the band's log into the local database"),
    "progress": ("host_tools.progress", "today's reps vs goal, last 30 days, streaks"),
    "report": ("host_tools.report", "a one-page HTML summary for a physiotherapist"),
    "record": ("host_tools.record", "stream raw IMU samples from the band into a trace file"),
    "label": ("host_tools.label", "help write a trace's .labels.json"),
    "config": ("host_tools.config", "read and set the band's settings"),
    "demo": ("host_tools.demo", "wear a trace on the virtual band, sync, show progress"),
    "status": ("host_tools.status", "the band now: firmware, side, clock, battery, log space, "
                                    "records to sync, last sync"),
    "sessions": ("host_tools.sessions", "each set of a day: start time, exercise, side, reps, "
                                        "angle, tempo"),
}


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
    fast, and a command whose module is not built yet is just left out)."""
    parser = argparse.ArgumentParser(prog="repband", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", help="print repband's version and exit",
                        version=f"repband {version()} (band firmware {_firmware_version()})")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    if chosen is not None and chosen not in COMMANDS:
        from host_tools import did_you_mean

        parser.error(f"unknown command {chosen!r}{did_you_mean(chosen, list(COMMANDS))} "
                     f"(commands: {', '.join(COMMANDS)})")
    for name, (module_name, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module_name.rsplit(".", 1)[0]) is None:
            continue
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
        except ModuleNotFoundError:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def _firmware_version() -> str:
    import re

    from host_tools import FIRMWARE_DIR

    m = re.search(r'^VERSION = "([^"]+)"', (FIRMWARE_DIR / "service.py").read_text(), re.M)
    return m.group(1) if m else "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except RepbandError as exc:
        if args.debug:
            raise
        print(f"repband {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"repband {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
