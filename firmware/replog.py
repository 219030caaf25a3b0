# The band's log on flash: append-only records that survive a power cut at any byte.
# Pure (no machine): the host imports this same file to read logs it pulled from a band.
#
# A record:  A5 5A | len u8 | type u8 | seq u32 | payload (len bytes) | crc32 u32  (little endian)
# The CRC covers len, type, seq and payload. Records go into segment files /log/SSSSSSSS.seg named
# after the first seq they hold; a segment is closed at _SEG_BYTES. The reader resynchronises on
# the magic and keeps only records whose CRC holds, so a torn tail or a corrupted block loses
# only the records it touched. The host acknowledges a seq once it has stored everything up to it
# (file `ack`, written to a temporary name and renamed); only then may the band free records.
# A log begun afresh (a new band, or its flash wiped) gets a random identity (file `id`, likewise
# written whole or not at all): its seqs and boot numbers start again at 1, and the host, seeing
# another id, numbers its records after everything it stored of the log before.
# Flash can flip a bit in a small file as in a segment, and these files say who the records are:
# each (ack, boot, sent, id) carries a CRC and is kept twice (NAME and NAME.b, written one after
# the other). The counters only grow, so the larger intact copy is the value; the id is the one
# intact copy, rewritten where the other is missing or damaged. `mark` (CRC'd, one copy: a hint)
# names the last record acknowledged by seq and CRC: a host can check it against its own copy.
# `sent` is the highest seq ever exported to a host: seqs continue after it even if the log's
# tail is lost afterwards, so a seq the host holds is never given to another record.
import binascii
import struct

try:
    import os
except ImportError:  # pragma: no cover
    import uos as os  # type: ignore

try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

MAGIC0 = const(0xA5)
MAGIC1 = const(0x5A)
_HEAD = const(8)  # magic 2 + len 1 + type 1 + seq 4
_TAIL = const(4)
_SEG_BYTES = const(4096)
_ID_BYTES = const(8)
# a rep this close to a logged set's span is that set's (its detail may be dropped when flash is
# low: the SET record keeps the count); the host counts by the same rule
DETAIL_MARGIN_MS = const(2000)

BOOT = const(1)  # boot_no u32, reset_cause u8
REP = const(2)  # t_ms u32 (since boot), exercise u8, rom_cdeg u16, duration_ms u32, up_ms u16,
# hold_ms u16, down_ms u16 (each saturating at 65535), faults u8 (bits in counter.FAULT_NAMES
# order): the rep's form (older firmware wrote the first four fields only; such records still
# decode, as 4-tuples)
SET = const(3)  # start_ms u32, end_ms u32, reps u16, exercise u8
DAILY = const(4)  # day u32 (days since 2000-01-01, host clock), clamshell u16, leg_lift u16,
# goal u16, side u8, mode u8: the settings the day's counts are counted with (older firmware
# wrote the first three fields only; such records still decode, as 3-tuples)
FAULT = const(5)  # code u16, detail i32
CLOCK = const(6)  # epoch_s u32 (set by the host), t_ms u32 (since boot) at that moment
ACK = const(7)  # never stored: the ack file's own layout (seq u32 + crc32)

FORMATS = {BOOT: "<IB", REP: "<IBHIHHHB", SET: "<IIHB", DAILY: "<IHHHBB", FAULT: "<Hi",
           CLOCK: "<II"}
OLD_FORMATS = {REP: "<IBHI", DAILY: "<IHH"}  # shorter layouts older firmware wrote, still read
_PAYLOAD = const(18)  # the longest payload (REP)
NAMES = {BOOT: "boot", REP: "rep", SET: "set", DAILY: "daily", FAULT: "fault", CLOCK: "clock"}
FIELDS = {
    BOOT: ("boot_no", "reset_cause"),
    REP: ("t_ms", "exercise", "rom_cdeg", "duration_ms", "up_ms", "hold_ms", "down_ms",
          "faults"),
    SET: ("start_ms", "end_ms", "reps", "exercise"),
    DAILY: ("day", "clamshell", "leg_lift", "goal", "side", "mode"),
    FAULT: ("code", "detail"),
    CLOCK: ("epoch_s", "t_ms"),
}

