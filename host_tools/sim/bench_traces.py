"""The traces `repband bench` and `repband bench --power` measure, so neither imports the other."""

from __future__ import annotations

import math
from pathlib import Path

from host_tools import REPO_ROOT
from host_tools.traces import traceio

SHARED_TRACES = REPO_ROOT.parent / "shared" / "traces"  # beside the checkout, when it is there


def default_trace() -> traceio.Trace:
    """A recorded session of leg lifts if the shared traces are here, else `sine_trace()`."""
    shared = SHARED_TRACES / "uci-pt" / "s1-e4-u3-test.csv"
    if shared.exists():
        return traceio.read_trace(shared)
    return sine_trace()


def sine_trace() -> traceio.Trace:
    """Leg lifts as a plain signal (no shared data needed): 30 reps of 25 deg at 50 Hz."""
    import numpy as np

    rate = 50
    t = np.arange(0, 120_000, 1000 // rate)
    phase = (t % 4000) / 4000
    angle = np.radians(25) * 0.5 * (1 - np.cos(2 * math.pi * phase))
    accel = np.stack([np.sin(angle), np.zeros_like(angle), np.cos(angle)], 1)
    return traceio.Trace(Path("sine"), {}, rate, "band", t.astype(np.int64), accel)
