"""`repband config [get | set KEY=VALUE ...]`: read and change the band's settings.

Settings: the daily goal (reps per exercise), the exercise mode (auto, clamshell, leg_lift),
feedback (buzz/LED per rep) on or off, and the side (which thigh wears the band). Values are checked here, on the host, before anything is
sent; the band stores them with its own firmware/settings.py, which the app reads at start.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from host_tools import RepbandError, firmware

_band = firmware.load("settings")  # the band's own list of what each setting may be
MODES = _band.MODES
SIDES = _band.SIDES
TRUE_WORDS = ("on", "true", "yes", "1")
FALSE_WORDS = ("off", "false", "no", "0")
GOAL_MAX = 1000


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    example: str


SETTINGS = {
    s.key: s
    for s in (
        Setting("goal", f"daily goal, reps per exercise (1..{GOAL_MAX})", "goal=100"),
        Setting("mode", "exercise mode: " + ", ".join(MODES), "mode=auto"),
        Setting("feedback", "buzz/LED on each rep: on or off", "feedback=on"),
        Setting("side", "thigh that wears the band: left, right or unknown", "side=right"),
    )
}


def parse_assignment(text: str) -> tuple[str, Any]:
    """'goal=120' -> ('goal', 120); a clear one-line error for anything else."""
    if "=" not in text:
        raise RepbandError(f"{text!r}: expected KEY=VALUE, e.g. {SETTINGS['goal'].example}")
    key, _, raw = text.partition("=")
    key, raw = key.strip().lower(), raw.strip()
    if key not in SETTINGS:
        raise RepbandError(f"unknown setting {key!r}: the settings are {', '.join(SETTINGS)}")
    return key, parse_value(key, raw)


def parse_value(key: str, raw: str) -> Any:
    low = raw.lower()
    if key == "goal":
        try:
            value = int(raw)
        except ValueError:
            raise RepbandError(
                f"goal={raw!r}: must be a whole number of reps, e.g. goal=100"
            ) from None
        if not 1 <= value <= GOAL_MAX:
            raise RepbandError(f"goal={value}: must be between 1 and {GOAL_MAX} reps a day")
        return value
    if key == "mode":
        alias = {"leglift": "leg_lift", "leg-lift": "leg_lift"}
        low = alias.get(low, low)
        if low not in MODES:
            raise RepbandError(f"mode={raw!r}: must be one of {', '.join(MODES)}")
        return low
    if key == "feedback":
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise RepbandError(f"feedback={raw!r}: must be on or off")
    if key == "side":
        if low not in SIDES:
            raise RepbandError(f"side={raw!r}: must be one of {', '.join(SIDES)}")
        return low
    raise RepbandError(f"unknown setting {key!r}: the settings are {', '.join(SETTINGS)}")


def show_value(key: str, value: Any) -> str:
    if key == "feedback":
        return "on" if value else "off"
    return str(value)


# ---------------------------------------------------------------- on the band

# Run on the band (raw REPL): firmware/settings.py reads and writes /config.json.
_READ = "import settings,json\nprint(json.dumps(settings.load()))"
_WRITE = "import settings,json\nprint(json.dumps(settings.update(json.loads({payload!r}))))"


def read_settings(transport: Any, port: str) -> dict[str, Any]:
    return _run_json(transport, port, _READ)


def write_settings(transport: Any, port: str, changes: dict[str, Any]) -> dict[str, Any]:
    return _run_json(transport, port, _WRITE.format(payload=json.dumps(changes)))


def _run_json(transport: Any, port: str, code: str) -> dict[str, Any]:
    from mpremote.transport import TransportError, TransportExecError

    try:
        out = transport.exec(code)
    except TransportExecError as exc:
        last = (exc.error_output or "").strip().splitlines()
        detail = last[-1] if last else "error"
        if "settings" in detail and ("ImportError" in detail or "no module" in detail.lower()):
            raise RepbandError(
                f"{port}: the band has no settings module: update it with repband flash --board B"
            ) from None
        raise RepbandError(f"{port}: the band refused the settings ({detail})") from None
    except TransportError as exc:
        raise RepbandError(f"{port}: lost the band while talking to it ({exc})") from None
    try:
        result = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RepbandError(f"{port}: unexpected answer from the band: {out[:80]!r}") from None
    if not isinstance(result, dict):
        raise RepbandError(f"{port}: unexpected answer from the band: {out[:80]!r}")
    return result


def format_settings(values: dict[str, Any]) -> str:
    lines = []
    for key, setting in SETTINGS.items():
        shown = show_value(key, values[key]) if key in values else "(not set)"
        lines.append(f"{key:<9} {shown:<10} {setting.help}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", help="serial port of the band (default: find it)")
    parser.add_argument(
        "action",
        nargs="?",
        default="get",
        choices=("get", "set"),
        help="get (default): show the settings; set KEY=VALUE ...: change them",
    )
    parser.add_argument(
        "assignments",
        nargs="*",
        metavar="KEY=VALUE",
        help="; ".join(f"{s.example}: {s.help}" for s in SETTINGS.values()),
    )


def run(args: argparse.Namespace) -> int:
    if args.action == "get" and args.assignments:
        raise RepbandError("config get takes no KEY=VALUE; did you mean: repband config set ...")
    changes: dict[str, Any] = {}
    if args.action == "set":
        if not args.assignments:
            raise RepbandError(
                "config set needs at least one KEY=VALUE, e.g. repband config set goal=120"
            )
        for a in args.assignments:
            key, value = parse_assignment(a)
            changes[key] = value
    from host_tools import link

    port = args.port or link.find_port()
    with link.raw_session(port) as transport:
        if changes:
            values = write_settings(transport, port, changes)
        else:
            values = read_settings(transport, port)
    print(format_settings(values))
    if changes:
        print(f"{port}: saved {', '.join(f'{k}={show_value(k, v)}' for k, v in changes.items())}")
    return 0
