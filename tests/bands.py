"""Helpers for the link and sync tests: a band's flash with a day's log written straight into it
(firmware/replog.py, as the app writes it), what a band holds (asked over its REPL), and what
the database holds."""

from __future__ import annotations

import ast
import random
import sqlite3
from datetime import date, datetime, time
from pathlib import Path

from host_tools import firmware
from host_tools.band import link
from host_tools.data import store
from host_tools.sim.virtual_band import install_firmware

replog = firmware.load("replog")
BOARD = "m5stickc_plus2"


def band_flash(flash: Path, app: bool = False) -> Path:
    """The firmware on a band's flash; without the app (no main.py) the band idles at its
    REPL, so only sync writes to its log."""
    install_firmware(flash, BOARD)
    if not app:
        (flash / "main.py").unlink()
    return flash


def write_day(flash: Path, reps: int, seed: int = 1, day: date | None = None) -> list:
    """A realistic day in the band's log: boots (power-on, wake from deep sleep), a clock record
    in most of them (set at a sync, or the RTC logged at boot), sets of reps with per-rep
    detail, the set and the day's counts after each. Every rep falls on `day` (local time).
    Returns the log's records."""
    day = day or date.today()
    rng = random.Random(seed)
    epoch = int(datetime.combine(day, time(7, 0)).timestamp())
    flash.mkdir(parents=True, exist_ok=True)
    root = str(flash / "log")
    counts = {1: 0, 2: 0}
    n = 0
    while n < reps:
        log = replog.Log(root)
        log.boot(rng.choice([1, 4]))  # power-on, deep-sleep wake
        t = 1000
        if rng.random() < 0.7:
            log.clock(epoch, t)
        for _ in range(rng.randint(2, 5)):
            if n >= reps:
                break
            ex, start, k = rng.choice([1, 2]), t, rng.randint(8, 30)
            for _ in range(k):
                t += rng.randint(1500, 4000)
                rom, dur = rng.randint(800, 6000), rng.randint(700, 3000)
                # the form from the same draws (the rng's sequence, and so the day, as before)
                log.rep(t, ex, rom, dur, dur // 3, dur // 4, dur // 3, t % 32)
            n += k
            counts[ex] += k
            log.set_done(start, t, k, ex)
            # with the settings a new band counts with: goal 100, side unknown, mode auto
            log.daily((day - store.DAY_2000).days, counts[1], counts[2], 100, 0, 0)
            t += rng.randint(30_000, 300_000)
        log.close()
        epoch += t // 1000 + rng.randint(600, 3600)
    return replog.Log(root).records()


def as_sent(records: list) -> list:
    """Records (seq, type, fields) as a band sends them: encoded as its log stores them, read
    back the way sync reads a reply (store.wire_records), each with its bytes."""
    return store.wire_records(b"".join(bytes(replog.encode(rtype, seq, replog.pack(rtype, f)))
                                       for seq, rtype, f in records))


def reps_by_exercise(records: list) -> dict[str, int]:
    names = {0: "unknown", 1: "clamshell", 2: "leg_lift"}
    out: dict[str, int] = {}
    for _, rtype, fields in records:
        if rtype == replog.REP:
            out[names[fields[1]]] = out.get(names[fields[1]], 0) + 1
    return out


def band_state(port: str) -> tuple[int, list]:
    """(acknowledged seq, records on its flash), as the band itself reads them (its app stays
    stopped, so the log holds still for the comparison)."""
    with link.raw_session(port, require_repband=False, restart=False) as t:
        out = t.transport.exec("import replog\nl = replog.Log('/log')\nprint(l.acked)\n"
                     "print([(s, r, tuple(f)) for s, r, f in l.records()])").decode()
    acked, recs = out.strip().splitlines()
    return int(acked), [tuple(r) for r in ast.literal_eval(recs)]


def db_logs(db: Path, uid: str) -> list[tuple[int, dict[int, tuple[int, tuple]]]]:
    """What the database holds of each of the band's logs in turn (a log wiped and begun again
    is the next one): (seq base, band seq -> (type, fields)), decoded from each record's raw
    bytes as the band sent them. Every record is stored at its band seq plus its log's base,
    and a log's base is the highest seq stored before it."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT seq, raw FROM records WHERE uid = ? ORDER BY seq",
                           (uid,)).fetchall()
    finally:
        con.close()
    logs: list[tuple[int, dict[int, tuple[int, tuple]]]] = []
    top = 0
    for seq, raw in rows:
        (rseq, rtype, fields), = replog.decode(raw)
        if not logs or seq - rseq != logs[-1][0]:
            assert seq - rseq == top, (seq, rseq, top)  # a new log begins after all stored
            logs.append((top, {}))
        logs[-1][1][rseq] = (rtype, fields)
        top = seq
    return logs


def db_records(db: Path, uid: str) -> dict[int, tuple[int, tuple]]:
    """seq -> (type, fields) of every record stored for the band (its seq in the database:
    the band's own in its first log)."""
    return {base + seq: rec for base, log in db_logs(db, uid) for seq, rec in log.items()}


def db_count(db: Path, table: str, uid: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table} WHERE uid = ?", (uid,)).fetchone()[0]
    finally:
        con.close()
