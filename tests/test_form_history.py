"""Form per set and week, from records as a band sends them through the real store: REP v2
records carry each rep's phases and faults into the database, `repband sessions` shows each
set's median range against the prescription, median up/hold/down and the share of reps with
each fault, the report the same week by week; sets from older firmware (REP v1) show "—". The
expected figures are computed here from the records put in, and end to end from what the
virtual band (the real firmware in MicroPython) logged."""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from bands import as_sent, band_state
from test_report import Collect

from host_tools import cli, firmware
from host_tools.band import sync
from host_tools.data import query, report, store
from host_tools.sim.virtual_band import VirtualBand
from host_tools.traces import replay, synth, traceio

replog = firmware.load("replog")
counter = firmware.load("counter")
FAULTS = counter.FAULT_NAMES
RX = {"reps": 10, "sets": 3, "tempo_s": 2, "hold_s": 2, "min_rom_deg": 25}


def set_records(first_seq: int, boot: int, day: date, hour: int, reps: list[tuple] | int,
                ex: int = 2) -> list:
    """One boot on `day` at `hour`: its clock, the settings (right thigh), one set and the
    day's counts. `reps`: (rom_cdeg, up_ms, hold_ms, down_ms, faults) each (REP v2), or a
    count of reps as firmware before form logged them (REP v1)."""
    start = int(datetime.combine(day, time(hour)).timestamp())
    day_no = (day - store.DAY_2000).days
    recs: list[tuple[int, tuple]] = [(replog.BOOT, (boot, 1)), (replog.CLOCK, (start, 0)),
                                     (replog.DAILY, (day_no, 0, 0, 30, 2, 0))]
    t = 4000
    for r in (reps if isinstance(reps, list) else [(2000 + 100 * k,) for k in range(reps)]):
        t += 6000
        recs.append((replog.REP, (t, ex, r[0], 6000) + tuple(r[1:])))
    n = len(recs) - 3
    recs += [(replog.SET, (4000, t + 500, n, ex)), (replog.DAILY, (day_no, 0, n, 30, 2, 0))]
    return [(first_seq + i, rtype, fields) for i, (rtype, fields) in enumerate(recs)]


def random_reps(rng: random.Random, n: int) -> list[tuple]:
    return [(rng.randint(1500, 4500), rng.randint(400, 3000), rng.randint(0, 4000),
             rng.randint(400, 3000), rng.getrandbits(len(FAULTS)) if rng.random() < 0.5 else 0)
            for _ in range(n)]


def expected_line(reps: list[tuple], rx: dict | None) -> str:
    """The form line of a set (or a week) whose reps are `reps`, worked out from them."""
    if not reps:
        return "—"

    def med(i: int) -> float:
        return statistics.median(r[i] for r in reps)

    rng = f"{med(0) / 100:.0f}°"
    tempo = f"{med(1) / 1000:.1f}/{med(2) / 1000:.1f}/{med(3) / 1000:.1f} s"
    if rx is not None:
        rng += f" (min {rx['min_rom_deg']}°)" if rx["min_rom_deg"] else " (no minimum set)"
        tempo += f" (rx {rx['tempo_s']}/{rx['hold_s']}/{rx['tempo_s']})"
    shares = [(name, sum(1 for r in reps if r[4] >> bit & 1) / len(reps))
              for bit, name in enumerate(FAULTS)]
    faults = ", ".join(f"{name.replace('_', ' ')} {100 * s:.0f}%" for name, s in shares if s)
    return f"range {rng}, up/hold/down {tempo}, {faults or 'no faults'}"


def v6_database(path: Path, records: list) -> None:
    """A database as repband made it before reps kept their form (schema v6), holding
    `records` (REP v1) as that repband stored them."""
    con = sqlite3.connect(path)
    for v in range(6):
        con.executescript(store.MIGRATIONS[v])
    con.execute("PRAGMA user_version = 6")
    con.execute("INSERT INTO bands (uid, board, side, goal) VALUES ('b1', 'devkit', 'right', 30)")
    boot = 0
    for seq, rtype, fields in records:
        raw = bytes(replog.encode(rtype, seq, replog.pack(rtype, fields)))
        boot = fields[0] if rtype == replog.BOOT else boot
        con.execute("INSERT INTO records VALUES ('b1', ?, ?, ?, ?, 0)", (seq, rtype, boot, raw))
        if rtype == replog.REP:
            con.execute("INSERT INTO reps VALUES ('b1', ?, ?, ?, 'leg_lift', ?, ?, 'right', "
                        "'auto')", (seq, boot, fields[0], fields[2] / 100, fields[3]))
        elif rtype == replog.SET:
            con.execute("INSERT INTO sets VALUES ('b1', ?, ?, ?, ?, ?, 'leg_lift', 'right', "
                        "'auto')", (seq, boot, *fields[:3]))
        elif rtype == replog.CLOCK:
            con.execute("INSERT INTO clocks VALUES ('b1', ?, ?, ?, ?)", (seq, boot, *fields))
    con.execute("UPDATE bands SET last_boot = ?", (boot,))
    con.commit()
    con.close()


