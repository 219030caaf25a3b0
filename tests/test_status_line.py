"""Progress lines appear on a terminal only: piped output stays exactly what it was."""

from __future__ import annotations

import io
import time

from host_tools.status_line import StatusLine, working


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_is_rewritten_in_place_and_cleared() -> None:
    term = Terminal()
    line = StatusLine(term, every_s=0)
    line.show("recording: 1 s, 50 samples")
    line.show("recording: 2 s, 100 samples")
    line.clear()
    assert term.getvalue() == ("\r\033[Krecording: 1 s, 50 samples"
                               "\r\033[Krecording: 2 s, 100 samples\r\033[K")
    with working("counting", term):
        time.sleep(0.7)
    assert "counting (" in term.getvalue() and term.getvalue().endswith("\r\033[K")


def test_piped_nothing_is_written() -> None:
    piped = io.StringIO()
    line = StatusLine(piped, every_s=0)
    line.show("x")
    line.clear()
    with working("counting", piped):
        time.sleep(0.6)
    assert piped.getvalue() == ""


def test_bench_power_shows_a_line_on_a_terminal_and_nothing_piped(monkeypatch, capsys) -> None:
    import sys

    from host_tools import cli
    from host_tools.sim import power

    def slow(ref_us, as_json=False):
        time.sleep(1.2)
        return "figures"

    monkeypatch.setattr(power, "run_power", slow)
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert cli.main(["bench", "--power"]) == 0
    assert "bench --power" in term.getvalue() and term.getvalue().endswith("\r\033[K")
    assert capsys.readouterr().out == "figures\n"
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    assert cli.main(["bench", "--power"]) == 0
    assert piped.getvalue() == ""
