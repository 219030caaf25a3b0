"""`repband eval`: score replayed reps against .labels.json files, as trace-format.md says.

A counted rep belongs to the target set (clamshell/leg_lift) whose [start - 2 s, end + 2 s]
window holds its time, else it is a false rep. Non-target time is the trace's duration minus
those windows (clipped to the trace); false reps per hour are reported separately for traces in
the band frame (`axes: band`) and with unknown axes. Type accuracy: the share of reps in target
sets of band-frame traces whose exercise matches the set's.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from host_tools.errors import RepbandError
from host_tools.traces import traceio
from host_tools.traces.replay import MODES, RUNTIMES, replay_traces

MARGIN_MS = traceio.MARGIN_MS


@dataclass
class SetScore:
    trace: str
    exercise: str
    start_ms: int
    end_ms: int
    true: int
    counted: int

    @property
    def error(self) -> int:
        return self.counted - self.true


@dataclass
class TraceScore:
    trace: str
    family: str
    axes: str
    duration_ms: int
    nontarget_ms: int
    sets: list[SetScore]
    false_reps: list[dict]
    typed_right: int
    typed: int


@dataclass
class Summary:
    sets: int = 0
    exact: float | None = None
    within_1: float | None = None
    mae: float | None = None
    false_reps_band: int = 0
    hours_band: float = 0.0
    false_per_hour_band: float | None = None
    false_reps_unknown: int = 0
    hours_unknown: float = 0.0
    false_per_hour_unknown: float | None = None
    type_accuracy: float | None = None
    reps_typed: int = 0


@dataclass
class Report:
    families: dict[str, Summary] = field(default_factory=dict)
    overall: Summary = field(default_factory=Summary)
    traces: list[TraceScore] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)
    mounts: list[dict] = field(default_factory=list)  # --mount learn: what each band learned


def _windows(sets: list[traceio.LabelSet], t0: int, t1: int) -> list[tuple[int, int]]:
    spans = sorted((max(t0, s.start_ms - MARGIN_MS), min(t1, s.end_ms + MARGIN_MS))
                   for s in sets if s.is_target)
    merged: list[list[int]] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def score_trace(result: dict, labels: traceio.Labels, axes: str, t0: int, t1: int,
                family: str) -> TraceScore:
    targets = [s for s in labels.sets if s.is_target]
    used: set[int] = set()
    sets = []
    typed_right = typed = 0
    for s in targets:
        inside = [i for i, r in enumerate(result["reps"])
                  if s.start_ms - MARGIN_MS <= r["t_ms"] <= s.end_ms + MARGIN_MS and i not in used]
        used.update(inside)
        sets.append(SetScore(result["trace"], s.exercise, s.start_ms, s.end_ms, int(s.reps or 0),
                             len(inside)))
        if axes == "band":
            typed += len(inside)
            typed_right += sum(1 for i in inside if result["reps"][i]["exercise"] == s.exercise)
    false = [r for i, r in enumerate(result["reps"]) if i not in used]
    covered = sum(b - a for a, b in _windows(labels.sets, t0, t1))
    return TraceScore(result["trace"], family, axes, t1 - t0, max(0, t1 - t0 - covered), sets,
                      false, typed_right, typed)


def summarise(scores: list[TraceScore]) -> Summary:
    s = Summary()
    errors = [x.error for t in scores for x in t.sets]
    s.sets = len(errors)
    if errors:
        s.exact = sum(e == 0 for e in errors) / len(errors)
        s.within_1 = sum(abs(e) <= 1 for e in errors) / len(errors)
        s.mae = sum(abs(e) for e in errors) / len(errors)
    for t in scores:
        if t.axes == "band":
            s.false_reps_band += len(t.false_reps)
            s.hours_band += t.nontarget_ms / 3.6e6
        else:
            s.false_reps_unknown += len(t.false_reps)
            s.hours_unknown += t.nontarget_ms / 3.6e6
    if s.hours_band:
        s.false_per_hour_band = s.false_reps_band / s.hours_band
    if s.hours_unknown:
        s.false_per_hour_unknown = s.false_reps_unknown / s.hours_unknown
    right = sum(t.typed_right for t in scores)
    s.reps_typed = sum(t.typed for t in scores)
    if s.reps_typed:
        s.type_accuracy = right / s.reps_typed
    return s


def rotated(trace: traceio.Trace, seed: int) -> traceio.Trace:
    """The trace as a sensor turned by a random fixed rotation would have recorded it (axes
    unknown): for checking that counting does not depend on how the sensor sits."""
    import numpy as np

    from host_tools.traces.synth import random_rotation

    r = random_rotation(np.random.default_rng(seed))
    gyro = None if trace.gyro_dps is None else trace.gyro_dps @ r.T
    return traceio.Trace(trace.path, dict(trace.meta, axes="unknown"), trace.sample_rate_hz,
                         "unknown", trace.t_ms, trace.accel_g @ r.T, gyro)


RESAMPLINGS = ((1.0, 0.25), (1.0, 0.5), (1.0, 0.75), (0.96, 0.0), (1.04, 0.0))


def resampled(trace: traceio.Trace, factor: float, phase: float) -> traceio.Trace:
    """The trace as a sensor sampling at `factor` times its rate, its first sample `phase` of
    a period late, would have recorded it (linear interpolation over the same span): another
    board's ODR, or the same board booted at another moment."""
    import numpy as np

    rate = trace.sample_rate_hz * factor
    n = int(trace.duration_ms * rate / 1000 - phase) + 1
    t = trace.t_ms[0] + (np.arange(n) + phase) * 1000 / rate
    accel = np.stack([np.interp(t, trace.t_ms, trace.accel_g[:, k]) for k in range(3)], 1)
    gyro = None if trace.gyro_dps is None else np.stack(
        [np.interp(t, trace.t_ms, trace.gyro_dps[:, k]) for k in range(3)], 1)
    return traceio.Trace(trace.path, dict(trace.meta), rate, trace.axes,
                         np.floor(t).astype(np.int64), accel, gyro)


