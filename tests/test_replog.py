"""The band's log: every complete record survives a power cut at any byte and a corrupted
block; nothing is invented; only acknowledged records or counted detail are ever freed."""

import random
import re
import shutil
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools import firmware

replog = firmware.load("replog")


def write_day(root, seg_bytes=1024, reps=1000, seed=1):
    """A realistic day: boots, a clock set, sets of reps, faults; returns the Log and the calls."""
    rng = random.Random(seed)
    log = replog.Log(str(root), seg_bytes=seg_bytes)
    log.boot(1)
    t, n, written = 0, 0, []
    while n < reps:
        if rng.random() < 0.05:
            log.close()
            log = replog.Log(str(root), seg_bytes=seg_bytes)
            log.boot(rng.choice([1, 3, 5]))
            t = 0
        if rng.random() < 0.1:
            log.clock(1_790_000_000 + n * 10, t)
        start = t
        for _ in range(rng.randint(5, 15)):
            t += rng.randint(1500, 6000)
            written.append(
                log.rep(t, rng.choice([1, 2]), rng.randint(500, 6000), rng.randint(600, 5000),
                        600, 1500, 700, 0)
            )
            n += 1
        log.set_done(start, t, 10, 1)
        if rng.random() < 0.1:
            log.fault(replog.FAULT_I2C, -5)
        t += rng.randint(20_000, 600_000)
    log.flush()
    log.reps_written = n
    return log


def record_spans(data):
    """(start, end) byte span of every record in a well-formed segment."""
    spans, i = [], 0
    while i < len(data):
        n = data[i + 2]
        spans.append((i, i + 8 + n + 4))
        i += 8 + n + 4
    return spans


def test_a_day_reads_back_in_order(tmp_path):
    log = write_day(tmp_path)
    recs = log.records()
    assert [r[0] for r in recs] == list(range(1, len(recs) + 1))
    assert sum(1 for r in recs if r[1] == replog.REP) == log.reps_written >= 1000
    assert len(log.segments()) > 10


