"""History stays true, end to end: a virtual band (the real firmware in MicroPython) worn on
three dates, synced by the real sync over a real pty into a real SQLite file. On day 2 the band
moves from the right thigh to the left and its goal from 60 to 50 (`repband config set`, between
a morning and an afternoon session); `repband progress --csv` still shows day 1 exactly as it
was, and day 2 with its right and its left reps apart, each with the goal it was counted with."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from host_tools import cli
from host_tools.band import sync
from host_tools.sim.virtual_band import BATTERY_MV, VirtualBand
from host_tools.traces import replay, synth, traceio

BOARD = "m5stickc_plus2"


def progress_csv(capsys: pytest.CaptureFixture[str], db: Path, out: Path) -> list[dict]:
    assert cli.main(["progress", "--db", str(db), "--csv", str(out)]) == 0
    capsys.readouterr()
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


def test_three_days_side_and_goal_changed_on_day_two(tmp_path: Path, capsys) -> None:
    trace_path, _ = synth.write_session(tmp_path / "clams.csv",
                                        *synth.make_session(5, "clamshell", rate_hz=50))
    reps = replay.replay_trace(traceio.read_trace(trace_path))["reps"]
    n = len(reps)  # what the band's own counter makes of the trace, each time it wears it
    assert n >= 5 and {r["exercise"] for r in reps} == {"clamshell"}
    flash, db = tmp_path / "flash", tmp_path / "repband.db"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps({"board": BOARD, "side": "right", "goal": 60}))
    day1 = date.today() - timedelta(days=12)
    day2, day3 = day1 + timedelta(days=1), day1 + timedelta(days=2)

    def wear(day: date, hour: int, then=None) -> None:
        start = int(datetime.combine(day, time(hour)).timestamp())
        with VirtualBand(BOARD, trace_path, flash, speed=0, install=True,
                         start_epoch_s=start) as vb:
            vb.wait_trace_done()
            # the laptop's clock that day: a few minutes after the trace (the band sleeps
            # 5 min after its last rep; its clock stops there)
            laptop = lambda: start + vb.trace_ms / 1000 + 330  # noqa: E731
            summary = sync.sync(vb.pty_path, db, clock=laptop)
            assert summary.new_reps == n
            if then:
                then(vb.pty_path)

    def move_to_the_left_leg(port: str) -> None:
        assert cli.main(["config", "set", "side=left", "goal=50", "--port", port]) == 0
        assert "saved side=left, goal=50" in capsys.readouterr().out

    wear(day1, 8)
    before = progress_csv(capsys, db, tmp_path / "1.csv")
    assert min(r["date"] for r in before) == day1.isoformat()  # no rows before the first day
    (day1_row,) = [r for r in before if r["date"] == day1.isoformat()]
    assert (day1_row["exercise"], day1_row["side"], day1_row["reps"], day1_row["goal"]) == \
        ("clamshell", "right", str(n), "60")

    wear(day2, 8, then=move_to_the_left_leg)
    wear(day2, 14)
    wear(day3, 8)
    rows = progress_csv(capsys, db, tmp_path / "3.csv")
    got = {(r["date"], r["side"]): r for r in rows if r["exercise"] == "clamshell"}
    assert got[(day1.isoformat(), "right")] == day1_row  # exactly as it was
    want = {  # (day, side): (reps, goal in force)
        (day1, "right"): (n, 60), (day1, "left"): (0, 60),
        (day2, "right"): (n, 60), (day2, "left"): (n, 50),
        (day3, "right"): (0, 50), (day3, "left"): (n, 50),
    }
    for (d, side), (reps_, goal) in want.items():
        row = got[(d.isoformat(), side)]
        assert (int(row["reps"]), int(row["goal"])) == (reps_, goal), (d, side, row)
        assert row["goal_reached"] == str(int(reps_ >= goal))
    assert {r["date"] for r in rows} == {d.isoformat() for d in (day1, day2, day3)} | {
        (day3 + timedelta(days=i)).isoformat() for i in range(1, (date.today() - day3).days + 1)}
    # the terminal view keeps the legs apart too
    assert cli.main(["progress", "--db", str(db), "--days", "30"]) == 0
    text = capsys.readouterr().out
    assert "Left vs right" in text and f"right {2 * n:5d} reps" in text


def test_sessions_lists_each_set_with_its_side_and_angle(tmp_path: Path, capsys) -> None:
    from bands import as_sent, write_day

    from host_tools.data import store

    db = tmp_path / "r.db"
    day = date.today() - timedelta(days=1)
    records = write_day(tmp_path / "flash", reps=60, seed=3, day=day)
    with store.open_store(db) as st:
        with st.db:
            st.band("b1", "devkit")
            st.add_records("b1", as_sent(records), 0)
        sets = st.set_rows(day, day)
    assert sets and sum(s[5] for s in sets) == sum(1 for r in records if r[1] == 2)
    assert cli.main(["sessions", "--db", str(db), "--day", day.isoformat()]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("  ") and ln.strip()[:1].isdigit()]
    assert len(lines) == len(sets)
    for line, s in zip(lines, sets):
        assert f" {s[5]:4d} " in line and s[2].replace("_", " ") in line
    assert cli.main(["sessions", "--db", str(db), "--day", date.today().isoformat()]) == 0
    assert capsys.readouterr().out.startswith("no sets on")


def test_status_before_and_after_a_sync(tmp_path: Path, capsys) -> None:
    trace_path, _ = synth.write_session(tmp_path / "clams.csv",
                                        *synth.make_session(5, "clamshell", rate_hz=50))
    db = tmp_path / "repband.db"
    start = int(datetime.combine(date.today(), time(8)).timestamp())
    with VirtualBand(BOARD, trace_path, tmp_path / "flash", speed=0, install=True,
                     start_epoch_s=start, uid="240ac4000002") as vb:
        vb.wait_trace_done()

        def status() -> dict[str, str]:
            assert cli.main(["status", "--port", vb.pty_path, "--db", str(db)]) == 0
            out = capsys.readouterr().out
            return {ln[:10].strip(): ln[11:] for ln in out.splitlines()}

        before = status()
        assert before["band"] == f"240ac4000002 ({BOARD})"
        assert before["firmware"].startswith("repband ") and before["last sync"] == "never"
        assert before["clock"].startswith(date.today().isoformat())  # --start set it
        # the Plus2 reads its cell on GPIO38 through a 1:2 divider: the virtual band's fake ADC
        assert before["battery"] == f"{BATTERY_MV / 1000:.2f} V (about 71 % full)"
        waiting = int(before["to sync"].split()[0])
        assert waiting > 0 and "KB in" in before["log"]
        assert sync.sync(vb.pty_path, db).new_records >= waiting
        after = status()
        assert after["last sync"] != "never"
        assert int(after["to sync"].split()[0]) < waiting  # what the app logged since its restart


def test_progress_for_one_band_of_several(tmp_path: Path, capsys) -> None:
    from bands import as_sent, write_day

    from host_tools.data import progress, store

    db = tmp_path / "r.db"
    day = date.today() - timedelta(days=2)
    with store.open_store(db) as st:
        for uid, seed, reps in (("aaaa01", 1, 40), ("bbbb02", 2, 90)):
            records = write_day(tmp_path / uid, reps=reps, seed=seed, day=day)
            with st.db:
                st.band(uid, "devkit", "right", 100)
                st.add_records(uid, as_sent(records), 0)
    both = progress.load(db)
    one = progress.load(db, band="bbbb")  # the start of its chip id is enough
    assert one.bands == ["bbbb02"] and both.bands == ["aaaa01", "bbbb02"]
    total = lambda p: sum(sum(v) for v in p.counts.values())  # noqa: E731
    assert total(one) >= 90 and total(both) == total(one) + total(progress.load(db, band="aaaa01"))
    assert cli.main(["progress", "--db", str(db), "--band", "cccc"]) != 0
    assert "no such band in the database (bands: aaaa01, bbbb02)" in capsys.readouterr().err


def test_status_says_the_thigh_the_band_learned(tmp_path: Path, capsys, shared_traces) -> None:
    from host_tools.traces import mounting

    src = shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv"
    led, labels, _ = mounting.led_in_and_turned(
        traceio.read_trace(src), traceio.read_labels(traceio.labels_path_for(src)), seed=4,
        side="left")
    trace_path, _ = synth.write_session(tmp_path / "led.csv", led, labels)
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps({"board": BOARD, "mount": "learn"}))
    with VirtualBand(BOARD, trace_path, flash, speed=0, install=True) as vb:
        vb.wait_trace_done()
        assert cli.main(["status", "-p", vb.pty_path, "--db", str(tmp_path / "r.db")]) == 0
        rows = {ln[:10].strip(): ln[11:] for ln in capsys.readouterr().out.splitlines()}
    assert rows["side"] == "left (learned)"
    assert json.loads((flash / "mount.json").read_text())["side"] == 1
