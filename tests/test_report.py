"""repband report --html: a valid, self-contained page whose numbers equal the inserted ones."""

from __future__ import annotations

import base64
import os
import shutil
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from host_tools.data import progress, report
from host_tools.data.model import DayCount, RomSample

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
    report.write_html(prog, out, patient="Ada Lovelace", prescription="3 x 20 each side")
    text = out.read_text()
    page = Collect()
    page.feed(text)
    page.close()
    assert page.stack == []
    assert page.links == []  # nothing fetched from elsewhere
    assert len(page.imgs) == 1 and page.imgs[0].startswith("data:image/png;base64,")
    png = base64.b64decode(page.imgs[0].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Ada Lovelace" in text and "3 x 20 each side" in text
    rows = {r[0]: r[1:] for r in page.cells if r}
    for c in counts:
        day_row = rows[c.day.strftime("%a %d %b")]
        assert int(day_row[0].split()[0]) == c.reps
    # the band began 11 days before today: nothing before, adherence over those 12 days
    assert (TODAY - timedelta(days=12)).strftime("%a %d %b") not in rows
    summary = rows["clamshell (left)"]
    met = sum(c.reps >= 100 for c in counts)
    assert summary[0] == f"{met} of 12 ({100 * met / 12:.0f}%)"
    assert int(summary[1]) == sum(c.reps for c in counts)  # total
    assert "1 days" not in text
    assert summary[4].startswith("hip ER ")  # the clinical angle: hip external rotation


def test_empty_window_still_makes_a_page(tmp_path: Path) -> None:
    prog = progress.compute([], [], today=TODAY, days=7)
    html = report.render_html(prog)
    p = Collect()
    p.feed(html)
    assert "No reps were recorded" in html and p.stack == []


def busy_month() -> progress.Progress:
    """The longest report: 30 days, both exercises on both sides, a goal changed midway, three
    sets a day each with their form (five ISO weeks of it)."""
    import random

    from host_tools.data.model import Prescription, RepForm, SetForm

    rng = random.Random(1)
    rx = Prescription(10, 3, 2, 2, 20)
    counts, roms, goals, sets = [], [], {}, []
    for i in range(30):
        d = TODAY - timedelta(days=i)
        goals[(d, "")] = 60 if i > 14 else 50
        for ex in ("clamshell", "leg_lift"):
            for side in ("left", "right"):
                n = (40 + 13 * i + (7 if side == "left" else 0)) % 90
                if n:
                    counts.append(DayCount(d, ex, side, n))
                    roms += [RomSample(d, ex, side, 20 + (i % 7) + r % 5) for r in range(3)]
                    sets += [SetForm(d, ex, side, tuple(
                        RepForm(15 + 20 * rng.random(), rng.randint(400, 3000),
                                rng.randint(0, 3000), rng.randint(400, 3000), rng.randint(0, 31))
                        for _ in range(10)), rx) for _ in range(3)]
    return progress.compute(counts, roms, today=TODAY, days=30, goals={"clamshell": 50},
                            day_goals=goals, sets=sets)


def test_the_report_prints_on_one_a4_page_and_looks_right(tmp_path: Path) -> None:
    if report.chromium() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run "
                    "installs it): the printed page cannot be checked")
    from pypdf import PdfReader

    html_path, pdf, shot = tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "r.png"
    report.write_html(busy_month(), html_path, patient="Ada Lovelace",
                      prescription="clamshells and leg lifts, both legs")
    report.print_with_chromium(html_path, pdf=pdf, png=shot)
    pages = PdfReader(pdf).pages
    assert len(pages) == 1
    w_pt, h_pt = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert abs(w_pt - 595) < 2 and abs(h_pt - 842) < 2  # A4
    assert "Ada Lovelace" in pages[0].extract_text()
    import matplotlib.image

    img = matplotlib.image.imread(shot)
    assert img.shape[1] == 794 and img.std() > 0.05  # drawn, not blank
    out = Path(os.environ.get("REPBAND_REPORT_SHOT", ""))
    if out.name:  # to look at: REPBAND_REPORT_SHOT=report.png pytest -k a4
        shutil.copyfile(shot, out)
