"""`repband sync`: set the band's clock, pull every record the laptop does not have yet into
SQLite, and acknowledge them to the band only after they are committed.

Interrupted anywhere (cable pulled, Ctrl-C, band reset), a rerun loses nothing and stores
nothing twice: records are keyed by (band, seq), each batch commits whole, and the band frees
only what was acknowledged after a commit. A band whose log was wiped (its seqs start again at
1) says so by its log's id: its new records are numbered after the old ones in the database
(store.band_log); export and ack speak the band's own numbers.

On the wire (firmware/service.py): one raw-REPL exec per batch, which acknowledges the batch
before (already committed) and exports the next; records travel as stored on the band, CRCs
included, in base64 lines, and the batch ends with its last seq and record count.
"""

from __future__ import annotations

import argparse
import binascii
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from host_tools import BOARDS_DIR, firmware
from host_tools.band import link
from host_tools.data import store

replog = firmware.load("replog")
settings = firmware.load("settings")
BATCH = 500  # records per exec and per transaction: what a cut cable makes us fetch again
AGAIN = "run repband sync again: nothing is lost"


@dataclass
class SyncSummary:
    uid: str
    board: str | None
    new_records: int
    new_reps: int
    acked_seq: int
    seconds: float
    notes: list[str] = field(default_factory=list)  # faults the band logged, doubts: one line each
    problem: str = ""  # what keeps the band from counting (its app cannot start), if anything

    def __str__(self) -> str:
        head = (f"band {self.uid} ({self.board}): {self.new_records} new records, "
                f"{self.new_reps} reps, acknowledged up to {self.acked_seq}, {self.seconds:.1f} s")
        return "\n".join([head, *(f"  {n}" for n in self.notes)])


FAULTS = {  # code -> what the band's FAULT records say, given how many and their details' sum
    replog.FAULT_DETAIL_DROPPED: lambda n, d: (f"flash low: the band dropped the per-rep detail "
                                               f"of {d} reps (their sets keep the count)"),
    replog.FAULT_FLASH_FULL: lambda n, d: (f"fault: flash full, {d} records could not be written "
                                           "(those reps may be missing); sync more often"),
    replog.FAULT_I2C: lambda n, d: f"fault: the IMU failed to answer {n} times (samples lost)",
    replog.FAULT_FIFO_OVERFLOW: lambda n, d: (f"fault: the IMU's FIFO overflowed {n} times "
                                              f"({d} samples lost)"),
}


def fault_notes(st: store.Store, uid: str, after_seq: int) -> list[str]:
    """One line per kind of FAULT record stored after `after_seq` (this sync's)."""
    rows = st.db.execute("SELECT code, COUNT(*), SUM(ABS(detail)) FROM faults WHERE uid = ? "
                         "AND seq > ? GROUP BY code ORDER BY code", (uid, after_seq))
    return [FAULTS.get(code, lambda n, d, c=code: f"fault {c}: {n} times")(n, d)
            for code, n, d in rows]


def parse_batch(out: str) -> tuple[list[store.Record], int, bool]:
    """Records of one export reply (each verified by its CRC, with its bytes as sent: what the
    store keeps), the last seq sent, whether more remain on the band."""
    data = bytearray()
    end = None
    try:
        for line in out.splitlines():
            if line.startswith("RB-DATA "):
                data.extend(binascii.a2b_base64(line[8:].strip()))
            elif line.startswith("RB-END "):
                end = [int(x) for x in line.split()[1:5]]
    except (binascii.Error, ValueError):
        end = None
    if end is None or len(end) != 4:
        raise link.LinkError(f"the band's export was cut short; {AGAIN}")
    last, more, _band_last, count = end
    records = store.wire_records(bytes(data))
    if len(records) != count or (records and max(r[0] for r in records) != last):
        raise link.LinkError(f"records were damaged on the way; {AGAIN}")
    return records, last, bool(more)


def sync(port: str, db: str | Path | None = None, progress: bool = False,
         clock: Callable[[], float] = time.time) -> SyncSummary:
    """`clock`: the laptop's wall clock (Unix seconds), which the band is set to."""
    db_path = Path(db) if db else store.default_path()
    try:
        return _sync(port, db_path, progress, clock)
    except sqlite3.Error as exc:
        raise store.StoreError(store.problem(db_path, exc)) from None