def evaluate(paths: list[str | Path], mode: str = "auto", runtime: str = "cpython",
             rotate: int | None = None, mount: str = "unknown",
             resample: tuple[float, float] | None = None) -> Report:
    """`rotate`: each sensor turned by a random fixed rotation (seeded). `mount`: "unknown"
    scores it with axes unknown; "learn" leads each trace in with standing and walking in the
    same turned frame and lets the band learn its mounting, scored as if the axes were known;
    "given" leads it in the same way and turns it back by the mounting exactly (axes known): what
    the counter does with the lead-in, apart from what the band learns."""
    files = traceio.find_traces(paths)
    report = Report()
    labelled = []
    for p in files:
        if traceio.labels_path_for(p).exists():
            labelled.append(p)
        else:
            report.unlabelled.append(str(p))
    if not labelled:
        raise RepbandError("no trace with a .labels.json file among the paths given")
    if mount in ("learn", "given"):
        if rotate is None or runtime != "cpython":
            raise RepbandError(f"--mount {mount} needs --rotate SEED (and runs on cpython)")
        return _evaluate_learned(labelled, report, mode, rotate, mount == "given")
    if resample is not None:
        from host_tools.traces.replay import replay_trace

        if runtime != "cpython" or rotate is not None:
            raise RepbandError("--resample runs on cpython, without --rotate")
        results = [replay_trace(resampled(traceio.read_trace(p), *resample), mode)
                   for p in labelled]
    elif rotate is None:
        results = replay_traces(labelled, mode, runtime, progress=True)
    else:
        from host_tools.traces.replay import replay_trace

        if runtime != "cpython":
            raise RepbandError("--rotate runs on cpython only")
        results = [replay_trace(rotated(traceio.read_trace(p), rotate + k), mode)
                   for k, p in enumerate(labelled)]
    for p, result in zip(labelled, results):
        trace = traceio.read_trace(p)
        if rotate is not None:
            trace.axes = "unknown"
        labels = traceio.read_labels(traceio.labels_path_for(p))
        report.traces.append(score_trace(result, labels, trace.axes, int(trace.t_ms[0]),
                                         int(trace.t_ms[-1]), trace.family))
    for fam in sorted({t.family for t in report.traces}):
        report.families[fam] = summarise([t for t in report.traces if t.family == fam])
    report.overall = summarise(report.traces)
    return report


