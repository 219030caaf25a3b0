"""`repband sync`: set the band's clock, pull every record the laptop does not have yet into
SQLite, and acknowledge them to the band only after they are committed.

Interrupted anywhere (cable pulled, Ctrl-C, band reset), a rerun loses nothing and stores
nothing twice: records are keyed by (band, seq), each batch commits whole, and the band frees
only what was acknowledged after a commit.
"""

from __future__ import annotations

import argparse
import binascii
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools import RepbandError, firmware, link, store

replog = firmware.load("replog")
BATCH = 400


@dataclass
class SyncSummary:
    uid: str
    board: str | None
    new_records: int
    new_reps: int
    acked_seq: int
    seconds: float

    def __str__(self) -> str:
        return (f"band {self.uid} ({self.board}): {self.new_records} new records, "
                f"{self.new_reps} reps, acknowledged up to {self.acked_seq}, {self.seconds:.1f} s")


def _exec(transport: Any, code: str) -> str:
    from mpremote.transport import TransportError

    try:
        return transport.exec(code).decode()
    except TransportError as exc:
        raise link.LinkError(f"the band stopped answering during sync ({exc}); run repband sync "
                             "again: nothing is lost") from None


def pull_batch(transport: Any, after_seq: int) -> tuple[list, int, bool]:
    """Records after `after_seq` (verified by CRC), the last seq sent, whether more remain."""
    out = _exec(transport, f"import service\nservice.export({after_seq}, {BATCH})")
    data = bytearray()
    end = None
    for line in out.splitlines():
        if line.startswith("RB-DATA "):
            data.extend(binascii.unhexlify(line[8:].strip()))
        elif line.startswith("RB-END "):
            end = line.split()
    if end is None:
        raise link.LinkError("the band's export was cut short; run repband sync again")
    records = replog.decode(bytes(data))
    last, more = int(end[1]), end[2] == "1"
    if records and records[-1][0] != last:
        raise link.LinkError("records were damaged on the way; run repband sync again")
    return records, last, more


def sync(port: str, db: str | Path | None = None, progress: bool = False) -> SyncSummary:
    start = time.monotonic()
    db_path = Path(db) if db else store.default_path()
    with link.raw_session(port) as t, store.open_store(db_path) as st:
        info = t.band_info
        uid, board = info["uid"], info.get("board")
        _exec(t, f"import service\nservice.clock_set({int(time.time())})")
        with st.db:
            st.band(uid, board)
        after = st.max_seq(uid)
        new_records = new_reps = 0
        bar = None
        if progress and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(desc="sync", unit="rec", file=sys.stderr)
        while True:
            records, last, more = pull_batch(t, after)
            if not records:
                break
            with st.db:  # one transaction: all of the batch or none of it
                n = st.add_records(uid, records, int(time.time() * 1000))
            new_records += n
            new_reps += sum(1 for r in records if r[1] == replog.REP)
            after = last
            # only now, with the batch committed, may the band free it
            _exec(t, f"import service\nservice.ack({after})")
            if bar is not None:
                bar.update(len(records))
            if not more:
                break
        if bar is not None:
            bar.close()
    return SyncSummary(uid, board, new_records, new_reps, after, time.monotonic() - start)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", help="the band's serial port (default: find it)")
    parser.add_argument("--db", help="database file (default: your data directory, or $REPBAND_DB)")


def run(args: argparse.Namespace) -> int:
    port = args.port or link.find_port()
    print(sync(port, args.db, progress=True))
    return 0
