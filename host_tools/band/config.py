"""`repband config [get [KEY ...] | set KEY=VALUE ...]`: read and change the band's settings, and
the laptop's own (patient, prescription: kept in the database, printed on the report).

Settings: the daily goal (reps per exercise), the exercise mode (auto, clamshell, leg_lift),
feedback (buzz/LED per rep, and form cues) on, off or counts, the side (which thigh wears the
band), and the prescription the band judges form against (reps x sets, tempo, hold, minimum
range; the goal is reps x sets unless set). Values are checked here, on the host, before
anything is sent; the band stores them with its own firmware/settings.py, which the app reads at
start.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools import firmware
from host_tools.band.client import BandClient, BandRefused
from host_tools.errors import RepbandError

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
        Setting("goal", f"daily goal, reps per exercise (1..{GOAL_MAX}); auto: reps x sets",
                "goal=100"),
        Setting("mode", "exercise mode: " + ", ".join(MODES), "mode=auto"),
        Setting("feedback", "on: a buzz/LED per rep and a cue for a rep too fast, too small or "
                "not held; counts: the buzz per rep only; off", "feedback=on"),
        Setting("side", "thigh that wears the band: left, right or unknown (with mount=learn "
                "an override: unknown lets the band learn it)", "side=right"),
        Setting("mount", "fixed (worn as the manual says: x toward the knee) or learn (worn any "
                "way: the band learns it from standing and walking)", "mount=learn"),
        Setting("reps", "prescription: reps a set (1..100)", "reps=10"),
        Setting("sets", "prescription: sets a day of each exercise on this leg (1..20)", "sets=3"),
        Setting("tempo_s", "prescription: seconds up, and again down, per rep (1..10)",
                "tempo_s=2"),
        Setting("hold_s", "prescription: seconds held at the top (0..30; 0: no hold)",
                "hold_s=2"),
        Setting("min_rom_deg", "prescription: minimum range in degrees (0..90; 0: none)",
                "min_rom_deg=30"),
    )
}
# Kept on the laptop, in the database beside the bands' data (for the report), not on a band.
HOST_SETTINGS = {
    s.key: s
    for s in (
        Setting("patient", "the patient's name, printed on the report", 'patient="Ada Lovelace"'),
        Setting("prescription", "what was prescribed, printed on the report",
                'prescription="3 x 15 clamshells, left"'),
    )
}
ALL_KEYS = [*SETTINGS, *HOST_SETTINGS]


def parse_assignment(text: str) -> tuple[str, Any]:
    """'goal=120' -> ('goal', 120); a clear one-line error for anything else."""
    if "=" not in text:
        raise RepbandError(f"{text!r}: expected KEY=VALUE, e.g. {SETTINGS['goal'].example}")
    key, _, raw = text.partition("=")
    key, raw = check_key(key), raw.strip()
    if key in HOST_SETTINGS:
        return key, raw
    return key, parse_value(key, raw)


def check_key(key: str) -> str:
    from host_tools.errors import did_you_mean

    key = key.strip().lower()
    if key not in ALL_KEYS:
        raise RepbandError(f"unknown setting {key!r}{did_you_mean(key, ALL_KEYS)}: the settings "
                           f"are {', '.join(ALL_KEYS)}")
    return key


def parse_value(key: str, raw: str) -> Any:
    low = raw.lower()
    if key == "goal" and low == "auto":
        return None  # reps x sets again
    if key in _band.LIMITS and key != "goal":
        lo, hi = _band.LIMITS[key]
        try:
            value = int(raw)
        except ValueError:
            raise RepbandError(f"{key}={raw!r}: must be a whole number, e.g. "
                               f"{SETTINGS[key].example}") from None
        if not lo <= value <= hi:
            raise RepbandError(f"{key}={value}: must be between {lo} and {hi}")
        return value
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
        if low == "counts":
            return "counts"
        raise RepbandError(f"feedback={raw!r}: must be on, off or counts")
    if key == "side":
        if low not in SIDES:
            raise RepbandError(f"side={raw!r}: must be one of {', '.join(SIDES)}")
        return low
    if key == "mount":
        if low not in ("fixed", "learn"):
            raise RepbandError(f"mount={raw!r}: must be fixed or learn")
        return low
    raise RepbandError(f"unknown setting {key!r}: the settings are {', '.join(SETTINGS)}")


def show_value(key: str, value: Any) -> str:
    if key == "feedback":
        return value if isinstance(value, str) else ("on" if value else "off")
    if key == "goal" and value is None:
        return "auto"
    return str(value)


# ---------------------------------------------------------------- on the band

def read_settings(band: BandClient) -> dict[str, Any]:
    """The band's settings (firmware/settings.py reads its /config.json)."""
    with _settings_errors(band.port):
        return band.read_settings()


