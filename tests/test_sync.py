"""repband sync end to end: the virtual band (the real firmware in MicroPython) behind a real
pty, the real mpremote, a real SQLite file. Everything the band logged arrives exactly once -
through cut cables, band resets, a killed host and a failing database - and progress shows it.
"""

from __future__ import annotations

import binascii
import contextlib
import random
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pytest
from bands import (
    BOARD,
    band_flash,
    band_state,
    db_count,
    db_logs,
    db_records,
    replog,
    reps_by_exercise,
    write_day,
)

from host_tools import cli, firmware
from host_tools.band import link, sync
from host_tools.band.client import BandClient
from host_tools.data import progress, store
from host_tools.data.model import EXERCISE_LABEL
from host_tools.sim.virtual_band import VirtualBand

UID = "240ac4123456"  # the fake machine's unique_id, unless a band is given another
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"  # what MicroPython sends on entering its raw REPL


def run_sync(capsys: pytest.CaptureFixture[str], port: str, db: Path) -> tuple[int, str]:
    """`repband sync`: (exit code, its summary or its one-line error)."""
    code = cli.main(["sync", "--port", port, "--db", str(db)])
    cap = capsys.readouterr()
    if code:
        assert cap.err.count("\n") == 1 and cap.err.startswith("repband sync: "), cap.err
        return code, cap.err
    assert cap.err == ""
    return code, cap.out


def today_counts(db: Path) -> dict[str, int]:
    """What `repband progress` shows for today, per exercise (all sides)."""
    prog = progress.load(db, days=1, today=date.today())
    out: dict[str, int] = {}
    for (ex, _side), counts in prog.counts.items():
        out[ex] = out.get(ex, 0) + counts[-1]
    return {ex: n for ex, n in out.items() if n}


def log_records(db: Path, uid: str = UID, log: int = 0) -> dict[int, tuple[int, tuple]]:
    """band seq -> (type, fields) of what the database holds of the band's `log`-th log (0:
    its first; the next began when its flash was wiped)."""
    logs = db_logs(db, uid) if db.exists() else []
    return logs[log][1] if log < len(logs) else {}


def check_nothing_lost(db: Path, logged: list, band: tuple[int, list], uid: str = UID,
                       log: int = 0) -> None:
    """After a sync, whole or interrupted: every record the band logged (in its `log`-th log)
    is on the band or in the database, stored as logged; the band acknowledged only what the
    database holds; the database holds nothing the band did not log (beyond the clock records
    syncs add)."""
    acked, on_band = band
    stored = log_records(db, uid, log)
    kept = {seq: (rtype, fields) for seq, rtype, fields in on_band}
    for seq, rtype, fields in logged:
        assert seq in stored or seq in kept, f"record {seq} was lost"
        if seq in stored:
            assert stored[seq] == (rtype, fields), seq
        if seq <= acked:
            assert seq in stored, f"the band was told to free {seq} before it was stored"
    logged_seqs = {seq for seq, _, _ in logged}
    for seq, (rtype, fields) in stored.items():
        if seq not in logged_seqs:
            assert rtype == replog.CLOCK, (seq, rtype)
            assert seq <= acked or kept.get(seq) == (rtype, fields)
    if db.exists():
        reps_stored = sum(1 for rtype, _ in db_records(db, uid).values() if rtype == replog.REP)
        assert db_count(db, "reps", uid) == reps_stored


def check_all_stored_once(db: Path, logged: list, uid: str = UID, log: int = 0) -> dict:
    """Every record of the band's `log`-th log stored as logged, and no rep more; band seq ->
    (type, fields) of what is stored of that log."""
    stored = log_records(db, uid, log)
    for seq, rtype, fields in logged:
        assert stored.get(seq) == (rtype, fields), seq
    assert sum(1 for rtype, _ in stored.values() if rtype == replog.REP) == \
        sum(reps_by_exercise(logged).values())
    all_reps = sum(1 for rtype, _ in db_records(db, uid).values() if rtype == replog.REP)
    assert db_count(db, "reps", uid) == all_reps
    return stored


# ---------------------------------------------------------------- the whole path


