# What the host runs on the band over the USB REPL (the app is stopped first): who it is, its
# log, acknowledgements and the clock. Replies are single lines the host parses.
import binascii
import json

import replog
import settings
from names import UNIX_2000

try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

PROTOCOL = 2  # 2: export sends base64 lines and a record count
VERSION = "0.2.0"
LOG_ROOT = "/log"
_LINE_BYTES = const(180)  # raw bytes per RB-DATA line (240 base64 characters)
# the prescription the band judges form against (settings.py), in the hello for the host's report
_PRESCRIPTION = ("reps", "sets", "tempo_s", "hold_s", "min_rom_deg")
_LINE_BUF = bytearray(_LINE_BYTES + 32)  # a record is at most 30 bytes (a REP)


def _uid():
    try:
        import machine  # type: ignore

        return "".join("%02x" % b for b in machine.unique_id())
    except ImportError:
        return "unknown"


def _board():
    # the board board.which() names (as boot.py and the app find it); None if there is none
    try:
        import board
    except ImportError:
        return None
    try:
        return board.which()
    except (board.BoardError, OSError):
        return None


def hello():
    board = _board()
    last = acked = -1
    log_id = ""
    mark = None
    try:
        log = replog.Log(LOG_ROOT)
        log.free_acked()  # (left by a power cut between an ack and its freeing)
        last, acked, log_id, mark = log.next_seq - 1, log.acked, log.id, log.mark()
    except OSError:
        pass  # a flash problem: still say who we are
    cfg = settings.load()
    print("RB-HELLO " + json.dumps({"repband": PROTOCOL, "fw": VERSION, "board": board,
                                    "uid": _uid(), "log": log_id, "last": last, "acked": acked,
                                    "mark": mark,
                                    "goal": cfg["goal"], "side": cfg["side"],
                                    "rx": {k: cfg[k] for k in _PRESCRIPTION},
                                    "app": _app_problem()}))


def _app_problem():
    # Why the app cannot start ("" if it can): what main.py meets loading its board.
    try:
        import board
    except ImportError:
        return "no board module: run repband flash --board BOARD"
    try:
        board.load()  # as main.py loads it: the board board.which() names
    except board.BoardError as exc:
        return str(exc)[:200]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return ("board file unreadable (%r): run repband flash --board BOARD" % (exc,))[:200]
    return ""


def export(after_seq, max_records=500):
    """Up to max_records records with seq > after_seq, as stored (CRCs included) in base64
    lines, then 'RB-END last_seq more band_last_seq count'. Streams the log one segment at a
    time: a day's records do not fit the band's heap at once."""
    log = replog.Log(LOG_ROOT)
    if log.next_seq - 1 > after_seq:
        try:  # before a record leaves: its seq is never given to another
            log.mark_sent(log.next_seq - 1)
        except OSError:
            pass  # flash full: the records still go (and are kept till acknowledged)
    buf = _LINE_BUF
    n = count = 0
    last = after_seq
    for seq, _, data, i, size in log.walk(after_seq):
        if count == max_records:
            break
        buf[n:n + size] = memoryview(data)[i:i + size]
        n += size
        count += 1
        last = seq
        if n >= _LINE_BYTES:
            _line(buf, n)
            n = 0
    if n:
        _line(buf, n)
    band_last = log.next_seq - 1
    more = 1 if count == max_records and last < band_last else 0
    print("RB-END %d %d %d %d" % (last, more, band_last, count))


def _line(buf, n):
    b64 = binascii.b2a_base64(memoryview(buf)[:n])  # pyright: ignore[reportArgumentType]
    print("RB-DATA " + b64.decode().strip())


def restore_id(hex_id):
    print("RB-ID %s" % replog.Log(LOG_ROOT).restore_id(hex_id))


def ack(seq):
    log = replog.Log(LOG_ROOT)
    print("RB-ACK %d" % log.ack(seq))


def clock_set(epoch_s, utc_offset_min=None):
    """The host's wall clock (UTC seconds since 1970): set the RTC, log it against ticks. With
    the host's time zone (minutes east of UTC), the band's day starts at local midnight."""
    import time

    if utc_offset_min is not None and settings.load()["utc_offset_min"] != utc_offset_min:
        settings.update({"utc_offset_min": utc_offset_min})

    try:
        import machine  # type: ignore

        tm = time.gmtime(epoch_s - _epoch_offset())
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
    except (ImportError, AttributeError):
        pass
    if hasattr(time, "epoch_s"):  # the virtual band's clock
        time.epoch_s = epoch_s - time.ticks_ms() // 1000  # type: ignore
    log = replog.Log(LOG_ROOT)
    seq = log.clock(epoch_s, time.ticks_ms())  # type: ignore
    log.close()
    print("RB-CLOCK %d" % seq)


def _epoch_offset():
    import time

    try:
        return UNIX_2000 if time.gmtime(0)[0] == 2000 else 0
    except Exception:
        return 0


def status():
    """'RB-STATUS {json}': the band's clock (Unix s, null while unset), its log on flash (bytes
    in segments, free bytes, records not yet acknowledged) and the battery (mV, null where the
    board file names no battery ADC: firmware/battery.py)."""
    import os
    import time

    out = {"clock_s": None, "log_bytes": 0, "free_bytes": None, "segments": 0, "unacked": None,
           "battery_mv": None}
    t = time.time() + _epoch_offset()
    if t >= 1704067200:  # 2024-01-01: an RTC behind this was never set by a host
        out["clock_s"] = t
    try:
        log = replog.Log(LOG_ROOT)
        segs = log.segments()
        out["segments"] = len(segs)
        out["log_bytes"] = sum(os.stat(LOG_ROOT + "/" + n)[6] for n in segs)
        out["unacked"] = log.next_seq - 1 - log.acked
        st = os.statvfs(LOG_ROOT)
        out["free_bytes"] = st[0] * st[3]
    except (OSError, AttributeError):
        pass
    out["battery_mv"] = _battery_mv()
    out["mount"] = _mount()
    print("RB-STATUS " + json.dumps(out))


def _mount():
    # how the band is worn: the setting, and with mount=learn the thigh it learned (None: not
    # yet); the file app.App keeps (firmware/mount.py Mount.save)
    cfg = settings.load()
    out = {"setting": cfg.get("mount", "fixed"), "learned_side": None}
    try:
        with open("/mount.json") as f:
            out["learned_side"] = replog.SIDES[json.load(f)["side"]]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass
    return out


def _battery_mv():
    # where the board file names its battery sense pin (firmware/battery.py); else None
    try:
        import battery
        import machine  # type: ignore

        name = _board()
        with open("/boards/%s.json" % name) as f:
            b = battery.open(json.load(f), machine)
        return None if b is None else b.mv()
    except Exception:  # no machine (the host), no board file, no ADC on that pin
        return None
