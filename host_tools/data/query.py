"""Progress from the sync database: the window of days read into a Progress (host_tools.data.
model), the band a --band names, the per-rep rows; the only SQL progress, report and sessions
use goes through host_tools.data.store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from host_tools.data.model import (
    DayCount,
    Form,
    Prescription,
    Progress,
    RepForm,
    RomSample,
    SetForm,
    compute,
    form_of,
)
from host_tools.errors import RepbandError


def db_path(db: Path | None) -> Path:
    """The database to read (the default one unless `db`); a clear error if there is none."""
    from host_tools.data import store

    path = store.default_path() if db is None else Path(db)
    if not path.exists():
        raise RepbandError(f"{path}: no database yet; run `repband sync` with the band plugged in")
    return path


def choose_band(st, band: str | None) -> str | None:
    """The band named by --band (a chip id, or its unique start); None: all bands."""
    if band is None:
        return None
    ids = st.band_ids()
    hits = [b for b in ids if b == band] or [b for b in ids if b.startswith(band)]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(ids) or "none yet"
    if hits:
        raise RepbandError(f"--band {band}: more than one band starts so ({', '.join(hits)})")
    raise RepbandError(f"--band {band}: no such band in the database (bands: {known})")


def set_form(row: tuple) -> SetForm:
    """A Store.set_rows row's form: its reps that carry it and the prescription then."""
    epoch_ms, _uid, ex, side = row[:4]
    form, rx = row[9], row[10]
    return SetForm(datetime.fromtimestamp(epoch_ms / 1000).date(), ex, side,
                   tuple(RepForm(*r) for r in form), Prescription(*rx) if rx is not None else None)


def set_form_summary(row: tuple) -> Form:
    """The Form (medians, fault shares) of a Store.set_rows row."""
    s = set_form(row)
    return form_of(s.reps, s.rx)


def load(db: Path | None, *, days: int = 30, today: date | None = None,
         band: str | None = None) -> Progress:
    """Read the window from the sync database (default location unless `db` is given)."""
    path = db_path(db)
    today = today or date.today()
    since = today - timedelta(days=days - 1)
    from host_tools.data import store

    with store.open_store(path) as st:
        uid = choose_band(st, band)
        counts = [
            DayCount(d, ex, side, n)
            for d, ex, side, n in st.daily_counts(since=since, until=today, uid=uid)
        ]
        roms = [
            RomSample(d, ex, side, rom)
            for d, ex, side, rom in st.rep_roms(since=since, until=today, uid=uid)
        ]
        goals = st.goals(uid)
        day_goals = st.day_goals(since, today, uid)
        first = st.first_day(uid)
        corrections = st.corrected_days(since, today, uid)
        bands = [uid] if uid else st.band_ids()
        sets = [set_form(r) for r in st.set_rows(since, today, uid)]
    return compute(counts, roms, today=today, days=days, goals=goals, bands=bands,
                   day_goals=day_goals, first_day=first, corrections=corrections, sets=sets)


def rep_rows(db: Path | None, *, days: int = 30, today: date | None = None,
             band: str | None = None) -> list[tuple]:
    """Every rep in the window, oldest first: (epoch ms, band, exercise, side, mode, rom_deg,
    duration ms, time known)."""
    from host_tools.data import store

    today = today or date.today()
    since = today - timedelta(days=days - 1)
    with store.open_store(db_path(db)) as st:
        return st.rep_rows(since, today, choose_band(st, band))
