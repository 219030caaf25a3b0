"""Run MicroPython code on this machine: the WebAssembly port (npm, pinned in package.json) under
Node.

The band's firmware modules are copied into the runtime's file system, so `import counter` runs
the very same source as on the band. Used by replay's parity runs, the benchmarks and tests.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from host_tools import FIRMWARE_DIR, REPO_ROOT
from host_tools.errors import MicroPythonError

RUNNER = Path(__file__).resolve().parent / "mp" / "run.mjs"
PACKAGE_DIR = REPO_ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
HOST_MP_DIR = RUNNER.parent  # MicroPython-compatible host helpers (drive.py)


def check_runtime() -> str:
    node = shutil.which("node")
    if node is None:
        raise MicroPythonError("Node.js not found: install Node.js >= 20, then run ./dev test")
    if not PACKAGE_DIR.is_dir():
        raise MicroPythonError(
            f"MicroPython runtime not installed ({PACKAGE_DIR} missing): run 'npm ci' in "
            f"{REPO_ROOT}"
        )
    return node


def run_micropython(
    script: str,
    files: dict[str, bytes] | None = None,
    heap_bytes: int = 8 * 1024 * 1024,
    timeout_s: float = 1800,
    modules: tuple[Path, ...] = (FIRMWARE_DIR, HOST_MP_DIR),
) -> str:
    """Run `script` in MicroPython; return what it printed. Firmware modules and `files` are on
    sys.path (at /lib in the runtime's file system)."""
    node = check_runtime()
    with tempfile.TemporaryDirectory(prefix="repband-mp-") as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        for folder in modules:
            for src in folder.glob("*.py"):
                shutil.copyfile(src, lib / src.name)
        for name, data in (files or {}).items():
            (lib / name).write_bytes(data)
        script_path = Path(tmp) / "script.py"
        script_path.write_text(script, encoding="utf-8")
        try:
            proc = subprocess.run(
                [node, str(RUNNER), str(heap_bytes), str(lib), str(script_path)],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                cwd=REPO_ROOT,
            )
        except subprocess.TimeoutExpired:
            raise MicroPythonError(f"MicroPython run took longer than {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise MicroPythonError(f"MicroPython run failed:\n{detail}")
    return proc.stdout
