"""`repband report --html out.html [--pdf out.pdf]`: one printed A4 page for a physiotherapist.

Same numbers as `repband progress` (one `Progress` computed once); the chart is embedded as a
PNG data URI, so the file can be mailed or printed on its own. The period starts on the first
day with data (adherence counts the days since the band began, not days before it existed);
the range of motion is the clinical angle (host_tools.data.clinical). `--pdf` prints the page with
headless Chromium (Debian's `chromium`), the browser a clinic would print it from.
"""

from __future__ import annotations

import argparse
import base64
import html
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from host_tools.data.model import EXERCISE_LABEL, FAULT_NAMES, Progress
from host_tools.data.query import load
from host_tools.data.render import (
    NO_FORM,
    angle_name,
    correction_notes,
    fault_label,
    label,
    plot_png,
)
from host_tools.errors import RepbandError

ANGLE_SHORT = {"clamshell": "hip ER", "leg_lift": "hip abd."}
CSS = """
@page{size:A4;margin:10mm 12mm}
body{font-family:system-ui,Helvetica,Arial,sans-serif;font-size:9.5pt;color:#222;
max-width:186mm;margin:0 auto}
h1{font-size:15pt;margin:0 0 1mm}h2{font-size:10.5pt;margin:3mm 0 1mm}
.sub{color:#555;margin:0 0 1mm}.note{color:#555;font-size:8pt;margin:2mm 0 0}
table{border-collapse:collapse;margin:0}
th,td{border:1px solid #bbb;padding:.4mm 1.6mm;text-align:right;white-space:nowrap}
th{white-space:normal}
th:first-child,td:first-child{text-align:left}
td.met{background:#dff2df}td.short{background:#fbe9e7}
.days{columns:2;column-gap:6mm}.days table{width:100%}
.days.three{columns:3;column-gap:4mm}.days.three table{font-size:8pt}
.days.three td,.days.three th{padding:.3mm 1mm}
table.form{font-size:7.5pt}table.form td,table.form th{padding:.3mm 1mm}
img{width:100%;height:auto;display:block}
"""