def test_power_cut_at_every_byte_of_the_open_segment(tmp_path):
    src = tmp_path / "src"
    log = write_day(src, reps=300)
    log.close()
    last = sorted(src.glob("*.seg"))[-1]
    data = last.read_bytes()
    spans = record_spans(data)
    before = [r for r in replog.Log(str(src)).records() if r[0] < int(last.stem)]
    full = replog.decode(data)
    for cut in range(len(data) + 1):
        work = tmp_path / "w"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(src, work)
        (work / last.name).write_bytes(data[:cut])
        again = replog.Log(str(work))
        complete = sum(1 for a, b in spans if b <= cut)
        assert again.records() == before + full[:complete], cut
        # the band carries on after the cut: the next record gets the next free seq
        seq = again.rep(1, 1, 1, 1, 600, 1500, 700, 0)
        assert seq == (full[complete - 1][0] + 1 if complete else int(last.stem))
        assert again.records()[-1][0] == seq


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_corruption_loses_only_the_records_it_touches(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("c")
    write_day(root, reps=60, seed=data.draw(st.integers(0, 100)))
    seg = sorted(root.glob("*.seg"))[0]
    raw = bytearray(seg.read_bytes())
    spans = record_spans(bytes(raw))
    original = replog.decode(bytes(raw))
    start = data.draw(st.integers(0, len(raw) - 1))
    length = data.draw(st.integers(1, 64))
    for i in range(start, min(len(raw), start + length)):
        raw[i] = data.draw(st.integers(0, 255))
    got = replog.decode(bytes(raw))
    assert all(r in original for r in got)  # nothing invented
    untouched = [rec for rec, (a, b) in zip(original, spans) if b <= start or a >= start + length]
    assert all(r in got for r in untouched)  # every intact record recovered


def test_ack_frees_only_acknowledged_segments(tmp_path):
    log = write_day(tmp_path, reps=200)
    segs = log.segments()
    first_of = [int(s[:-4]) for s in segs]
    log.ack(first_of[3] - 1)  # everything in the first three segments
    assert log.segments() == segs[3:]
    assert log.records()[0][0] == first_of[3]
    assert replog.Log(str(tmp_path)).acked == first_of[3] - 1  # persisted
    (tmp_path / "ack").write_bytes(b"\x05\x00")  # one copy torn: the other says it
    assert replog.Log(str(tmp_path)).acked == first_of[3] - 1
    (tmp_path / "ack.b").write_bytes(b"\x05\x00")  # both torn: frees nothing, loses nothing
    assert replog.Log(str(tmp_path)).acked == 0


def test_boot_numbers_go_on_after_the_records_holding_them_are_freed(tmp_path):
    root = str(tmp_path)
    numbers = []
    for _ in range(3):
        log = replog.Log(root, seg_bytes=200)
        log.boot(1)
        numbers.append(log.boot_no)
        for i in range(30):
            log.rep(1000 * i, 2, 2500, 1500, 600, 1500, 700, 0)
        log.ack(log.next_seq - 1)  # the host took everything: closed segments are freed
        log.close()
        assert not any(r[1] == replog.BOOT for r in replog.Log(root).records())
    assert numbers == [1, 2, 3]
    log = replog.Log(root, seg_bytes=200)
    log.boot(1)  # boot 4, its record not yet taken by the host
    log.close()
    (tmp_path / "boot").write_bytes(b"\x07")  # a damaged file: the records still know boot 4
    log = replog.Log(root, seg_bytes=200)
    log.boot(1)
    assert log.boot_no == 5


def test_low_flash_drops_counted_detail_never_unsynced_counts(tmp_path):
    log = replog.Log(str(tmp_path), seg_bytes=200, min_free=10**12)  # always "low"
    log.free_bytes = lambda: 0
    log.boot(1)
    for i in range(8):
        log.rep(1000 * i, 1, 2000, 900, 600, 1500, 700, 0)
    log.set_done(0, 7000, 8, 1)  # these 8 reps are counted by the set record
    for i in range(30):
        # an unfinished set: detail is its only count
        log.rep(100_000 + 1000 * i, 2, 2000, 900, 600, 1500, 700, 0)
    recs = log.records()
    faults = [r for r in recs if r[1] == replog.FAULT]
    assert faults and faults[0][2][0] == replog.FAULT_DETAIL_DROPPED
    reps = [r[2][0] for r in recs if r[1] == replog.REP]
    assert all(t >= 100_000 for t in reps)  # only detail covered by a set was dropped
    assert len(reps) == 30
    assert any(r[1] == replog.SET for r in recs)


def test_micropython_writes_the_same_bytes(tmp_path):
    from host_tools.sim.mpy_runtime import run_micropython

    calls = (
        "log.boot(3)\nfor i in range(40):\n"
        "    log.rep(1000 * i, 1 + i % 2, 1234 + i, 800, 600 + i, 1500, 70000, i % 32)\n"
        "log.set_done(0, 39000, 40, 1)\nlog.daily(9800, 20, 20, 60, 2, 0)\nlog.clock(1790000000, "
        "40000)\nlog.fault(3, -7)\n"
        "log.ack(10)\nlog.close()\n"
    )
    out = run_micropython(
        "import os, binascii, replog\nos.mkdir('/t')\nlog = replog.Log('/t', seg_bytes=300)\n"
        + calls
        + "for n in sorted(os.listdir('/t')):\n"
        + "    print(n, binascii.hexlify(open('/t/' + n, 'rb').read()).decode())\n"
    )
    log = replog.Log(str(tmp_path), seg_bytes=300)
    exec(calls, {"log": log})
    mine = [f"{p.name} {p.read_bytes().hex()}" for p in sorted(tmp_path.iterdir())]
    theirs = out.strip().splitlines()
    for files in (mine, theirs):  # the log's id is random: each log its own (id + CRC, twice)
        ids = [line for line in files if line.startswith(("id ", "id.b "))]
        assert len(ids) == 2 and ids[0][3:] == ids[1][5:] and len(ids[0]) == 3 + 16 + 8
        for line in ids:
            files.remove(line)
    assert theirs == mine


def test_a_log_keeps_its_id_until_it_is_wiped(tmp_path):
    root = tmp_path / "log"
    log = replog.Log(str(root))
    assert len(log.id) == 16 and (root / "id").read_bytes()[:8].hex() == log.id
    log.boot(1)
    log.rep(1000, 1, 2000, 900, 600, 1500, 700, 0)
    log.close()
    assert replog.Log(str(root)).id == log.id  # the band restarted: the same log
    shutil.rmtree(root)  # wiped (an erased chip): a new log, another id
    again = replog.Log(str(root))
    assert len(again.id) == 16 and again.id != log.id
    # a log begun by firmware that gave logs no id: none now either (the host must not take
    # it for a log begun afresh), and it keeps working
    (root / "id").unlink()
    (root / "id.b").unlink()
    again.boot(1)
    again.close()
    assert replog.Log(str(root)).id == "" and not (root / "id").exists()
    assert [r[1] for r in replog.Log(str(root)).records()] == [replog.BOOT]


def test_micropython_gives_a_log_an_id_and_keeps_it():
    from host_tools.sim.mpy_runtime import run_micropython

    out = run_micropython(
        "import os, replog\nos.mkdir('/t')\nlog = replog.Log('/t/log')\nprint(log.id)\n"
        "log.boot(1)\nlog.close()\nprint(replog.Log('/t/log').id)\n"
        "for n in os.listdir('/t/log'):\n    os.remove('/t/log/' + n)\nos.rmdir('/t/log')\n"
        "print(replog.Log('/t/log').id)\n")
    first, reopened, wiped = out.split()
    # 8 random bytes as lower-case hex (all zeros would be a buffer the RNG never filled)
    assert re.fullmatch("[0-9a-f]{16}", first) and first != "0" * 16, first
    assert reopened == first and wiped != first and len(wiped) == 16


def old_daily(seq, day, clamshell, leg_lift):
    """A DAILY record as firmware before the settings were added to it wrote it (8 bytes)."""
    import struct

    return bytes(replog.encode(replog.DAILY, seq, struct.pack("<IHH", day, clamshell, leg_lift)))


def test_daily_records_of_older_firmware_still_decode_and_survive_compaction(tmp_path):
    log = replog.Log(str(tmp_path), seg_bytes=200, min_free=10**12)
    log.boot(1)
    for i in range(8):
        log.rep(1000 * i, 1, 2000, 900, 600, 1500, 700, 0)
    log.set_done(0, 7000, 8, 1)
    log.close()
    seg = tmp_path / log.segments()[-1]
    seg.write_bytes(seg.read_bytes() + old_daily(11, 9800, 8, 0))  # written by the old firmware
    log = replog.Log(str(tmp_path), seg_bytes=200)
    assert log.next_seq == 12
    log.daily(9800, 9, 0, 60, 1, 2)  # the new layout after it
    log.close()
    dailies = [(s, f) for s, t, f in log.records() if t == replog.DAILY]
    assert dailies == [(11, (9800, 8, 0)), (12, (9800, 9, 0, 60, 1, 2))]
    assert replog.decode(old_daily(3, 1, 2, 3)) == [(3, replog.DAILY, (1, 2, 3))]
    assert replog.pack(replog.DAILY, (1, 2, 3)) == old_daily(3, 1, 2, 3)[8:-4]
    # low on flash, the old segment is rewritten without its counted detail: the old DAILY
    # keeps its own layout
    log = replog.Log(str(tmp_path), seg_bytes=200, min_free=10**12)
    log.free_bytes = lambda: 0
    for i in range(30):
        log.rep(100_000 + 1000 * i, 2, 2000, 900, 600, 1500, 700, 0)
    log.close()
    recs = log.records()
    assert not [r for r in recs if r[1] == replog.REP and r[2][0] < 100_000]
    assert (11, replog.DAILY, (9800, 8, 0)) in recs


def old_rep(seq, t_ms, exercise, rom_cdeg, duration_ms):
    """A REP record as firmware before form was logged wrote it (11 bytes: no phases, faults)."""
    import struct

    return bytes(replog.encode(replog.REP, seq,
                               struct.pack("<IBHI", t_ms, exercise, rom_cdeg, duration_ms)))


def test_rep_records_carry_form_and_those_of_older_firmware_still_decode(tmp_path):
    # every layout fits the log's one preallocated payload
    assert all(struct.calcsize(f) <= len(replog.Log(str(tmp_path / "x"))._payload)
               for f in replog.FORMATS.values())
    log = replog.Log(str(tmp_path), seg_bytes=200, min_free=10**12)
    log.boot(1)
    log.close()
    seg = tmp_path / log.segments()[-1]
    old = [old_rep(2 + i, 1000 * i, 1, 2000 + i, 900) for i in range(3)]  # an old set's reps
    seg.write_bytes(seg.read_bytes() + b"".join(old))
    log = replog.Log(str(tmp_path), seg_bytes=200)
    assert log.next_seq == 5
    counter = firmware.load("counter")
    faults = counter.FAULT_TOO_FAST | counter.FAULT_NO_HOLD
    # a minute and more of hold saturates (u16), the faults keep their bits
    log.rep(9000, 2, 3100, 4000, 800, 70_000, 65_536, faults)
    log.rep(12000, 2, 3300, 4000, 1200, 2100, 1500, 0)
    log.close()
    reps = [(s, f) for s, t, f in log.records() if t == replog.REP]
    assert reps == [(2 + i, (1000 * i, 1, 2000 + i, 900)) for i in range(3)] + [
        (5, (9000, 2, 3100, 4000, 800, 65535, 65535, faults)),
        (6, (12000, 2, 3300, 4000, 1200, 2100, 1500, 0))]
    assert [replog.FIELDS[replog.REP][k] for k in range(4, 8)] == \
        ["up_ms", "hold_ms", "down_ms", "faults"]
    assert replog.decode(old[0]) == [(2, replog.REP, (0, 1, 2000, 900))]
    assert replog.pack(replog.REP, (0, 1, 2000, 900)) == old[0][8:-4]
    # low on flash: the new reps' set logged, their detail dropped and the segments merged;
    # the old reps (no set's) are rewritten in their own layout, byte for byte
    log = replog.Log(str(tmp_path), seg_bytes=200, min_free=10**12)
    log.set_done(8000, 13000, 2, 2)
    log.free_bytes = lambda: 0
    for i in range(20):
        log.rep(100_000 + 1000 * i, 2, 2000, 900, 600, 1500, 700, 0)
    log.close()
    recs = log.records()
    assert [r for r in recs if r[1] == replog.REP][:3] == \
        [(2 + i, replog.REP, (1000 * i, 1, 2000 + i, 900)) for i in range(3)]
    assert not [r for r in recs if r[0] in (5, 6)]
    assert b"".join(old) in (tmp_path / log.segments()[0]).read_bytes()


# ---------------------------------------------------------------- damage that would misidentify


def flip_bit(path, bit):
    b = bytearray(path.read_bytes())
    b[bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(b))


def test_a_bit_flipped_in_the_id_leaves_the_log_its_id(tmp_path):
    root = tmp_path / "log"
    log = replog.Log(str(root))
    log.boot(1)
    log.close()
    for name in ("id", "id.b"):
        for bit in range(96):  # every bit of the id or its CRC, in either copy
            flip_bit(root / name, bit)
            assert replog.Log(str(root)).id == log.id
            # and the damaged copy was written again from the intact one
            assert (root / name).read_bytes() == (
                root / ("id.b" if name == "id" else "id")
            ).read_bytes()
    flip_bit(root / "id", 3)
    flip_bit(root / "id.b", 40)  # both damaged: it says so, it does not invent one
    assert replog.Log(str(root)).id == "?"


def test_a_bare_id_from_older_firmware_is_kept_and_checked_from_then_on(tmp_path):
    root = tmp_path / "log"
    root.mkdir()
    (root / "id").write_bytes(bytes.fromhex("0123456789abcdef"))
    (root / "ack").write_bytes(b"")
    assert replog.Log(str(root)).id == "0123456789abcdef"
    assert len((root / "id").read_bytes()) == 12 and len((root / "id.b").read_bytes()) == 12
    flip_bit(root / "id", 9)
    assert replog.Log(str(root)).id == "0123456789abcdef"


def test_seqs_sent_to_a_host_are_never_given_again_after_the_tail_is_lost(tmp_path):
    root = tmp_path / "log"
    log = replog.Log(str(root), seg_bytes=300)
    log.boot(1)
    for k in range(60):
        log.rep(1000 * k, 1, 2000, 900, 600, 1500, 700, 0)
    log.close()
    sent = replog.Log(str(root)).next_seq - 1
    replog.Log(str(root)).mark_sent(sent)  # exported, stored by the host, never acknowledged
    last = sorted(root.glob("*.seg"))[-1]
    last.write_bytes(last.read_bytes()[:17])  # the log's tail lost (a torn segment)
    again = replog.Log(str(root))
    assert max(r[0] for r in again.records()) < sent
    assert again.next_seq == sent + 1  # the host holds seqs up to `sent`: new records follow
    (root / "sent").write_bytes(b"\x00")  # one copy damaged: the other still says it
    assert replog.Log(str(root)).next_seq == sent + 1


def test_the_log_names_a_record_the_host_holds_by_seq_and_crc(tmp_path):
    root = tmp_path / "log"
    log = replog.Log(str(root), seg_bytes=300)
    assert log.mark() is None
    log.boot(7)
    for k in range(40):
        log.rep(1000 * k, 1, 2000, 900, 600, 1500, 700, 0)
    log.flush()
    boot = bytes(replog.encode(replog.BOOT, 1, replog.pack(replog.BOOT, (1, 7))))
    assert log.mark() == (1, int.from_bytes(boot[-4:], "little"))  # never acknowledged: the oldest
    rep30 = bytes(replog.encode(replog.REP, 30, replog.pack(replog.REP, (28000, 1, 2000, 900,
                                                                         600, 1500, 700, 0))))
    log.ack(30)  # frees the segments before seq 30; the mark is the acknowledged record
    assert log.mark() == (30, int.from_bytes(rep30[-4:], "little"))
    for k in range(40):  # more, acknowledged: the mark names the last of them
        log.rep(50_000 + 1000 * k, 1, 2000, 900, 600, 1500, 700, 0)
    log.ack(log.next_seq - 1)
    for k in range(40):
        log.rep(99_000 + 1000 * k, 1, 2000, 900, 600, 1500, 700, 0)
    log.close()
    want = (81, next(int.from_bytes(bytes(replog.encode(r[1], r[0], replog.pack(r[1], r[2])))[-4:],
                                    "little") for r in log.records() if r[0] == 81))
    for seg in sorted(root.glob("*.seg"))[:-1]:
        if int(seg.name[:-4]) <= 81:
            seg.unlink()  # every record up to it freed: the mark outlives them
    again = replog.Log(str(root), seg_bytes=300)
    assert again.mark() == want and not any(r[0] <= 81 for r in again.records())
    seq, crc = want
    (root / "mark").write_bytes(b"\x01")  # damaged: the oldest record on the band instead
    assert replog.Log(str(root), seg_bytes=300).mark()[0] == min(r[0] for r in again.records())


def test_segments_left_by_a_power_cut_between_ack_and_freeing_go_at_the_next_boot(tmp_path):
    root = tmp_path / "log"
    log = replog.Log(str(root), seg_bytes=300)
    log.boot(1)
    for k in range(60):
        log.rep(1000 * k, 1, 2000, 900, 600, 1500, 700, 0)
    log.close()
    segs = len(log.segments())
    real_free = replog.Log.free_acked
    replog.Log.free_acked = lambda self: 0  # the power cut: the ack renamed, nothing freed
    try:
        replog.Log(str(root), seg_bytes=300).ack(40)
    finally:
        replog.Log.free_acked = real_free
    again = replog.Log(str(root), seg_bytes=300)
    assert len(again.segments()) == segs and again.acked == 40
    again.boot(1)
    assert len(again.segments()) < segs
    seqs = {r[0] for r in again.records()}
    assert set(range(41, again.next_seq)) <= seqs  # nothing unacknowledged went
