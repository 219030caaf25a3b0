"""The laptop's database of everything bands logged (SQLite, schema versioned by migrations).

Every record a band sends is kept as it came (`records`, keyed by band and seq, so storing it
twice is a no-op) and decoded into `reps`, `sets`, `boots`, `clocks`, `faults`. A record's
wall-clock time comes from a clock record of the same boot (the host sets the band's clock at
each sync, and the band logs the RTC at boot once it has been set); records of a boot that never
saw a clock are dated by the sync that brought them (`placed = 0`).

A band's log begun again (its flash wiped) numbers its records and boots from 1 once more, so
the database numbers each log after the ones before: its seq is the band's plus `seq_base`, its
boot number the band's plus `boot_base` (the highest of each stored before that log; `bands`
keeps them with the log's id). `raw` is the record as the band sent it, in the band's numbers.

Query API (progress, report, demo): daily_counts(since, until), rep_roms(since, until), goals(),
band_ids(), max_seq(uid), counts().
"""

from __future__ import annotations

import bisect
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

from host_tools import RepbandError, firmware

replog = firmware.load("replog")
EXERCISES = {0: "unknown", 1: "clamshell", 2: "leg_lift"}

MIGRATIONS = [
    """
    CREATE TABLE bands (uid TEXT PRIMARY KEY, board TEXT, side TEXT DEFAULT 'unknown',
                        first_seen TEXT, last_boot INTEGER DEFAULT 0);
    CREATE TABLE records (uid TEXT, seq INTEGER, type INTEGER, boot_no INTEGER, raw BLOB,
                          synced_ms INTEGER, PRIMARY KEY (uid, seq));
    CREATE TABLE reps (uid TEXT, seq INTEGER, boot_no INTEGER, t_ms INTEGER, exercise TEXT,
                       rom_deg REAL, duration_ms INTEGER, PRIMARY KEY (uid, seq));
    CREATE TABLE sets (uid TEXT, seq INTEGER, boot_no INTEGER, start_ms INTEGER, end_ms INTEGER,
                       reps INTEGER, exercise TEXT, PRIMARY KEY (uid, seq));
    CREATE TABLE boots (uid TEXT, seq INTEGER, boot_no INTEGER, reset_cause INTEGER,
                        PRIMARY KEY (uid, seq));
    CREATE TABLE clocks (uid TEXT, seq INTEGER, boot_no INTEGER, epoch_s INTEGER, t_ms INTEGER,
                         PRIMARY KEY (uid, seq));
    CREATE TABLE faults (uid TEXT, seq INTEGER, boot_no INTEGER, code INTEGER, detail INTEGER,
                         PRIMARY KEY (uid, seq));
    """,
    # v2: where each rep falls in wall-clock time, derived (a view, so it follows new clocks)
    """
    CREATE VIEW rep_times AS
    SELECT r.uid, r.seq, r.exercise, r.rom_deg, b.side,
           COALESCE((SELECT c.epoch_s * 1000 + (r.t_ms - c.t_ms) FROM clocks c
                     WHERE c.uid = r.uid AND c.boot_no = r.boot_no ORDER BY c.seq DESC LIMIT 1),
                    rec.synced_ms) AS epoch_ms,
           EXISTS (SELECT 1 FROM clocks c WHERE c.uid = r.uid AND c.boot_no = r.boot_no) AS placed
    FROM reps r JOIN records rec ON rec.uid = r.uid AND rec.seq = r.seq
    JOIN bands b ON b.uid = r.uid;
    """,
    # v3: the band's daily goal, as its settings said at the last sync
    """
    ALTER TABLE bands ADD COLUMN goal INTEGER;
    """,
    # v4: the band's log last synced (its id, "" if its firmware gave it none) and where its
    # records and boots are numbered from in this database
    """
    ALTER TABLE bands ADD COLUMN log_id TEXT;
    ALTER TABLE bands ADD COLUMN seq_base INTEGER DEFAULT 0;
    ALTER TABLE bands ADD COLUMN boot_base INTEGER DEFAULT 0;
    """,
]


class StoreError(RepbandError):
    pass


