"""Progress drawn: the terminal table (`render`), the CSV exports and the PNG plot, all from one
Progress (host_tools.data.model)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from host_tools.data.clinical import ANGLE_NAME
from host_tools.data.model import EXERCISE_LABEL, FAULT_NAMES, Form, Key, Progress
from host_tools.errors import RepbandError


def bar(value: int, goal: int, width: int = 20) -> str:
    """A bar of block characters, full at the goal; eighths for the fractional cell."""
    if goal <= 0:
        return " " * width
    cells = min(1.0, value / goal) * width
    full = int(cells)
    part = int((cells - full) * 8)
    s = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part and full < width else "")
    return s + "·" * (width - len(s))


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int], top: int) -> str:
    top = max(top, max(values, default=0), 1)
    return "".join(" " if v == 0 else SPARK[min(7, (v * 8 - 1) // top)] for v in values)


def label(key: Key) -> str:
    ex, side = key
    return f"{EXERCISE_LABEL.get(ex, ex)} ({side})"


def angle_name(ex: str) -> str:
    return ANGLE_NAME.get(ex, ANGLE_NAME["unknown"])


NO_FORM = "—"  # a set or week whose reps carry no form (firmware before REP v2)


def fault_label(name: str) -> str:
    return name.replace("_", " ")


def form_parts(form: Form) -> tuple[str, str, str] | None:
    """(range, tempo, faults) of a set's or a week's form as text, against its prescription
    where known; None without form. Range: the band's median rom_deg (what it judges against
    the prescription's minimum); tempo: median up / hold / down in seconds; faults: the share
    of reps with each fault that any rep had (FAULT_NAMES order)."""
    if not form.reps or form.rom_deg is None or form.up_ms is None or form.hold_ms is None \
            or form.down_ms is None:
        return None
    rx = form.rx
    rng = f"{form.rom_deg:.0f}°"
    if rx is not None:
        rng += (f" (min {rx.min_rom_deg}°)" if rx.min_rom_deg else " (no minimum set)")
    tempo = f"{form.up_ms / 1000:.1f}/{form.hold_ms / 1000:.1f}/{form.down_ms / 1000:.1f} s"
    if rx is not None:
        tempo += f" (rx {rx.tempo_s}/{rx.hold_s}/{rx.tempo_s})"
    faults = ", ".join(f"{fault_label(n)} {100 * form.fault_share[n]:.0f}%"
                       for n in FAULT_NAMES if form.fault_share.get(n))
    return rng, tempo, faults or "no faults"


def form_text(form: Form) -> str:
    """One line of form (sessions): range, up/hold/down, faults; NO_FORM without form."""
    parts = form_parts(form)
    if parts is None:
        return NO_FORM
    rng, tempo, faults = parts
    return f"range {rng}, up/hold/down {tempo}, {faults}"


def _goal_text(g: int | None) -> str:
    return "?" if g is None else str(g)


def short_label(key: Key) -> str:
    ex, side = key
    return f"{EXERCISE_LABEL.get(ex, ex)} {side[0].upper() if side != 'unknown' else '?'}"


def render(prog: Progress, width: int | None = None) -> str:
    """The terminal view: today, streaks, the window day by day, left vs right, weeks, ROM.
    Lines fit `width` columns (default: the terminal's, 80 when piped)."""
    import shutil

    width = width or shutil.get_terminal_size((80, 24)).columns
    out = io.StringIO()
    w = out.write
    keys = prog.series_keys()
    w(f"Today, {prog.today.isoformat()}" + (f"  (band {', '.join(prog.bands)})"
                                           if len(prog.bands) == 1 else "") + "\n")
    if not keys:
        w(f"  no reps in the last {prog.window_days or len(prog.days)} days\n")
        return out.getvalue()
    name_w = max(len(label(k)) for k in keys)
    for k in keys:
        n, goal = prog.today_reps(k), prog.goal_today(k)
        if goal is None:
            w(f"  {label(k):<{name_w}}  {n:4d}   (no goal known yet: sync the band)\n")
            continue
        done = "  goal reached!" if n >= goal else f"  {goal - n} to go"
        if prog.is_corrected(k, len(prog.days) - 1):
            done += "  (corrected*)"
        w(f"  {label(k):<{name_w}}  {n:4d} / {goal:<4d} {bar(n, goal)}{done}\n")
    w("\nStreaks (days in a row at the goal)\n")
    for k in keys:
        met, total = prog.adherence(k)
        unknown = prog.unknown_goal_days(k)
        w(
            f"  {label(k):<{name_w}}  now {prog.streak(k):3d}   best {prog.best_streak(k):3d}   "
            f"goal reached on {met} of {total} {'day' if total == 1 else 'days'}"
            + (f" ({unknown} with no goal recorded)" if unknown else "") + "\n"
        )
    w(f"\nFrom {prog.days[0].isoformat()} to {prog.today.isoformat()}"
      f" ({len(prog.days)} {'day' if len(prog.days) == 1 else 'days'})\n")
    top = max(max(prog.counts[k]) for k in keys)
    room = max(10, width - name_w - 16)  # the sparkline shows the last days that fit
    for k in keys:
        w(f"  {label(k):<{name_w}}  |{sparkline(prog.counts[k][-room:], top)}|"
          f"  max {max(prog.counts[k])}\n")
    cols = [(k, max(12, len(label(k)))) for k in keys]
    if 14 + sum(c + 2 for _, c in cols) > width:  # too wide: 'clamshell R' in the headers
        cols = [(k, max(12, len(short_label(k)))) for k in keys]
    per_line = max(1, (width - 14) // (max(c for _, c in cols) + 2))
    head = label if all(c == max(12, len(label(k))) for k, c in cols) else short_label
    for j in range(0, len(cols), per_line):
        part = cols[j:j + per_line]
        w("\n  date        " + "".join(f"{head(k):>{c}}  " for k, c in part) + "\n")
        for i, d in enumerate(prog.days):
            if not any(prog.counts[k][i] for k, _ in part):
                continue
            cells = ""
            for k, c in part:
                n, g = prog.counts[k][i], prog.goals[k][i]
                mark = "?" if g is None else ("✓" if n >= g else " ")
                star = "*" if prog.is_corrected(k, i) else ""
                cells += f"{str(n) + star:>{c - 1}}{mark}  "
            w(f"  {d.isoformat()}  {cells}\n")
    notes = correction_notes(prog)
    if notes:
        w("\n* corrected by hand (repband correct --list; --undo ID takes one back)\n")
        for note in notes:
            w(f"  {note}\n")
    sides = {ex: v for ex, v in prog.sides().items() if len(v) == 2}
    if sides:
        w("\nLeft vs right (the whole period: reps, median angle)\n")
        for ex, by_side in sides.items():
            cells = []
            for side in ("right", "left"):
                n, ang = by_side[side]
                cells.append(f"{side} {n:5d} reps" + (f", {ang:4.1f}°" if ang is not None else ""))
            w(f"  {EXERCISE_LABEL.get(ex, ex):<10} {'   '.join(cells)}\n")
    weeks = prog.weeks()
    if len(weeks) > 1:
        w("\nWeekly totals (weeks from Monday; change from the week before)\n")
        for j in range(0, len(cols), per_line):
            part = cols[j:j + per_line]
            w("  week of    " + "".join(f"{head(k):>{c}}  " for k, c in part) + "\n")
            for i, (monday, per) in enumerate(weeks):
                if i < len(weeks) - 8:
                    continue  # the last eight weeks
                whole = i and weeks[i - 1][0] >= prog.days[0]  # the week before began in it
                cells = ""
                for k, c in part:
                    change = f" ({per[k] - weeks[i - 1][1][k]:+d})" if whole else ""
                    cells += f"{str(per[k]) + change:>{c}}  "
                w(f"  {monday.isoformat()}  {cells}\n")
    trends = [(k, prog.rom_trend(k)) for k in keys]
    if any(a is not None or b is not None for _, (a, b) in trends):
        w("\nRange of motion (median angle a day: first vs last third of the days)\n")
        for k, (early, late) in trends:
            if early is None or late is None:
                continue
            change = f"  ({late - early:+.1f}°)"
            w(f"  {label(k):<{name_w}}  {early:5.1f}° -> {late:5.1f}°{change}  "
              f"{angle_name(k[0])}\n")
    return out.getvalue()


def correction_notes(prog: Progress) -> list[str]:
    """One line per corrected day: what the band said, what it is now."""
    out = []
    for i, d in enumerate(prog.days):
        for src in prog.moved.get(i, []):
            out.append(f"{d.isoformat()}: the band's reps of {src.isoformat()} (its clock was "
                       "wrong)")
        for k in prog.series_keys():
            if (k, i) in prog.corrected:
                out.append(f"{d.isoformat()}: {label(k)} {prog.counts[k][i]} reps (the band "
                           f"counted {prog.corrected[(k, i)]})")
    return out


def write_csv(prog: Progress, path: Path) -> None:
    """One row per day and (exercise, side), from the first day with data: the reps, the goal
    in force that day (empty: not recorded), the median angle; `corrected` 1 where the day
    was corrected by hand, `band_reps` what the band counted (its records' day moved: the
    reps moved with it)."""
    try:
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["date", "exercise", "side", "reps", "goal", "goal_reached",
                         "rom_median_deg", "angle", "corrected",
                         "band_reps"])
            for k in prog.series_keys():
                for i, d in enumerate(prog.days):
                    ang = prog.rom_median_deg[k][i]
                    g = prog.goals[k][i]
                    wr.writerow([
                        d.isoformat(), k[0], k[1], prog.counts[k][i],
                        "" if g is None else g,
                        "" if g is None else int(prog.counts[k][i] >= g),
                        "" if ang is None else f"{ang:.1f}",
                        angle_name(k[0]),
                        int(prog.is_corrected(k, i)),
                        prog.corrected.get((k, i), prog.counts[k][i]),
                    ])
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the CSV ({exc.strerror})") from None


def write_reps_csv(rows: list[tuple], path: Path) -> int:
    """One row per rep (query.rep_rows), oldest first; returns how many."""
    from datetime import datetime

    try:
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["time", "band", "exercise", "side", "mode", "rom_deg", "angle",
                         "duration_s", "time_known"])
            for epoch_ms, uid, ex, side, mode, rom, dur, placed in rows:
                wr.writerow([
                    datetime.fromtimestamp(epoch_ms / 1000).isoformat(timespec="seconds"),
                    uid, ex, side, mode or "", f"{rom:.1f}", angle_name(ex),
                    f"{dur / 1000:.2f}", int(bool(placed)),
                ])
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the CSV ({exc.strerror})") from None
    return len(rows)


