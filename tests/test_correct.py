"""`repband correct`: a wrong day put right by hand, beside the band's records (never over
them), shown as corrected by progress, sessions and the report, taken back with --undo, and
unchanged by syncing the same records again."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from bands import as_sent

from host_tools import cli
from host_tools.data import store
from host_tools.firmware import load

replog = load("replog")


def day_records(first_seq: int, boot: int, day: date, reps: int, side: int = 1) -> list:
    """One boot on `day`: its clock at 10:00, the settings (goal 60, `side`), one set of
    clamshells and the day's counts after it."""
    ten = int(datetime.combine(day, datetime.min.time()).timestamp()) + 10 * 3600
    day_no = (day - store.DAY_2000).days
    recs = [(replog.BOOT, (boot, 1)), (replog.CLOCK, (ten, 0)),
            (replog.DAILY, (day_no, 0, 0, 60, side, 0))]
    recs += [(replog.REP, (5_000 + 3_000 * k, 1, 3000, 1500)) for k in range(reps)]
    recs += [(replog.SET, (4_000, 5_000 + 3_000 * reps, reps, 1)),
             (replog.DAILY, (day_no, reps, 0, 60, side, 0))]
    return [(first_seq + i, rtype, fields) for i, (rtype, fields) in enumerate(recs)]


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, list, date, date]:
    d1 = date.today() - timedelta(days=5)
    d2 = d1 + timedelta(days=1)
    records = day_records(1, 1, d1, 12) + day_records(100, 2, d2, 9)
    path = tmp_path / "r.db"
    with store.open_store(path) as st:
        with st.db:
            st.band("b1", "m5stickc_plus2", "left", 60)
            st.add_records("b1", as_sent(records), 0)
    return path, records, d1, d2


def csv_rows(path: Path, capsys, tmp_path: Path) -> dict[tuple[str, str], dict]:
    out = tmp_path / "p.csv"
    assert cli.main(["progress", "--db", str(path), "--csv", str(out)]) == 0
    capsys.readouterr()
    with open(out, newline="") as f:
        return {(r["date"], r["exercise"]): r for r in csv.DictReader(f) if r["side"] == "left"}


def raw_records(path: Path) -> list:
    with store.open_store(path) as st:
        return st.db.execute("SELECT uid, seq, raw FROM records ORDER BY seq").fetchall()


