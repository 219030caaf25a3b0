"""The laptop's database: schema versions migrate forward, a file that is not ours (or is newer)
is a one-line error, records are kept once, and reps are placed in wall-clock time by their
boot's clock record (else by the sync that brought them)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from bands import as_sent

from host_tools.data import store
from host_tools.firmware import load

replog = load("replog")


def test_a_database_of_an_older_schema_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(store.MIGRATIONS[0])
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO bands (uid, board) VALUES ('b1', 'devkit')")
    con.execute("INSERT INTO records VALUES ('b1', 1, 2, 1, x'00', 5000)")
    con.execute("INSERT INTO reps VALUES ('b1', 1, 1, 100, 'clamshell', 30.0, 1500)")
    con.commit()
    con.close()
    with store.open_store(path) as st:
        assert st.db.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
        assert st.max_seq("b1") == 1
        assert st.db.execute("SELECT uid, seq, epoch_ms, placed FROM rep_times").fetchall() == \
            [("b1", 1, 5000, 0)]
        assert st.db.execute("SELECT log_id, seq_base, boot_base FROM bands").fetchall() == \
            [(None, 0, 0)]
        with st.db:  # its band, on firmware that gives logs no id: the same log, after seq 1
            assert st.band_log("b1", "", 7) == 1


@pytest.mark.parametrize(("content", "needle"), [
    (b"not a database at all, just text" * 40, "not a repband database"),
    (None, "made by a newer repband (schema 99); update repband"),
])
def test_a_file_that_is_not_ours_is_one_clear_line(tmp_path: Path, content, needle) -> None:
    path = tmp_path / "x.db"
    if content is None:
        con = sqlite3.connect(path)
        con.execute("PRAGMA user_version = 99")
        con.close()
    else:
        path.write_bytes(content)
    with pytest.raises(store.StoreError) as err:
        store.Store(path)
    assert str(err.value).startswith(f"{path}: ") and needle in str(err.value)
    assert "\n" not in str(err.value)


def test_the_default_database_is_in_the_user_data_dir_unless_named(monkeypatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("REPBAND_DB", raising=False)
    assert store.default_path() == Path(user_data_dir("repband")) / "repband.db"
    monkeypatch.setenv("REPBAND_DB", "/elsewhere/my.db")
    assert store.default_path() == Path("/elsewhere/my.db")


def test_records_are_kept_once_and_reps_placed_by_their_boot_clock(tmp_path: Path) -> None:
    noon = int(datetime.combine(date.today() - timedelta(days=3), datetime.min.time()).timestamp()
               ) + 12 * 3600
    synced_ms = int(datetime.now().timestamp() * 1000)
    records = [
        (1, replog.BOOT, (1, 1)),
        (2, replog.CLOCK, (noon, 10_000)),  # the boot's clock: t_ms 10 000 was noon
        (3, replog.REP, (70_000, 1, 3050, 1500)),  # a minute later
        (4, replog.SET, (60_000, 80_000, 1, 1)),
        (5, replog.BOOT, (2, 4)),  # a boot that never saw a clock
        (6, replog.REP, (5_000, 2, 2000, 1200)),
    ]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            assert st.add_records("b1", as_sent(records[:4]), synced_ms) == 4
        with st.db:
            assert st.add_records("b1", as_sent(records[2:]), synced_ms) == 2  # a batch sent again
        assert st.counts("b1") == {"records": 6, "reps": 2, "sets": 1, "boots": 2, "clocks": 1,
                                   "faults": 0}
        placed = dict(st.db.execute("SELECT seq, epoch_ms FROM rep_times").fetchall())
        assert placed == {3: (noon + 60) * 1000, 6: synced_ms}
        day = date.fromtimestamp(noon)
        assert st.daily_counts(day, date.today()) == [
            (day, "clamshell", "unknown", 1), (date.today(), "leg_lift", "unknown", 1)]
        assert st.rep_roms(day, day) == [(day, "clamshell", "unknown", 30.5)]


def test_a_wiped_log_is_numbered_after_the_old_one_once_and_keeps_to_its_own_clocks(
        tmp_path: Path) -> None:
    day = int(datetime.combine(date.today() - timedelta(days=2), datetime.min.time()).timestamp())
    synced_ms = int(datetime.now().timestamp() * 1000)
    old = [
        (1, replog.BOOT, (1, 1)),
        (2, replog.CLOCK, (day + 12 * 3600, 10_000)),
        (3, replog.REP, (70_000, 1, 3050, 1500)),
        (4, replog.BOOT, (2, 4)),  # never saw a clock
        (5, replog.REP, (5_000, 2, 2000, 1200)),
    ]
    new = [  # the log wiped: seqs and boot numbers from 1 again
        (1, replog.BOOT, (1, 1)),  # never saw a clock (the old boot 1 did)
        (2, replog.REP, (20_000, 2, 2500, 1000)),
        (3, replog.BOOT, (2, 1)),
        (4, replog.CLOCK, (day + 86400 + 12 * 3600, 1_000)),  # the next day's noon
        (5, replog.REP, (61_000, 1, 3000, 1000)),
    ]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            assert st.band_log("b1", "aa", 5) == 0  # a band new to this database
            assert st.add_records("b1", as_sent(old), synced_ms) == 5
        with st.db:
            assert st.band_log("b1", "aa", 6) == 5  # the same log: after what is stored
        with contextlib.suppress(RuntimeError), st.db:  # a sync failing before its first batch
            assert st.band_log("b1", "bb", 5) == 0
            raise RuntimeError
        assert st.db.execute("SELECT log_id, seq_base FROM bands").fetchone() == ("aa", 0)
        with st.db:
            assert st.band_log("b1", "bb", 5) == 0  # another log: a new range
        with st.db:
            assert st.band_log("b1", "bb", 5) == 0  # decided once, not again
            assert st.add_records("b1", as_sent(new[:2]), synced_ms) == 2
        with st.db:
            assert st.add_records("b1", as_sent(new), synced_ms) == 3  # a batch sent again: once
            assert st.band_log("b1", "bb", 5) == 5
        assert st.db.execute("SELECT log_id, seq_base, boot_base FROM bands").fetchone() == \
            ("bb", 5, 2)
        rows = st.db.execute("SELECT seq, boot_no, raw FROM records WHERE seq > 5 ORDER BY seq")
        assert [(seq, boot, replog.decode(raw)[0]) for seq, boot, raw in rows] == \
            [(5 + seq, 2 + (seq > 2) + 1, (seq, rtype, fields)) for seq, rtype, fields in new]
        assert st.db.execute("SELECT seq, boot_no FROM boots ORDER BY seq").fetchall() == \
            [(1, 1), (4, 2), (6, 3), (8, 4)]
        placed = {seq: (t, p) for seq, t, p in
                  st.db.execute("SELECT seq, epoch_ms, placed FROM rep_times")}
        assert placed == {3: ((day + 12 * 3600 + 60) * 1000, 1), 5: (synced_ms, 0),
                          7: (synced_ms, 0), 10: ((day + 86400 + 12 * 3600 + 60) * 1000, 1)}


def test_a_log_without_an_id_that_holds_fewer_records_than_stored_begins_a_new_range(
        tmp_path: Path) -> None:
    records = [(seq, replog.REP, (seq * 1000, 1, 2000, 900)) for seq in range(1, 6)]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            assert st.band_log("b1", "", 5) == 0
            st.add_records("b1", as_sent(records), 0)
        with st.db:
            assert st.band_log("b1", "", -1) == 5  # the band could not read its log: no decision
            assert st.band_log("b1", "", 5) == 5
            assert st.band_log("b1", "", 3) == 0  # wiped (old firmware: no id to tell by)
            st.add_records("b1", as_sent(records[:3]), 0)
        assert st.max_seq("b1") == 8 and st.counts("b1")["reps"] == 8


def v4_database(path: Path) -> None:
    """A database as repband made it before reps kept their side (schema v4): a right-leg band
    with one rep stored."""
    con = sqlite3.connect(path)
    for v in range(4):
        con.executescript(store.MIGRATIONS[v])
    con.execute("PRAGMA user_version = 4")
    con.execute("INSERT INTO bands (uid, board, side, goal) VALUES ('b1', 'devkit', 'right', 60)")
    con.execute("INSERT INTO records VALUES ('b1', 1, 2, 1, x'00', 5000)")
    con.execute("INSERT INTO reps VALUES ('b1', 1, 1, 100, 'clamshell', 30.0, 1500)")
    con.commit()
    con.close()


def test_reps_keep_the_side_and_mode_they_were_counted_with_and_days_their_goal(
        tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    v4_database(path)
    noon = int(datetime.combine(date.today() - timedelta(days=2), datetime.min.time()).timestamp()
               ) + 12 * 3600
    day = date.fromtimestamp(noon)
    day_no = (day - store.DAY_2000).days
    boot1 = [
        (2, replog.BOOT, (2, 1)),
        (3, replog.CLOCK, (noon, 0)),
        (4, replog.DAILY, (day_no, 0, 0, 60, 2, 0)),  # at start: goal 60, right, auto
        (5, replog.REP, (10_000, 1, 3000, 1500)),
        (6, replog.REP, (13_000, 1, 3200, 1500)),
        (7, replog.SET, (8_000, 14_000, 2, 1)),
        (8, replog.DAILY, (day_no, 2, 0, 60, 2, 0)),
        (9, replog.DAILY, (day_no, 2, 0, 60, 2, 1)),  # the mode button: clamshell from here
        (10, replog.REP, (20_000, 1, 2000, 1500)),
    ]
    boot2 = [  # settings changed at a sync (the app restarts): left, goal 50
        (11, replog.BOOT, (3, 1)),
        (12, replog.CLOCK, (noon + 3600, 0)),
        (13, replog.DAILY, (day_no, 3, 0, 50, 1, 0)),
        (14, replog.REP, (5_000, 2, 4000, 1500)),
        (15, replog.DAILY, (day_no, 3, 1)),  # an older firmware's DAILY: no settings in it
    ]
    with store.open_store(path) as st:
        old = st.db.execute("SELECT side, mode FROM reps WHERE seq = 1").fetchone()
        assert old == (None, None)  # unknown, not the band's side today
        with st.db:
            st.band("b1", "devkit", "left", 50)
            st.add_records("b1", as_sent(boot1[:5]), 0)  # a batch ends inside the boot
        with st.db:
            st.add_records("b1", as_sent(boot1[5:] + boot2), 0)
        sides = st.db.execute("SELECT seq, side, mode FROM reps ORDER BY seq").fetchall()
        assert sides == [(1, None, None), (5, "right", "auto"), (6, "right", "auto"),
                         (10, "right", "clamshell"), (14, "left", "auto")]
        assert st.db.execute("SELECT side, mode FROM sets").fetchall() == [("right", "auto")]
        counts = st.daily_counts(day, day)  # (the old rep: dated by its sync, in 1970)
        assert counts == [(day, "clamshell", "right", 3), (day, "leg_lift", "left", 1)]
        assert st.day_goals(day, day) == {(day, "right"): 60, (day, "left"): 50, (day, ""): 50}
        assert st.day_goals(day, day, uid="other") == {}
        assert st.first_day("b1") == date.fromtimestamp(5)
        rows = st.set_rows(day, day)
        assert [(r[2], r[3], r[5], r[7]) for r in rows] == [("clamshell", "right", 2, 31.0)]


def _killed_after(path: Path, n: int, prepare=None) -> bool:
    """Open the store at `path` in a child process whose SQLite dies (the process killed, as by
    SIGKILL: no rollback, no close) when it is about to run its n-th statement; whether it got
    that far."""
    pid = os.fork()
    if pid == 0:  # the child: count statements as SQLite runs them, die at the n-th
        seen = [0]
        real_connect = sqlite3.connect

        def trace(_sql: str) -> None:
            seen[0] += 1
            if seen[0] == n:
                os._exit(9)

        def connect(*args, **kwargs):
            con = real_connect(*args, **kwargs)
            con.set_trace_callback(trace)
            return con

        sqlite3.connect = connect
        try:
            store.Store(path).close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 9


@pytest.mark.parametrize("start", ["fresh", "v1", "v6"])
def test_a_first_run_or_upgrade_killed_at_any_statement_leaves_a_database_that_opens(
        tmp_path: Path, start: str) -> None:
    """sqlite3 that dies before statement n, for every n a migration runs: the next run opens
    the database, migrates it whole and keeps what it held (v6: a rep from before form, whose
    form stays unknown)."""
    killed = refused = 0
    done = int(start[1:]) if start != "fresh" else 0  # migrations already made
    for n in range(1, 200):
        path = tmp_path / f"{start}-{n}.db"
        if done:
            con = sqlite3.connect(path)
            for v in range(done):
                con.executescript(store.MIGRATIONS[v])
            con.execute(f"PRAGMA user_version = {done}")
            con.execute("INSERT INTO bands (uid, board) VALUES ('b1', 'devkit')")
            if done == 6:
                con.execute("INSERT INTO records VALUES ('b1', 1, 2, 1, x'00', 5000)")
                con.execute("INSERT INTO reps VALUES ('b1', 1, 1, 100, 'leg_lift', 30.0, 1500, "
                            "'right', 'auto')")
            con.commit()
            con.close()
        if not _killed_after(path, n):
            break  # the whole first run took fewer statements: every position was tried
        killed += 1
        try:
            with store.open_store(path) as st:
                assert st.db.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
                assert st.band_ids() == (["b1"] if done else [])
                want = dict.fromkeys(st.counts(), 0)
                if done == 6:
                    want.update(records=1, reps=1)
                    form = st.db.execute("SELECT rom_deg, up_ms, hold_ms, down_ms, faults "
                                         "FROM reps").fetchall()
                    assert form == [(30.0, None, None, None, None)]
                assert st.counts() == want
                assert st.db.execute("SELECT COUNT(*) FROM prescriptions").fetchone() == (0,)
        except store.StoreError:
            refused += 1
    print(f"{start}: killed before each of {killed} statements: {refused} refused")
    assert killed >= len(store.MIGRATIONS) - done and refused == 0


def test_a_locked_database_says_so(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "r.db"
    store.Store(path).close()
    path.unlink()  # a fresh one, so opening it has migrations to write
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another sync, mid-batch
    monkeypatch.setattr(store, "LOCK_TIMEOUT_S", 0.05)
    try:
        with pytest.raises(store.StoreError) as err:
            store.Store(path)
    finally:
        holder.rollback()
        holder.close()
    assert str(err.value).startswith(f"{path}: locked by another program")
    assert "not a repband database" not in str(err.value)


@pytest.mark.parametrize("case", ["under_a_file", "a_directory", "version_without_tables"])
def test_a_database_path_that_cannot_be_one_is_one_clear_line(tmp_path: Path, case: str) -> None:
    if case == "under_a_file":
        (tmp_path / "passwd").write_text("root:x:0:0\n")
        path, needle = tmp_path / "passwd" / "x.db", "cannot make its folder"
    elif case == "a_directory":
        path, needle = tmp_path / "d.db", "is a directory"
        path.mkdir()
    else:
        path, needle = tmp_path / "v4.db", "not a repband database (schema 4 but no bands"
        con = sqlite3.connect(path)
        con.execute(f"PRAGMA user_version = {len(store.MIGRATIONS)}")
        con.close()
        needle = needle.replace("4", str(len(store.MIGRATIONS)))
    with pytest.raises(store.StoreError) as err:
        store.Store(path)
    assert str(err.value).startswith(f"{path}: ") and needle in str(err.value), err.value
    assert "\n" not in str(err.value)


def test_reps_whose_detail_the_band_dropped_are_counted_from_their_set(tmp_path: Path) -> None:
    """A band low on flash drops per-rep detail of logged sets (the SET record keeps the
    count): progress counts what the band counted, not the REP rows left."""
    log = replog.Log(str(tmp_path / "log"), seg_bytes=300)
    log.free_bytes = lambda: 0  # always low: detail of every finished set may go
    log.boot(1)
    noon = int(datetime.combine(date.today(), datetime.min.time()).timestamp()) + 12 * 3600
    log.clock(noon, 0)
    t, band_counted = 1000, {"clamshell": 0, "leg_lift": 0}
    for k in range(20):
        ex = 1 + k % 2
        start = t
        for _ in range(10):
            t += 2500
            log.rep(t, ex, 3000, 1200, 600, 1500, 700, 0)
        log.set_done(start, t, 10, ex)
        band_counted[store.EXERCISES[ex]] += 10
        t += 60_000
    for _ in range(7):  # a set still open: its detail is its only count
        t += 2500
        log.rep(t, 2, 3000, 1200, 600, 1500, 700, 0)
    band_counted["leg_lift"] += 7
    records = log.records()
    reps_left = sum(1 for r in records if r[1] == replog.REP)
    assert reps_left < 207  # detail was dropped
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            st.add_records("b1", as_sent(records), noon * 1000)
        got = {ex: n for _, ex, _, n in st.daily_counts(date.today(), date.today())}
    print(f"band counted {sum(band_counted.values())}, REP rows {reps_left}, "
          f"progress {sum(got.values())}")
    assert got == band_counted


def test_a_sets_reps_are_filed_under_the_exercise_of_the_set(tmp_path: Path) -> None:
    """Each REP record carries the band's guess from the set so far; the SET record after them
    says what the whole set was. Reps of that boot inside the set's span follow it, whichever
    batch brought them, without the fault judged for the other exercise alone; a rep outside
    the span, or of another boot, keeps its own."""
    noon = int(datetime.combine(date.today(), datetime.min.time()).timestamp()) + 12 * 3600
    records = [
        (1, replog.BOOT, (1, 1)),
        (2, replog.CLOCK, (noon, 0)),
        (3, replog.REP, (5_000, 1, 2000, 1200)),  # before the set: its own
        # the set's first reps, guessed clamshells: one too small, one "pelvis roll" too
        (4, replog.REP, (12_000, 1, 2500, 3000, 900, 1000, 1100, 0b10001)),
        (5, replog.REP, (16_000, 1, 2400, 3000)),
        (6, replog.REP, (20_000, 2, 2300, 3000)),
        (7, replog.SET, (10_000, 22_000, 3, 2)),  # the whole set: leg lifts
        (8, replog.BOOT, (2, 4)),
        (9, replog.CLOCK, (noon + 3600, 0)),
        (10, replog.REP, (16_000, 1, 2400, 3000)),  # another boot's rep at the same t_ms
    ]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            st.add_records("b1", as_sent(records[:5]), noon * 1000)
        with st.db:  # the set's last rep and the SET in a later sync, then that batch again
            st.add_records("b1", as_sent(records[5:]), noon * 1000)
            st.add_records("b1", as_sent(records[4:]), noon * 1000)
        got = dict(st.db.execute("SELECT seq, exercise FROM reps").fetchall())
        assert got == {3: "clamshell", 4: "leg_lift", 5: "leg_lift", 6: "leg_lift",
                       10: "clamshell"}
        faults = st.db.execute("SELECT faults FROM reps WHERE seq = 4").fetchone()[0]
        assert [n for b, n in enumerate(store.counter.FAULT_NAMES) if faults >> b & 1] == [
            "too_small"]
        assert {ex: n for _, ex, _, n in st.daily_counts(date.today(), date.today())} == {
            "leg_lift": 3, "clamshell": 2}


def crc_of(rtype: int, seq: int, fields: tuple) -> int:
    return int.from_bytes(
        bytes(replog.encode(rtype, seq, replog.pack(rtype, fields)))[-4:], "little"
    )


def test_an_unreadable_id_is_decided_by_the_bands_oldest_record(tmp_path: Path) -> None:
    records = [(seq, replog.REP, (seq * 1000, 1, 2000, 900)) for seq in range(1, 7)]
    mine = (3, crc_of(replog.REP, 3, records[2][2]))  # the band's oldest: seq 3
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            assert st.band_log("b1", "aa", 6) == 0
            st.add_records("b1", as_sent(records), 0)
        with st.db:  # its records are the ones stored: no new range, whatever the seqs
            assert st.band_log("b1", "?", 9, mine) == 6
            assert st.band_log("b1", "?", 4, mine) == 6
        assert "nothing stored twice" in st.doubts[0]
        st.doubts.clear()
        with st.db:  # another record under seq 3: another log, kept apart
            assert st.band_log("b1", "?", 9, (3, mine[1] ^ 1)) == 0
        assert "kept both" in st.doubts[0]
        assert st.db.execute("SELECT seq_base FROM bands").fetchone() == (6,)
        with st.db:  # a valid id that differs is another log (a CRC guards it), even if its
            st.doubts.clear()  # oldest record happens to be the same bytes
            assert st.band_log("b1", "bb", 9, (1, 0)) == 0 and not st.doubts


def test_an_unreadable_id_with_no_record_held_to_compare_follows_the_seqs(tmp_path: Path) -> None:
    records = [(seq, replog.REP, (seq * 1000, 1, 2000, 900)) for seq in range(1, 7)]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            st.band_log("b1", "aa", 6)
            st.add_records("b1", as_sent(records), 0)
        with st.db:
            assert st.band_log("b1", "?", 9, (8, 1234)) == 6  # its oldest is newer than ours
            assert "damaged" in st.doubts[0]
            assert st.band_log("b1", "?", 2, (1, 1234)) == 0  # fewer records: a new log


def test_a_boot_count_that_starts_again_is_numbered_after_the_stored_boots(tmp_path: Path) -> None:
    day = int(datetime.combine(date.today() - timedelta(days=3), datetime.min.time()).timestamp())
    old = [(1, replog.BOOT, (1, 1)), (2, replog.CLOCK, (day + 8 * 3600, 1_000)),
           (3, replog.REP, (61_000, 1, 3000, 1000)),
           (4, replog.BOOT, (2, 1)), (5, replog.CLOCK, (day + 86400 + 8 * 3600, 1_000)),
           (6, replog.REP, (61_000, 1, 3000, 1000))]
    # the band freed those, then its boot file was damaged: boot 1 again, two days later
    new = [(7, replog.BOOT, (1, 1)), (8, replog.CLOCK, (day + 2 * 86400 + 8 * 3600, 1_000)),
           (9, replog.REP, (61_000, 1, 3000, 1000))]
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            st.band_log("b1", "aa", 6)
            st.add_records("b1", as_sent(old), 0)
        with st.db:
            assert st.band_log("b1", "aa", 9) == 6
            st.add_records("b1", as_sent(new), 0)
            st.add_records("b1", as_sent(new), 0)  # sent again: no second rebase
        assert "boot count started again" in st.doubts[0] and len(st.doubts) == 1
        boots = st.db.execute("SELECT seq, boot_no FROM boots ORDER BY seq").fetchall()
        assert boots == [(1, 1), (4, 2), (7, 3)]
        days = [datetime.fromtimestamp(t / 1000).date() for (t,) in
                st.db.execute("SELECT epoch_ms FROM rep_times ORDER BY seq")]
        assert days == [date.fromtimestamp(day + k * 86400) for k in range(3)]  # each its own day


def test_the_store_keeps_the_bytes_the_band_sent(tmp_path: Path, monkeypatch) -> None:
    """records.raw is each record as it came over the wire (sync hands the bytes over), not
    the store's own encoding of its fields: with replog's packer gone it stores the same."""
    sent = [(1, replog.BOOT, (1, 1)), (2, replog.REP, (5_000, 2, 3000, 1500)),  # REP v1
            (3, replog.REP, (9_000, 2, 3100, 4000, 800, 2100, 1500, 6)),  # REP v2
            (4, replog.DAILY, (9800, 0, 2)), (5, replog.SET, (4_000, 10_000, 2, 2))]
    wire = b"".join(bytes(replog.encode(t, s, replog.pack(t, f))) for s, t, f in sent)
    records = store.wire_records(b"\x00junk" + wire[:40] + b"\xa5" + wire[40:])
    assert [r[:3] for r in records] == sent  # (the reader skips what is not a record)

    def gone(*_a):
        raise AssertionError("the store re-encoded a record")

    monkeypatch.setattr(replog, "pack", gone)
    monkeypatch.setattr(replog, "encode", gone)
    with store.open_store(tmp_path / "r.db") as st:
        with st.db:
            st.band("b1", "devkit")
            assert st.add_records("b1", records, 0) == 5
        raw = b"".join(r for (r,) in st.db.execute("SELECT raw FROM records ORDER BY seq"))
        assert raw == wire
        assert st.db.execute("SELECT seq, up_ms, hold_ms, down_ms, faults FROM reps ORDER BY "
                             "seq").fetchall() == [(2, None, None, None, None),
                                                   (3, 800, 2100, 1500, 6)]