def _evaluate_learned(paths: list[Path], report: Report, mode: str, seed: int,
                      given: bool = False) -> Report:
    from host_tools.traces import mounting
    from host_tools.traces.replay import replay_trace

    it = paths
    if sys.stderr.isatty():
        from tqdm import tqdm

        it = tqdm(paths, desc="eval", unit="trace", file=sys.stderr, leave=False)
    for k, p in enumerate(it):
        original = traceio.read_trace(p)
        if original.axes != "band":  # turning it would not give a mounting a band can have
            report.unlabelled.append(str(p))
            continue
        trace, labels, side = mounting.led_in_and_turned(
            original, traceio.read_labels(traceio.labels_path_for(p)), seed + k)
        if given:  # (sensor = band @ m.T, so band = sensor @ m)
            m = mounting.turned_by(seed + k)
            gyro = None if trace.gyro_dps is None else trace.gyro_dps @ m
            result = replay_trace(traceio.Trace(trace.path, dict(trace.meta, axes="band"),
                                                trace.sample_rate_hz, "band", trace.t_ms,
                                                trace.accel_g @ m, gyro), mode)
        else:
            result = replay_trace(trace, mode, learn_mount=True)
            learned = mounting.learn(trace)
            report.mounts.append({"trace": str(p), "side": side, "side_learned": learned["side"],
                                  "sure": learned["sure"],
                                  "sure_after_s": learned["sure_after_s"]})
        report.traces.append(score_trace(result, labels, "band", int(trace.t_ms[0]),
                                         int(trace.t_ms[-1]), trace.family))
    for fam in sorted({t.family for t in report.traces}):
        report.families[fam] = summarise([t for t in report.traces if t.family == fam])
    report.overall = summarise(report.traces)
    return report


def resample_table(paths: list[str | Path], mode: str = "auto") -> list[dict]:
    """One row per resampling of `evaluate`'s report, with the sets whose count moved from the
    count at the recorded samples."""
    base = evaluate(paths, mode)
    counted = {(x.trace, x.start_ms): x.counted for t in base.traces for x in t.sets}
    rows = []
    for factor, phase in RESAMPLINGS:
        r = evaluate(paths, mode, resample=(factor, phase))
        moved = [f"{Path(x.trace).name} set at {x.start_ms / 1000:.1f} s: "
                 f"{counted[(x.trace, x.start_ms)]} -> {x.counted} (labelled {x.true})"
                 for t in r.traces for x in t.sets if x.counted != counted[(x.trace, x.start_ms)]]
        o = r.overall
        rows.append({"rate_x": factor, "phase": phase, "sets": o.sets, "exact": o.exact,
                     "false_reps_band": o.false_reps_band,
                     "false_reps_unknown": o.false_reps_unknown, "moved": moved})
    return rows


def format_resample(rows: list[dict]) -> str:
    head = f"{'rate':>6}  {'phase':>5}  {'sets':>4}  {'exact':>6}  {'false band':>10}  " \
           f"{'false unknown':>13}  moved"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['rate_x']:>5.2f}x  {r['phase']:>5.2f}  {r['sets']:>4}  "
                     f"{_pct(r['exact']):>6}  {r['false_reps_band']:>10}  "
                     f"{r['false_reps_unknown']:>13}  {len(r['moved'])}")
    lines += [f"  {m}" for r in rows for m in r["moved"]]
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def format_table(report: Report) -> str:
    head = ("family", "sets", "exact", "±1", "MAE", "false/h band", "false/h unknown", "type acc")
    rows = []
    for name, s in [*report.families.items(), ("overall", report.overall)]:
        rows.append(
            (
                name,
                str(s.sets),
                _pct(s.exact),
                _pct(s.within_1),
                _num(s.mae),
                f"{_num(s.false_per_hour_band, '{:.1f}')} ({s.false_reps_band} in "
                f"{s.hours_band:.2f} h)",
                f"{_num(s.false_per_hour_unknown, '{:.1f}')} ({s.false_reps_unknown} in "
                f"{s.hours_unknown:.2f} h)",
                f"{_pct(s.type_accuracy)} of {s.reps_typed}",
            )
        )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [line(head), line(tuple("-" * w for w in widths)), *map(line, rows)]
    wrong = [x for t in report.traces for x in t.sets if x.error]
    if wrong:
        out += ["", "sets not counted exactly:"]
        out += [
            f"  {x.trace}  {x.exercise} {x.start_ms}-{x.end_ms} ms: true {x.true}, counted "
            f"{x.counted}"
            for x in wrong
        ]
    noisy = sorted((t for t in report.traces if t.false_reps), key=lambda t: -len(t.false_reps))
    if noisy:
        out += ["", "false reps (axes band first):"]
        noisy.sort(key=lambda t: (t.axes != "band", -len(t.false_reps)))
        for t in noisy[:15]:
            times = ", ".join(f"{r['t_ms'] / 1000:.1f}s" for r in t.false_reps[:6])
            out.append(
                f"  {t.trace} [{t.axes}]: {len(t.false_reps)} "
                f"({times}{', ...' if len(t.false_reps) > 6 else ''})"
            )
        if len(noisy) > 15:
            out.append(f"  ... and {len(noisy) - 15} more traces")
    return "\n".join(out)