def plot_png(prog: Progress, size_in: tuple[float, float] = (9, 5.5), dpi: int = 100) -> bytes:
    """Reps per day with the day's goal (top) and the median angle per day (bottom: a line
    broken where a day has no detail, axis from zero), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = prog.series_keys()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=size_in, sharex=True, height_ratios=[3, 2])
    x = list(range(len(prog.days)))
    width = 0.8 / max(1, len(keys))
    for j, k in enumerate(keys):
        xs = [i - 0.4 + width * (j + 0.5) for i in x]
        ax1.bar(xs, prog.counts[k], width=width, label=label(k), color=f"C{j}")
    goal_days = [max((g for g in (prog.goals[k][i] for k in keys) if g is not None), default=None)
                 for i in x]
    if any(g is not None for g in goal_days):
        ys = [float("nan") if g is None else g for g in goal_days]
        ax1.step([i - 0.5 for i in x] + [x[-1] + 0.5], ys + ys[-1:], where="post",
                 color="black", linestyle="--", linewidth=1, label="daily goal")
    top = max([max(prog.counts[k]) for k in keys] + [g or 0 for g in goal_days] + [1])
    ax1.set_ylim(0, top * 1.15)
    ax1.set_ylabel("reps per day")
    if keys:  # above the plot, where it hides nothing
        ax1.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, ncol=len(keys) + 1,
                   frameon=False, borderaxespad=0.2)
    any_rom = False
    top_angle = 0.0
    for j, k in enumerate(keys):  # each series the colour of its bars (the legend above)
        vals = prog.rom_median_deg[k]
        if any(v is not None for v in vals):
            any_rom = True
            top_angle = max(top_angle, max(v for v in vals if v is not None))
            ys = [float("nan") if v is None else v for v in vals]  # a gap where no detail
            ax2.plot(x, ys, marker="o", markersize=3, label=label(k), color=f"C{j}")
    ax2.set_ylim(0, max(10.0, top_angle * 1.15))  # from zero
    ax2.set_ylabel("median angle (°)")
    if any_rom:
        names = " and ".join(sorted({angle_name(k[0]) for k in keys if k[0] != "unknown"}))
        ax2.set_title(names or "thigh swing", fontsize=8, loc="left")
    else:
        ax2.text(0.5, 0.5, "no per-rep detail", transform=ax2.transAxes, ha="center")
    step = max(1, len(x) // 10)
    ax2.set_xticks(x[::step])
    ax2.set_xticklabels([d.strftime("%m-%d") for d in prog.days][::step])
    ax2.set_xlim(-0.6, max(len(x), 7) - 0.4)  # a short period keeps bars of a week's width
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def write_plot(prog: Progress, path: Path) -> None:
    try:
        Path(path).write_bytes(plot_png(prog))
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the plot ({exc.strerror})") from None