def default_path() -> Path:
    env = os.environ.get("REPBAND_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("repband")) / "repband.db"


LOCK_TIMEOUT_S = 5.0  # how long to wait for another program's write (a sync) to finish
TABLES = ("bands", "records", "reps", "sets", "boots", "clocks", "faults", "rep_times")


def problem(path: Path, exc: sqlite3.Error) -> str:
    """One line for what SQLite said about the database at `path`, and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (f"{path}: locked by another program (a repband sync still running?); wait for it "
                "to finish, or close it, and try again")
    if "readonly" in text:
        return f"{path}: read-only; make it writable or name another with --db"
    if "disk I/O" in text or "full" in text:
        return f"{path}: cannot write ({text}); free some disk space or name another with --db"
    return f"{path}: not a repband database ({text}); name another with --db"


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a database; name a file with --db")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot make its folder ({exc.strerror}); name "
                             "another with --db") from None
        try:
            self.db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open ({exc}); name another with --db") from None
        try:
            self.migrate()
            self._check_tables()
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(problem(self.path, exc)) from None
        except StoreError:
            self.db.close()
            raise

    def migrate(self) -> None:
        """Each migration in one transaction with the schema version it makes: killed at any
        statement, the database is left at the version before it, and the next run redoes it."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path}: made by a newer repband (schema {version}); update repband")
        for v in range(version, len(MIGRATIONS)):
            self.db.commit()
            try:
                # executescript runs it all as given: BEGIN ... COMMIT is one transaction
                self.db.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[v]}\n"
                                      f"PRAGMA user_version = {v + 1};\nCOMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.rollback()
                raise

    def _check_tables(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in TABLES if t not in have]
        if missing:
            raise StoreError(f"{self.path}: not a repband database (schema "
                             f"{self.db.execute('PRAGMA user_version').fetchone()[0]} but no "
                             f"{', '.join(missing)}); name another with --db")

    def close(self) -> None:
        self.db.close()

    # -- writing (one transaction per batch, by the caller) ------------------------------------
    def band(self, uid: str, board: str | None, side: str | None = None,
             goal: int | None = None) -> None:
        """A band seen at a sync, with its settings now (the thigh it is worn on, the goal)."""
        self.db.execute("INSERT OR IGNORE INTO bands (uid, board, first_seen) VALUES (?, ?, ?)",
                        (uid, board, datetime.now(timezone.utc).isoformat()))
        self.db.execute("UPDATE bands SET board = COALESCE(?, board), side = COALESCE(?, side), "
                        "goal = COALESCE(?, goal) WHERE uid = ?", (board, side, goal, uid))

    def max_seq(self, uid: str) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM records WHERE uid = ?", (uid,)).fetchone()
        return row[0] or 0

    def band_log(self, uid: str, log_id: str, band_last: int) -> int:
        """The band's log as its hello describes it (its id, its last seq); returns the band seq
        this database holds it up to, to export after. Another log than the one synced last
        (another id, or fewer records than are stored of it: a log without an id wiped) begins
        a new numbering range after everything stored. Call inside `with store.db:`: the
        decision commits whole, before any of the new log's records, and once committed it
        is not taken again (the id matches, and the new range holds nothing yet)."""
        stored_id, seq_base = self.db.execute(
            "SELECT COALESCE(log_id, ''), seq_base FROM bands WHERE uid = ?", (uid,)).fetchone()
        top = self.max_seq(uid)
        held = top - seq_base
        if band_last < 0:  # the band could not read its log: decide nothing on that
            return held
        if log_id != stored_id or band_last < held:
            boot_base = self.db.execute("SELECT COALESCE(MAX(boot_no), 0) FROM records "
                                        "WHERE uid = ?", (uid,)).fetchone()[0]
            self.db.execute("UPDATE bands SET log_id = ?, seq_base = ?, boot_base = ?, "
                            "last_boot = ? WHERE uid = ?", (log_id, top, boot_base, boot_base, uid))
            held = 0
        return held

    def add_records(self, uid: str, records: list[tuple[int, int, tuple]], synced_ms: int) -> int:
        """Store decoded records of the band's current log (in seq order, in the band's
        numbers); returns how many were new. Call inside `with store.db:` so a batch commits
        whole or not at all."""
        boot, seq_base, boot_base = self.db.execute(
            "SELECT last_boot, seq_base, boot_base FROM bands WHERE uid = ?", (uid,)).fetchone()
        new = 0
        for band_seq, rtype, fields in records:
            seq = band_seq + seq_base
            if rtype == replog.BOOT:
                boot = fields[0] + boot_base
            raw = bytes(replog.encode(rtype, band_seq, replog_pack(rtype, fields)))
            cur = self.db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                                  (uid, seq, rtype, boot, raw, synced_ms))
            if not cur.rowcount:
                continue
            new += 1
            if rtype == replog.REP:
                t, ex, rom, dur = fields
                self.db.execute("INSERT INTO reps VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (uid, seq, boot, t, EXERCISES.get(ex, "unknown"), rom / 100, dur))
            elif rtype == replog.SET:
                s, e, n, ex = fields
                self.db.execute("INSERT INTO sets VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (uid, seq, boot, s, e, n, EXERCISES.get(ex, "unknown")))
            elif rtype == replog.BOOT:
                self.db.execute("INSERT INTO boots VALUES (?, ?, ?, ?)", (uid, seq, boot, fields[1]))
            elif rtype == replog.CLOCK:
                self.db.execute("INSERT INTO clocks VALUES (?, ?, ?, ?, ?)", (uid, seq, boot, *fields))
            elif rtype == replog.FAULT:
                self.db.execute("INSERT INTO faults VALUES (?, ?, ?, ?, ?)", (uid, seq, boot, *fields))
        self.db.execute("UPDATE bands SET last_boot = ? WHERE uid = ?", (boot, uid))
        return new

    # -- queries ---------------------------------------------------------------------------------
    def daily_counts(self, since: date, until: date) -> list[tuple[date, str, str, int]]:
        """Reps per day, exercise and side, as the band counted them: every rep with detail,
        and for a set whose per-rep detail the band dropped (flash low) the reps its SET record
        counts beyond the detail left (dated by the set's start)."""
        out: dict[tuple[date, str, str], int] = {}

        def add(epoch_ms: int, ex: str, side: str, n: int) -> None:
            d = datetime.fromtimestamp(epoch_ms / 1000).date()
            if since <= d <= until:
                out[(d, ex, side)] = out.get((d, ex, side), 0) + n

        reps: dict[tuple[str, int], list[int]] = {}  # (band, boot) -> t_ms of its reps
        for epoch_ms, ex, side, uid, boot, t in self.db.execute(
                "SELECT rt.epoch_ms, rt.exercise, rt.side, r.uid, r.boot_no, r.t_ms "
                "FROM rep_times rt JOIN reps r ON r.uid = rt.uid AND r.seq = rt.seq"):
            add(epoch_ms, ex, side, 1)
            reps.setdefault((uid, boot), []).append(t)
        for boot_reps in reps.values():
            boot_reps.sort()
        margin = replog.DETAIL_MARGIN_MS
        for uid, boot, start, end, n, ex, side, epoch_ms in self.db.execute(
                "SELECT s.uid, s.boot_no, s.start_ms, s.end_ms, s.reps, s.exercise, b.side, "
                "COALESCE((SELECT c.epoch_s * 1000 + (s.start_ms - c.t_ms) FROM clocks c "
                "          WHERE c.uid = s.uid AND c.boot_no = s.boot_no "
                "          ORDER BY c.seq DESC LIMIT 1), rec.synced_ms) "
                "FROM sets s JOIN records rec ON rec.uid = s.uid AND rec.seq = s.seq "
                "JOIN bands b ON b.uid = s.uid"):
            ts = reps.get((uid, boot), [])
            held = bisect.bisect_right(ts, end + margin) - bisect.bisect_left(ts, start - margin)
            if n > held:
                add(epoch_ms, ex, side, n - held)
        return [(d, ex, side, n) for (d, ex, side), n in sorted(out.items())]

    def rep_roms(self, since: date, until: date) -> list[tuple[date, str, str, float]]:
        out = []
        for epoch_ms, ex, side, rom in self.db.execute(
                "SELECT epoch_ms, exercise, side, rom_deg FROM rep_times ORDER BY epoch_ms"):
            d = datetime.fromtimestamp(epoch_ms / 1000).date()
            if since <= d <= until:
                out.append((d, ex, side, rom))
        return out

    def goals(self) -> dict[str, int]:
        """The daily goal per exercise, as the bands last said (the highest, if they differ)."""
        row = self.db.execute("SELECT MAX(goal) FROM bands").fetchone()
        return {ex: row[0] for ex in ("clamshell", "leg_lift", "unknown")} if row[0] else {}

    def band_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT uid FROM bands ORDER BY uid")]

    def counts(self, uid: str | None = None) -> dict[str, int]:
        where, args = ("WHERE uid = ?", (uid,)) if uid else ("", ())
        return {t: self.db.execute(f"SELECT COUNT(*) FROM {t} {where}", args).fetchone()[0]
                for t in ("records", "reps", "sets", "boots", "clocks", "faults")}


def replog_pack(rtype: int, fields: tuple) -> bytes:
    import struct

    return struct.pack(replog.FORMATS[rtype], *fields)


@contextlib.contextmanager
def open_store(path: str | Path) -> Iterator[Store]:
    st = Store(path)
    try:
        yield st
    finally:
        st.close()