def to_json(report: Report) -> dict:
    return {
        "overall": asdict(report.overall),
        "families": {k: asdict(v) for k, v in report.families.items()},
        "sets": [asdict(x) | {"error": x.error} for t in report.traces for x in t.sets],
        "false_reps": {t.trace: t.false_reps for t in report.traces if t.false_reps},
        "unlabelled": report.unlabelled,
    } | ({"mounts": report.mounts} if report.mounts else {})


def subject_of(trace: traceio.Trace) -> str:
    return trace.meta.get("subject") or f"{trace.family}/{trace.path.stem}"


def by_subject(report: Report, subjects: dict[str, str]) -> dict[str, Summary]:
    """Leave one subject out. The counter fits nothing to data (every threshold is a fixed,
    physically argued parameter in firmware/counter.py's Params), so the held-out score of a
    subject is its score with the parameters as they are: each subject is scored alone."""
    out: dict[str, Summary] = {}
    for subj in sorted(set(subjects.values())):
        out[subj] = summarise([t for t in report.traces if subjects[t.trace] == subj])
    return out


def format_cv(per: dict[str, Summary]) -> str:
    head = ("subject", "sets", "exact", "±1", "MAE", "false/h band", "false/h unknown")
    rows = [(k, str(s.sets), _pct(s.exact), _pct(s.within_1), _num(s.mae),
             f"{_num(s.false_per_hour_band, '{:.1f}')} ({s.false_reps_band})",
             f"{_num(s.false_per_hour_unknown, '{:.1f}')} ({s.false_reps_unknown})")
            for k, s in per.items()]
    scored = [s for s in per.values() if s.sets]
    if scored:
        worst = min(scored, key=lambda s: (s.exact or 0, s.within_1 or 0))
        name = next(k for k, v in per.items() if v is worst)
        rows.append(("worst (exact)", str(worst.sets), _pct(worst.exact), _pct(worst.within_1),
                     _num(worst.mae), name, ""))
    noisy = [s for s in per.values() if s.false_per_hour_unknown is not None]
    if noisy:
        w = max(noisy, key=lambda s: s.false_per_hour_unknown or 0)
        name = next(k for k, v in per.items() if v is w)
        rows.append(("worst (false/h)", "", "", "", "", name,
                     f"{_num(w.false_per_hour_unknown, '{:.1f}')} ({w.false_reps_unknown})"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, rows),
                      "", "parameters are fixed (nothing is fitted): each subject is held out"])


def sweep(seeds: int = 4, factors: list[str] | None = None, progress: bool = False) -> list[dict]:
    """Synthetic stress sweeps, one factor at a time (host_tools.traces.synth.SWEEPS), scored as
    eval."""
    from host_tools.traces import synth
    from host_tools.traces.replay import replay_trace

    rows = []
    names = factors or list(synth.SWEEPS)
    for factor in names:
        for value in synth.SWEEPS[factor]:
            scores = []
            for seed in range(seeds):
                trace, labels = synth.make_sweep_session(factor, value, 1000 + seed)
                result = replay_trace(trace)
                scores.append(score_trace(result, labels, trace.axes, int(trace.t_ms[0]),
                                          int(trace.t_ms[-1]), "sweep"))
            s = summarise(scores)
            false = s.false_reps_band + s.false_reps_unknown
            rows.append({"factor": factor, "value": value, "sets": s.sets, "exact": s.exact,
                         "within_1": s.within_1, "mae": s.mae, "false_reps": false,
                         "type_accuracy": s.type_accuracy})
            if progress and sys.stderr.isatty():
                print(f"\r{factor}={value}        ", end="", file=sys.stderr, flush=True)
    if progress and sys.stderr.isatty():
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
    return rows


