"""`repband bench`: the counter's cost, as JSON.

- MicroPython heap bytes allocated per sample in steady state (gc.mem_alloc() over a long run with
  the collector off), and the same run under micropython.heap_lock(), where any allocation raises;
- MicroPython time per sample as a ratio to a fixed reference loop timed in the same process
  (an empty-bodied loop over the same arrays), so the figure does not depend on the machine;
- peak heap of the counter (bytes allocated while constructing and running it);
- CPython replay speed as a multiple of real time over the shared traces (or a built-in signal).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from host_tools.sim.bench_traces import SHARED_TRACES, default_trace, sine_trace
from host_tools.sim.mpy_runtime import run_micropython
from host_tools.traces import traceio
from host_tools.traces.replay import pack

_MP_BENCH = """
import gc, time, micropython, counter, drive

def feed_all(c, t, ax, ay, az, lo, hi):
    reps = 0
    for i in range(lo, hi):
        if c.feed(t[i], ax[i], ay[i], az[i], 0, 0, 0) == 1:
            reps += 1
    return reps

def reference(t, ax, ay, az, lo, hi):
    s = 0
    for i in range(lo, hi):
        s += t[i] + ax[i] + ay[i] + az[i]
    return s

rate, known, _, (t, ax, ay, az, _, _, _) = drive.load('/lib/bench.bin')
n = len(t)
warm = n // 5
gc.collect()
before = gc.mem_alloc()
c = counter.Counter(rate, known)
feed_all(c, t, ax, ay, az, 0, warm)
gc.collect()
counter_bytes = gc.mem_alloc() - before

gc.collect()
gc.disable()
a0 = gc.mem_alloc()
reps = feed_all(c, t, ax, ay, az, warm, n)
a1 = gc.mem_alloc()
gc.enable()

c2 = counter.Counter(rate, known)
feed_all(c2, t, ax, ay, az, 0, warm)
locked_ok = 1
micropython.heap_lock()
try:
    feed_all(c2, t, ax, ay, az, warm, n)
except MemoryError:
    locked_ok = 0
finally:
    micropython.heap_unlock()

c3 = counter.Counter(rate, known)
t0 = time.ticks_us()
feed_all(c3, t, ax, ay, az, 0, n)
t_counter = time.ticks_diff(time.ticks_us(), t0)
t0 = time.ticks_us()
reference(t, ax, ay, az, 0, n)
t_ref = time.ticks_diff(time.ticks_us(), t0)
print('B', n - warm, a1 - a0, reps, locked_ok, counter_bytes, t_counter, t_ref, n)
"""


_MP_MOUNT = """
import gc, micropython, drive, mount
rate, known, _, (t, ax, ay, az, _, _, _) = drive.load('/lib/walk.bin')
n = len(t)
m = mount.Mount(rate)
for i in range(n // 4):  # standing and the first steps (its state made)
    m.feed(t[i], ax[i], ay[i], az[i])
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
for i in range(n // 4, n // 2):
    m.feed(t[i], ax[i], ay[i], az[i])
a1 = gc.mem_alloc()
gc.enable()
locked_ok = 1
micropython.heap_lock()
try:
    for i in range(n // 2, n):
        m.feed(t[i], ax[i], ay[i], az[i])
        m.apply(ax[i], ay[i], az[i])
except MemoryError:
    locked_ok = 0
finally:
    micropython.heap_unlock()
print('M', n // 2 - n // 4, a1 - a0, locked_ok, 1 if m.sure else 0)
"""


def mount_figures() -> dict:
    """The mounting estimator (firmware/mount.py) over standing and walking, turned: heap
    bytes per sample with the collector off, and a run under heap_lock (solving included)."""
    import numpy as np

    from host_tools.traces import mounting

    lead = mounting.lead_in(50, "right", 1)
    m = mounting.mounting(np.random.default_rng(1))
    walk = traceio.Trace(lead.path, dict(lead.meta, axes="unknown"), 50.0, "unknown",
                         lead.t_ms, lead.accel_g @ m.T, None)
    out = run_micropython(_MP_MOUNT, {"walk.bin": pack(walk)})
    samples, alloc, locked_ok, sure = map(int, next(
        x for x in out.splitlines() if x.startswith("M ")).split()[1:])
    return {"mount_heap_bytes_per_sample": alloc / samples,
            "mount_heap_locked_run_ok": bool(locked_ok), "mount_sure": bool(sure)}


def micropython_figures(trace: traceio.Trace | None = None) -> dict:
    trace = trace or default_trace()
    out = run_micropython(_MP_BENCH, {"bench.bin": pack(trace)}, heap_bytes=32 << 20)
    line = next(x for x in out.splitlines() if x.startswith("B "))
    samples, alloc, reps, locked_ok, counter_bytes, t_counter, t_ref, n = map(
        int, line.split()[1:]
    )
    return {
        "trace": str(trace.path),
        "steady_state_samples": samples,
        "steady_state_reps": reps,
        "heap_bytes_per_sample": alloc / samples,
        "heap_locked_run_ok": bool(locked_ok),
        "counter_heap_bytes": counter_bytes,
        "time_per_sample_vs_reference_loop": round(t_counter / max(1, t_ref), 2),
        "micropython_us_per_sample_here": round(t_counter / n, 3),
    }


def cpython_speed(paths: list[Path]) -> dict:
    from host_tools.traces.replay import replay_trace

    traces = [traceio.read_trace(p) for p in paths] or [sine_trace()]
    start = time.perf_counter()
    for tr in traces:
        replay_trace(tr)
    elapsed = time.perf_counter() - start
    recorded_s = sum(tr.duration_ms for tr in traces) / 1000
    return {"traces": len(traces), "recorded_hours": round(recorded_s / 3600, 3),
            "replay_seconds": round(elapsed, 3),
            "replay_x_real_time": round(recorded_s / elapsed)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="TRACE_OR_DIR",
                        help="traces for the CPython speed (default: ../shared/traces if present)")
    parser.add_argument("--power", action="store_true",
                        help="instead: the app's duty cycle and the M5StickC Plus2's battery life")
    parser.add_argument("--ref-us", type=float, metavar="US",
                        help="with --power: the reference loop's time per iteration on an ESP32 "
                        "at 240 MHz, if you measured it (default: the range published pystone "
                        "figures give, printed)")
    parser.add_argument("--json", action="store_true",
                        help="with --power: the scenarios, the measured loop and every input "
                        "(with its source) as JSON")


def run(args: argparse.Namespace) -> int:
    from host_tools.status_line import working

    if getattr(args, "power", False):
        from host_tools.sim.power import run_power

        with working("running the app's loop in MicroPython over a recording (bench --power)"):
            text = run_power(args.ref_us, as_json=args.json)
        print(text)
        return 0
    paths = args.paths or ([SHARED_TRACES] if SHARED_TRACES.is_dir() else [])
    files = traceio.find_traces(paths) if paths else []
    with working("measuring the counter and the mounting estimator in MicroPython and CPython"):
        figures = _figures(files)
    print(json.dumps(figures, indent=1))
    return 0


def _figures(files: list) -> dict:
    figures = {"micropython": micropython_figures()}
    # the axes-unknown path (learns the swing axis) is a different code path: measure it too
    unknown = SHARED_TRACES / "mex-clam" / "s01-04_act_2.csv"
    trace = traceio.read_trace(unknown) if unknown.exists() else sine_trace()
    if trace.axes == "band":
        trace.axes = "unknown"
    figures["micropython_axes_unknown"] = micropython_figures(trace)
    figures["micropython_mount"] = mount_figures()
    figures["cpython"] = cpython_speed(files)
    return figures