def write_settings(band: BandClient, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the band's settings (checked here first); all of them, as the band now has them."""
    with _settings_errors(band.port):
        return band.write_settings(changes)


@contextlib.contextmanager
def _settings_errors(port: str) -> Iterator[None]:
    try:
        yield
    except BandRefused as exc:
        detail = exc.detail
        if "settings" in detail and ("ImportError" in detail or "no module" in detail.lower()):
            raise RepbandError(
                f"{port}: the band has no settings module: update it with repband flash --board B"
            ) from None
        raise RepbandError(f"{port}: the band refused the settings ({detail})") from None


def format_settings(values: dict[str, Any], only: list[str] | None = None) -> str:
    lines = []
    for key, setting in {**SETTINGS, **HOST_SETTINGS}.items():
        if only is not None and key not in only:
            continue
        shown = show_value(key, values[key]) if key in values else "(not set)"
        lines.append(f"{key:<11} {shown:<10} {setting.help}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--port", help="serial port of the band (default: find it)")
    parser.add_argument("--db", help="database that keeps the laptop's settings (patient, "
                                     "prescription; default: the one repband sync uses)")
    parser.add_argument(
        "action",
        nargs="?",
        default="get",
        choices=("get", "set"),
        help="get [KEY ...] (default): show the settings, or these; "
             "set KEY=VALUE ...: change them",
    )
    parser.add_argument(
        "assignments",
        nargs="*",
        metavar="KEY[=VALUE]",
        help="; ".join(f"{s.example}: {s.help}" for s in (*SETTINGS.values(),
                                                          *HOST_SETTINGS.values())),
    )


def _host_store(db: str | None):
    from host_tools.data import store

    return store.open_store(db or store.default_path())


def run(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    wanted: list[str] | None = None
    if args.action == "get":
        if any("=" in a for a in args.assignments):
            raise RepbandError("config get takes keys, not KEY=VALUE; did you mean: repband "
                               "config set ...")
        wanted = [check_key(a) for a in args.assignments] or None
    else:
        if not args.assignments:
            raise RepbandError(
                "config set needs at least one KEY=VALUE, e.g. repband config set goal=120"
            )
        for a in args.assignments:
            key, value = parse_assignment(a)
            changes[key] = value
    host_changes = {k: v for k, v in changes.items() if k in HOST_SETTINGS}
    band_changes = {k: v for k, v in changes.items() if k in SETTINGS}
    values: dict[str, Any] = {}
    needs_host = host_changes or (wanted is None and not changes) or \
        any(k in HOST_SETTINGS for k in wanted or [])
    from host_tools.data import store

    if needs_host and (host_changes or Path(args.db or store.default_path()).exists()):
        with _host_store(args.db) as st:
            for k, v in host_changes.items():
                st.set_host_setting(k, v)
            values.update(st.host_settings())
    needs_band = band_changes or (not changes and (wanted is None
                                                   or any(k in SETTINGS for k in wanted)))
    port = None
    if needs_band:
        from host_tools.band import link

        port = args.port or link.find_port()
        with link.raw_session(port) as band:
            if band_changes:
                values.update(write_settings(band, band_changes))
            else:
                values.update(read_settings(band))
    shown = wanted or (list(changes) if changes and not needs_band else None)
    if wanted and len(wanted) == 1:
        print(show_value(wanted[0], values.get(wanted[0], "")))  # one value: for scripts
    else:
        print(format_settings(values, shown))
    if changes:
        where = port or "the laptop"
        print(f"{where}: saved {', '.join(f'{k}={show_value(k, v)}' for k, v in changes.items())}")
    return 0