def _sync(port: str, db_path: Path, progress: bool, clock: Callable[[], float]) -> SyncSummary:
    start = time.monotonic()
    # the database first: a bad one should not even interrupt the band's app
    with store.open_store(db_path) as st, link.raw_session(port) as band, \
            band.task("during sync", AGAIN):
        info = band.info
        uid, board = info["uid"], info.get("board")
        with st.db:  # (a wiped log begins a new numbering range, decided here, once)
            side = info.get("side")
            st.band(uid, board, side if side in ("left", "right") else None, info.get("goal"),
                    prescription(info), int(clock() * 1000))
            mark = info.get("mark")
            after = st.band_log(uid, str(info.get("log") or ""), int(info.get("last", -1)),
                                tuple(mark) if mark else None)
        if info.get("log") == "?":  # matched by its records: give the band its id back
            known = st.db.execute("SELECT COALESCE(log_id, '') FROM bands WHERE uid = ?",
                                  (uid,)).fetchone()[0]
            if re.fullmatch(r"[0-9a-f]{16}", known):
                band.restore_id(known)
        reps_before = st.counts(uid)["reps"]
        top_before = st.max_seq(uid)
        new_records = 0
        bar = None
        if progress and sys.stderr.isatty():
            from tqdm import tqdm

            total = max(0, int(info.get("last", 0)) - after + 1)  # +1: the clock record
            bar = tqdm(desc="sync", unit="rec", total=total, file=sys.stderr, leave=False)
        out = band.set_clock_and_export(int(clock()), utc_offset_min(), after, BATCH)
        try:
            while True:
                records, last, more = parse_batch(out)
                if records:
                    new_records += _commit(st, db_path, uid, records, int(clock() * 1000))
                    after = last
                    if bar is not None:
                        bar.update(len(records))
                if not more:
                    break
                # only now, with the batch committed, may the band free it
                out = band.ack_and_export(after, after, BATCH)
        finally:
            if bar is not None:
                bar.close()
        if after > int(info.get("acked", -1)):
            band.ack(after)
        new_reps = st.counts(uid)["reps"] - reps_before
        notes = fault_notes(st, uid, top_before) + list(dict.fromkeys(st.doubts))
    problem = info.get("app") or ""
    return SyncSummary(uid, board, new_records, new_reps, after, time.monotonic() - start, notes,
                       problem)


def prescription(info: dict) -> dict[str, int] | None:
    """The prescription the band's hello reports (firmware/settings.py's keys and limits), or
    None if it reports none (older firmware) or one that is not valid."""
    rx = info.get("rx")
    if not isinstance(rx, dict):
        return None
    out = {}
    for key in store.PRESCRIPTION:
        v = rx.get(key)
        lo, hi = settings.LIMITS[key]
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            return None
        out[key] = v
    return out


def utc_offset_min() -> int:
    """The laptop's time zone now, in minutes east of UTC: the band's day starts at local
    midnight."""
    from datetime import datetime

    offset = datetime.now().astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _commit(st: store.Store, db_path: Path, uid: str, records: list, synced_ms: int) -> int:
    try:
        with st.db:  # one transaction: all of the batch or none of it
            return st.add_records(uid, records, synced_ms)
    except sqlite3.Error as exc:
        why = (store.problem(db_path, exc) if "locked" in str(exc) else
               f"{db_path}: cannot store the band's records ({exc})")
        raise store.StoreError(f"{why}; the band keeps every record not stored") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--port", help="the band's serial port (default: find it)")
    parser.add_argument(
        "--db", help="database file (default: your data directory, or $REPBAND_DB)"
    )


def run(args: argparse.Namespace) -> int:
    port = args.port or link.find_port()
    summary = sync(port, args.db, progress=True)
    print(summary)
    if summary.problem:  # its log is safe, but the band is not counting
        known = bool(summary.board) and (BOARDS_DIR / f"{summary.board}.json").is_file()
        fix = "" if "run repband" in summary.problem else (
            f"; run repband flash --board {summary.board if known else 'BOARD'}")
        print(f"repband sync: {port}: the band's app cannot start ({summary.problem}){fix}",
              file=sys.stderr)
        return link.LinkError.exit_code
    return 0
