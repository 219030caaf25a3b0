"""repband record: the band-side streamer on real MicroPython, the host decoder, and (with the
virtual band) a recording that reproduces the samples of the trace the band wears."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_tools.band import record

# A fake sample source for the recorder (the IMU is what is missing here, not the logic):
# batches of `n` samples whose values are a known function of (batch, index); batch 2 reports
# 3 samples lost to a FIFO overflow; after `batches` batches it raises KeyboardInterrupt (Ctrl-C).
SOURCE = """
import recorder
class Src:
    rate_hz = %(rate)d; placement = "thigh_left_lateral"; board_name = "testboard"; gyro = True
    def __init__(self):
        self.samples = [0] * (6 * %(n)d); self.k = 0
    def read(self):
        self.k += 1
        if self.k > %(batches)d:
            raise KeyboardInterrupt
        for i in range(%(n)d):
            for j in range(6):
                self.samples[6 * i + j] = value(self.k, i, j)
        return %(n)d, (3 if self.k == 2 else 0)
    def close(self):
        pass
def value(k, i, j):
    return (k * 977 + i * 131 - j * 5003) %% 60001 - 30000
recorder.run(%(seconds)s, Src())
"""


def value(k: int, i: int, j: int) -> int:
    return (k * 977 + i * 131 - j * 5003) % 60001 - 30000


def run_micropython(code: str) -> bytes:
    from host_tools.sim.mpy_runtime import MicroPythonError, check_runtime, run_micropython

    try:
        check_runtime()
    except MicroPythonError as exc:
        pytest.skip(str(exc))
    return run_micropython(code, timeout_s=60).encode()


def parse(out: bytes) -> record.Recording:
    rec = record.Recording()
    for line in out.splitlines():
        record._handle_line(line, rec, None, None)
    return rec


@pytest.mark.parametrize(("rate", "n", "batches", "seconds"), [(100, 10, 7, 0), (25, 40, 3, 0)])
def test_recorder_on_micropython_streams_every_sample(
    tmp_path: Path, rate: int, n: int, batches: int, seconds: float
) -> None:
    out = run_micropython(SOURCE % {"rate": rate, "n": n, "batches": batches, "seconds": seconds})
    rec = parse(out)
    assert rec.ended and rec.sample_rate_hz == rate and rec.placement == "thigh_left_lateral"
    assert rec.board == "testboard" and rec.dropped == 3
    expected = []
    index = 0
    for k in range(1, batches + 1):
        if k == 2:
            index += 3  # the lost samples keep their place on the sensor's clock
        for i in range(n):
            expected.append(((index * 1000) // rate, *(value(k, i, j) for j in range(6))))
            index += 1
    assert rec.samples == expected


def test_recorder_stops_after_the_requested_seconds(tmp_path: Path) -> None:
    out = run_micropython(SOURCE % {"rate": 50, "n": 16, "batches": 50, "seconds": 1.5})
    rec = parse(out)
    assert rec.ended and len(rec.samples) == 75 - 3  # 1.5 s at 50 Hz, 3 of them lost
    assert rec.samples[-1][0] == 74 * 1000 // 50


def test_garbled_line_is_counted_not_invented() -> None:
    rec = record.Recording()
    record._handle_line(b"D!!!notbase64", rec, None, None)
    record._handle_line(b"DAAAA", rec, None, None)  # 3 bytes: not a whole sample
    assert rec.samples == [] and rec.dropped == 2


# ---------------------------------------------------------------- end to end, virtual band

BOARD = "m5stickc_plus2"
E2E_RATE = 100


def moving_trace(path: Path, seconds: int = 40) -> list[tuple[int, ...]]:
    """A trace whose every sample differs (slow tumbling + gyro), written as a CSV.

    Returns its samples in the counter's integer units, as the band should see them."""
    import math

    lines = [
        "# format: repband-trace/1",
        f"# sample_rate_hz: {E2E_RATE}",
        "# placement: thigh_right_lateral",
        "# axes: band",
        "# source: synthetic, written by test_record",
        "t_ms,ax,ay,az,gx,gy,gz",
    ]
    ints = []
    for i in range(seconds * E2E_RATE):
        t = i / E2E_RATE
        a, b = 0.9 * math.sin(0.7 * t), 0.6 * math.sin(1.9 * t + 1)
        ax, ay = math.sin(a) * math.cos(b), math.sin(b)
        az = math.cos(a) * math.cos(b)
        g = (40 * math.cos(0.7 * t), -25 * math.sin(1.3 * t), 10 * math.sin(3.1 * t))
        row = (round(ax, 4), round(ay, 4), round(az, 4), *(round(v, 2) for v in g))
        lines.append(f"{i * 1000 // E2E_RATE}," + ",".join(str(v) for v in row))
        ints.append(
            (
                i * 1000 // E2E_RATE,
                *(round(v * 1000) for v in row[:3]),
                *(round(v * 10) for v in row[3:]),
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return ints


def read_back(path: Path) -> tuple[dict[str, str], list[tuple[int, ...]]]:
    from host_tools.traces import traceio

    trace = traceio.read_trace(path)
    return trace.meta, list(zip(*(c.tolist() for c in traceio.counter_ints(trace)), strict=True))


def test_trace_file_holds_exactly_the_band_integers(tmp_path: Path) -> None:
    rec = record.Recording(sample_rate_hz=50, placement="thigh_left_lateral", board="b")
    rec.samples = [
        (i * 20, i - 40, 3 * i, 1000 - i, -i, 7 * i - 300, 32767 - i) for i in range(80)
    ]
    out = tmp_path / "r.csv"
    from host_tools.traces import traceio

    traceio.write_trace(out, record.to_trace(rec, out))
    meta, got = read_back(out)
    assert got == rec.samples
    assert meta["source"] == "recorded with repband record, board b"


def test_recording_reproduces_the_worn_trace(tmp_path: Path) -> None:
    from host_tools import cli
    from host_tools.band import flash
    from host_tools.sim import virtual_band as vb_mod

    source = moving_trace(tmp_path / "worn.csv")
    out = tmp_path / "rec.csv"
    said: list[str] = []
    with vb_mod.VirtualBand(
        board=BOARD, trace=tmp_path / "worn.csv", flash_dir=tmp_path / "flash", speed=1
    ) as vb:
        flash.flash(BOARD, vb.pty_path, show=False)
        assert cli.main(["config", "--port", vb.pty_path, "set", "side=right"]) == 0
        rec = record.record(vb.pty_path, out, seconds=3, say=said.append)
    assert rec.ended and rec.dropped == 0
    meta, got = read_back(out)
    assert meta["format"] == "repband-trace/1" and meta["axes"] == "band"
    assert meta["sample_rate_hz"] == str(E2E_RATE) and meta["placement"] == "thigh_right_lateral"
    assert meta["source"] == f"recorded with repband record, board {BOARD}"
    assert len(got) == 3 * E2E_RATE
    # The recording starts wherever the band was in the trace: find that sample, then every
    # following sample must match, within one register step of the IMU (+ rounding).
    start = min(
        range(len(source)),
        key=lambda k: sum(abs(a - b) for a, b in zip(source[k][1:], got[0][1:])),
    )
    for i, (g, s) in enumerate(zip(got, source[start:], strict=False)):
        assert g[0] == i * 1000 // E2E_RATE
        assert all(abs(a - b) <= 1 for a, b in zip(g[1:4], s[1:4])), (i, g, s)  # mg
        assert all(abs(a - b) <= 2 for a, b in zip(g[4:], s[4:])), (i, g, s)  # 0.1 deg/s
    assert any("recording from" in line for line in said)


def test_seconds_to_samples_does_not_hang_on_float_rounding() -> None:
    """recorder.run(seconds) stops after the same number of samples in single precision (the
    ESP32's floats) as in double: int(2.3 * 50) is 114 in double precision and 115 in single."""
    import numpy as np

    from host_tools import firmware

    recorder = firmware.load("recorder")
    assert recorder.samples_for(2.3, 50) == 115
    for tenths in range(1, 3000):
        for rate in (20, 25, 50, 52, 100):
            want = tenths * rate // 10
            assert recorder.samples_for(tenths / 10, rate) == want, (tenths, rate)
            assert recorder.samples_for(np.float32(tenths / 10), rate) == want, (tenths, rate)
    assert recorder.samples_for(3, 50) == 150 and recorder.samples_for(0, 50) == -1


def test_the_live_count_says_when_a_set_files_its_first_reps_under_another_exercise(
        shared_traces) -> None:
    """Recording, each rep is printed with the band's guess; the set's line says what the whole
    set was, and how many of the reps above it named otherwise (UCI subject 1 rolls the leg
    back in the first lifts, which read like clamshells)."""
    from host_tools.traces import traceio

    trace = traceio.read_trace(shared_traces / "uci-pt" / "s1-e4-u3-template_session.csv")
    said: list[str] = []
    live = record.LiveReps(round(trace.sample_rate_hz), said.append)
    cols = [c.tolist() for c in traceio.counter_ints(trace)]
    for s in zip(*cols, strict=True):
        live.feed(s)
    live.finish(cols[0][-1])
    guessed = sum(1 for line in said if line.lstrip().startswith("rep ") and "clamshell" in line)
    sets = [line for line in said if line.lstrip().startswith("set ")]
    assert guessed >= 2 and len(sets) == 1
    assert "leg_lift reps" in sets[0]
    assert f"({guessed} of them shown above as clamshell)" in sets[0]