def test_a_days_count_corrected_stays_beside_the_bands_and_survives_a_resync(
        db, tmp_path: Path, capsys) -> None:
    path, records, d1, d2 = db
    before = raw_records(path)
    args = ["correct", "--db", str(path), "--day", d1.isoformat(), "--exercise", "clamshell",
            "--reps", "15"]
    assert cli.main(args) == 0
    line = capsys.readouterr().out
    assert (
        line.startswith("correction #1: ")
        and "clamshell (left) 15 reps (the band counted 12)" in line
        and "repband correct --undo 1" in line
    )  # the side: the one the band counted on
    rows = csv_rows(path, capsys, tmp_path)
    got = rows[(d1.isoformat(), "clamshell")]
    assert (got["reps"], got["corrected"], got["band_reps"]) == ("15", "1", "12")
    other = rows[(d2.isoformat(), "clamshell")]
    assert (other["reps"], other["corrected"], other["band_reps"]) == ("9", "0", "9")
    assert raw_records(path) == before  # the band's records as they came
    # the same records synced again, and the same correction given again: nothing changes
    with store.open_store(path) as st:
        with st.db:
            assert st.add_records("b1", as_sent(records), 0) == 0
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("already in force, correction #1: ")
    assert csv_rows(path, capsys, tmp_path)[(d1.isoformat(), "clamshell")]["reps"] == "15"
    # the terminal view and the sessions say it was corrected
    assert cli.main(["progress", "--db", str(path)]) == 0
    text = capsys.readouterr().out
    assert "15*" in text and f"{d1}: clamshell (left) 15 reps (the band counted 12)" in text
    assert cli.main(["sessions", "--db", str(path), "--day", d1.isoformat()]) == 0
    text = capsys.readouterr().out
    assert "(corrected by hand, see below)" in text and "(the band counted 12)" in text
    # a later correction of the same day wins; undoing it brings back the one before
    assert cli.main(args[:-1] + ["13"]) == 0
    assert "correction #2" in capsys.readouterr().out
    assert csv_rows(path, capsys, tmp_path)[(d1.isoformat(), "clamshell")]["reps"] == "13"
    assert cli.main(["correct", "--db", str(path), "--undo", "2"]) == 0
    assert "correction #2 undone" in capsys.readouterr().out
    assert csv_rows(path, capsys, tmp_path)[(d1.isoformat(), "clamshell")]["reps"] == "15"
    assert cli.main(["correct", "--db", str(path), "--undo", "1"]) == 0
    capsys.readouterr()
    back = csv_rows(path, capsys, tmp_path)[(d1.isoformat(), "clamshell")]
    assert (back["reps"], back["corrected"]) == ("12", "0")
    assert cli.main(["correct", "--db", str(path), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all("(undone " in ln for ln in listed)


def test_a_day_moved_when_the_bands_clock_was_wrong(db, tmp_path: Path, capsys) -> None:
    path, _, d1, d2 = db
    moved_to = d2 + timedelta(days=1)
    assert (
        cli.main(
            [
                "correct",
                "--db",
                str(path),
                "--day",
                d2.isoformat(),
                "--move-to",
                moved_to.isoformat(),
            ]
        )
        == 0
    )
    assert f"the band's records of {d2} are counted on {moved_to}" in capsys.readouterr().out
    rows = csv_rows(path, capsys, tmp_path)
    assert rows[(d2.isoformat(), "clamshell")]["reps"] == "0"
    new = rows[(moved_to.isoformat(), "clamshell")]
    assert (new["reps"], new["corrected"], new["goal"]) == ("9", "1", "60")  # its goal with it
    with store.open_store(path) as st:
        sets = st.set_rows(moved_to, moved_to)
        assert [s[5] for s in sets] == [9]
        assert datetime.fromtimestamp(sets[0][0] / 1000).date() == moved_to
        assert len(st.rep_rows(moved_to, moved_to)) == 9 and not st.rep_rows(d2, d2)
    assert cli.main(["sessions", "--db", str(path), "--day", moved_to.isoformat()]) == 0
    assert f"the band's sets of {d2} moved here" in capsys.readouterr().out
    assert cli.main(["correct", "--db", str(path), "--undo", "1"]) == 0
    capsys.readouterr()
    assert csv_rows(path, capsys, tmp_path)[(d2.isoformat(), "clamshell")]["reps"] == "9"


def test_the_report_marks_a_corrected_day(db, tmp_path: Path, capsys) -> None:
    path, _, d1, _ = db
    assert (
        cli.main(
            [
                "correct",
                "--db",
                str(path),
                "--day",
                d1.isoformat(),
                "--exercise",
                "clamshell",
                "--side",
                "left",
                "--reps",
                "20",
            ]
        )
        == 0
    )
    out = tmp_path / "r.html"
    assert cli.main(["report", "--db", str(path), "--html", str(out)]) == 0
    page = out.read_text()
    assert ">20*" in page and "Corrected by hand: " in page and "the band counted 12" in page


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--reps", "5"], "--reps needs --exercise"),
        (["--exercise", "clamshell", "--reps", "-1"], "--reps must be 0 or more"),
        ([], "give either --reps N"),
        (["--exercise", "leg_lift", "--reps", "5"], "the band counted no leg lifts on"),
        (["--move-to", "DAY"], "is the day itself"),
        (["--band", "zz", "--move-to", "2020-01-01"], "--band zz: no such band"),
    ],
)
def test_a_correction_that_cannot_be_made_is_one_line(db, capsys, extra, needle) -> None:
    path, _, d1, _ = db
    extra = [d1.isoformat() if a == "DAY" else a for a in extra]
    assert cli.main(["correct", "--db", str(path), "--day", d1.isoformat(), *extra]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert raw_records(path)  # nothing else touched
    with store.open_store(path) as st:
        assert st.corrections(undone=True) == []