def format_sweep(rows: list[dict]) -> str:
    head = ("factor", "value", "sets", "exact", "±1", "MAE", "false reps", "type acc")
    out = [(r["factor"], str(r["value"]), str(r["sets"]), _pct(r["exact"]), _pct(r["within_1"]),
            _num(r["mae"]), str(r["false_reps"]), _pct(r["type_accuracy"])) for r in rows]
    widths = [max(len(r[i]) for r in [head, *out]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, out)])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="TRACE_OR_DIR",
                        help="traces or folders of traces with .labels.json files")
    parser.add_argument("--cv", choices=("subject",),
                        help="'subject': score every subject apart (leave one out) and the worst")
    parser.add_argument("--sweep", action="store_true",
                        help="synthetic stress sweeps, one factor at a time (no paths needed)")
    parser.add_argument("--seeds", type=int, default=4,
                        help="sessions per sweep value, or per exercise with --form (default: 4)")
    parser.add_argument("--form", action="store_true",
                        help="per-rep phases and range: errors against the truth of synthetic "
                             "sessions (seeds 5000 on), and per-set medians of the paths given")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--exercise", choices=MODES, default="auto",
                        help="fix the exercise instead of recognising it (default: auto)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="cpython",
                        help="where the counter runs (default: cpython)")
    parser.add_argument("--rotate", type=int, metavar="SEED",
                        help="turn each sensor by a random fixed rotation (seeded) and score it "
                             "with axes unknown")
    parser.add_argument("--resample", action="store_true",
                        help="replay every trace resampled five ways (at its own rate with the "
                             "samples 1/4, 1/2, 3/4 of a period late; at 0.96x and 1.04x its "
                             "rate) and list the sets whose count moves")
    parser.add_argument("--mount", choices=("unknown", "learn", "given"), default="unknown",
                        help="with --rotate: 'learn' leads each trace in with 30 s of standing "
                             "and walking and lets the band learn its mounting (scored as if "
                             "the axes were known); 'given': the same lead-in and mounting, "
                             "turned back exactly (axes known: the counter's share); with "
                             "--sweep: time to learn a mounting, by sample rate and strap turn "
                             "(default: unknown)")


def run(args: argparse.Namespace) -> int:
    if args.form:
        synthetic = form_synthetic(list(range(FORM_SEED, FORM_SEED + args.seeds)))
        paths = [p for p in traceio.find_traces(args.paths)
                 if traceio.labels_path_for(p).exists()] if args.paths else []
        rows = form_by_set(form_replays(paths, args.exercise), paths) if paths else []
        print(json.dumps({"synthetic": synthetic, "sets": rows}, indent=1) if args.json
              else format_form(synthetic, rows))
        return 0
    if args.sweep and args.mount == "learn":
        from host_tools.traces import mounting

        result = mounting.sweep()
        print(json.dumps(result, indent=1) if args.json else mounting.format_sweep(result))
        return 0
    if args.sweep:
        rows = sweep(args.seeds, progress=True)
        print(json.dumps(rows, indent=1) if args.json else format_sweep(rows))
        return 0
    if not args.paths:
        raise RepbandError("name traces or folders to score (or use --sweep)")
    if args.resample:
        rows = resample_table(args.paths, args.exercise)
        print(json.dumps(rows, indent=1) if args.json else format_resample(rows))
        return 0
    report = evaluate(args.paths, args.exercise, args.runtime, args.rotate, args.mount)
    if args.cv == "subject":
        subjects = {t.trace: subject_of(traceio.read_trace(t.trace)) for t in report.traces}
        per = by_subject(report, subjects)
        print(json.dumps({k: asdict(v) for k, v in per.items()}, indent=1) if args.json
              else format_cv(per))
        return 0
    for p in report.unlabelled:
        why = ("not in the band frame, so not turned into a mounting"
               if args.mount in ("learn", "given")
               and traceio.labels_path_for(Path(p)).exists() else "no labels file")
        print(f"repband eval: {p}: {why}, not scored", file=sys.stderr)
    print(json.dumps(to_json(report), indent=1) if args.json else format_table(report))
    return 0


