"""`repband replay`: run recorded traces through the band's counter, on CPython or MicroPython.

Both runtimes execute the same firmware/counter.py and the same driving loop (host_tools/sim/mp/
drive.py) on the same integers (traceio.counter_ints), so their output must be identical.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

from host_tools import firmware
from host_tools.errors import RepbandError
from host_tools.sim.mp import drive as drive_mod
from host_tools.traces import traceio

MODES: tuple[str, ...] = firmware.load("names").MODE_NAMES  # the band's own names
RUNTIMES = ("cpython", "micropython")


def mode_number(mode: str) -> int:
    if mode not in MODES:
        raise RepbandError(f"unknown exercise {mode!r}: choose one of {', '.join(MODES)}")
    return MODES.index(mode)


def result_dict(path: Path | str, reps: list[int], sets: list[int]) -> dict:
    """The JSON object of one trace, from the flat int lists drive() fills."""
    counter = firmware.load("counter")
    names = counter.EXERCISE_NAMES
    faults = counter.FAULT_NAMES
    n, m = drive_mod.REP_FIELDS, drive_mod.SET_FIELDS
    exercise = [names[reps[i + 1]] for i in range(0, len(reps), n)]
    bits = [reps[i + 8] for i in range(0, len(reps), n)]
    for i in range(0, len(sets), m):
        # a set is one exercise: its reps are filed under the set's, judged on the whole set
        # (each rep's own is the guess from the set so far), as the band and the store file them
        # (without the fault judged for the guess alone)
        end, ex = sets[i + 5], sets[i + 3]
        for j in range(max(0, end - sets[i + 2]), end):
            if reps[j * n + 1] != ex:
                bits[j] &= ~counter.EXERCISE_FAULT[reps[j * n + 1]]
            exercise[j] = names[ex]
    return {
        "trace": str(path),
        "reps": [
            {
                "t_ms": reps[i],
                "exercise": exercise[i // n],
                "rom_deg": reps[i + 2] / 100,
                "duration_ms": reps[i + 3],
                "rep_in_set": reps[i + 4],
                "up_ms": reps[i + 5],
                "hold_ms": reps[i + 6],
                "down_ms": reps[i + 7],
                "faults": [f for b, f in enumerate(faults) if bits[i // n] >> b & 1],
            }
            for i in range(0, len(reps), n)
        ],
        "sets": [
            {"start_ms": sets[i], "end_ms": sets[i + 1], "reps": sets[i + 2],
             "exercise": names[sets[i + 3]]}
            for i in range(0, len(sets), m)
        ],
    }


def replay_trace(trace: traceio.Trace, mode: str = "auto", learn_mount: bool = False,
                 params: dict[str, int] | None = None) -> dict:
    """Replay one trace on CPython. `learn_mount` (axes unknown): the band learns its mounting
    (firmware/mount.py) and counts in the learned band frame once it is sure. `params`: counter
    Params to change from their defaults (a prescription: rx_up_ms, ...)."""
    counter = firmware.load("counter")
    t, ax, ay, az, gx, gy, gz = (a.tolist() for a in traceio.counter_ints(trace))
    reps: list[int] = []
    sets: list[int] = []
    p = None
    if params:
        p = counter.Params()
        for k, v in params.items():
            if not hasattr(p, k):
                raise RepbandError(f"the counter has no parameter {k!r}")
            setattr(p, k, int(v))
    drive_mod.drive(counter, round(trace.sample_rate_hz), trace.axes == "band", mode_number(mode),
                    t, ax, ay, az, gx, gy, gz, reps, sets,
                    firmware.load("mount") if learn_mount else None, p)
    return result_dict(trace.path, reps, sets)


_MP_SCRIPT = """
import counter, drive
for k in range(N_TRACES):
    rate, known, mode, cols = drive.load('/lib/trace%d.bin' % k)
    reps = []
    sets = []
    drive.drive(counter, rate, known, mode, cols[0], cols[1], cols[2], cols[3], cols[4],
                cols[5], cols[6], reps, sets)
    print('R', k, ','.join([str(x) for x in reps]), ',', ','.join([str(x) for x in sets]))
    cols = None
"""


def pack(trace: traceio.Trace, mode: str = "auto") -> bytes:
    """The trace's counter inputs as drive.load() reads them inside MicroPython."""
    cols = traceio.counter_ints(trace)
    n = len(cols[0])
    for c in cols:
        if len(c) and (c.min() < -(2**31) or c.max() >= 2**31):
            raise RepbandError(f"{trace.path}: values too large for the band's 32-bit integers")
    head = struct.pack("<4i", n, round(trace.sample_rate_hz), int(trace.axes == "band"),
                       mode_number(mode))
    return head + b"".join(struct.pack(f"<{n}i", *c.tolist()) for c in cols)


def replay_micropython(traces: list[traceio.Trace], mode: str = "auto") -> list[dict]:
    """Replay traces inside the MicroPython runtime, all in one Node process."""
    from host_tools.sim.mpy_runtime import run_micropython

    if not traces:
        return []
    files = {f"trace{k}.bin": pack(t, mode) for k, t in enumerate(traces)}
    biggest = max(len(b) for b in files.values())
    out = run_micropython(_MP_SCRIPT.replace("N_TRACES", str(len(traces))), files,
                          heap_bytes=max(16 << 20, 3 * biggest + (8 << 20)))
    results: dict[int, dict] = {}
    for line in out.splitlines():
        if not line.startswith("R "):
            continue
        _, k, rest = line.split(" ", 2)
        rep_s, set_s = rest.split(" , ")
        ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
        results[int(k)] = result_dict(traces[int(k)].path, ints(rep_s), ints(set_s))
    missing = [str(traces[k].path) for k in range(len(traces)) if k not in results]
    if missing:
        raise RepbandError(f"MicroPython gave no result for {', '.join(missing)}")
    return [results[k] for k in range(len(traces))]


def replay_traces(paths: Iterable[str | Path], mode: str = "auto", runtime: str = "cpython",
                  progress: bool = False) -> list[dict]:
    if runtime not in RUNTIMES:
        raise RepbandError(f"unknown runtime {runtime!r}: choose cpython or micropython")
    files = traceio.find_traces(list(paths))
    if not files:
        raise RepbandError("no traces (*.csv) found in the paths given")
    if runtime == "micropython":
        traces = [traceio.read_trace(p) for p in files]
        if not progress:
            return replay_micropython(traces, mode)
        from host_tools.status_line import working

        with working(f"replaying {len(traces)} traces in MicroPython (Node.js)"):
            return replay_micropython(traces, mode)
    it = files
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        it = tqdm(files, desc="replay", unit="trace", file=sys.stderr)
    return [replay_trace(traceio.read_trace(p), mode) for p in it]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="TRACE_OR_DIR")
    parser.add_argument("--exercise", choices=MODES, default="auto",
                        help="count this exercise, or recognise it (auto, needs the band frame; "
                             "default: auto)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="cpython",
                        help="run the counter on CPython or inside MicroPython (Node.js; default: "
                             "cpython)")


def run(args: argparse.Namespace) -> int:
    for result in replay_traces(args.paths, args.exercise, args.runtime, progress=True):
        print(json.dumps(result))
    return 0