def render_html(prog: Progress, *, patient: str | None = None, prescription: str | None = None,
                generated: datetime | None = None) -> str:
    e = html.escape
    generated = generated or datetime.now()
    keys = prog.series_keys()
    first, last = prog.days[0].isoformat(), prog.today.isoformat()
    n_days = len(prog.days)
    days_text = f"{n_days} day" + ("" if n_days == 1 else "s")
    who = e(patient) if patient else "patient not named"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Exercise report {who} {e(first)} to {e(last)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Home exercise report: {who}</h1>",
        f'<p class="sub"><b>{e(first)} to {e(last)}</b> ({days_text}, from the first day the '
        "band counted). Clamshells and side-lying leg lifts counted by a thigh-worn repband"
        + (f" ({', '.join(e(b) for b in prog.bands)})" if prog.bands else "")
        + f". Generated {e(generated.strftime('%Y-%m-%d %H:%M'))}.</p>",
        f'<p class="sub">Prescription: {e(prescription) if prescription else "not given"}; '
        f"{_goal_summary(prog)}.</p>",
    ]
    if not patient:
        parts.append('<p class="note">Name the patient with: repband config set '
                     'patient="First Last" prescription="..."</p>')
    if not keys:
        parts.append(f"<p>No reps were recorded between {e(first)} and {e(last)}.</p>")
        parts.append("</body></html>")
        return "\n".join(parts)
    parts.append(
        "<h2>Summary</h2><table><tr><th>exercise (side)</th><th>days goal reached</th>"
        "<th>reps</th><th>per day</th><th>streak now / best</th>"
        "<th>median angle, first &rarr; last</th></tr>"
    )
    for k in keys:
        total = sum(prog.counts[k])
        met, ndays = prog.adherence(k)
        unknown = prog.unknown_goal_days(k)
        early, late = prog.rom_trend(k)
        detail_days = sum(1 for v in prog.rom_median_deg[k] if v is not None)
        name = ANGLE_SHORT.get(k[0], "swing")
        if early is None or late is None:
            rom = "&mdash;"
        elif detail_days < 2:
            rom = f"{name} {late:.0f}&deg;"
        else:
            rom = f"{name} {early:.0f}&deg; &rarr; {late:.0f}&deg;"
        parts.append(
            f"<tr><td>{e(label(k))}</td><td>{met} of {ndays} "
            f"({100 * met / ndays:.0f}%)" + (f", {unknown} goal unknown" if unknown else "")
            + f"</td><td>{total}</td><td>{total / ndays:.1f}</td>"
            f"<td>{prog.streak(k)} / {prog.best_streak(k)}</td><td>{rom}</td></tr>"
        )
    parts.append("</table>")
    sides = {ex: v for ex, v in prog.sides().items() if len(v) == 2}
    if sides:
        parts.append("<h2>Left vs right</h2><table><tr><th>exercise</th><th>right: reps</th>"
                     "<th>right: angle</th><th>left: reps</th><th>left: angle</th></tr>")
        for ex, by_side in sides.items():
            cells = "".join(
                f"<td>{by_side[s][0]}</td><td>{_deg(by_side[s][1])}</td>"
                for s in ("right", "left"))
            parts.append(f"<tr><td>{e(EXERCISE_LABEL.get(ex, ex))} ({angle_name(ex)})</td>"
                         f"{cells}</tr>")
        parts.append("</table>")
    parts.extend(_form_table(prog, keys))
    png = base64.b64encode(plot_png(prog, size_in=(7.3, 2.9), dpi=150)).decode("ascii")
    parts.append(
        "<h2>Reps per day with the goal, and the median angle</h2>"
        f'<img alt="reps per day against the daily goal, and the median angle per day" '
        f'src="data:image/png;base64,{png}">'
    )
    rows = [i for i in range(n_days)
            if any(prog.counts[k][i] or prog.is_corrected(k, i) for k in keys)]
    parts.append(f"<h2>Days with exercise ({len(rows)} of {days_text})</h2>"
                 f'<div class="{_days_class(len(rows), len(keys))}"><table><tr><th>date</th>')
    parts.extend(f"<th>{e(_short(k))}</th>" for k in keys)
    parts.append("</tr>")
    with_angle = len(keys) <= 2  # more columns than that: the chart shows the angles
    for i in rows:
        parts.append(f"<tr><td>{prog.days[i].strftime('%a %d %b')}</td>")
        for k in keys:
            n, g = prog.counts[k][i], prog.goals[k][i]
            cls = "" if g is None or not n else (' class="met"' if n >= g else ' class="short"')
            ang = prog.rom_median_deg[k][i]
            star = "*" if prog.is_corrected(k, i) else ""
            cell = (f"{n}{star}" + (f" &middot; {ang:.0f}&deg;" if ang is not None and with_angle
                                    else "")) if n or star else ""
            parts.append(f"<td{cls}>{cell}</td>")
        parts.append("</tr>")
    parts.append("</table></div>")
    notes = correction_notes(prog)
    if notes:
        parts.append('<p class="note">* Corrected by hand: ' + "; ".join(e(n) for n in notes)
                     + ".</p>")
    names = sorted({angle_name(k[0]) for k in keys})
    parts.append(
        '<p class="note">Each cell: reps' + (" &middot; median angle" if with_angle else "")
        + '. Green: the day\'s goal reached; '
        "red: not reached (each day against the goal set on the band that day). Angles: "
        + ", ".join(names) + ", as the band measures each rep from the tilt of the thigh "
        "(side-lying, trunk still; a clamshell's is the knee opening). Streak: days in a row "
        "at the goal up to today (or yesterday, while today is still going).</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _form_table(prog: Progress, keys: list) -> list[str]:
    """Form over the weeks (Progress.form_weeks), one row per exercise and side so the page
    stays one page: how many weeks and sets, and the first week's figures against the last's
    (median range, median up/hold/down, the share of reps with each fault), beside the last
    week's prescription: the trend a physiotherapist looks for."""
    rows = [(k, w) for k in keys if (w := prog.form_weeks(k))]
    if not rows:
        return []
    e = html.escape
    out = ['<h2>Form over the weeks</h2><table class="form"><tr><th>exercise</th>'
           "<th>weeks (sets)</th><th>range</th><th>min</th><th>up/hold/down s</th><th>rx</th>"]
    out.extend(f"<th>{e(fault_label(n))} %</th>" for n in FAULT_NAMES)
    out.append("</tr>")
    for k, weeks in rows:
        first, last = weeks[0][2], weeks[-1][2]
        cells = [e(_short(k)), f"{len(weeks)} ({sum(w[1] for w in weeks)})"]
        rx = last.rx or first.rx
        cells.append(_trend(first, last, lambda f: f"{f.rom_deg:.0f}&deg;"))
        cells.append(NO_FORM if rx is None else
                     f"{rx.min_rom_deg}&deg;" if rx.min_rom_deg else "none")
        cells.append(_trend(first, last, lambda f: f"{f.up_ms / 1000:.1f}/"
                            f"{f.hold_ms / 1000:.1f}/{f.down_ms / 1000:.1f}"))
        cells.append(NO_FORM if rx is None else f"{rx.tempo_s}/{rx.hold_s}/{rx.tempo_s}")
        cells += [_trend(first, last, lambda f, n=n: f"{100 * f.fault_share[n]:.0f}")
                  for n in FAULT_NAMES]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    out.append('<p class="note">The band\'s judgement of every rep, first ISO week &rarr; last: '
               "median range and up/hold/down seconds (standstill to standstill), % of reps "
               "with each fault; min, rx: the prescription's minimum range and tempo/hold. "
               f"{NO_FORM}: firmware that logged no form.</p>")
    return out


def _trend(first, last, fmt) -> str:
    """fmt(first week's Form) &rarr; fmt(last week's); one figure when they read the same,
    NO_FORM for a week without form."""
    a, b = (NO_FORM if f.reps == 0 or f.rom_deg is None else fmt(f) for f in (first, last))
    return a if a == b else f"{a}&rarr;{b}"


def _days_class(rows: int, keys: int) -> str:
    """The days table in two columns from 13 days, three from 21 where its cells are counts
    alone (more than two exercise-sides: no angles beside them), so a month fits the page."""
    if rows > 20 and keys > 2:
        return "days three"
    return "days" if rows > 12 else ""


def _deg(v: float | None) -> str:
    return "&mdash;" if v is None else f"{v:.0f}&deg;"


def _short(k: tuple[str, str]) -> str:
    ex, side = k
    name = {"clamshell": "clam", "leg_lift": "lift"}.get(ex, ex)
    return f"{name} {side[0].upper() if side != 'unknown' else '?'}"


def _goal_summary(prog: Progress) -> str:
    """The daily goal over the period as the band had it: one number, or each change."""
    changes: list[tuple[str, int]] = []
    for i, d in enumerate(prog.days):
        g = max((v for k in prog.counts if (v := prog.goals[k][i]) is not None), default=None)
        if g is not None and (not changes or changes[-1][1] != g):
            changes.append((d.isoformat(), g))
    if not changes:
        return "daily goal not recorded"
    if len(changes) == 1:
        return f"daily goal {changes[0][1]} reps per exercise"
    return "daily goal " + ", ".join(f"{g} from {d}" for d, g in changes) + " reps per exercise"


def write_html(prog: Progress, path: Path, **kw) -> None:
    try:
        Path(path).write_text(render_html(prog, **kw), encoding="utf-8")
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the report ({exc.strerror})") from None


def chromium() -> str | None:
    """Debian's headless-capable Chromium, if installed."""
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p),
                None)


