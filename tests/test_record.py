"""repband record: the band-side streamer on real MicroPython, the host decoder, and (with the
virtual band) a recording that reproduces the samples of the trace the band wears."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from host_tools import FIRMWARE_DIR, REPO_ROOT, record

RUNTIME = REPO_ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
RUNNER = """
import { loadMicroPython } from "%s/micropython.mjs";
import fs from "fs";
const [script, fwdir] = process.argv.slice(2);
let out = "";
const mp = await loadMicroPython({ stdout: (s) => { out += Buffer.from(s).toString("latin1"); },
                                   linebuffer: false });
try { mp.FS.mkdir("/lib"); } catch (e) {}
for (const f of fs.readdirSync(fwdir)) if (f.endsWith(".py"))
  mp.FS.writeFile("/lib/" + f, fs.readFileSync(fwdir + "/" + f));
try { mp.runPython(fs.readFileSync(script, "utf8")); }
catch (e) { process.stdout.write(out); console.error(e.message); process.exit(1); }
process.stdout.write(out);
"""

# A fake sample source for the recorder (the IMU is what is missing here, not the logic):
# batches of `n` samples whose values are a known function of (batch, index); batch 2 reports
# 3 samples lost to a FIFO overflow; after `batches` batches it raises KeyboardInterrupt (Ctrl-C).
SOURCE = """
import recorder
class Src:
    rate_hz = %(rate)d; placement = "thigh_left_lateral"; board_name = "testboard"; gyro = True
    def __init__(self):
        self.samples = [[0] * 6 for _ in range(%(n)d)]; self.k = 0
    def read(self):
        self.k += 1
        if self.k > %(batches)d:
            raise KeyboardInterrupt
        for i in range(%(n)d):
            for j in range(6):
                self.samples[i][j] = value(self.k, i, j)
        return %(n)d, (3 if self.k == 2 else 0)
    def close(self):
        pass
def value(k, i, j):
    return (k * 977 + i * 131 - j * 5003) %% 60001 - 30000
recorder.run(%(seconds)s, Src())
"""


def value(k: int, i: int, j: int) -> int:
    return (k * 977 + i * 131 - j * 5003) % 60001 - 30000


def run_micropython(tmp_path: Path, code: str) -> bytes:
    if shutil.which("node") is None or not RUNTIME.is_dir():
        pytest.skip("Node.js or the MicroPython runtime (npm ci) is missing")
    runner = tmp_path / "run.mjs"
    runner.write_text(RUNNER % RUNTIME.as_posix())
    script = tmp_path / "script.py"
    script.write_text(code)
    proc = subprocess.run(
        ["node", str(runner), str(script), str(FIRMWARE_DIR)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def parse(out: bytes) -> record.Recording:
    rec = record.Recording()
    for line in out.splitlines():
        record._handle_line(line, rec, None, None)
    return rec


@pytest.mark.parametrize(("rate", "n", "batches", "seconds"), [(100, 10, 7, 0), (25, 40, 3, 0)])
def test_recorder_on_micropython_streams_every_sample(
    tmp_path: Path, rate: int, n: int, batches: int, seconds: float
) -> None:
    out = run_micropython(
        tmp_path, SOURCE % {"rate": rate, "n": n, "batches": batches, "seconds": seconds}
    )
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
    out = run_micropython(tmp_path, SOURCE % {"rate": 50, "n": 16, "batches": 50, "seconds": 1.5})
    rec = parse(out)
    assert rec.ended and len(rec.samples) == 75 - 3  # 1.5 s at 50 Hz, 3 of them lost
    assert rec.samples[-1][0] == 74 * 1000 // 50


def test_garbled_line_is_counted_not_invented() -> None:
    rec = record.Recording()
    record._handle_line(b"D!!!notbase64", rec, None, None)
    record._handle_line(b"DAAAA", rec, None, None)  # 3 bytes: not a whole sample
    assert rec.samples == [] and rec.dropped == 2
