"""The band's log on a flash with a capacity (host_tools/sim/fakes/flash.py: whole blocks, a file
costs one, ENOSPC, a power cut at the N-th operation): low flash drops only detail a SET record
counts, full flash loses as little as it can and says how much in a FAULT record, boot never
fails, and a power cut anywhere in compaction or an ack loses nothing."""

from __future__ import annotations

import random

import pytest

from host_tools import firmware
from host_tools.sim.fakes.flash import FakeFlash, PowerCut

replog = firmware.load("replog")


@pytest.fixture
def flash_log(monkeypatch):
    """(flash, make_log): replog on a fake flash of the given capacity in blocks."""
    made = {}

    def make(capacity_blocks: int, **kwargs):
        if "flash" not in made:
            made["flash"] = FakeFlash(capacity_blocks)
            made["flash"].install(replog, monkeypatch)
        return made["flash"], replog.Log("/log", **kwargs)

    return make


def band_counts(records: list) -> tuple[int, int]:
    """(reps the host can count from these records, REP records covered by a SET): each set
    by its SET record, every rep no set covers by its REP record (as store.daily_counts)."""
    boot, sets, reps = 0, [], []
    for _, rtype, fields in records:
        if rtype == replog.BOOT:
            boot = fields[0]
        elif rtype == replog.SET:
            sets.append((boot, fields[0], fields[1], fields[2]))
        elif rtype == replog.REP:
            reps.append((boot, fields[0]))
    m = replog.DETAIL_MARGIN_MS

    def covered(b, t):
        return any(b == sb and s - m <= t <= e + m for sb, s, e, _ in sets)

    loose = sum(1 for b, t in reps if not covered(b, t))
    return sum(n for *_, n in sets) + loose, len(reps) - loose


def wear(log, reps: int, seed: int = 1, written: list | None = None, t: int = 1000) -> int:
    """The app's writes for `reps` reps in sets of 8-14 from `t` (ms since boot): REP each,
    SET and DAILY after each set. Returns the reps done; `written` gets the t_ms of each rep
    whose REP write returned."""
    rng = random.Random(seed)
    done, day, sets = 0, [0, 0, 0], 0
    while done < reps:
        ex, start = rng.choice([1, 2]), t
        k = min(rng.randint(8, 14), reps - done)
        for _ in range(k):
            t += rng.randint(1500, 4000)
            log.rep(t, ex, rng.randint(800, 6000), rng.randint(700, 3000), 600, 1500, 700, 0)
            if written is not None:
                written.append(t)
        done += k
        day[ex] += k
        log.set_done(start, t, k, ex)
        log.daily(1, day[1], day[2], 100, 0, 0)
        t += rng.randint(30_000, 120_000)
        sets += 1
    return done


def test_low_flash_drops_the_detail_of_every_logged_set_not_only_the_oldest(flash_log) -> None:
    flash, log = flash_log(64, min_free=10**9)  # low all along: compacts at every switch
    log.boot(1)
    done = wear(log, 3000)
    log.close()
    recs = replog.Log("/log").records()
    counted, covered_left = band_counts(recs)
    switches = len([r for r in recs if r[1] == replog.FAULT
                    and r[2][0] == replog.FAULT_DETAIL_DROPPED])
    print(f"low flash for {switches} compactions: {covered_left} covered REP records stay, "
          f"{counted} of {done} reps countable, {flash.used_blocks()} of 64 blocks")
    assert counted == done  # nothing counted was lost
    assert covered_left <= 2 * 4096 // 23  # only in the open segment and the one before it


def test_a_never_synced_log_on_full_flash_keeps_every_count_and_says_what_it_lost(
        flash_log) -> None:
    _flash, log = flash_log(48)  # 192 KB, never synced
    log.boot(1)
    done = wear(log, 20_000, seed=2)
    log.close()
    recs = replog.Log("/log").records()
    counted, _ = band_counts(recs)
    lost = [r[2][1] for r in recs if r[1] == replog.FAULT and r[2][0] == replog.FAULT_FLASH_FULL]
    print(f"192 KB never synced: {counted} of {done} reps countable, {sum(lost)} records said "
          f"lost in FAULT records, {getattr(log, 'lost', '?')} not yet said")
    assert counted == done


def test_records_that_do_not_fit_are_said_lost_once_the_host_frees_space(flash_log) -> None:
    _flash, log = flash_log(12, min_free=0)
    log.boot(1)
    seqs = [log.fault(replog.FAULT_I2C, i) for i in range(2000)]  # nothing to drop: fills up
    failed = seqs.count(0)
    assert failed and log.lost == failed
    log.ack(log.next_seq - 1)  # a sync: the host stored everything, the band frees it
    assert log.fault(replog.FAULT_I2C, -1)
    recs = log.records()
    said = [r for r in recs if r[1] == replog.FAULT and r[2][0] == replog.FAULT_FLASH_FULL]
    assert [r[2][1] for r in said] == [failed] and log.lost == 0
    assert said[0][0] == recs[-1][0] - 1  # said first, before the record that fitted


def test_boot_on_a_full_flash_does_not_fail(flash_log) -> None:
    _flash, log = flash_log(16, min_free=0)
    log.boot(1)
    while log.fault(replog.FAULT_I2C, 0):
        pass
    log.close()
    again = replog.Log("/log")
    again.boot(1)  # boot.tmp does not fit: the app must still start
    assert again.boot_no == 2


def test_a_power_cut_at_any_operation_of_compaction_and_ack_loses_nothing(monkeypatch) -> None:
    """Low flash compacting (rewrite, rename, remove) and the host's acks, the power cut at
    every operation in turn: after the reboot every count is there, nothing is invented, and
    once the host acks again what it acked is freed."""
    tried = 0
    n = 1
    while True:
        flash = FakeFlash(40, cut_at=n)
        flash.install(replog, monkeypatch)
        written: list = []
        host: dict = {}  # what the host stored at its syncs
        try:
            log = replog.Log("/log", seg_bytes=1024, min_free=30 * 4096)
            log.boot(1)
            for k in range(6):
                wear(
                    log, 100, seed=k, written=written, t=written[-1] + 60_000 if written else 1000
                )
                if k % 2:
                    host.update((r[0], r) for r in log.records())
                    log.ack(log.next_seq - 1)
            log.close()
            done_all = True
        except PowerCut:
            done_all = False
        flash.reboot()
        log = replog.Log("/log", seg_bytes=1024, min_free=30 * 4096)
        recs = log.records()
        seqs = [r[0] for r in recs]
        assert seqs == sorted(set(seqs)), n  # each seq once, in order
        assert all(host.get(r[0], r) == r for r in recs), n  # nothing changed or invented
        both = sorted({**host, **{r[0]: r for r in recs}}.values())
        assert band_counts(both)[0] >= len(written), n  # every rep written is counted
        if done_all:
            break
        tried += 1
        # what the host would have stored (everything up to the ack it sent) is freed at the
        # next ack of the same seq, even when the cut came between the ack and the freeing
        if log.acked:
            log.ack(log.acked)
            segs = log.segments()
            assert all(int(b[:-4]) - 1 > log.acked for b in segs[1:]), n
        n += 1
    print(f"power cut at each of {tried} operations: every count kept, each seq once")
    assert tried > 100
