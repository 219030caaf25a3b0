"""`repband status`: what the band says about itself (firmware, board, side and goal, its clock,
battery, log space, records waiting to sync) and when the laptop last synced it."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from host_tools.band.client import BandClient, BandRefused
from host_tools.errors import RepbandError


def band_status(band: BandClient) -> dict:
    try:
        return band.status()
    except BandRefused as exc:
        raise RepbandError(f"{band.port}: the band could not say its status ({exc.detail}); is "
                           "its firmware older? run repband flash --board BOARD") from None


def laptop_view(db: Path, uid: str, log_id: str) -> tuple[int | None, int | None]:
    """(when the database last took records from this band (Unix ms), band seq it holds up to
    in the band's current log; None where it has nothing)."""
    from host_tools.data import store

    if not db.exists():
        return None, None
    with store.open_store(db) as st:
        last = st.db.execute("SELECT MAX(synced_ms) FROM records WHERE uid = ?",
                             (uid,)).fetchone()[0]
        row = st.db.execute("SELECT COALESCE(log_id, ''), seq_base FROM bands WHERE uid = ?",
                            (uid,)).fetchone()
        held = st.max_seq(uid) - row[1] if row and row[0] == log_id else None
    return last, held


def format_status(info: dict, st: dict, last_sync_ms: int | None, held: int | None,
                  now_s: float) -> str:
    def when(s: float | None) -> str:
        return "never" if s is None else datetime.fromtimestamp(s).strftime("%Y-%m-%d %H:%M:%S")

    clock = st.get("clock_s")
    clock_text = ("not set (sync sets it)" if clock is None else
                  f"{when(clock)} ({clock - now_s:+.0f} s from the laptop's)")
    side = info.get("side") or "unknown"
    mount = st.get("mount") or {}
    side_text = side + ("" if side in ("left", "right") else
                        " (set it: repband config set side=left|right)")
    if side not in ("left", "right") and mount.get("setting") == "learn":
        learned = mount.get("learned_side")
        side_text = (f"{learned} (learned)" if learned in ("left", "right") else
                     "not learned yet (stand still a moment, then walk)" if learned is None else
                     "unknown (learned the frame; worn too far front or back to tell the thigh)")
    last = info.get("last", -1)
    waiting = last - held if held is not None and last >= 0 else last
    free = st.get("free_bytes")
    rows = [
        ("band", f"{info.get('uid')} ({info.get('board') or 'board unknown'})"),
        ("firmware", f"repband {info.get('fw', '?')} (protocol {info.get('repband', '?')})"),
        ("side", side_text),
        ("goal", f"{info.get('goal')} reps per exercise a day"),
        ("clock", clock_text),
        ("battery", "unknown (this board cannot read it)" if st.get("battery_mv") is None
         else f"{st['battery_mv'] / 1000:.2f} V (about {_percent(st['battery_mv'])} % full)"),
        ("log", f"{st.get('log_bytes', 0) / 1024:.1f} KB in {st.get('segments', 0)} segments"
                + ("" if free is None else f", {free / 1024:.0f} KB free")),
        ("to sync", f"{max(0, waiting)} records" if last >= 0 else "unknown (log unreadable)"),
        ("last sync", when(last_sync_ms / 1000 if last_sync_ms else None)),
    ]
    return "\n".join(f"{k:<10} {v}" for k, v in rows)


def _percent(mv: int) -> int:
    from host_tools import firmware

    return firmware.load("battery").percent(int(mv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--port", help="the band's serial port (default: find it)")
    parser.add_argument("--db", type=Path,
                        help="database file (default: the one repband sync uses)")


def run(args: argparse.Namespace) -> int:
    import time

    from host_tools.band import link
    from host_tools.data import store

    port = args.port or link.find_port()
    with link.raw_session(port) as band:
        info = band.info
        st = band_status(band)
    last_sync, held = laptop_view(args.db or store.default_path(), info["uid"],
                                  str(info.get("log") or ""))
    print(format_status(info, st, last_sync, held, time.time()))
    return 0