# --- form: per-rep phases and range against the truth (repband eval --form) ----------------------

FORM_FIELDS = ("rom_deg", "up_ms", "hold_ms", "down_ms")
FORM_SEED = 5000  # first seed of `eval --form`: the form code was developed on seeds 0-19


def form_pairs(result: dict, labels: traceio.Labels) -> list[tuple[dict, dict]]:
    """(truth, counted rep) pairs: each rep of the labels' rep_detail with the counted rep whose
    top lies within that rep's own span (start to end), the nearest to its top."""
    pairs = []
    for s in labels.sets:
        if not s.is_target or not s.rep_detail:
            continue
        for d in s.rep_detail:
            inside = [r for r in result["reps"] if d["start_ms"] <= r["t_ms"] <= d["end_ms"]]
            if inside:
                pairs.append((d, min(inside, key=lambda r: abs(r["t_ms"] - d["top_ms"]))))
    return pairs


def form_synthetic(seeds: list[int], scenarios: tuple[str, ...] = ("leg_lift", "clamshell")
                   ) -> dict[str, dict]:
    """Median absolute error of each form field per exercise over synthetic sessions (band
    frame), how many true reps were matched to a counted rep, and per fault the share of the
    matched reps that have it which were flagged (found) and of those without it (false): the
    faults on synth.make_form_session (sets done to the default prescription, faults at a
    clinically visible size), the same seeds."""
    from statistics import median

    from host_tools import firmware
    from host_tools.traces import synth
    from host_tools.traces.replay import replay_trace

    errors: dict[str, dict[str, list[float]]] = {}
    truths: dict[str, int] = {}
    flags: dict[str, dict[str, list[int]]] = {}  # exercise: fault: [with, found, without, false]
    for scenario in scenarios:
        for seed in seeds:
            trace, labels = synth.make_session(seed, scenario)
            truths[scenario] = truths.get(scenario, 0) + sum(
                len(s.rep_detail or []) for s in labels.sets if s.is_target)
            for d, r in form_pairs(replay_trace(trace), labels):
                e = errors.setdefault(scenario, {f: [] for f in FORM_FIELDS})
                for f in FORM_FIELDS:
                    e[f].append(abs(r[f] - d[f]))
            trace, labels = synth.make_form_session(seed, scenario)
            for d, r in form_pairs(replay_trace(trace), labels):
                for fault in firmware.load("counter").FAULT_NAMES:
                    if fault not in synth.FORM_FAULTS[scenario]:
                        if fault in r["faults"]:  # (not one this exercise can show)
                            flags.setdefault(scenario, {}).setdefault(fault, [0, 0, 0, 0])
                        continue
                    n = flags.setdefault(scenario, {}).setdefault(fault, [0, 0, 0, 0])
                    has = fault in d.get("faults", {})
                    n[0 if has else 2] += 1
                    n[1 if has else 3] += fault in r["faults"]
    return {sc: {"reps": truths[sc], "matched": len(e["rom_deg"]),
                 **{f"mae_{f}": median(e[f]) for f in FORM_FIELDS},
                 "faults": {k: {"reps_with": v[0], "found": v[1] / v[0] if v[0] else None,
                                "reps_without": v[2], "false": v[3] / v[2] if v[2] else None}
                            for k, v in flags.get(sc, {}).items()}}
            for sc, e in errors.items()}