def test_sets_show_their_form_against_the_prescription_and_old_sets_a_dash(
        tmp_path: Path, capsys) -> None:
    rng = random.Random(12)
    today = date.today()
    d_old, d_new = today - timedelta(days=9), today - timedelta(days=2)
    old = set_records(1, 1, d_old, 9, 8)  # firmware before form: REP v1
    path = tmp_path / "r.db"
    v6_database(path, old)
    sets = [random_reps(rng, rng.randint(6, 12)) for _ in range(3)]
    new = set_records(100, 2, d_new, 8, sets[0])
    new += set_records(200, 3, d_new, 10, sets[1])
    later = set_records(300, 4, d_new, 16, sets[2])
    with store.open_store(path) as st:  # migrated to v7: the old reps' form unknown
        assert st.db.execute("SELECT COUNT(*) FROM reps WHERE up_ms IS NULL AND hold_ms IS "
                             "NULL AND down_ms IS NULL AND faults IS NULL").fetchone()[0] == 8
        with st.db:  # a sync: the band says its prescription, then its records come
            st.band("b1", "devkit", "right", 30, RX, seen_ms=1000)
            assert st.add_records("b1", as_sent(new), 2000) == len(new)
        rx2 = dict(RX, tempo_s=3, hold_s=0, min_rom_deg=0)  # changed on the band since
        with st.db:
            st.band("b1", "devkit", "right", 30, rx2, seen_ms=5000)
            st.band("b1", "devkit", "right", 30, rx2, seen_ms=6000)  # unchanged: kept once
            assert st.add_records("b1", as_sent(later), 7000) == len(later)
        assert st.db.execute("SELECT seen_ms FROM prescriptions").fetchall() == \
            [(1000,), (5000,)]
        stored = st.db.execute("SELECT up_ms, hold_ms, down_ms, faults FROM reps "
                               "WHERE seq > 100 ORDER BY seq").fetchall()
        assert stored == [r[1:] for s in sets for r in s]
    assert cli.main(["sessions", "--db", str(path), "--day", today.isoformat(),
                     "--days", "10"]) == 0
    out = capsys.readouterr().out
    lines = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("form: ")]
    assert lines == ["form: " + expected_line(r, rx) for r, rx in
                     (([], None), (sets[0], RX), (sets[1], RX), (sets[2], rx2))]
    assert "(min 25°)" in lines[1] and "(no minimum set)" in lines[3]


def form_table(html_text: str) -> list[list[str]]:
    page = Collect()
    page.feed(html_text)
    head = next(i for i, c in enumerate(page.cells) if c[:2] == ["exercise", "weeks (sets)"])
    assert page.cells[head][6:] == [n.replace("_", " ") + " %" for n in FAULTS]
    return [[c.strip() for c in row] for row in page.cells[head + 1:]
            if len(row) == len(page.cells[head]) and row[1][:1].isdigit()]


