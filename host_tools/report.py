"""`repband report --html out.html`: a one-page, self-contained summary for a physiotherapist.

Same numbers as `repband progress` (one `Progress` computed once); the chart is embedded as a
PNG data URI, so the file can be mailed or printed on its own.
"""

from __future__ import annotations

import argparse
import base64
import html
from datetime import datetime
from pathlib import Path

from host_tools import RepbandError
from host_tools.progress import Progress, label, load, plot_png

CSS = """
body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:60rem;margin:1.5rem auto;
color:#222;padding:0 1rem}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:1.4rem}
.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.4rem 0}
th,td{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
td.met{background:#e3f4e3}
img{max-width:100%}
@media print{body{margin:0}}
"""


def render_html(prog: Progress, *, generated: datetime | None = None) -> str:
    e = html.escape
    generated = generated or datetime.now()
    keys = prog.series_keys()
    first, last = prog.days[0].isoformat(), prog.today.isoformat()
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>repband exercise report {e(first)} to {e(last)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Home exercise report: clamshells and side-lying leg lifts</h1>",
        f'<p class="sub">{e(first)} to {e(last)} ({len(prog.days)} days). '
        f"Counted by a thigh-worn repband"
        + (f" (band {', '.join(e(b) for b in prog.bands)})" if prog.bands else "")
        + f". Generated {e(generated.strftime('%Y-%m-%d %H:%M'))}.</p>",
    ]
    if not keys:
        parts.append(f"<p>No reps were recorded between {e(first)} and {e(last)}.</p>")
    else:
        parts.append(
            "<h2>Summary</h2><table><tr><th>exercise (side)</th><th>daily goal</th>"
            "<th>total reps</th><th>mean per day</th><th>days goal reached</th>"
            "<th>adherence</th><th>current streak</th><th>best streak</th>"
            "<th>median ROM, early &rarr; late</th></tr>"
        )
        for k in keys:
            total = sum(prog.counts[k])
            met, ndays = prog.adherence(k)
            early, late = prog.rom_trend(k)
            rom = (
                f"{early:.1f}&deg; &rarr; {late:.1f}&deg;"
                if early is not None and late is not None
                else "&mdash;"
            )
            parts.append(
                f"<tr><td>{e(label(k))}</td><td>{prog.goals[k]}</td><td>{total}</td>"
                f"<td>{total / ndays:.1f}</td><td>{met} of {ndays}</td>"
                f"<td>{100 * met / ndays:.0f}%</td><td>{prog.streak(k)} days</td>"
                f"<td>{prog.best_streak(k)} days</td><td>{rom}</td></tr>"
            )
        parts.append("</table>")
        png = base64.b64encode(plot_png(prog)).decode("ascii")
        parts.append(
            "<h2>Reps per day and range of motion</h2>"
            f'<img alt="reps per day against the goal, and median range of motion" '
            f'src="data:image/png;base64,{png}">'
        )
        parts.append("<h2>Day by day</h2><table><tr><th>date</th>")
        parts.extend(f"<th>{e(label(k))}</th>" for k in keys)
        parts.extend(f"<th>ROM {e(label(k))}</th>" for k in keys)
        parts.append("</tr>")
        for i, d in enumerate(prog.days):
            parts.append(f"<tr><td>{d.strftime('%a %Y-%m-%d')}</td>")
            for k in keys:
                n = prog.counts[k][i]
                cls = ' class="met"' if n >= prog.goals[k] else ""
                parts.append(f"<td{cls}>{n}</td>")
            for k in keys:
                rom = prog.rom_median_deg[k][i]
                parts.append(f"<td>{'&mdash;' if rom is None else f'{rom:.1f}&deg;'}</td>")
            parts.append("</tr>")
        parts.append("</table>")
        parts.append(
            '<p class="sub">Green cells: daily goal reached. ROM: median range of motion of the '
            "day's reps (thigh rotation at the top of each rep, degrees). Streak: days in a row "
            "at the goal up to today (or yesterday, while today is still going).</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(prog: Progress, path: Path) -> None:
    try:
        Path(path).write_text(render_html(prog), encoding="utf-8")
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write the report ({exc.strerror})") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", type=Path, required=True, metavar="OUT.html", help="output file")
    parser.add_argument(
        "--db", type=Path, help="database file (default: the one repband sync uses)"
    )
    parser.add_argument("--days", type=int, default=30, help="window length in days (default 30)")


def run(args: argparse.Namespace) -> int:
    prog = load(args.db, days=args.days)
    write_html(prog, args.html)
    print(f"report written to {args.html}")
    return 0
