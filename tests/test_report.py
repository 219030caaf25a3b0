"""repband report --html: a valid, self-contained page whose numbers equal the inserted ones."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from host_tools import progress, report
from host_tools.progress import DayCount, RomSample

TODAY = date(2026, 3, 15)
VOID = ("img", "meta", "br", "link", "hr", "input")


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.imgs: list[str] = []
        self.cells: list[list[str]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag in VOID:
            return
        if tag in ("link", "script") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src") or "")
        self.stack.append(tag)
        if tag == "tr":
            self.cells.append([])

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in ("td", "th") and self.cells:
            self.cells[-1].append(data)


def test_report_is_valid_and_self_contained(tmp_path: Path) -> None:
    counts = [
        DayCount(TODAY - timedelta(days=i), "clamshell", "left", 60 + 7 * i) for i in range(12)
    ]
    roms = [RomSample(c.day, c.exercise, c.side, 25.0 + c.reps % 5) for c in counts]
    prog = progress.compute(counts, roms, today=TODAY, days=14)
    out = tmp_path / "r.html"
    report.write_html(prog, out)
    page = Collect()
    page.feed(out.read_text())
    page.close()
    assert page.stack == []
    assert page.links == []  # nothing fetched from elsewhere
    assert len(page.imgs) == 1 and page.imgs[0].startswith("data:image/png;base64,")
    png = base64.b64decode(page.imgs[0].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    rows = {r[0]: r[1:] for r in page.cells if r}
    for c in counts:
        day_row = rows[c.day.strftime("%a %Y-%m-%d")]
        assert int(day_row[0]) == c.reps
    summary = rows["clamshell (left)"]
    met = sum(c.reps >= 100 for c in counts)
    assert int(summary[1]) == sum(c.reps for c in counts)  # total
    assert summary[3] == f"{met} of 14"
    assert re.fullmatch(r"\d+ days", summary[5])


def test_empty_window_still_makes_a_page(tmp_path: Path) -> None:
    prog = progress.compute([], [], today=TODAY, days=7)
    html = report.render_html(prog)
    p = Collect()
    p.feed(html)
    assert "No reps were recorded" in html and p.stack == []