def test_the_report_shows_form_from_the_first_week_to_the_last(tmp_path: Path) -> None:
    rng = random.Random(5)
    today = date.today()
    path = tmp_path / "r.db"
    per_week: dict[date, list[list[tuple]]] = {}  # Monday -> its sets' reps
    records: list = []
    seq, boot = 1, 1
    for back in (20, 19, 13, 12, 11, 3, 1):  # days in three or four ISO weeks
        d = today - timedelta(days=back)
        for hour in (9, 17):
            reps = random_reps(rng, rng.randint(5, 10))
            records += set_records(seq, boot, d, hour, reps)
            per_week.setdefault(d - timedelta(days=d.weekday()), []).append(reps)
            seq, boot = seq + 100, boot + 1
    with store.open_store(path) as st:
        with st.db:
            st.band("b1", "devkit", "right", 30, RX, seen_ms=1)
            st.add_records("b1", as_sent(records), 10)
    prog = query.load(path, days=30, today=today)
    (row,) = form_table(report.render_html(prog, patient="A. Patient"))
    first, last = (sorted(per_week)[0], sorted(per_week)[-1])

    def week(monday: date, fmt) -> str:
        reps = [r for s in per_week[monday] for r in s]

        def med(i: int) -> float:
            return statistics.median(r[i] for r in reps)

        return fmt(reps, med)

    def trend(fmt) -> str:
        a, b = week(first, fmt), week(last, fmt)
        return a if a == b else f"{a}→{b}"

    assert row[:2] == ["lift R", f"{len(per_week)} ({sum(len(v) for v in per_week.values())})"]
    assert row[2] == trend(lambda reps, med: f"{med(0) / 100:.0f}°")
    assert row[3] == f"{RX['min_rom_deg']}°"
    assert row[4] == trend(lambda reps, med: f"{med(1) / 1000:.1f}/{med(2) / 1000:.1f}/"
                                             f"{med(3) / 1000:.1f}")
    assert row[5] == f"{RX['tempo_s']}/{RX['hold_s']}/{RX['tempo_s']}"
    def share(bit: int):
        return lambda reps, med: f"{100 * sum(1 for r in reps if r[4] >> bit & 1) / len(reps):.0f}"

    assert row[6:] == [trend(share(b)) for b in range(len(FAULTS))]


def test_an_older_bands_weeks_show_a_dash(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    d = date.today() - timedelta(days=1)
    v6_database(path, set_records(1, 1, d, 9, 6))
    prog = query.load(path, days=7, today=date.today())
    (row,) = form_table(report.render_html(prog))
    assert row[1] == "1 (1)" and row[2:] == ["—"] * (4 + len(FAULTS))


@pytest.mark.parametrize(("hello", "want"), [
    ({"rx": RX}, RX),
    ({}, None),  # older firmware says none
    ({"rx": dict(RX, hold_s=31)}, None),  # out of the band's own limits
    ({"rx": dict(RX, reps=True)}, None),
    ({"rx": {k: v for k, v in RX.items() if k != "sets"}}, None),
])
def test_the_prescription_a_hello_reports_is_checked(hello: dict, want) -> None:
    assert sync.prescription(hello) == want


def test_a_band_wearing_a_form_session_shows_what_it_logged(tmp_path: Path, capsys) -> None:
    """End to end: the virtual band wears a synthetic session with form faults, is synced, and
    sessions shows each set's form as worked out here from the REP records on its flash
    (which match the counter's replay of the same trace)."""
    trace, labels = synth.make_form_session(3, "leg_lift", rate_hz=50)
    trace_path, _ = synth.write_session(tmp_path / "form.csv", trace, labels)
    rx = dict(RX, min_rom_deg=20)
    flash, db = tmp_path / "flash", tmp_path / "repband.db"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps({"board": "m5stickc_plus2", "side": "right",
                                                   **rx}))
    day = date.today() - timedelta(days=1)
    start = int(datetime.combine(day, time(9)).timestamp())
    with VirtualBand("m5stickc_plus2", trace_path, flash, speed=0, install=True,
                     start_epoch_s=start) as vb:
        vb.wait_trace_done()
        laptop = lambda: start + vb.trace_ms / 1000 + 330  # noqa: E731
        _, on_band = band_state(vb.pty_path)  # (before the sync lets the band free them)
        summary = sync.sync(vb.pty_path, db, clock=laptop)
    replayed = replay.replay_trace(traceio.read_trace(trace_path), params={
        "rx_rom_cdeg": rx["min_rom_deg"] * 100})["reps"]
    reps = [f for _, t, f in on_band if t == replog.REP]
    assert summary.new_reps == len(reps) == len(replayed) >= 12
    assert sum(1 for f in reps if f[7]) >= 3  # the session's faults were logged
    by_set: list[list[tuple]] = []
    for _, rtype, f in on_band:
        if rtype == replog.SET:
            by_set.append([(r[2],) + tuple(r[4:8]) for r in reps if f[0] <= r[0] <= f[1]])
    assert len(by_set) == 2 and sum(map(len, by_set)) == len(reps)
    assert cli.main(["sessions", "--db", str(db), "--day", day.isoformat()]) == 0
    out = capsys.readouterr().out
    lines = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("form: ")]
    assert lines == ["form: " + expected_line(s, rx) for s in by_set]
