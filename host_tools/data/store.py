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

Query API (progress, sessions, report, status, demo), each optionally for one band:
daily_counts, rep_roms, rep_rows, set_rows, day_goals, first_day, goals, band_ids, band_info,
max_seq(uid), counts().
"""

from __future__ import annotations

import bisect
import contextlib
import os
import sqlite3
import statistics
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from host_tools import firmware
from host_tools.errors import StoreError

replog = firmware.load("replog")
names = firmware.load("names")
EXERCISES = {0: "unknown", 1: "clamshell", 2: "leg_lift"}
counter = firmware.load("counter")  # (its FAULT_NAMES bits, EXERCISE_FAULT)
DAY_2000 = datetime.fromtimestamp(names.UNIX_2000, timezone.utc).date()  # DAILY's day 0
# the band's prescription (firmware/settings.py), as its hello says it at a sync
PRESCRIPTION = ("reps", "sets", "tempo_s", "hold_s", "min_rom_deg")
# a record as a band sent it: (band seq, type, fields, its bytes on the wire, CRC included)
Record = tuple[int, int, tuple[int, ...], bytes]

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
    # v5: facts as they were when counted. Each rep and set keeps the side and mode its band
    # counted it with, each DAILY record the goal in force (firmware that logs them: the DAILY
    # record before a rep, in its boot). What was stored before is unknown (NULL), not guessed
    # from the settings now; the rep view no longer joins the band's side of today.
    """
    ALTER TABLE reps ADD COLUMN side TEXT;
    ALTER TABLE reps ADD COLUMN mode TEXT;
    ALTER TABLE sets ADD COLUMN side TEXT;
    ALTER TABLE sets ADD COLUMN mode TEXT;
    CREATE TABLE host_settings (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE dailies (uid TEXT, seq INTEGER, boot_no INTEGER, day TEXT, clamshell INTEGER,
                          leg_lift INTEGER, goal INTEGER, side TEXT, mode TEXT,
                          PRIMARY KEY (uid, seq));
    DROP VIEW rep_times;
    CREATE VIEW rep_times AS
    SELECT r.uid, r.seq, r.exercise, r.rom_deg, COALESCE(r.side, 'unknown') AS side, r.mode,
           r.duration_ms,
           COALESCE((SELECT c.epoch_s * 1000 + (r.t_ms - c.t_ms) FROM clocks c
                     WHERE c.uid = r.uid AND c.boot_no = r.boot_no ORDER BY c.seq DESC LIMIT 1),
                    rec.synced_ms) AS epoch_ms,
           EXISTS (SELECT 1 FROM clocks c WHERE c.uid = r.uid AND c.boot_no = r.boot_no) AS placed
    FROM reps r JOIN records rec ON rec.uid = r.uid AND rec.seq = r.seq;
    CREATE VIEW set_times AS
    SELECT s.uid, s.seq, s.exercise, s.reps, COALESCE(s.side, 'unknown') AS side, s.mode,
           s.end_ms - s.start_ms AS duration_ms,
           COALESCE((SELECT c.epoch_s * 1000 + (s.start_ms - c.t_ms) FROM clocks c
                     WHERE c.uid = s.uid AND c.boot_no = s.boot_no ORDER BY c.seq DESC LIMIT 1),
                    rec.synced_ms) AS epoch_ms,
           EXISTS (SELECT 1 FROM clocks c WHERE c.uid = s.uid AND c.boot_no = s.boot_no) AS placed
    FROM sets s JOIN records rec ON rec.uid = s.uid AND rec.seq = s.seq;
    """,
    # v6: corrections made by hand (`repband correct`), kept beside what the band said, which
    # they never rewrite: a day's count of one exercise and side set to `reps`, or every record
    # of a band's day moved to `to_day` (its clock was wrong). Undone ones stay, with the time.
    """
    CREATE TABLE corrections (id INTEGER PRIMARY KEY AUTOINCREMENT, made_ms INTEGER,
                              uid TEXT, day TEXT, exercise TEXT, side TEXT, reps INTEGER,
                              to_day TEXT, undone_ms INTEGER);
    """,
    # v7: form. Each rep's phases (ms, standstill to standstill) and its faults (bits in the
    # counter's FAULT_NAMES order), from REP records of firmware that logs them (NULL before);
    # the prescription each band reported at each sync where it changed (form is shown against
    # the one in force when its set was synced).
    """
    ALTER TABLE reps ADD COLUMN up_ms INTEGER;
    ALTER TABLE reps ADD COLUMN hold_ms INTEGER;
    ALTER TABLE reps ADD COLUMN down_ms INTEGER;
    ALTER TABLE reps ADD COLUMN faults INTEGER;
    CREATE TABLE prescriptions (uid TEXT, seen_ms INTEGER, reps INTEGER, sets INTEGER,
                                tempo_s INTEGER, hold_s INTEGER, min_rom_deg INTEGER,
                                PRIMARY KEY (uid, seen_ms));
    """,
]


def default_path() -> Path:
    env = os.environ.get("REPBAND_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("repband")) / "repband.db"


LOCK_TIMEOUT_S = 5.0  # how long to wait for another program's write (a sync) to finish
TABLES = ("bands", "records", "reps", "sets", "boots", "clocks", "faults", "rep_times",
          "corrections", "prescriptions")
DAY_MS = 86_400_000


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
        self.doubts: list[str] = []  # what a sync could not be sure of (band_log, add_records)
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
            raise StoreError(
                f"{self.path}: made by a newer repband (schema {version}); update repband"
            )
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
             goal: int | None = None, prescription: dict[str, int] | None = None,
             seen_ms: int | None = None) -> None:
        """A band seen at a sync, with its settings now (the thigh it is worn on, the goal, the
        prescription: PRESCRIPTION's keys, kept from `seen_ms` on when it changed)."""
        self.db.execute("INSERT OR IGNORE INTO bands (uid, board, first_seen) VALUES (?, ?, ?)",
                        (uid, board, datetime.now(timezone.utc).isoformat()))
        self.db.execute("UPDATE bands SET board = COALESCE(?, board), side = COALESCE(?, side), "
                        "goal = COALESCE(?, goal) WHERE uid = ?", (board, side, goal, uid))
        if prescription is not None:
            rx = tuple(prescription[k] for k in PRESCRIPTION)
            last = self.db.execute(f"SELECT {', '.join(PRESCRIPTION)} FROM prescriptions WHERE "
                                   "uid = ? ORDER BY seen_ms DESC LIMIT 1", (uid,)).fetchone()
            if last != rx:
                if seen_ms is None:
                    seen_ms = int(datetime.now().timestamp() * 1000)
                self.db.execute("INSERT OR REPLACE INTO prescriptions "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)", (uid, seen_ms, *rx))

    def max_seq(self, uid: str) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM records WHERE uid = ?", (uid,)).fetchone()
        return row[0] or 0

    def band_log(self, uid: str, log_id: str, band_last: int,
                 mark: tuple[int, int] | None = None) -> int:
        """The band's log as its hello describes it (its id, its last seq, the seq and CRC of
        its last acknowledged record, else its oldest); returns the band seq this database holds it
        up to, to export after.
        Another log than the one synced last (another id, or fewer records than are stored of
        it: a log without an id wiped) begins a new numbering range after everything stored.
        The band's id carries a CRC, so damage cannot turn it into another valid id: damaged
        beyond reading it comes as "?", and then the records decide (the band's mark, where
        this database holds that seq: the same CRC is the same log, another is another log,
        kept apart), or else its seqs. Doubts go to `self.doubts`, one line each. Call inside
        `with store.db:`: the decision commits whole, before any of the new log's records, and
        once committed it is not taken again (the id matches, and the new range holds nothing
        yet)."""
        stored_id, seq_base = self.db.execute(
            "SELECT COALESCE(log_id, ''), seq_base FROM bands WHERE uid = ?", (uid,)).fetchone()
        top = self.max_seq(uid)
        held = top - seq_base
        if band_last < 0:  # the band could not read its log: decide nothing on that
            return held
        if log_id != "?":
            same = log_id == stored_id and band_last >= held
        else:
            same = None
            if mark is not None and 0 < mark[0] <= held:
                row = self.db.execute("SELECT raw FROM records WHERE uid = ? AND seq = ?",
                                      (uid, mark[0] + seq_base)).fetchone()
                if row is not None:
                    same = int.from_bytes(bytes(row[0])[-4:], "little") == mark[1]
            if same is None:
                same = band_last >= held
                self.doubts.append("the band's log id was damaged and none of its records held "
                                   "here could confirm it: " + (
                                       "taken as the log synced before (its seqs follow on)"
                                       if same else "taken as a new log (fewer records)"))
            elif same:
                self.doubts.append("the band's log id was damaged, but its records are the ones "
                                   "stored: the same log, nothing stored twice")
            else:
                self.doubts.append("the band's log id was damaged and its records differ from "
                                   "the ones stored under the same seqs: kept both (numbered as "
                                   "a new log)")
        if not same:
            boot_base = self.db.execute("SELECT COALESCE(MAX(boot_no), 0) FROM records "
                                        "WHERE uid = ?", (uid,)).fetchone()[0]
            self.db.execute(
                "UPDATE bands SET log_id = ?, seq_base = ?, boot_base = ?, "
                "last_boot = ? WHERE uid = ?",
                (log_id, top, boot_base, boot_base, uid),
            )
            held = 0
        return held

    def add_records(self, uid: str, records: list[Record], synced_ms: int) -> int:
        """Store records of the band's current log as they came (`wire_records`: in seq order,
        in the band's numbers, each with its bytes as sent, which are what `records.raw`
        keeps); returns how many were new. Call inside `with store.db:` so a batch commits
        whole or not at all."""
        boot, seq_base, boot_base = self.db.execute(
            "SELECT last_boot, seq_base, boot_base FROM bands WHERE uid = ?", (uid,)).fetchone()
        new = 0
        counted_with = self._settings_in_force(uid, boot)
        for band_seq, rtype, fields, raw in records:
            seq = band_seq + seq_base
            # (an old DAILY has 3, an old REP 4: OLD_FORMATS; a count, not narrowing)
            n_fields = len(fields)
            if rtype == replog.BOOT:
                old = self.db.execute("SELECT boot_no FROM records WHERE uid = ? AND seq = ?",
                                      (uid, seq)).fetchone()
                top = self.db.execute("SELECT COALESCE(MAX(boot_no), 0) FROM records WHERE "
                                      "uid = ? AND seq > ?", (uid, seq_base)).fetchone()[0]
                if old is None and fields[0] + boot_base <= top:
                    # boot numbers only grow within a log: the band's count started again (its
                    # boot file damaged after the BOOT records were freed). Numbered after the
                    # ones stored, its reps keep to their own boot's clock, not an old day's.
                    boot_base = top - fields[0] + 1
                    self.db.execute("UPDATE bands SET boot_base = ? WHERE uid = ?",
                                    (boot_base, uid))
                    self.doubts.append(f"the band's boot count started again (at {fields[0]}; "
                                       "damaged flash?): its boots are numbered after the ones "
                                       "stored, each dated by its own clock")
                boot = old[0] if old is not None else fields[0] + boot_base
                counted_with = (None, None)  # a new boot says its settings in its first DAILY
            elif rtype == replog.DAILY and n_fields > 3:
                counted_with = (_code(replog.SIDES, fields[4]), _code(replog.MODES, fields[5]))
            cur = self.db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                                  (uid, seq, rtype, boot, raw, synced_ms))
            if not cur.rowcount:
                continue
            new += 1
            if rtype == replog.REP:
                t, ex, rom, dur = fields[:4]
                form = tuple(fields[4:8]) if n_fields > 4 else (None, None, None, None)
                self.db.execute("INSERT INTO reps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (uid, seq, boot, t, EXERCISES.get(ex, "unknown"), rom / 100, dur,
                                 *counted_with, *form))
            elif rtype == replog.SET:
                s, e, n, ex = fields
                self.db.execute("INSERT INTO sets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (uid, seq, boot, s, e, n, EXERCISES.get(ex, "unknown"),
                                 *counted_with))
                if ex in (names.CLAMSHELL, names.LEG_LIFT):
                    # a set is one exercise, judged on the whole set: its reps (whose records
                    # came first, each with the guess from the set so far) are filed under it,
                    # without the other exercise's fault (judged for the guess)
                    was = names.CLAMSHELL + names.LEG_LIFT - ex
                    self.db.execute(
                        "UPDATE reps SET exercise = ?, faults = faults & ? WHERE uid = ? AND "
                        "boot_no = ? AND t_ms BETWEEN ? AND ? AND exercise = ?",
                        (EXERCISES[ex], ~counter.EXERCISE_FAULT[was], uid, boot, s, e,
                         EXERCISES[was]))
            elif rtype == replog.DAILY:
                day = (DAY_2000 + timedelta(days=fields[0])).isoformat() if fields[0] else None
                goal = fields[3] if n_fields > 3 else None
                self.db.execute("INSERT INTO dailies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (uid, seq, boot, day, fields[1], fields[2], goal, *counted_with))
            elif rtype == replog.BOOT:
                self.db.execute(
                    "INSERT INTO boots VALUES (?, ?, ?, ?)", (uid, seq, boot, fields[1])
                )
            elif rtype == replog.CLOCK:
                self.db.execute(
                    "INSERT INTO clocks VALUES (?, ?, ?, ?, ?)", (uid, seq, boot, *fields)
                )
            elif rtype == replog.FAULT:
                self.db.execute(
                    "INSERT INTO faults VALUES (?, ?, ?, ?, ?)", (uid, seq, boot, *fields)
                )
        self.db.execute("UPDATE bands SET last_boot = ? WHERE uid = ?", (boot, uid))
        return new

    def _settings_in_force(self, uid: str, boot: int) -> tuple[str | None, str | None]:
        """(side, mode) of the band's last DAILY record stored for this boot (a batch may begin
        in the middle of a boot)."""
        row = self.db.execute("SELECT side, mode FROM dailies WHERE uid = ? AND boot_no = ? "
                              "ORDER BY seq DESC LIMIT 1", (uid, boot)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    # -- queries ---------------------------------------------------------------------------------
    def daily_counts(self, since: date, until: date, uid: str | None = None,
                     corrected: bool = True) -> list[tuple[date, str, str, int]]:
        """Reps per (local day, exercise, side) as the band counted them, with the side each rep
        was counted with: every rep with detail, and for a set whose per-rep detail the band
        dropped (flash low) the reps its SET record counts beyond the detail left (dated by the
        set's start). `corrected`: with the corrections made by hand (`repband correct`)."""
        per_band = self._band_day_counts(uid)
        if corrected:
            for c in self.corrections(uid):
                if c["reps"] is not None:
                    per_band[(date.fromisoformat(c["day"]), c["exercise"], c["side"],
                              c["uid"])] = c["reps"]
        out: dict[tuple[date, str, str], int] = {}
        for (d, ex, side, _u), n in per_band.items():
            if since <= d <= until:
                out[(d, ex, side)] = out.get((d, ex, side), 0) + n
        return [(d, ex, side, n) for (d, ex, side), n in sorted(out.items())]

    def _band_day_counts(self, uid: str | None) -> dict[tuple[date, str, str, str], int]:
        # (day, exercise, side, band) -> reps as the band counted them, days moved by hand
        out: dict[tuple[date, str, str, str], int] = {}
        moves = self._moves(uid)

        def add(epoch_ms: int, ex: str, side: str, u: str, n: int) -> None:
            d = _local_day(self._moved(moves, u, epoch_ms))
            out[(d, ex, side, u)] = out.get((d, ex, side, u), 0) + n

        reps: dict[tuple[str, int], list[int]] = {}  # (band, boot) -> t_ms of its reps
        for epoch_ms, ex, side, u, boot, t in self.db.execute(
                "SELECT rt.epoch_ms, rt.exercise, rt.side, r.uid, r.boot_no, r.t_ms "
                "FROM rep_times rt JOIN reps r ON r.uid = rt.uid AND r.seq = rt.seq"
                + _band_filter(uid).replace("uid", "rt.uid"), _args(uid)):
            add(epoch_ms, ex, side, u, 1)
            reps.setdefault((u, boot), []).append(t)
        for boot_reps in reps.values():
            boot_reps.sort()
        margin = replog.DETAIL_MARGIN_MS
        for u, boot, start, end, n, ex, side, epoch_ms in self.db.execute(
                "SELECT s.uid, s.boot_no, s.start_ms, s.end_ms, s.reps, s.exercise, "
                "COALESCE(s.side, 'unknown'), "
                "COALESCE((SELECT c.epoch_s * 1000 + (s.start_ms - c.t_ms) FROM clocks c "
                "          WHERE c.uid = s.uid AND c.boot_no = s.boot_no "
                "          ORDER BY c.seq DESC LIMIT 1), rec.synced_ms) "
                "FROM sets s JOIN records rec ON rec.uid = s.uid AND rec.seq = s.seq"
                + _band_filter(uid).replace("uid", "s.uid"), _args(uid)):
            ts = reps.get((u, boot), [])
            held = bisect.bisect_right(ts, end + margin) - bisect.bisect_left(ts, start - margin)
            if n > held:
                add(epoch_ms, ex, side, u, n - held)
        return out

    # -- corrections by hand (`repband correct`): beside the band's records, never over them ----
    def corrections(self, uid: str | None = None, undone: bool = False) -> list[dict]:
        """The corrections in force (with `undone`, all of them), oldest first: a day's count
        (`reps`) or a day moved (`to_day`). Of two counts for the same band, day, exercise and
        side, and of two moves of the same band's day, the later one is in force."""
        rows = self.db.execute(
            "SELECT id, made_ms, uid, day, exercise, side, reps, to_day, undone_ms FROM "
            "corrections" + _band_filter(uid) + " ORDER BY id", _args(uid)).fetchall()
        out = [dict(zip(("id", "made_ms", "uid", "day", "exercise", "side", "reps", "to_day",
                         "undone_ms"), r)) for r in rows]
        if undone:
            return out
        live: dict[tuple, dict] = {}
        for c in out:
            if c["undone_ms"] is None:
                what = ("move",) if c["to_day"] else ("reps", c["exercise"], c["side"])
                live[(c["uid"], c["day"]) + what] = c
        return sorted(live.values(), key=lambda c: c["id"])

    def add_correction(self, uid: str, day: date, *, exercise: str | None = None,
                       side: str | None = None, reps: int | None = None,
                       to_day: date | None = None) -> tuple[int, bool]:
        """A day's count set by hand (exercise, side, reps), or a band's day moved (to_day).
        Returns (its id, True), or (the id of the same correction already in force, False)."""
        if (reps is None) == (to_day is None):
            raise StoreError("a correction is either a day's count or a day moved")
        for c in self.corrections(uid):
            if c["day"] == day.isoformat() and (
                    (to_day is not None and c["to_day"] == to_day.isoformat()) or
                    (reps is not None and (c["exercise"], c["side"], c["reps"]) ==
                     (exercise, side, reps))):
                return c["id"], False
        with self.db:
            cur = self.db.execute(
                "INSERT INTO corrections (made_ms, uid, day, exercise, side, reps, to_day) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (int(datetime.now().timestamp() * 1000), uid, day.isoformat(), exercise, side,
                 reps, to_day.isoformat() if to_day else None))
        return int(cur.lastrowid or 0), True

    def undo_correction(self, correction_id: int) -> dict:
        """Undo a correction (kept, marked undone); what it was. StoreError if there is none."""
        row = [c for c in self.corrections(undone=True) if c["id"] == correction_id]
        if not row:
            raise StoreError(f"no correction #{correction_id} (see repband correct --list)")
        if row[0]["undone_ms"] is None:
            with self.db:
                self.db.execute("UPDATE corrections SET undone_ms = ? WHERE id = ?",
                                (int(datetime.now().timestamp() * 1000), correction_id))
        return row[0]

    def corrected_days(self, since: date, until: date,
                       uid: str | None = None) -> list[dict]:
        """The corrections in force that touch the days: each count with the band's own count
        of that day (`band_reps`), each move with the day it came from (`day`) and went to."""
        counts = None
        out = []
        for c in self.corrections(uid):
            if c["to_day"]:
                if since <= date.fromisoformat(c["to_day"]) <= until:
                    out.append(c)
                continue
            d = date.fromisoformat(c["day"])
            if not since <= d <= until:
                continue
            if counts is None:
                counts = self._band_day_counts(uid)
            out.append(dict(c, band_reps=counts.get((d, c["exercise"], c["side"], c["uid"]), 0)))
        return out

    def _moves(self, uid: str | None) -> dict[tuple[str, date], int]:
        # (band, the day its records say) -> days to add
        return {(c["uid"], date.fromisoformat(c["day"])):
                (date.fromisoformat(c["to_day"]) - date.fromisoformat(c["day"])).days
                for c in self.corrections(uid) if c["to_day"]}

    @staticmethod
    def _moved(moves: dict[tuple[str, date], int], u: str, epoch_ms: int) -> int:
        if not moves:
            return epoch_ms
        return epoch_ms + moves.get((u, _local_day(epoch_ms)), 0) * DAY_MS

    def rep_roms(self, since: date, until: date,
                 uid: str | None = None) -> list[tuple[date, str, str, float]]:
        return [(_local_day(r[0]), r[2], r[3], r[5]) for r in self.rep_rows(since, until, uid)]

    def rep_rows(self, since: date, until: date, uid: str | None = None) -> list[tuple]:
        """Every rep in the days, oldest first: (epoch_ms, uid, exercise, side, mode, rom_deg,
        duration_ms, placed)."""
        moves = self._moves(uid)
        rows = [(self._moved(moves, r[1], r[0]),) + r[1:] for r in self.db.execute(
            "SELECT epoch_ms, uid, exercise, side, mode, rom_deg, duration_ms, placed "
            "FROM rep_times" + _band_filter(uid) + " ORDER BY epoch_ms, uid, seq", _args(uid))]
        return sorted((r for r in rows if since <= _local_day(r[0]) <= until),
                      key=lambda r: (r[0], r[1]))

    def set_rows(self, since: date, until: date, uid: str | None = None) -> list[tuple]:
        """Every set in the days, oldest first: (epoch_ms, uid, exercise, side, mode, reps,
        duration_ms, median rep ROM (None without rep detail), placed, form, prescription):
        form is (rom_deg, up_ms, hold_ms, down_ms, faults) of each of its reps that carry it
        (none from firmware before REP v2); prescription the band's (PRESCRIPTION order) as
        reported at the sync that brought the set, or None if that sync got none."""
        out = []
        moves = self._moves(uid)
        for epoch_ms, u, seq, ex, n, side, mode, dur, placed in self.db.execute(
                "SELECT epoch_ms, uid, seq, exercise, reps, side, mode, duration_ms, placed "
                "FROM set_times" + _band_filter(uid) + " ORDER BY epoch_ms, uid, seq",
                _args(uid)).fetchall():
            epoch_ms = self._moved(moves, u, epoch_ms)
            if not since <= _local_day(epoch_ms) <= until:
                continue
            # the set's reps: logged before it in its boot, within its span
            reps = self.db.execute(
                "SELECT r.rom_deg, r.up_ms, r.hold_ms, r.down_ms, r.faults FROM reps r "
                "JOIN sets s ON s.uid = r.uid AND s.seq = ? "
                "WHERE r.uid = ? AND r.boot_no = s.boot_no AND r.seq < s.seq "
                "AND r.t_ms BETWEEN s.start_ms AND s.end_ms ORDER BY r.seq", (seq, u)).fetchall()
            roms = [r[0] for r in reps]
            rx = self.db.execute(
                f"SELECT {', '.join(PRESCRIPTION)} FROM prescriptions WHERE uid = ? AND seen_ms "
                "<= (SELECT synced_ms FROM records WHERE uid = ? AND seq = ?) "
                "ORDER BY seen_ms DESC LIMIT 1", (u, u, seq)).fetchone()
            out.append((epoch_ms, u, ex, side, mode, n, dur,
                        statistics.median(roms) if roms else None, placed,
                        [r for r in reps if r[1] is not None], rx))
        return sorted(out, key=lambda r: (r[0], r[1])) if moves else out

    def day_goals(self, since: date, until: date,
                  uid: str | None = None) -> dict[tuple[date, str], int]:
        """The goal in force on each day, as the band logged it, per (day, side): the last DAILY
        record of the day counted on that side ('' for the day's last whatever the side). With
        several bands, the highest. Days with no such record are left out (unknown)."""
        per_band: dict[str, dict[tuple[date, str], int]] = {}
        moves = self._moves(uid)
        for u, day, side, goal in self.db.execute(
                "SELECT uid, day, COALESCE(side, 'unknown'), goal FROM dailies WHERE goal IS NOT "
                "NULL AND day IS NOT NULL" + _band_filter(uid, "AND") + " ORDER BY uid, seq",
                _args(uid)):
            d = date.fromisoformat(day)
            d += timedelta(days=moves.get((u, d), 0))  # a day moved by hand: its goal with it
            if not since <= d <= until:
                continue
            for key in ((d, side), (d, "")):
                per_band.setdefault(u, {})[key] = goal  # the band's later records win
        out: dict[tuple[date, str], int] = {}
        for goals in per_band.values():
            for key, goal in goals.items():
                out[key] = max(goal, out.get(key, 0))
        return out

    def first_day(self, uid: str | None = None) -> date | None:
        """The first local day with a rep or a dated DAILY record: when the band began."""
        moves = self._moves(uid)
        days = []
        # with days moved by hand every rep counts (the first one may have moved later)
        first = "" if moves else "MIN"
        group = "" if moves else " GROUP BY uid"
        for u, t in self.db.execute(f"SELECT uid, {first}(epoch_ms) FROM rep_times"
                                    + _band_filter(uid) + group, _args(uid)):
            if t is not None:
                days.append(_local_day(self._moved(moves, u, t)))
        for u, day in self.db.execute(f"SELECT uid, {first}(day) FROM dailies WHERE day IS NOT "
                                      "NULL" + _band_filter(uid, "AND") + group, _args(uid)):
            d = date.fromisoformat(day)
            days.append(d + timedelta(days=moves.get((u, d), 0)))
        return min(days) if days else None

    def goals(self, uid: str | None = None) -> dict[str, int]:
        """The daily goal per exercise in the bands' settings now, as the last sync saw them
        (the highest, if they differ): the goal of today, before the band has logged one."""
        row = self.db.execute("SELECT MAX(goal) FROM bands" + _band_filter(uid),
                              _args(uid)).fetchone()
        return {ex: row[0] for ex in ("clamshell", "leg_lift", "unknown")} if row[0] else {}

    def host_settings(self) -> dict[str, str]:
        """What the laptop keeps beside the bands' data (the patient's name, the prescription)."""
        return dict(self.db.execute("SELECT key, value FROM host_settings"))

    def set_host_setting(self, key: str, value: str | None) -> None:
        with self.db:
            if value:
                self.db.execute("INSERT OR REPLACE INTO host_settings VALUES (?, ?)", (key, value))
            else:
                self.db.execute("DELETE FROM host_settings WHERE key = ?", (key,))

    def band_info(self, uid: str) -> dict | None:
        row = self.db.execute("SELECT uid, board, side, goal, first_seen FROM bands WHERE uid = ?",
                              (uid,)).fetchone()
        if row is None:
            return None
        return dict(zip(("uid", "board", "side", "goal", "first_seen"), row))

    def band_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT uid FROM bands ORDER BY uid")]

    def counts(self, uid: str | None = None) -> dict[str, int]:
        where, args = ("WHERE uid = ?", (uid,)) if uid else ("", ())
        return {t: self.db.execute(f"SELECT COUNT(*) FROM {t} {where}", args).fetchone()[0]
                for t in ("records", "reps", "sets", "boots", "clocks", "faults")}


def _band_filter(uid: str | None, word: str = "WHERE") -> str:
    return f" {word} uid = ?" if uid else ""


def _args(uid: str | None) -> tuple:
    return (uid,) if uid else ()


def _local_day(epoch_ms: int) -> date:
    return datetime.fromtimestamp(epoch_ms / 1000).date()


def _code(names: tuple, code: int) -> str | None:
    return names[code] if 0 <= code < len(names) else None


def wire_records(data: bytes) -> list[Record]:
    """Every intact record in bytes as a band sends them (firmware/replog.py's layout, CRCs
    included), in the order sent, each with its fields and its own bytes."""
    return [(seq, rtype, tuple(replog.fields_at(data, i, rtype)), bytes(data[i:i + size]))
            for i, size, rtype, seq in replog.scan(data)]


@contextlib.contextmanager
def open_store(path: str | Path) -> Iterator[Store]:
    st = Store(path)
    try:
        yield st
    finally:
        st.close()