SIDES = ("unknown", "left", "right")  # DAILY side codes (settings.SIDES by name)
MODES = ("auto", "clamshell", "leg_lift")  # DAILY mode codes (app.MODE_NUMBERS)

# flash low: per-rep detail of finished sets dropped (detail = count)
FAULT_DETAIL_DROPPED = const(1)
FAULT_FLASH_FULL = const(2)  # flash full even so: a record could not be written
FAULT_I2C = const(3)
FAULT_FIFO_OVERFLOW = const(4)


def encode(rtype, seq, payload, buf=None):
    n = len(payload)
    out = buf if buf is not None else bytearray(_HEAD + n + _TAIL)
    out[0] = MAGIC0
    out[1] = MAGIC1
    out[2] = n
    out[3] = rtype
    struct.pack_into("<I", out, 4, seq)
    out[_HEAD:_HEAD + n] = payload
    crc = binascii.crc32(memoryview(out)[2:_HEAD + n]) & 0xFFFFFFFF
    struct.pack_into("<I", out, _HEAD + n, crc)
    return out


def scan(data):
    """(offset, size, type, seq) of every intact record in `data`, in file order, without
    unpacking payloads. Bytes that do not form an intact record are skipped one at a time
    (resynchronising on the magic)."""
    i = 0
    end = len(data)
    mv = memoryview(data)
    while i + _HEAD + _TAIL <= end:
        if data[i] != MAGIC0 or data[i + 1] != MAGIC1:
            i += 1
            continue
        n = data[i + 2]
        rtype = data[i + 3]
        if format_of(rtype, n) is None or i + _HEAD + n + _TAIL > end:
            i += 1
            continue
        crc = struct.unpack_from("<I", data, i + _HEAD + n)[0]
        if binascii.crc32(mv[i + 2:i + _HEAD + n]) & 0xFFFFFFFF != crc:
            i += 1
            continue
        yield i, _HEAD + n + _TAIL, rtype, struct.unpack_from("<I", data, i + 4)[0]
        i += _HEAD + n + _TAIL


def format_of(rtype, n):
    """The struct format of a `rtype` record whose payload is n bytes (None: no such record)."""
    fmt = FORMATS.get(rtype)
    if fmt is not None and struct.calcsize(fmt) != n:
        fmt = OLD_FORMATS.get(rtype)
        if fmt is not None and struct.calcsize(fmt) != n:
            fmt = None
    return fmt


def pack(rtype, fields):
    """The payload of a record with these fields (an old, shorter layout if they are fewer)."""
    fmt = FORMATS[rtype]
    old = OLD_FORMATS.get(rtype)
    if old is not None and len(fields) < len(FIELDS[rtype]):
        fmt = old
    return struct.pack(fmt, *fields)


def fields_at(data, i, rtype):
    # (a record scan() found: its length fits one of its layouts)
    return struct.unpack_from(format_of(rtype, data[i + 2]) or FORMATS[rtype], data, i + _HEAD)


def decode(data):
    """Every intact record in `data` as (seq, type, fields tuple), in file order."""
    return [(seq, rtype, fields_at(data, i, rtype)) for i, _, rtype, seq in scan(data)]


def _seg_name(seq):
    return "%08d.seg" % seq


def _random_bytes(n):
    try:
        return os.urandom(n)  # the ESP32's hardware RNG (on CPython, the OS's)
    except AttributeError:  # MicroPython's WebAssembly port (the virtual band) has no urandom
        import random

        b = bytearray(n)
        for i in range(n):
            b[i] = random.getrandbits(8)
        return bytes(b)