def test_wear_a_trace_then_sync_and_progress_shows_the_reps_the_band_logged(
        shared_traces: Path, tmp_path: Path, capsys) -> None:
    from host_tools.band import flash
    from host_tools.traces.replay import replay_trace
    from host_tools.traces.traceio import read_trace

    trace = shared_traces / "uci-pt" / "s1-e4-u3-test.csv"
    db = tmp_path / "repband.db"
    with VirtualBand(trace=trace, flash_dir=tmp_path / "flash", speed=0) as vb:
        flash.flash(BOARD, vb.pty_path, show=False)  # onto the empty band; it restarts the app
        vb.wait_trace_done()
        _, logged = band_state(vb.pty_path)  # stops the app (which flushes its log) and reads it
        started = vb.output.count(b"repband: counting")
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        # the sync leaves the band counting again (its app was stopped for the REPL)
        deadline = time.monotonic() + 30
        while vb.output.count(b"repband: counting") == started:
            assert time.monotonic() < deadline, "the band's app did not start again after sync"
            time.sleep(0.05)
        reps = reps_by_exercise(logged)
        assert f"band {UID} ({BOARD}): {len(logged) + 1} new records, {sum(reps.values())} reps" \
            in out  # + the clock record the sync set
        acked, _ = band_state(vb.pty_path)
    assert sum(reps.values()) == len(replay_trace(read_trace(trace))["reps"]) > 0
    stored = check_all_stored_once(db, logged)
    assert acked == max(stored)
    assert today_counts(db) == reps
    assert cli.main(["progress", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    for ex, n in reps.items():
        assert f"{EXERCISE_LABEL[ex]} (unknown)  {n:4d} / " in shown, shown


def test_a_full_day_syncs_whole_and_once(tmp_path: Path, capsys) -> None:
    """A full day's log (more than a thousand reps with per-rep detail) over the virtual band:
    its time is printed (it is not asserted)."""
    flash = band_flash(tmp_path / "flash")
    logged = write_day(flash, reps=1000, seed=7)
    reps = reps_by_exercise(logged)
    assert sum(reps.values()) >= 1000
    db = tmp_path / "repband.db"
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        assert vb.link
        sent = vb.link.bytes_to_host
        start = time.perf_counter()
        code, out = run_sync(capsys, vb.pty_path, db)
        seconds = time.perf_counter() - start
        sent = vb.link.bytes_to_host - sent
        assert code == 0, out
        with capsys.disabled():
            print(f"\n  sync of a full day: {len(logged)} records ({sum(reps.values())} reps) in "
                  f"{seconds:.2f} s over the virtual band; {sent} bytes from the band "
                  f"(~{sent * 10 / 115200:.1f} s of a 115200-baud UART)")
        acked, _ = band_state(vb.pty_path)
        code, again = run_sync(capsys, vb.pty_path, db)
        assert code == 0 and "1 new records, 0 reps" in again  # only the clock it just set
    stored = check_all_stored_once(db, logged)
    extra = set(stored) - {seq for seq, _, _ in logged}
    assert len(extra) == 2 and all(stored[s][0] == replog.CLOCK for s in extra)
    assert acked == min(extra)  # all of it, up to the clock record the first sync set
    assert today_counts(db) == reps
    # acknowledged, the band freed its closed segments: the open one is all that is left
    assert len(replog.Log(str(flash / "log")).segments()) == 1


def test_export_holds_one_segment_not_the_whole_log(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """On the band (about 100 KB of heap) export must not hold a day's records at once: its
    peak memory hardly moves as the log grows fourfold. Measured with tracemalloc on CPython,
    which runs the same source (MicroPython's WebAssembly port frees nothing mid-run, so its
    heap shows no peak)."""
    service = firmware.load("service")
    peaks, sizes = {}, {}
    for reps in (300, 1200):
        flash = tmp_path / str(reps)
        logged = write_day(flash, reps=reps, seed=reps)
        sizes[reps] = sum(p.stat().st_size for p in (flash / "log").glob("*.seg"))
        monkeypatch.setattr(service, "LOG_ROOT", str(flash / "log"))
        with open(tmp_path / f"{reps}.out", "w") as out:  # (to a file: the USB port keeps none)
            monkeypatch.setattr(service, "print", lambda line: print(line, file=out),
                                raising=False)
            tracemalloc.start()
            service.export(0, 10**6)
            peaks[reps] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        records, last, more = sync.parse_batch((tmp_path / f"{reps}.out").read_text())
        assert [r[:3] for r in records] == logged and last == logged[-1][0] and not more
    print(f"export peak: {peaks[300]} B for a {sizes[300]}-byte log, {peaks[1200]} B for "
          f"{sizes[1200]} bytes")
    # holding the records would take several times the log's size; what grows is the list of
    # segment names
    assert peaks[1200] - peaks[300] < (sizes[1200] - sizes[300]) / 4


def test_export_from_every_seq_sends_exactly_the_records_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Whatever the laptop already has (any seq, at a segment's edge or not), a batch holds the
    next records and says whether more remain."""
    service = firmware.load("service")
    logged = write_day(tmp_path / "flash", reps=300, seed=8)
    monkeypatch.setattr(service, "LOG_ROOT", str(tmp_path / "flash" / "log"))
    seqs = [seq for seq, _, _ in logged]
    for after in range(seqs[-1] + 1):
        service.export(after, 5)
        records, last, more = sync.parse_batch(capsys.readouterr().out)
        later = [r for r in logged if r[0] > after]
        assert [r[:3] for r in records] == later[:5], after
        assert more == (len(later) > 5) and last == (later[4][0] if more else seqs[-1] if later
                                                      else after)


def test_a_reply_damaged_on_the_way_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    service = firmware.load("service")
    logged = write_day(tmp_path / "flash", reps=60, seed=2)
    monkeypatch.setattr(service, "LOG_ROOT", str(tmp_path / "flash" / "log"))
    service.export(0, 1000)
    reply = capsys.readouterr().out
    assert [r[:3] for r in sync.parse_batch(reply)[0]] == logged
    lines = reply.splitlines()
    data = [i for i, line in enumerate(lines) if line.startswith("RB-DATA ")]
    damaged = ["\n".join(lines[:-1]),  # the end line lost
               "\n".join(lines[:data[1]] + lines[data[1] + 1:])]  # a line lost
    rng = random.Random(2)
    for _ in range(40):  # a character changed
        k = rng.choice(data)
        line = lines[k]
        i = rng.randrange(8, len(line))
        c = rng.choice(
            [
                c
                for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                if c != line[i]
            ]
        )
        changed = line[:i] + c + line[i + 1:]
        with contextlib.suppress(binascii.Error):
            if binascii.a2b_base64(changed[8:]) == binascii.a2b_base64(line[8:]):
                continue  # only bits base64 does not use (before '=' padding)
        damaged.append("\n".join(lines[:k] + [changed] + lines[k + 1:]))
    for text in damaged:
        with pytest.raises(link.LinkError, match="run repband sync again: nothing is lost"):
            sync.parse_batch(text)


# ---------------------------------------------------------------- interrupted anywhere


def settle(vb: VirtualBand) -> None:
    """Until the band has printed its prompt and all of it went down the cable."""
    vb.wait_for(b">>> ")
    assert vb.link
    while vb.link.bytes_to_host < len(vb.output):
        time.sleep(0.01)


def whole_sync(capsys, flash: Path, tmp_path: Path, db: Path | None = None
               ) -> tuple[int, list[int]]:
    """How many bytes a whole sync of this band's log (into a copy of `db`, if given) takes
    from it, and where in them each of the band's replies ends (measured on a copy of the
    band)."""
    twin = tmp_path / "twin"
    shutil.copytree(flash, twin / "flash")
    if db is not None:
        shutil.copyfile(db, twin / "repband.db")
    with VirtualBand(flash_dir=twin / "flash") as vb:
        settle(vb)
        assert vb.link
        before = vb.link.bytes_to_host
        assert run_sync(capsys, vb.pty_path, twin / "repband.db")[0] == 0
        sent = bytes(vb.output[before:vb.link.bytes_to_host])
    shutil.rmtree(twin)
    # counted from the raw REPL's banner: the prompts the host's knock brings before it vary
    start = sent.index(RAW_BANNER) + len(RAW_BANNER)
    ends = [i + 1 - start for i in range(start, len(sent)) if sent[i] == 4]  # a reply ends in \x04
    return len(sent), ends


def sync_cut_near(capsys: pytest.CaptureFixture[str], vb: VirtualBand, db: Path, end: int,
                  rng: random.Random) -> bool:
    """A sync with the cable pulled a few bytes before (or right at) byte `end` of the band's
    replies after the raw REPL's banner, then plugged back in; whether the sync was cut short
    (with the one-line error)."""
    vb.unplug(after_bytes=max(1, end + rng.randint(-12, 1)), after_mark=RAW_BANNER)
    code, msg = run_sync(capsys, vb.pty_path, db)
    vb.plug_in()
    if code:
        assert code == link.LinkError.exit_code and "(cable pulled?)" in msg, msg
    return bool(code)


def test_cable_pulled_as_each_band_reply_ends_then_a_rerun_loses_nothing(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The moments that matter most (an acknowledgement half received, a batch whole but not
    yet committed) are a few bytes each: cut at every one of them, each on a fresh band."""
    monkeypatch.setattr(sync, "BATCH", 100)
    original = band_flash(tmp_path / "original")
    logged = write_day(original, reps=300, seed=6)
    _, ends = whole_sync(capsys, original, tmp_path)
    rng = random.Random(6)
    assert len(ends) >= 10
    cut_short = 0
    for k, end in enumerate(ends):
        flash, db = tmp_path / f"flash{k}", tmp_path / f"{k}.db"
        shutil.copytree(original, flash)
        with VirtualBand(flash_dir=flash) as vb:
            settle(vb)
            cut_short += sync_cut_near(capsys, vb, db, end, rng)
            check_nothing_lost(db, logged, band_state(vb.pty_path))
            assert run_sync(capsys, vb.pty_path, db)[0] == 0
            final = band_state(vb.pty_path)
        check_nothing_lost(db, logged, final)
        assert final[0] == max(check_all_stored_once(db, logged))
        shutil.rmtree(flash)
    assert cut_short >= len(ends) - 2  # (a cut after the last reply is too late to matter)


def test_cable_pulled_or_band_reset_at_random_points_then_a_rerun_loses_nothing(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "BATCH", 64)  # many batches: many places between them to cut
    flash = band_flash(tmp_path / "flash")
    logged = write_day(flash, reps=400, seed=3)
    total, _ = whole_sync(capsys, flash, tmp_path)
    db = tmp_path / "repband.db"
    rng = random.Random(20261201)
    vb = VirtualBand(flash_dir=flash)
    vb.start()
    cut_short = resets = 0
    try:
        vb.wait_for(b">>> ")
        for _ in range(10):
            left = 1 - len(db_records(db, UID)) / len(logged) if db.exists() else 1
            vb.unplug(after_bytes=rng.randint(1, int(total * left) + 800))  # within what is left
            code, msg = run_sync(capsys, vb.pty_path, db)
            if code:
                cut_short += 1
                assert code == link.LinkError.exit_code
                assert "(cable pulled?)" in msg, msg
            if rng.random() < 0.3:  # the band resets too (power lost): it boots from its flash
                resets += 1
                vb.close()
                vb = VirtualBand(flash_dir=flash)
                vb.start()
                vb.wait_for(b">>> ")
            else:
                vb.plug_in()
            check_nothing_lost(db, logged, band_state(vb.pty_path))
        assert cut_short >= 3 and resets
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        final = band_state(vb.pty_path)
    finally:
        vb.close()
    check_nothing_lost(db, logged, final)
    stored = check_all_stored_once(db, logged)
    assert final[0] == max(stored)
    assert today_counts(db) == reps_by_exercise(logged)
    print(f"{cut_short} syncs cut short, {resets} band resets, {total} bytes in a whole sync")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_host_stopped_at_random_points_then_a_rerun_loses_nothing(
        tmp_path: Path, capsys, sig: signal.Signals) -> None:
    flash = band_flash(tmp_path / "flash")
    logged = write_day(flash, reps=1000, seed=5)  # three batches
    db = tmp_path / "repband.db"
    rng = random.Random(int(sig))
    stopped = 0
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        assert vb.link
        for _ in range(4):
            base = vb.link.bytes_to_host
            cut = rng.randint(600, 30_000)
            vb.link.hold(cut)  # the band stops there: the host is mid-sync when stopped
            proc = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sync", "--port",
                                     vb.pty_path, "--db", str(db)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while proc.poll() is None and vb.link.bytes_to_host - base < cut:
                time.sleep(0.001)
            if proc.poll() is None:
                time.sleep(0.05)  # (the host takes in what came before the hold)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            vb.link.release()
            if proc.returncode != 0:
                stopped += 1
                if sig == signal.SIGINT:
                    assert proc.returncode == 130 and err == "repband sync: interrupted\n", err
            check_nothing_lost(db, logged, band_state(vb.pty_path))
        assert stopped
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        final = band_state(vb.pty_path)
    check_nothing_lost(db, logged, final)
    stored = check_all_stored_once(db, logged)
    assert final[0] == max(stored)
    assert today_counts(db) == reps_by_exercise(logged)


def test_a_failed_commit_leaves_the_band_ack_where_it_was(tmp_path: Path, capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "BATCH", 100)
    flash = band_flash(tmp_path / "flash")
    logged = write_day(flash, reps=1000, seed=9)
    db = tmp_path / "repband.db"
    real_open = store.open_store

    @contextlib.contextmanager
    def small_disk(path):  # a disk that fills up a few batches in (a real SQLITE_FULL)
        with real_open(path) as st:
            pages = st.db.execute("PRAGMA page_count").fetchone()[0]
            st.db.execute(f"PRAGMA max_page_count = {pages + 12}")
            yield st

    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        monkeypatch.setattr(store, "open_store", small_disk)
        code, msg = run_sync(capsys, vb.pty_path, db)
        assert code == store.StoreError.exit_code
        assert msg == (f"repband sync: {db}: cannot store the band's records (database or disk "
                       "is full); the band keeps every record not stored\n")
        acked, on_band = band_state(vb.pty_path)
        stored = db_records(db, UID)
        assert 0 < len(stored) < len(logged)  # some batches committed, then one could not be
        assert acked == max(stored)  # the band was told exactly what was committed
        kept = {seq for seq, _, _ in on_band}
        assert all(seq in kept for seq, _, _ in logged if seq > acked)
        check_nothing_lost(db, logged, (acked, on_band))

        monkeypatch.setattr(store, "open_store", real_open)  # room again
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        final = band_state(vb.pty_path)
    check_all_stored_once(db, logged)
    check_nothing_lost(db, logged, final)
    assert today_counts(db) == reps_by_exercise(logged)


def test_stored_but_unacknowledged_records_are_acknowledged_by_the_next_sync(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    flash = band_flash(tmp_path / "flash")
    logged = write_day(flash, reps=200, seed=4)  # one batch
    db = tmp_path / "repband.db"
    real = BandClient.ack, BandClient.ack_and_export

    def cable_pulled_before_the_ack(band, *args) -> None:
        raise link.LinkError("the band's port went away during sync (cable pulled?)")

    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        monkeypatch.setattr(BandClient, "ack", cable_pulled_before_the_ack)
        monkeypatch.setattr(BandClient, "ack_and_export", cable_pulled_before_the_ack)
        assert run_sync(capsys, vb.pty_path, db)[0] == link.LinkError.exit_code
        acked, on_band = band_state(vb.pty_path)
        check_all_stored_once(db, logged)  # committed ...
        assert acked <= 0 and len(on_band) > len(logged)  # ... but the band frees nothing yet
        monkeypatch.setattr(BandClient, "ack", real[0])
        monkeypatch.setattr(BandClient, "ack_and_export", real[1])
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0 and "1 new records, 0 reps" in out
        acked, on_band = band_state(vb.pty_path)
    stored = check_all_stored_once(db, logged)
    assert acked == max(stored)
    assert len(on_band) < len(logged) / 4  # freed


# ---------------------------------------------------------------- a log wiped and begun again


def wipe_and_log_a_new_day(flash: Path, reps: int, seed: int) -> list:
    """The band's log wiped (as `repband flash --firmware` erases the chip; the band is not
    running), then a new day on it: its seqs and boot numbers start again at 1."""
    shutil.rmtree(flash / "log")
    return write_day(flash, reps=reps, seed=seed)


def log_id(flash: Path) -> str:
    return (flash / "log" / "id").read_bytes()[:8].hex()  # (then its CRC)


def band_row(db: Path, uid: str = UID) -> tuple:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT log_id, seq_base, boot_base FROM bands WHERE uid = ?",
                           (uid,)).fetchone()
    finally:
        con.close()


def rep_placements(db: Path, uid: str = UID) -> dict[int, tuple[int, int]]:
    """seq -> (epoch_ms, placed) of every rep, as progress reads them (the rep_times view)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return {seq: (t, placed) for seq, t, placed in con.execute(
            "SELECT seq, epoch_ms, placed FROM rep_times WHERE uid = ?", (uid,))}
    finally:
        con.close()


def placed_by_own_clocks(log: dict[int, tuple[int, tuple]]) -> dict[int, int | None]:
    """band seq -> wall-clock ms of each rep of one log, by the latest clock record of its own
    boot in that log (None: its boot saw no clock)."""
    boot, clocks, reps = 0, {}, []
    for seq in sorted(log):
        rtype, fields = log[seq]
        if rtype == replog.BOOT:
            boot = fields[0]
        elif rtype == replog.CLOCK:
            clocks[boot] = fields
        elif rtype == replog.REP:
            reps.append((seq, boot, fields[0]))
    return {seq: clocks[b][0] * 1000 + t_ms - clocks[b][1] if b in clocks else None
            for seq, b, t_ms in reps}


def test_a_wiped_band_syncs_its_new_log_after_the_old_one_and_each_keeps_its_own_clocks(
        tmp_path: Path, capsys) -> None:
    flash = band_flash(tmp_path / "flash")
    yesterday = date.today() - timedelta(days=1)
    old = write_day(flash, reps=200, seed=23, day=yesterday)  # (seeds: boot numbers shared,
    # each log with a boot that saw no clock where the other's boot of that number saw one)
    db = tmp_path / "repband.db"
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        assert run_sync(capsys, vb.pty_path, db)[0] == 0
    old_placed = rep_placements(db)
    old_id = log_id(flash)
    new = wipe_and_log_a_new_day(flash, reps=150, seed=29)
    assert log_id(flash) != old_id and new[0][0] == 1 and len(new) < len(old)
    boots = [{f[0] for _, rtype, f in recs if rtype == replog.BOOT} for recs in (old, new)]
    assert boots[0] & boots[1]  # the same boot numbers again
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        new_reps = sum(reps_by_exercise(new).values())
        assert f"{len(new) + 1} new records, {new_reps} reps" in out  # + the sync's clock
        acked, _ = band_state(vb.pty_path)
        code, again = run_sync(capsys, vb.pty_path, db)
        assert code == 0 and "1 new records, 0 reps" in again  # the same log now: no new range
    logs = db_logs(db, UID)
    assert [base for base, _ in logs] == [0, len(old) + 1]
    for k, logged in enumerate((old, new)):
        stored = check_all_stored_once(db, logged, log=k)
        extra = set(stored) - {seq for seq, _, _ in logged}
        assert len(extra) == 1 + k and all(stored[s][0] == replog.CLOCK for s in extra)
    assert acked == len(new) + 1  # in the band's own numbers
    assert band_row(db) == (log_id(flash), len(old) + 1, max(boots[0]))
    # progress counts both days' reps, each once
    both = reps_by_exercise(old)
    for ex, n in reps_by_exercise(new).items():
        both[ex] = both.get(ex, 0) + n
    prog = progress.load(db, days=2)
    shown: dict[str, int] = {}
    for (ex, _side), counts in prog.counts.items():
        shown[ex] = shown.get(ex, 0) + sum(counts)
    assert {ex: n for ex, n in shown.items() if n} == both
    # each log's reps are placed by its own clock records: the old ones stay where they were,
    # the new ones by the new log's clocks of the same boot (or by their sync, if it had none)
    placed = rep_placements(db)
    assert {seq: placed[seq] for seq in old_placed} == old_placed
    assert any(p == 0 for _, p in old_placed.values())  # (a boot of the old log had no clock)
    base, new_log = logs[1]
    expected = placed_by_own_clocks(new_log)
    assert None in expected.values() and any(v is not None for v in expected.values())
    for seq, epoch_ms in expected.items():
        if epoch_ms is None:
            assert placed[base + seq][1] == 0, seq
        else:
            assert placed[base + seq] == (epoch_ms, 1), seq
            assert date.fromtimestamp(epoch_ms / 1000) == date.today()


def test_cable_pulled_as_each_reply_of_the_sync_after_a_wipe_ends_then_a_rerun_loses_nothing(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new log's range begins once: cut before the decision, after it but before the first
    batch committed, or anywhere later, a rerun stores every record of the new log once, after
    the old log's, and the old log's records stay as they were."""
    monkeypatch.setattr(sync, "BATCH", 100)
    original = band_flash(tmp_path / "original")
    old = write_day(original, reps=150, seed=23, day=date.today() - timedelta(days=1))
    synced = tmp_path / "synced.db"
    with VirtualBand(flash_dir=original) as vb:
        settle(vb)
        assert run_sync(capsys, vb.pty_path, synced)[0] == 0
    new = wipe_and_log_a_new_day(original, reps=300, seed=24)
    new_id = log_id(original)
    _, ends = whole_sync(capsys, original, tmp_path, db=synced)
    assert len(ends) >= 6
    rng = random.Random(24)
    cut_short = decided_only = 0
    for k, end in enumerate(ends):
        flash, db = tmp_path / f"flash{k}", tmp_path / f"{k}.db"
        shutil.copytree(original, flash)
        shutil.copyfile(synced, db)
        with VirtualBand(flash_dir=flash) as vb:
            settle(vb)
            cut_short += sync_cut_near(capsys, vb, db, end, rng)
            check_nothing_lost(db, new, band_state(vb.pty_path), log=1)
            check_all_stored_once(db, old, log=0)
            if band_row(db)[0] == new_id and len(db_logs(db, UID)) == 1:
                decided_only += 1  # the new range begun, none of its records committed yet
            assert run_sync(capsys, vb.pty_path, db)[0] == 0
            final = band_state(vb.pty_path)
        check_nothing_lost(db, new, final, log=1)
        assert [base for base, _ in db_logs(db, UID)] == [0, len(old) + 1]  # the base, once
        assert band_row(db)[:2] == (new_id, len(old) + 1)
        assert final[0] == max(check_all_stored_once(db, new, log=1))
        check_all_stored_once(db, old, log=0)
        shutil.rmtree(flash)
    assert cut_short >= len(ends) - 2
    assert decided_only  # the moment between the decision and the first batch was cut at


# ---------------------------------------------------------------- several bands


def test_two_bands_sync_into_one_database(tmp_path: Path, capsys) -> None:
    bands = {"aa0000000001": (150, 11), "bb0000000002": (90, 12)}
    logs = {uid: write_day(band_flash(tmp_path / uid), reps=n, seed=seed)
            for uid, (n, seed) in bands.items()}
    db = tmp_path / "repband.db"
    with contextlib.ExitStack() as stack:
        vbs = {uid: stack.enter_context(VirtualBand(flash_dir=tmp_path / uid, uid=uid))
               for uid in bands}
        for uid in (*bands, next(iter(bands))):  # each, then the first again
            code, out = run_sync(capsys, vbs[uid].pty_path, db)
            assert code == 0 and out.startswith(f"band {uid} ({BOARD}): "), out
    for uid, logged in logs.items():
        check_all_stored_once(db, logged, uid)
        assert db_count(db, "reps", uid) == sum(reps_by_exercise(logged).values())
    assert progress.load(db, days=1).bands == sorted(bands)
    both: dict[str, int] = {}
    for logged in logs.values():
        for ex, n in reps_by_exercise(logged).items():
            both[ex] = both.get(ex, 0) + n
    assert today_counts(db) == both


def test_the_bands_settings_reach_progress_and_the_laptops_time_zone_reaches_the_band(
        tmp_path: Path, capsys, monkeypatch) -> None:
    """Progress shows today's goal as the band's settings name it, and reps on the side they
    were counted on; sync gives the band the laptop's time zone, so its day's count starts
    anew at local midnight."""
    import json

    monkeypatch.setenv("TZ", "IST-5:30")  # a zone with a half-hour offset, east of UTC
    time.tzset()
    try:
        assert sync.utc_offset_min() == 330
        flash = band_flash(tmp_path / "flash")
        logged = write_day(flash, reps=40, seed=3)
        db = tmp_path / "repband.db"
        with VirtualBand(flash_dir=flash) as vb:
            vb.wait_for(b">>> ")
            assert cli.main(["config", "--port", vb.pty_path, "set", "goal=30", "side=left"]) == 0
            capsys.readouterr()
            code, out = run_sync(capsys, vb.pty_path, db)
            assert code == 0, out
            band_state(vb.pty_path)  # the band has saved its settings by now
        on_band = json.loads((flash / "config.json").read_text())
        assert on_band["utc_offset_min"] == 330
        assert cli.main(["progress", "--db", str(db)]) == 0
        shown = capsys.readouterr().out
        # today's goal is the one set now; the side set now does not rewrite reps the band
        # counted before it (on a side it did not know)
        for ex, n in reps_by_exercise(logged).items():
            assert f"{EXERCISE_LABEL[ex]} (unknown)  {n:4d} / 30" in shown, shown
        assert "(left)" not in shown
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_faults_the_band_logged_are_shown_by_sync(tmp_path: Path, capsys) -> None:
    flash = band_flash(tmp_path / "flash")
    write_day(flash, reps=40, seed=3)
    log = replog.Log(str(flash / "log"))
    log.fault(replog.FAULT_DETAIL_DROPPED, 120)
    log.fault(replog.FAULT_FLASH_FULL, 12)  # as the log writes once a record fits again
    log.fault(replog.FAULT_FLASH_FULL, 3)
    log.close()
    db = tmp_path / "repband.db"
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        code, out = run_sync(capsys, vb.pty_path, db)
        assert code == 0, out
        lines = out.splitlines()
        assert "fault: flash full, 15 records could not be written" in lines[2], out
        assert "dropped the per-rep detail of 120 reps" in lines[1], out
        code, again = run_sync(capsys, vb.pty_path, db)
        assert code == 0 and len(again.splitlines()) == 1  # said once, at the sync that brought it


# ---------------------------------------------------------------- damage to what names the records


def test_a_damaged_log_id_stores_nothing_twice(tmp_path: Path, capsys) -> None:
    flash = band_flash(tmp_path / "flash")
    first = write_day(flash, reps=120, seed=41, day=date.today() - timedelta(days=1))
    db = tmp_path / "repband.db"
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        assert run_sync(capsys, vb.pty_path, db)[0] == 0
    for name, bit in (("id", 5), ("id.b", 70)):  # both copies: the id cannot be read
        b = bytearray((flash / "log" / name).read_bytes())
        b[bit // 8] ^= 1 << (bit % 8)
        (flash / "log" / name).write_bytes(bytes(b))
    logged = write_day(flash, reps=80, seed=42)
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        code, out = run_sync(capsys, vb.pty_path, db)
    assert code == 0 and "log id was damaged, but its records are the ones stored" in out
    assert replog.Log(str(flash / "log")).id == band_row(db)[0]  # and the band has it back
    assert len(db_logs(db, UID)) == 1  # one log, not a second range holding copies
    check_all_stored_once(db, {r[0]: r for r in first + logged}.values())


def test_a_log_that_lost_its_tail_after_an_unacknowledged_sync_drops_and_doubles_nothing(
        tmp_path: Path, capsys) -> None:
    flash = band_flash(tmp_path / "flash")
    first = write_day(flash, reps=150, seed=43, day=date.today() - timedelta(days=1))
    before = tmp_path / "log-before"
    shutil.copytree(flash / "log", before)
    db = tmp_path / "repband.db"
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        assert run_sync(capsys, vb.pty_path, db)[0] == 0
    # the host stored everything, but the band never heard the ack (cable pulled): its log is
    # as it was, save what the export itself wrote; then its last segment's tail is lost
    for name in ("sent", "sent.b"):
        shutil.copyfile(flash / "log" / name, before / name)
    shutil.rmtree(flash / "log")
    shutil.copytree(before, flash / "log")
    last = sorted((flash / "log").glob("*.seg"))[-1]
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 3])
    kept = {r[0] for r in replog.Log(str(flash / "log")).records()}
    assert max(kept) < max(r[0] for r in first)
    logged = write_day(flash, reps=60, seed=44)
    new = [r for r in logged if r[0] > max(r[0] for r in first)]
    assert new and min(r[0] for r in new) > max(kept) + 1  # seqs went on after what was sent
    with VirtualBand(flash_dir=flash) as vb:
        vb.wait_for(b">>> ")
        code, out = run_sync(capsys, vb.pty_path, db)
    assert code == 0, out
    assert len(db_logs(db, UID)) == 1
    check_all_stored_once(db, {r[0]: r for r in first + new}.values())
