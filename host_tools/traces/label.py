"""`repband label trace.csv`: help write the trace's .labels.json.

Runs the band's counter over the trace, proposes one labelled set per set it found (start, end,
rep count, exercise, rep times), and asks to accept, edit or drop each, and whether to add sets it
missed; `--yes` accepts the proposals as they are. Writes NAME.labels.json (format in
../shared/docs/trace-format.md) through host_tools.traces.traceio.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools.errors import RepbandError
from host_tools.traces.traceio import MARGIN_MS

LABEL_EXERCISES = ("clamshell", "leg_lift", "other")


@dataclass
class ProposedSet:
    exercise: str  # clamshell, leg_lift, or "unknown" when the counter could not tell
    start_ms: int
    end_ms: int
    reps: int | None
    rep_ms: list[int] = field(default_factory=list)
    name: str | None = None  # for "other" sets: what the exercise was

    def as_label_set(self) -> Any:
        from host_tools.traces import traceio

        return traceio.LabelSet(
            self.exercise,
            self.start_ms,
            self.end_ms,
            self.reps,
            list(self.rep_ms) or None,
            self.name,
        )


def detect_sets(trace: Any) -> list[ProposedSet]:
    """Run the band's counter over the trace; one proposal per set it closed."""
    from host_tools.firmware import load

    counter_mod = load("counter")
    axes_known = trace.axes == "band"
    c = counter_mod.Counter(round(float(trace.sample_rate_hz)), axes_known=axes_known)
    sets: list[ProposedSet] = []
    reps: list[tuple[int, int]] = []  # (time of the top, duration) of the open set's reps

    def take(ev: int) -> None:
        if ev & counter_mod.EV_REP:
            reps.append((c.rep_t_ms, c.rep_duration_ms))
        if ev & counter_mod.EV_SET:
            start, end = c.set_start_ms, c.set_end_ms
            mine = [r for r in reps if start - MARGIN_MS <= r[0] <= end + MARGIN_MS][-c.set_reps :]
            if mine:
                # Bound the set by its reps (a rep spans about its duration around its top),
                # which is where a person labelling it would put the bounds.
                start = max(start, _round100(mine[0][0] - mine[0][1]))
                end = min(end, _round100(mine[-1][0] + mine[-1][1]))
            sets.append(
                ProposedSet(
                    exercise=counter_mod.EXERCISE_NAMES[c.set_exercise],
                    start_ms=start,
                    end_ms=end,
                    reps=c.set_reps,
                    rep_ms=[t for t, _ in mine],
                )
            )
            reps.clear()

    from host_tools.sim.mp import drive
    from host_tools.traces import traceio

    t, ax, ay, az, gx, gy, gz = (col.tolist() for col in traceio.counter_ints(trace))
    drive.feed_all(c, t, ax, ay, az, gx, gy, gz, take)
    return sets