def print_with_chromium(html_path: Path, *, pdf: Path | None = None,
                        png: Path | None = None, width_px: int = 794) -> None:
    """Print the page to a PDF (A4, as the page's @page says) and/or take a screenshot of it
    (an A4 page's width at 96 dpi)."""
    exe = chromium()
    if exe is None:
        raise RepbandError("--pdf needs Chromium: install it (Debian: apt-get install chromium)")
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="repband-chromium-") as profile:
        base = [exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                "--hide-scrollbars"]
        jobs = []
        if pdf is not None:
            pdf = Path(pdf).resolve()
            jobs.append((pdf, base + ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", url]))
        if png is not None:
            png = Path(png).resolve()
            jobs.append((png, base + [f"--screenshot={png}", f"--window-size={width_px},1123",
                                      url]))
        for out, cmd in jobs:
            out.unlink(missing_ok=True)
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            if r.returncode or not out.exists():
                last = (r.stderr.strip().splitlines() or ["?"])[-1]
                raise RepbandError(f"chromium could not print {html_path} ({last})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", type=Path, required=True, metavar="OUT.html",
                        help="the report to write (required)")
    parser.add_argument("--pdf", type=Path, metavar="OUT.pdf",
                        help="also print it to a PDF with headless Chromium (default: no PDF)")
    parser.add_argument(
        "--db", type=Path, help="database file (default: the one repband sync uses)"
    )
    parser.add_argument("--days", type=int, default=30,
                        help="window length in days, ending today; the report starts at the "
                             "first day with data if that is later (default: 30)")
    parser.add_argument("--band", metavar="CHIP_ID",
                        help="only this band (its chip id or its start; default: all bands)")


def run(args: argparse.Namespace) -> int:
    from host_tools.data import store
    from host_tools.data.query import db_path

    prog = load(args.db, days=args.days, band=args.band)
    with store.open_store(db_path(args.db)) as st:
        notes = st.host_settings()
    write_html(prog, args.html, patient=notes.get("patient"),
               prescription=notes.get("prescription"))
    print(f"report written to {args.html}")
    if args.pdf:
        print_with_chromium(args.html, pdf=args.pdf)
        print(f"PDF written to {args.pdf}")
    return 0
