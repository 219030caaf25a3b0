# What the host runs on the band over the USB REPL (the app is stopped first): who it is, its
# log, acknowledgements and the clock. Replies are single lines the host parses.
import json

import replog

PROTOCOL = 1
VERSION = "0.1.0"
LOG_ROOT = "/log"


def _uid():
    try:
        import machine  # type: ignore

        return "".join("%02x" % b for b in machine.unique_id())
    except ImportError:
        return "unknown"


def hello():
    try:
        with open("/config.json") as f:
            board = json.load(f).get("board")
    except (OSError, ValueError):
        board = None
    print("RB-HELLO " + json.dumps({"repband": PROTOCOL, "fw": VERSION, "board": board,
                                    "uid": _uid()}))


def export(after_seq, max_records=400):
    """Records with seq > after_seq as hex lines (CRC included), then 'RB-END last_seq more'."""
    log = replog.Log(LOG_ROOT)
    recs = log.records(after_seq)
    more = 1 if len(recs) > max_records else 0
    last = after_seq
    line = bytearray()
    for seq, rtype, fields in recs[:max_records]:
        rec = replog.encode(rtype, seq, _pack(rtype, fields))
        line.extend(rec)
        last = seq
        if len(line) > 240:
            print("RB-DATA " + _hex(line))
            line = bytearray()
    if line:
        print("RB-DATA " + _hex(line))
    print("RB-END %d %d %d" % (last, more, log.next_seq - 1))


def _pack(rtype, fields):
    import struct

    return struct.pack(replog.FORMATS[rtype], *fields)


def _hex(b):
    import binascii

    return binascii.hexlify(b).decode()


def ack(seq):
    log = replog.Log(LOG_ROOT)
    print("RB-ACK %d" % log.ack(seq))


def clock_set(epoch_s):
    """The host's wall clock (UTC seconds since 1970): set the RTC, log it against ticks."""
    import time

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
        return 946684800 if time.gmtime(0)[0] == 2000 else 0
    except Exception:
        return 0