def taught_prescription(result: dict, labels: traceio.Labels) -> dict[str, int] | None:
    """The prescription a recording's first labelled set shows (on UCI: the correct set, as the
    subject was taught it): its median up, hold and down (to 100 ms), and as the minimum range
    the share of its median range the counter calls too small within a set (Params.small_pct)."""
    from statistics import median

    from host_tools import firmware

    first = next((s for s in labels.sets if s.is_target), None)
    reps = [r for r in result["reps"] if first is not None
            and first.start_ms - MARGIN_MS <= r["t_ms"] <= first.end_ms + MARGIN_MS]
    if not reps:
        return None
    pct = firmware.load("counter").Params().small_pct
    return {"rx_up_ms": int(round(median(r["up_ms"] for r in reps), -2)),
            "rx_hold_ms": int(round(median(r["hold_ms"] for r in reps), -2)),
            "rx_down_ms": int(round(median(r["down_ms"] for r in reps), -2)),
            "rx_rom_cdeg": round(median(r["rom_deg"] for r in reps) * pct)}


def form_replays(paths: list[Path], mode: str = "auto") -> list[dict]:
    """Each trace replayed with the prescription its first set shows (taught_prescription),
    which the result carries as "prescription" (None: no first set; defaults used)."""
    from host_tools.traces.replay import replay_trace

    out = []
    for p in paths:
        trace = traceio.read_trace(p)
        first = replay_trace(trace, mode)
        rx = taught_prescription(first, traceio.read_labels(traceio.labels_path_for(p)))
        result = replay_trace(trace, mode, params=rx) if rx else first
        result["prescription"] = rx
        out.append(result)
    return out


def form_by_set(results: list[dict], paths: list[Path]) -> list[dict]:
    """Median phases and range of the reps in each labelled target set, in label order (on the
    UCI e4 test recordings: correct, fast, low amplitude)."""
    from statistics import median

    from host_tools import firmware

    faults = firmware.load("counter").FAULT_NAMES
    rows = []
    for result, p in zip(results, paths):
        labels = traceio.read_labels(traceio.labels_path_for(p))
        for k, s in enumerate(x for x in labels.sets if x.is_target):
            reps = [r for r in result["reps"]
                    if s.start_ms - MARGIN_MS <= r["t_ms"] <= s.end_ms + MARGIN_MS]
            if reps:
                rows.append({"trace": Path(result["trace"]).stem, "set": k + 1, "reps": len(reps),
                             **{f: median(r[f] for r in reps) for f in FORM_FIELDS},
                             **{k: sum(k in r["faults"] for r in reps) / len(reps)
                                for k in faults}})
    return rows


def format_form(synthetic: dict[str, dict], by_set: list[dict]) -> str:
    out = ["synthetic sessions (median absolute error per rep):",
           "exercise   reps matched  rom_deg  up_ms  hold_ms  down_ms"]
    for sc, r in synthetic.items():
        out.append(f"{sc:<10} {r['matched']:>4}/{r['reps']:<4}   {r['mae_rom_deg']:>6.1f}  "
                   f"{r['mae_up_ms']:>5.0f}  {r['mae_hold_ms']:>7.0f}  {r['mae_down_ms']:>7.0f}")
    out += ["", "faults on synthetic sets done to the default prescription, faults at a visible "
            "size: share of the reps with it flagged (found), of those without (false):",
            "exercise   fault           found          false"]
    for sc, r in synthetic.items():
        for k, v in r["faults"].items():
            found = "-" if v["found"] is None else f"{100 * v['found']:.0f}%"
            false = "-" if v["false"] is None else f"{100 * v['false']:.1f}%"
            out.append(f"{sc:<10} {k:<14} {found:>5} of {v['reps_with']:<4}  "
                       f"{false:>6} of {v['reps_without']}")
    if by_set:
        names = [k for k in by_set[0] if k not in ("trace", "set", "reps", *FORM_FIELDS)]
        out += ["", "per set (medians of its reps; faults: share of its reps flagged):",
                "trace                          set  reps  rom_deg  up_ms  hold_ms  down_ms  "
                + "  ".join(names)]
        for r in by_set:
            out.append(f"{r['trace']:<30} {r['set']:>3}  {r['reps']:>4}  {r['rom_deg']:>7.1f}  "
                       f"{r['up_ms']:>5.0f}  {r['hold_ms']:>7.0f}  {r['down_ms']:>7.0f}  "
                       + "  ".join(f"{100 * r[k]:>{len(k) - 1}.0f}%" for k in names))
    return "\n".join(out)