def _round100(t_ms: int) -> int:
    return max(0, (t_ms + 50) // 100 * 100)


# ---------------------------------------------------------------- the dialogue


class Asker:
    """Prompts on a terminal (or any input/output pair, for tests)."""

    def __init__(self, ask: Callable[[str], str] = input, say: Callable[[str], None] = print):
        self.ask_fn, self.say = ask, say

    def ask(self, prompt: str, default: str = "") -> str:
        try:
            answer = self.ask_fn(f"{prompt} [{default}]: " if default else f"{prompt}: ").strip()
        except EOFError:
            raise RepbandError("input ended before labelling was done; nothing written") from None
        return answer or default

    def ask_int(self, prompt: str, default: int | None, *, allow_none: bool = False) -> int | None:
        while True:
            raw = self.ask(prompt, "" if default is None else str(default))
            if raw == "" or (allow_none and raw.lower() in ("none", "null", "-")):
                if raw == "" and default is not None:
                    return default
                if allow_none:
                    return None
            try:
                value = int(float(raw.replace("s", "")) * 1000) if raw.endswith("s") else int(raw)
            except ValueError:
                self.say(f"  not a number: {raw!r}")
                continue
            if value < 0:
                self.say("  must be 0 or more")
                continue
            return value

    def ask_exercise(self, default: str) -> str:
        while True:
            raw = self.ask(
                "  exercise (clamshell, leg_lift, other)",
                default if default in LABEL_EXERCISES else "",
            )
            if raw in LABEL_EXERCISES:
                return raw
            self.say(f"  {raw!r} is not one of clamshell, leg_lift, other")


def describe(i: int, s: ProposedSet) -> str:
    reps = "?" if s.reps is None else str(s.reps)
    return (
        f"set {i}: {s.exercise}, {s.start_ms / 1000:.1f} s to {s.end_ms / 1000:.1f} s, {reps} reps"
        + (f" ({s.name})" if s.name else "")
    )


def edit(asker: Asker, s: ProposedSet) -> ProposedSet:
    exercise = asker.ask_exercise(s.exercise)
    name = s.name
    if exercise == "other":
        name = asker.ask("  what exercise was it", s.name or "") or None
    start = asker.ask_int("  start_ms (or seconds with 's')", s.start_ms)
    end = asker.ask_int("  end_ms (or seconds with 's')", s.end_ms)
    assert start is not None and end is not None
    while end <= start:
        asker.say("  the end must come after the start")
        end = asker.ask_int("  end_ms (or seconds with 's')", max(s.end_ms, start + 1))
        assert end is not None
    reps = asker.ask_int(
        "  true number of reps" + (" ('none' if nobody counted)" if exercise == "other" else ""),
        s.reps,
        allow_none=exercise == "other",
    )
    keep_rep_ms = [t for t in s.rep_ms if start - MARGIN_MS <= t <= end + MARGIN_MS]
    if reps is None or len(keep_rep_ms) != reps:
        keep_rep_ms = []  # the counter's rep times no longer match the true count
    return ProposedSet(exercise, start, end, reps, keep_rep_ms, name)


def review(proposals: list[ProposedSet], asker: Asker) -> list[ProposedSet]:
    """Ask about each proposal, then for sets the counter missed."""
    final: list[ProposedSet] = []
    if not proposals:
        asker.say("the counter found no sets in this trace")
    for i, s in enumerate(proposals, 1):
        asker.say(describe(i, s))
        while True:
            choice = asker.ask(
                "  (a)ccept, (e)dit, (d)rop", "a" if s.exercise != "unknown" else "e"
            )
            if choice in ("a", "e", "d"):
                break
            asker.say("  answer a, e or d")
        if choice == "a" and s.exercise not in LABEL_EXERCISES:
            asker.say("  the counter could not tell the exercise (axes unknown): say which")
            choice = "e"
        if choice == "e":
            s = edit(asker, s)
        if choice != "d":
            final.append(s)
    while asker.ask("add a set the counter missed? (y/n)", "n").lower().startswith("y"):
        final.append(edit(asker, ProposedSet("clamshell", 0, 1, 0)))
    return sorted(final, key=lambda s: s.start_ms)


# ---------------------------------------------------------------- files


def label_trace(
    trace_path: Path,
    *,
    yes: bool = False,
    force: bool = False,
    asker: Asker | None = None,
    plot: Path | None = None,
    notes: str | None = None,
    exercise: str | None = None,
) -> tuple[Path, list[ProposedSet]]:
    from host_tools.traces import traceio

    out = traceio.labels_path_for(trace_path)
    if out.exists() and not force:
        raise RepbandError(f"{out}: already exists; pass --force to replace it")
    trace = traceio.read_trace(trace_path)
    proposals = detect_sets(trace)
    if exercise is not None:
        for s in proposals:
            if s.exercise not in LABEL_EXERCISES:
                s.exercise = exercise
    if yes:
        unknown = [s for s in proposals if s.exercise not in LABEL_EXERCISES]
        if unknown:
            raise RepbandError(
                f"{trace_path}: the trace's axes are unknown, so the counter cannot tell "
                "clamshells "
                "from leg lifts; label it interactively (without --yes) or pass --exercise"
            )
        final = proposals
    else:
        final = review(proposals, asker or Asker())
    labels = traceio.Labels(
        path=out,
        sets=[s.as_label_set() for s in final],
        notes=notes
        or "sets proposed by repband label (the band's counter)"
        + ("" if yes else ", checked and edited by hand"),
    )
    traceio.write_labels(out, labels)
    if plot is not None:
        write_plot(trace, final, plot)
    return out, final


def write_plot(trace: Any, sets: list[ProposedSet], path: Path) -> None:
    """The trace's acceleration with the labelled sets shaded and rep times marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = trace.t_ms / 1000
    fig, ax = plt.subplots(figsize=(11, 3.5))
    for j, name in enumerate(("ax", "ay", "az")):
        ax.plot(t, trace.accel_g[:, j], linewidth=0.7, label=name)
    for s in sets:
        ax.axvspan(s.start_ms / 1000, s.end_ms / 1000, alpha=0.15, color="tab:green")
        ax.text(s.start_ms / 1000, 1.05, f"{s.exercise} {s.reps}", fontsize=8)
        for r in s.rep_ms:
            ax.axvline(r / 1000, color="tab:red", linewidth=0.5)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("acceleration (g)")
    ax.legend(loc="lower right", fontsize=8)
    from host_tools.traces.plot import save_figure

    save_figure(fig, path, dpi=100)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", type=Path, help="trace file (NAME.csv); writes NAME.labels.json")
    parser.add_argument("--yes", "-y", action="store_true", help="accept the counter's proposals")
    parser.add_argument("--force", action="store_true", help="replace an existing labels file")
    parser.add_argument(
        "--plot", type=Path, metavar="OUT.png", help="also draw the labelled trace"
    )
    parser.add_argument(
        "--exercise",
        choices=("clamshell", "leg_lift"),
        help="the exercise of sets the counter cannot name (traces with unknown axes)",
    )
    parser.add_argument("--notes", help="who labelled it and how (stored in the labels file)")


def run(args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        raise RepbandError("stdin is not a terminal: run interactively, or pass --yes")
    out, sets = label_trace(
        args.trace,
        yes=args.yes,
        force=args.force,
        plot=args.plot,
        notes=args.notes,
        exercise=args.exercise,
    )
    total = sum(s.reps or 0 for s in sets)
    print(
        f"{out}: {len(sets)} set(s), {total} reps"
        + (f"; plot in {args.plot}" if args.plot else "")
    )
    return 0
