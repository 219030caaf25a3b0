"""`repband plot TRACE`: a PNG of what the counter sees, the reps it counted, the labelled sets."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from host_tools import firmware
from host_tools.errors import RepbandError
from host_tools.sim.mp import drive
from host_tools.traces import traceio
from host_tools.traces.replay import MODES, mode_number

COLOURS = {"clamshell": "tab:purple", "leg_lift": "tab:orange", "unknown": "tab:gray"}


def counter_signal(trace: traceio.Trace, mode: str = "auto") -> tuple[np.ndarray, list[dict]]:
    """The counter's 1-D signal (mg) at every sample, and the reps it counted."""
    counter = firmware.load("counter")
    c = counter.Counter(round(trace.sample_rate_hz), trace.axes == "band", mode_number(mode))
    t, ax, ay, az, gx, gy, gz = (a.tolist() for a in traceio.counter_ints(trace))
    signal = np.empty(len(t))
    reps = []

    def on_event(ev: int) -> None:
        if ev == counter.EV_REP:
            reps.append({"t_ms": c.rep_t_ms, "exercise": counter.EXERCISE_NAMES[c.rep_exercise],
                         "rom_deg": c.rep_rom_cdeg / 100})
        elif ev == counter.EV_SET:  # a set is one exercise, judged on the whole set
            for r in reps[max(0, len(reps) - c.set_reps):]:
                r["exercise"] = counter.EXERCISE_NAMES[c.set_exercise]

    def after(i: int) -> None:
        signal[i] = c.signal_mg

    drive.feed_all(c, t, ax, ay, az, gx, gy, gz, on_event, after)
    return signal, reps


def plot_trace(path: str | Path, out: str | Path | None = None, mode: str = "auto") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trace = traceio.read_trace(path)
    lp = traceio.labels_path_for(trace.path)
    labels = traceio.read_labels(lp) if lp.exists() else None
    out = Path(out) if out else trace.path.with_suffix(".png")
    signal, reps = counter_signal(trace, mode)
    t = trace.t_ms / 1000
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(14, 6), sharex=True,
                                 gridspec_kw={"height_ratios": [1, 1.3]})
    for k, name in enumerate("xyz"):
        a1.plot(t, trace.accel_g[:, k], lw=0.7, label=f"a{name}")
    a1.set_ylabel("acceleration (g)")
    a1.legend(loc="upper right", fontsize=8, ncol=3)
    what = "knee height (x of gravity)" if trace.axes == "band" else "swing along its axis"
    a2.plot(t, signal, lw=0.9, color="black", label=f"counter signal: {what}")
    a2.set_ylabel("milli-g")
    a2.set_xlabel("time (s)")
    for r in reps:
        a2.axvline(r["t_ms"] / 1000, color=COLOURS[r["exercise"]], lw=1.2, alpha=0.8)
    for ex, colour in COLOURS.items():
        if any(r["exercise"] == ex for r in reps):
            a2.plot([], [], color=colour, label=f"{ex} rep")
    true = None
    if labels:
        true = 0
        for s in labels.sets:
            colour = "tab:green" if s.is_target else "tab:red"
            for ax in (a1, a2):
                ax.axvspan(s.start_ms / 1000, s.end_ms / 1000, color=colour, alpha=0.12)
            a2.text(
                s.start_ms / 1000,
                a2.get_ylim()[1],
                f" {s.exercise} {s.reps if s.reps is not None else '?'}",
                va="top",
                fontsize=8,
                color=colour,
            )
            if s.is_target:
                true += s.reps or 0
    a2.legend(loc="lower right", fontsize=8)
    title = f"{trace.path.name}: {len(reps)} reps counted"
    if true is not None:
        title += f", {true} labelled in target sets"
    fig.suptitle(title + f"  ({trace.sample_rate_hz:g} Hz, axes {trace.axes})")
    save_figure(fig, out, dpi=90)
    return out


def save_figure(fig, path: str | Path, dpi: int) -> None:
    """Lay out `fig`, write it to `path` (a one-line error if it cannot be) and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    try:
        fig.savefig(path, dpi=dpi)
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the plot ({exc.strerror})") from None
    finally:
        plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", metavar="TRACE")
    parser.add_argument("-o", "--out", help="PNG to write (default: beside the trace)")
    parser.add_argument("--exercise", choices=MODES, default="auto",
                        help="count this exercise, or recognise it (default: auto)")


def run(args: argparse.Namespace) -> int:
    print(f"wrote {plot_trace(args.trace, args.out, args.exercise)}")
    return 0