class Log:
    def __init__(self, root="/log", seg_bytes=_SEG_BYTES, min_free=16384):
        self.root = root
        self.seg_bytes = seg_bytes
        self.min_free = min_free  # below this many free bytes, make room before writing
        try:
            os.mkdir(root)
        except OSError:
            pass
        self._buf = bytearray(_HEAD + _PAYLOAD + _TAIL)
        self._payload = bytearray(_PAYLOAD)
        self.acked = self._read_ack()
        self.next_seq = self._recover_seq()
        self.id = self._log_id()  # hex; "" for a log begun by firmware that gave logs no id
        self._f = None
        self._seg_size = 0
        self.boot_no = 0
        # records that could not be written (flash full even after making room): said in a
        # FAULT_FLASH_FULL record as soon as one can be written (after the host frees space)
        self.lost = 0

    # -- files ------------------------------------------------------------------------------
    def segments(self):
        return sorted(n for n in os.listdir(self.root) if n.endswith(".seg"))

    def _path(self, name):
        return self.root + "/" + name

    def _read_ack(self):
        return self._read_u32("ack")  # a torn ack file reads 0: frees nothing, loses nothing

    def _read_checked(self, name, n):
        # the n bytes of file `name` written by _write_checked; None if missing, torn or damaged
        try:
            with open(self._path(name), "rb") as f:
                b = f.read()
        except OSError:
            return None
        if len(b) == n + 4 and binascii.crc32(b[:n]) & 0xFFFFFFFF == struct.unpack("<I", b[n:])[0]:
            return b[:n]
        return None

    def _write_checked(self, name, b):
        # Beside, then renamed: a power cut leaves the old value or the new one. OSError (flash
        # full) leaves the old one.
        tmp = self._path(name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(b + struct.pack("<I", binascii.crc32(b) & 0xFFFFFFFF))
        except OSError:
            self._remove(tmp)
            raise
        os.rename(tmp, self._path(name))

    def _read_u32(self, name):
        # the larger intact copy (the value only grows); 0 if neither is
        top = 0
        for copy in (name, name + ".b"):
            b = self._read_checked(copy, 4)
            if b is not None:
                v = struct.unpack("<I", b)[0]
                if v > top:
                    top = v
        return top

    def _write_u32(self, name, value):
        # one copy, then the other: a power cut between leaves one new and one old (the new is
        # the larger), a damaged copy leaves the other
        b = struct.pack("<I", value)
        self._write_checked(name, b)
        self._write_checked(name + ".b", b)

    def _remove(self, path):
        try:
            os.remove(path)
        except OSError:
            pass

    def _log_id(self):
        a = self._read_checked("id", _ID_BYTES)
        b = self._read_checked("id.b", _ID_BYTES)
        if a is None and b is None and self._exists("id"):
            try:  # an id from firmware that wrote it bare (no CRC, one copy): checked from now on
                with open(self._path("id"), "rb") as f:
                    raw = f.read()
                if len(raw) == _ID_BYTES:
                    a = raw
            except OSError:
                pass
        good = a if a is not None else b
        if good is not None:
            try:  # repair a copy missing, damaged or bare
                for name in ("id", "id.b"):
                    if self._read_checked(name, _ID_BYTES) != good:
                        self._write_checked(name, good)
            except OSError:
                pass  # flash full: the intact copy still says it
            return binascii.hexlify(good).decode()
        if self._exists("id") or self._exists("id.b"):
            return "?"  # it had one, damaged beyond reading: the host decides by the records
        if self.segments() or self._exists("ack"):
            # Begun by older firmware: giving it an id now would hide from the host whether
            # this is the log it knew (kept across the update) or one wiped since (an erased
            # chip). "" says so; the host tells the two apart by their seqs.
            return ""
        b = _random_bytes(_ID_BYTES)
        try:
            self._write_checked("id", b)
            self._write_checked("id.b", b)
        except OSError:
            return ""  # flash full or failing: the log works without one
        return binascii.hexlify(b).decode()

    def _exists(self, name):
        try:
            os.stat(self._path(name))
            return True
        except OSError:
            return False

    def _recover_seq(self):
        # after everything acknowledged or ever sent to a host, even if the tail was lost since
        last = max(self.acked, self._read_u32("sent"))
        for name in reversed(self.segments()):
            top = 0
            with open(self._path(name), "rb") as f:
                for r in scan(f.read()):
                    top = max(top, r[3])
            if top:
                last = max(last, top)
                break
            last = max(last, int(name[:-4]) - 1)
        return last + 1

    def _open_segment(self):
        self._f = open(self._path(_seg_name(self.next_seq)), "ab")
        self._seg_size = 0

    # -- writing ----------------------------------------------------------------------------
    def append(self, rtype, *fields):
        """Write one record; returns its seq (0 if the flash is full even after making room:
        counted in `lost` and said in a FAULT_FLASH_FULL record once one fits)."""
        if self._f is None or self._seg_size >= self.seg_bytes:
            if not self._switch(False):
                self.lost += 1
                return 0
        if self.lost and self._write(FAULT, FAULT_FLASH_FULL, self.lost):
            self.lost = 0
        seq = self._write(rtype, *fields)
        if not seq and not self.lost and self._switch(True):  # full: make room once, retry
            seq = self._write(rtype, *fields)
        if not seq:
            self.lost += 1
        return seq

    def _switch(self, full):
        # A new segment, after making room if flash is low (`full`: a write just failed).
        self.close()
        dropped = self._make_room(full)
        try:
            self._open_segment()
        except OSError:
            self._f = None
            return False
        if dropped:
            self._write(FAULT, FAULT_DETAIL_DROPPED, dropped)
        return True

    def _write(self, rtype, *fields):
        fmt = FORMATS[rtype]
        n = struct.calcsize(fmt)
        struct.pack_into(fmt, self._payload, 0, *fields)
        rec = encode(rtype, self.next_seq, memoryview(self._payload)[:n],
                     memoryview(self._buf)[:_HEAD + n + _TAIL])
        f = self._f
        assert f is not None
        try:
            f.write(rec)
        except OSError:
            return 0  # flash full: the app keeps its counts and logs them as DAILY later
        self._seg_size += _HEAD + n + _TAIL
        self.next_seq += 1
        return self.next_seq - 1

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.flush()
            self._f.close()
            self._f = None

    def boot(self, reset_cause):
        # a power cut between an ack's rename and its freeing left acknowledged segments: free
        # them now, not at the next larger ack (a sync with nothing new sends none)
        try:
            self.free_acked()
        except OSError:
            pass
        self.boot_no = self._last_boot_no() + 1
        # remembered apart from the records too: once the host has taken them and the band has
        # freed them, boot numbers must still not start again (the host places reps by boot).
        # Flash full: the BOOT record (if it fits) still says it; the app must start anyway.
        try:
            self._write_u32("boot", self.boot_no)
        except OSError:
            pass
        self.append(BOOT, self.boot_no, reset_cause)
        self.flush()

    def _last_boot_no(self):
        last = self._read_u32("boot")
        for name in reversed(self.segments()):
            with open(self._path(name), "rb") as f:
                data = f.read()
            boot = 0
            for i, _, rtype, _ in scan(data):
                if rtype == BOOT:
                    boot = fields_at(data, i, BOOT)[0]
            if boot:
                return boot if boot > last else last
        return last

    def rep(self, t_ms, exercise, rom_cdeg, duration_ms, up_ms, hold_ms, down_ms, faults):
        """A counted rep with its form: phases in ms (saturating at 65535: a hold over a minute
        is a minute), faults as counter.FAULT_* bits."""
        return self.append(REP, t_ms, exercise, min(rom_cdeg, 65535), duration_ms,
                           min(up_ms, 65535), min(hold_ms, 65535), min(down_ms, 65535),
                           faults & 0xFF)

    def set_done(self, start_ms, end_ms, reps, exercise):
        s = self.append(SET, start_ms, end_ms, reps, exercise)
        self.flush()  # a finished set is durable at once
        return s

    def daily(self, day, clamshell, leg_lift, goal, side, mode):
        """The day's counts so far and the settings they are counted with (side and mode as
        SIDES/MODES codes)."""
        return self.append(DAILY, day, clamshell, leg_lift, goal, side, mode)

    def fault(self, code, detail):
        s = self.append(FAULT, code, detail)
        self.flush()
        return s

    def clock(self, epoch_s, t_ms):
        s = self.append(CLOCK, epoch_s, t_ms)
        self.flush()
        return s

    # -- the host's side ----------------------------------------------------------------------
    def walk(self, after_seq=0):
        """(seq, type, data, offset, size) of every intact record with seq > after_seq, in seq
        order, one segment in RAM at a time: a day's log would not fit the band's heap at once.
        The record is data[offset:offset + size] as stored (CRC included)."""
        self.flush()
        segs = self.segments()
        top = after_seq  # a merge cut short by power loss can leave a copy: yield each seq once
        for k in range(len(segs)):
            # a segment holds only seqs below the next one's first (it is named after its own)
            if k + 1 < len(segs) and int(segs[k + 1][:-4]) <= after_seq + 1:
                continue
            with open(self._path(segs[k]), "rb") as f:
                data = f.read()
            for i, size, rtype, seq in scan(data):
                if seq > top:
                    top = seq
                    yield seq, rtype, data, i, size

    def records(self, after_seq=0):
        """Every intact record after `after_seq` as (seq, type, fields), all in RAM (the host's
        way; the band streams with walk)."""
        out = [(seq, rtype, fields_at(data, i, rtype))
               for seq, rtype, data, i, _ in self.walk(after_seq)]
        out.sort(key=lambda r: r[0])
        return out

    def restore_id(self, hex_id):
        """The host, having matched this log by its records, gives back the id it knew it by
        (only while the band's own is unreadable)."""
        if self.id == "?":
            b = binascii.unhexlify(hex_id)
            if len(b) == _ID_BYTES:
                self._write_checked("id", b)
                self._write_checked("id.b", b)
                self.id = hex_id
        return self.id

    def mark_sent(self, seq):
        """About to send records up to `seq` to a host: remember it (see `sent` above)."""
        if seq > self._read_u32("sent"):
            self._write_u32("sent", seq)

    def _crc_of(self, seq):
        # the stored CRC of record `seq`, or None: in the last segment named at or before it
        name = None
        for n in self.segments():
            if int(n[:-4]) <= seq:
                name = n
        if name is None:
            return None
        with open(self._path(name), "rb") as f:
            data = f.read()
        for i, size, _, s in scan(data):
            if s == seq:
                return struct.unpack("<I", data[i + size - 4:i + size])[0]
        return None

    def mark(self):
        """(seq, crc32) of a record the host holds: the last one acknowledged (kept, CRC'd,
        when it was), else the oldest on the band; None for an empty log. With the
        host's copy of that seq it tells whether this is the log the host knew, whatever its
        id says, even after the band freed every record the host has."""
        b = self._read_checked("mark", 8)
        if b is not None:
            return struct.unpack("<II", b)
        for name in self.segments():
            with open(self._path(name), "rb") as f:
                data = f.read()
            for i, size, _, seq in scan(data):
                return seq, struct.unpack("<I", data[i + size - 4:i + size])[0]
        return None

    def ack(self, seq):
        """The host stored everything up to seq: remember it (atomically), free what it covers."""
        if seq <= self.acked:
            self.free_acked()  # a power cut may have come between the ack and the freeing
            return self.acked
        if seq >= self.next_seq:
            seq = self.next_seq - 1
        self.flush()
        crc = self._crc_of(seq)  # (before the record may be freed)
        try:
            self._write_u32("ack", seq)
        except OSError:
            # flash full, so not even the ack fits: free what the host has stored (it keeps
            # it), then say so
            self.acked = seq
            self.free_acked()
            self._write_u32("ack", seq)
        self.acked = seq
        self.free_acked()
        if crc is not None:  # (after the freeing: on a full flash the room comes from there)
            try:
                # one copy: a hint (damaged, the host decides by seqs), and on a full flash the
                # blocks it costs are the records'
                self._write_checked("mark", struct.pack("<II", seq, crc))
            except OSError:
                pass  # flash full: the oldest record still names the log
        return seq

    # -- space ---------------------------------------------------------------------------------
    def free_acked(self):
        """Delete closed segments whose every record is acknowledged."""
        segs = self.segments()
        freed = 0
        for k in range(len(segs) - 1):  # the last segment is the open one
            next_first = int(segs[k + 1][:-4])
            if next_first - 1 <= self.acked:
                os.remove(self._path(segs[k]))
                freed += 1
        return freed

    def free_bytes(self):
        try:
            st = os.statvfs(self.root)
            return st[0] * st[3]
        except (OSError, AttributeError):
            return 1 << 30

    def _make_room(self, full=False):
        # Low on flash: free acknowledged records first, then per-rep detail of logged sets.
        if not full and self.free_bytes() >= self.min_free:
            return 0
        self.free_acked()
        if not full and self.free_bytes() >= self.min_free:
            return 0
        return self.drop_detail()

    def drop_detail(self):
        """Rewrite the closed segments without per-rep records whose set was logged (the SET
        record keeps the count), merging neighbours whose records then fit in one segment: a
        file holds whole blocks of flash, so only fewer files free space. Never drops an
        unsynced count. Returns how many REP records went."""
        segs = self.segments()
        if len(segs) < 2:
            return 0
        covered = []  # (boot index, start, end) of every logged set
        boot = 0
        for seq, rtype, data, i, _ in self.walk(0):
            if rtype == BOOT:
                boot = fields_at(data, i, BOOT)[0]
            elif rtype == SET:
                f = fields_at(data, i, SET)
                covered.append((boot, f[0], f[1]))
        boot = 0
        top = 0
        dropped = 0  # REP records gone from files rewritten
        group = []  # closed segments to become one file (named after the first)
        out = bytearray()
        drops = 0  # REP records the group's file leaves out
        merged = False
        for name in segs[:-1]:  # the last segment is the open one
            with open(self._path(name), "rb") as f:
                recs = decode(f.read())
            kept = bytearray()
            n = 0
            for seq, rtype, fields in recs:
                if seq <= top:  # a copy left by a merge cut short
                    merged = True
                    continue
                top = seq
                if rtype == BOOT:
                    boot = fields[0]
                if rtype == REP and any(b == boot and s - DETAIL_MARGIN_MS <= fields[0]
                                        <= e + DETAIL_MARGIN_MS for b, s, e in covered):
                    n += 1
                    continue
                kept.extend(encode(rtype, seq, pack(rtype, fields)))
            if group and len(out) + len(kept) <= self.seg_bytes:
                group.append(name)
                out.extend(kept)
                drops += n
                merged = True
                continue
            if drops or merged:
                if not self._rewrite(group, out):
                    return dropped
                dropped += drops
            group, out, drops, merged = [name], kept, n, False
        if (drops or merged) and self._rewrite(group, out):
            dropped += drops
        return dropped

    def _rewrite(self, names, data):
        # names[0] becomes `data` (beside, then renamed), then the rest go. A power cut between
        # leaves copies in the rest, which walk and drop_detail skip (each seq once).
        tmp = self._path("compact.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
        except OSError:
            self._remove(tmp)
            return False
        os.rename(tmp, self._path(names[0]))
        for name in names[1:]:
            os.remove(self._path(name))
        return True
