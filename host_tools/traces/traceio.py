"""Read and write traces and labels in repband's format (../shared/docs/trace-format.md, v1).

The reader is strict: any broken file raises TraceFormatError naming the file, the line and what
is wrong; no row is ever dropped. Defaults for missing optional metadata: `axes: unknown`,
`placement: thigh_unknown`; a missing `sample_rate_hz` is estimated from the median time step.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from host_tools import firmware
from host_tools.errors import RepbandError, TraceFormatError

TRACE_FORMAT = "repband-trace/1"
LABELS_FORMAT = "repband-labels/1"
ACCEL_COLUMNS = ("ax", "ay", "az")
GYRO_COLUMNS = ("gx", "gy", "gz")
MIN_RATE_HZ = 20
MAX_RATE_HZ = 200
TARGET_EXERCISES: tuple[str, ...] = firmware.load("names").EXERCISES  # the band's own names
# a counted rep belongs to the set whose [start_ms - this, end_ms + this] holds its time
# (trace-format.md: scoring)
MARGIN_MS = 2000
EXERCISES = (*TARGET_EXERCISES, "other")
# A number as a trace writes one: ASCII digits, an optional sign, point and exponent (Python's
# float() also takes "1_000", fullwidth digits, "infinity" and surrounding spaces).
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*|\s*[+-]?(?:nan|inf)\s*",
                     re.ASCII | re.IGNORECASE)
MAX_T_MS = 2**31 - 1  # 24.8 days from the trace's start; beyond is a broken clock
LIMITS = {"ax": 100.0, "ay": 100.0, "az": 100.0, "gx": 1e4, "gy": 1e4, "gz": 1e4}  # g, deg/s
MAX_LABEL_MS = 2**53  # exact in a float, and in numpy's int64


@dataclass
class Trace:
    path: Path
    meta: dict[str, str]
    sample_rate_hz: float
    axes: str  # "band" or "unknown"
    t_ms: np.ndarray  # int64, non-decreasing
    accel_g: np.ndarray  # (N, 3) float64
    gyro_dps: np.ndarray | None = None  # (N, 3) float64, or None for an accelerometer alone

    @property
    def has_gyro(self) -> bool:
        return self.gyro_dps is not None

    @property
    def duration_ms(self) -> int:
        return int(self.t_ms[-1] - self.t_ms[0]) if len(self.t_ms) else 0

    @property
    def family(self) -> str:
        return self.path.parent.name


@dataclass
class LabelSet:
    exercise: str
    start_ms: int
    end_ms: int
    reps: int | None
    rep_ms: list[int] | None = None
    name: str | None = None
    # where the truth is known (synthetic): one object per rep_ms entry (trace-format.md)
    rep_detail: list[dict] | None = None

    @property
    def is_target(self) -> bool:
        return self.exercise in TARGET_EXERCISES


@dataclass
class Labels:
    path: Path
    sets: list[LabelSet] = field(default_factory=list)
    notes: str = ""


def _fail(path: Path, line: int | None, problem: str, fix: str) -> TraceFormatError:
    where = f"{path}:{line}" if line is not None else str(path)
    return TraceFormatError(f"{where}: {problem}; {fix}")


def read_trace(path: str | Path) -> Trace:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, None, "no such file", "check the path") from None
    except IsADirectoryError:
        raise _fail(path, None, "is a directory, not a trace", "name a .csv file") from None
    except OSError as exc:
        raise _fail(path, None, f"cannot read ({exc.strerror})", "check permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(path, line, "not UTF-8 text", "save the trace as UTF-8 CSV") from None
    lines = text.splitlines()
    meta: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        body = lines[i][1:]
        if ":" not in body:
            raise _fail(
                path, i + 1, f"metadata line {lines[i]!r} has no ':'", "write '# key: value'"
            )
        key, value = body.split(":", 1)
        meta[key.strip()] = value.strip()
        i += 1
    if meta.get("format", TRACE_FORMAT) != TRACE_FORMAT:
        raise _fail(path, None, f"format {meta['format']!r} is not {TRACE_FORMAT}", "convert it")
    if i >= len(lines) or not lines[i].strip():
        raise _fail(path, i + 1, "no header row", "add 't_ms,ax,ay,az[,gx,gy,gz]'")
    header_line = i + 1
    header = [h.strip() for h in lines[i].split(",")]
    if len(set(header)) != len(header):
        raise _fail(path, header_line, f"duplicate columns in {header}", "name each column once")
    missing = [c for c in ("t_ms", *ACCEL_COLUMNS) if c not in header]
    if missing:
        raise _fail(path, header_line, f"missing column(s) {', '.join(missing)}",
                    "the header needs t_ms,ax,ay,az")
    gyro_present = [c for c in GYRO_COLUMNS if c in header]
    if gyro_present and len(gyro_present) != 3:
        raise _fail(path, header_line, f"gyro columns {gyro_present} without the others",
                    "give all of gx,gy,gz or none")
    extra = [c for c in header if c not in ("t_ms", *ACCEL_COLUMNS, *GYRO_COLUMNS)]
    if extra:
        raise _fail(path, header_line, f"unknown column(s) {', '.join(extra)}",
                    "columns are t_ms,ax,ay,az and optionally gx,gy,gz")
    ncol = len(header)
    rows = lines[i + 1:]
    if not rows or all(not r.strip() for r in rows):
        raise _fail(path, header_line + 1, "no samples", "a trace needs at least one row")
    values = np.empty((len(rows), ncol), dtype=np.float64)
    for k, row in enumerate(rows):
        lineno = header_line + 1 + k
        cells = row.split(",")
        if len(cells) != ncol:
            if not row.strip():
                raise _fail(path, lineno, "empty line among the samples", "remove it")
            raise _fail(path, lineno, f"{len(cells)} values, header has {ncol}",
                        "every row needs one value per column")
        for j, cell in enumerate(cells):
            if not _NUMBER.fullmatch(cell):
                raise _fail(path, lineno, f"{header[j]} = {cell.strip()[:40]!r} is not a number",
                            "fix or remove the row")
            v = float(cell)
            if not math.isfinite(v):
                raise _fail(path, lineno, f"{header[j]} = {cell.strip()!r} is not finite",
                            "fix or remove the row")
            limit = MAX_T_MS if header[j] == "t_ms" else LIMITS[header[j]]
            low = 0 if header[j] == "t_ms" else -limit
            if not low <= v <= limit:
                raise _fail(path, lineno, f"{header[j]} = {cell.strip()[:40]} is out of range "
                            f"({low:g}..{limit:g})", "fix or remove the row")
            values[k, j] = v
    col = {name: j for j, name in enumerate(header)}
    t = values[:, col["t_ms"]]
    bad = np.nonzero(t != np.floor(t))[0]
    if len(bad):
        raise _fail(path, header_line + 1 + int(bad[0]), f"t_ms = {t[bad[0]]!r} is not an integer",
                    "t_ms is whole milliseconds")
    back = np.nonzero(np.diff(t) < 0)[0]
    if len(back):
        k = int(back[0]) + 1
        raise _fail(
            path,
            header_line + 1 + k,
            f"time goes backwards ({int(t[k - 1])} -> {int(t[k])} ms)",
            "t_ms must not decrease",
        )
    t_ms = t.astype(np.int64)
    rate = _sample_rate(path, meta, t_ms)
    axes = meta.get("axes", "unknown")
    if axes not in ("band", "unknown"):
        raise _fail(
            path, None, f"axes: {axes!r} is neither 'band' nor 'unknown'", "fix the metadata"
        )
    meta.setdefault("placement", "thigh_unknown")
    accel = values[:, [col[c] for c in ACCEL_COLUMNS]]
    gyro = values[:, [col[c] for c in GYRO_COLUMNS]] if gyro_present else None
    return Trace(path, meta, rate, axes, t_ms, accel, gyro)


def _sample_rate(path: Path, meta: dict[str, str], t_ms: np.ndarray) -> float:
    if "sample_rate_hz" in meta:
        try:
            rate = float(meta["sample_rate_hz"])
        except ValueError:
            raise _fail(path, None, f"sample_rate_hz: {meta['sample_rate_hz']!r} is not a number",
                        "fix the metadata") from None
    else:
        steps = np.diff(t_ms)
        steps = steps[steps > 0]
        if not len(steps):
            raise _fail(path, None, "no sample_rate_hz and too few samples to estimate it",
                        "add '# sample_rate_hz: N'")
        rate = 1000.0 / float(np.median(steps))
    if not (MIN_RATE_HZ <= rate <= MAX_RATE_HZ) or not math.isfinite(rate):
        raise _fail(
            path,
            None,
            f"sample rate {rate:g} Hz is outside {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz",
            "resample the trace",
        )
    return rate


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write ({exc.strerror}); check that its folder "
                           "exists and is writable") from None


def write_trace(path: str | Path, trace: Trace) -> None:
    """Write `trace` to `path` (metadata first, `format` and `sample_rate_hz`, `axes` included)."""
    path = Path(path)
    meta = {"format": TRACE_FORMAT, **trace.meta}
    meta["format"] = TRACE_FORMAT
    meta["sample_rate_hz"] = f"{trace.sample_rate_hz:g}"
    meta["axes"] = trace.axes
    header = ["t_ms", *ACCEL_COLUMNS] + (list(GYRO_COLUMNS) if trace.has_gyro else [])
    out = [f"# {k}: {v}" for k, v in meta.items()]
    out.append(",".join(header))
    t = np.asarray(trace.t_ms, dtype=np.int64)
    a = np.asarray(trace.accel_g, dtype=np.float64)
    g = np.asarray(trace.gyro_dps, dtype=np.float64) if trace.has_gyro else None
    for k in range(len(t)):
        row = f"{int(t[k])},{a[k, 0]:.5f},{a[k, 1]:.5f},{a[k, 2]:.5f}"
        if g is not None:
            row += f",{g[k, 0]:.3f},{g[k, 1]:.3f},{g[k, 2]:.3f}"
        out.append(row)
    _write_text(path, "\n".join(out) + "\n")


def labels_path_for(trace_path: str | Path) -> Path:
    p = Path(trace_path)
    return p.with_name(
        p.name[: -len(p.suffix)] + ".labels.json" if p.suffix else p.name + ".labels.json"
    )


def read_labels(path: str | Path) -> Labels:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(path, None, "no such labels file", "write one with 'repband label'") from None
    except IsADirectoryError:
        raise _fail(path, None, "is a directory, not a labels file",
                    "move it away or write one with 'repband label'") from None
    except RecursionError:
        raise _fail(path, None, "nested too deep to be labels", "see trace-format.md") from None
    except OSError as exc:
        raise _fail(path, None, f"cannot read ({exc.strerror})", "check permissions") from None
    except UnicodeDecodeError:
        raise _fail(path, None, "not UTF-8 text", "save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, f"not valid JSON ({exc.msg})", "fix the JSON") from None
    if not isinstance(doc, dict):
        raise _fail(path, None, "top level is not an object", "see trace-format.md")
    if doc.get("format") != LABELS_FORMAT:
        raise _fail(path, None, f"format is {doc.get('format')!r}, not {LABELS_FORMAT!r}",
                    f"set \"format\": \"{LABELS_FORMAT}\"")
    sets_doc = doc.get("sets")
    if not isinstance(sets_doc, list):
        raise _fail(path, None, "sets is missing or not a list", "give \"sets\": [...]")
    sets = [_label_set(path, k, s) for k, s in enumerate(sets_doc)]
    notes = doc.get("notes", "")
    if not isinstance(notes, str):
        raise _fail(path, None, "notes is not a string", "make it a string")
    return Labels(path, sets, notes)


def _label_set(path: Path, k: int, s: object) -> LabelSet:
    where = f"sets[{k}]"

    def bad(problem: str, fix: str) -> TraceFormatError:
        return _fail(path, None, f"{where}: {problem}", fix)

    if not isinstance(s, dict):
        raise bad("is not an object", "each set is {\"exercise\", \"start_ms\", ...}")
    exercise = s.get("exercise")
    if exercise not in EXERCISES:
        raise bad(f"exercise {exercise!r} is not one of {', '.join(EXERCISES)}", "fix it")
    ints = {}
    for key in ("start_ms", "end_ms"):
        v = s.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_LABEL_MS:
            raise bad(f"{key} {str(v)[:40]} is not a whole number of ms in 0..2**53", "fix it")
        ints[key] = v
    if ints["end_ms"] < ints["start_ms"]:
        raise bad(f"ends ({ints['end_ms']}) before it starts ({ints['start_ms']})", "swap or fix")
    reps = s.get("reps")
    if reps is None:
        if exercise != "other":
            raise bad("reps is null", "a clamshell or leg_lift set needs its true count")
    elif not isinstance(reps, int) or isinstance(reps, bool) or not 0 <= reps <= MAX_LABEL_MS:
        raise bad(f"reps {str(reps)[:40]} is not a whole number >= 0", "fix it")
    rep_ms = s.get("rep_ms")
    if rep_ms is not None:
        if not isinstance(rep_ms, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) and abs(x) <= MAX_LABEL_MS
            for x in rep_ms
        ):
            raise bad("rep_ms is not a list of whole ms", "fix it")
    name = s.get("name")
    if name is not None and not isinstance(name, str):
        raise bad("name is not a string", "fix it")
    detail = s.get("rep_detail")
    if detail is not None and (not isinstance(detail, list)
                               or not all(isinstance(x, dict) for x in detail)):
        raise bad("rep_detail is not a list of objects", "fix it")
    return LabelSet(exercise, ints["start_ms"], ints["end_ms"], reps, rep_ms, name, detail)


def write_labels(path: str | Path, labels: Labels) -> None:
    sets = []
    for s in labels.sets:
        d: dict[str, object] = {"exercise": s.exercise, "start_ms": int(s.start_ms),
                                "end_ms": int(s.end_ms), "reps": s.reps}
        if s.rep_ms is not None:
            d["rep_ms"] = [int(x) for x in s.rep_ms]
        if s.name is not None:
            d["name"] = s.name
        if s.rep_detail is not None:
            d["rep_detail"] = s.rep_detail
        sets.append(d)
    doc = {"format": LABELS_FORMAT, "sets": sets, "notes": labels.notes}
    _write_text(Path(path), json.dumps(doc, indent=2) + "\n")


SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}


def find_traces(paths: Sequence[str | Path]) -> list[Path]:
    """Trace files named or found (recursively, sorted) under the named directories, leaving
    out hidden folders (.venv, .git) and installed packages (node_modules) below them."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.csv") if q.is_file() and not any(
                part.startswith(".") or part in SKIP_DIRS
                for part in q.relative_to(p).parts[:-1])))
        elif p.is_file():
            found.append(p)
        else:
            raise RepbandError(f"{p}: no such file or directory")
    return found


def counter_ints(trace: Trace) -> tuple[np.ndarray, ...]:
    """The counter's integer inputs: t_ms, accel in mg, gyro in 0.1 deg/s (zeros without gyro).

    Rounded half to even (numpy rint) once, here, so every runtime sees the same integers.
    """
    t = np.asarray(trace.t_ms, dtype=np.int64)
    a = np.rint(trace.accel_g * 1000.0).astype(np.int64)
    if trace.gyro_dps is not None:  # (trace.has_gyro)
        g = np.rint(trace.gyro_dps * 10.0).astype(np.int64)
    else:
        g = np.zeros_like(a)
    return t, a[:, 0], a[:, 1], a[:, 2], g[:, 0], g[:, 1], g[:, 2]
