"""The host code type-checks (pyright, basic mode, [tool.pyright] in pyproject.toml) and lints
clean (ruff, [tool.ruff]); the firmware's own type check is in test_firmware_static.py."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from host_tools import REPO_ROOT

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN))
    assert found, f"{name} is a dev dependency: pip install -e '.[dev]'"
    return found


def test_host_code_type_checks_with_pyright() -> None:
    proc = subprocess.run([_tool("pyright"), "--outputjson"], capture_output=True, text=True,
                          cwd=REPO_ROOT)
    report = json.loads(proc.stdout)
    errors = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
              for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert errors == [], "\n".join(errors[:40])
    # the config reaches the host package: every module of it but the two that run inside
    # MicroPython (excluded in pyproject.toml) was checked, not an empty selection
    host = [p for p in (REPO_ROOT / "host_tools").rglob("*.py") if "__pycache__" not in p.parts]
    assert report["summary"]["filesAnalyzed"] >= len(host) - 2


def test_pyright_finds_a_type_error_in_host_code(tmp_path: Path) -> None:
    # the check above can fail: the same settings report a wrong argument type
    bad = tmp_path / "bad.py"
    bad.write_text("from host_tools.traces import traceio\n\ntraceio.read_trace(42)\n")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "basic", "pythonVersion": "3.11",
                                  "extraPaths": [str(REPO_ROOT)]}))
    proc = subprocess.run([_tool("pyright"), "-p", str(config), "--outputjson", str(bad)],
                          capture_output=True, text=True, cwd=tmp_path)
    errors = [d["message"] for d in json.loads(proc.stdout)["generalDiagnostics"]
              if d["severity"] == "error"]
    assert len(errors) == 1 and 'Argument of type "Literal[42]"' in errors[0], errors


def test_ruff_is_clean() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", "."],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:]
