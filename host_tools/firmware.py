"""The one seam between the host and the band's firmware: where it is, and importing it unchanged.

Where: `firmware/` and `boards/` are top-level folders of the checkout (they are what goes onto a
band). pyproject.toml maps them into the package, so an installed wheel holds them as
`host_tools/band_firmware/` and `host_tools/boards/`, found here through importlib.resources.
An editable install (./dev) maps the same package names to the checkout's folders, but
setuptools' editable finder cannot import a mapped folder that has no `__init__.py` (and
firmware/ must not have one: everything in it goes onto the band), so there the folders are
taken from the checkout beside host_tools/.

Importing: `load("counter")` runs firmware/counter.py as the module
`host_tools.band_firmware.counter`, never as a top-level `counter`, and firmware/ is never put
on sys.path, so the band's `board`, `settings`, `main` cannot shadow or be shadowed by host
modules. Firmware modules import each other by bare name (`import counter` in app.py), as
MicroPython needs; each firmware module gets its own builtins whose `__import__` answers a bare
firmware name with `load(name)` and hands every other import (`json`, `machine`, a test's fake
in sys.modules) to Python's own. That `__import__` is the whole seam: nothing else about the
firmware differs between the band and the host.
"""

from __future__ import annotations

import builtins
import importlib.resources
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

NAMESPACE = "host_tools.band_firmware"  # loaded firmware modules are named NAMESPACE.<name>
BOARDS_PACKAGE = "host_tools.boards"


def _folder(package: str, checkout_folder: str) -> Path:
    try:
        found = importlib.resources.files(package)
    except ModuleNotFoundError:  # an editable install (see the module doc)
        return Path(__file__).resolve().parent.parent / checkout_folder
    if isinstance(found, Path):
        return found
    # a folder with no __init__.py is a namespace package, for which files() gives a
    # MultiplexedPath over its folders; an installed wheel has one (callers glob and copy it)
    (folder,) = {Path(str(child)).parent for child in found.iterdir()}
    return folder


FIRMWARE_DIR = _folder(NAMESPACE, "firmware")
BOARDS_DIR = _folder(BOARDS_PACKAGE, "boards")


def names() -> list[str]:
    """The firmware's module names (firmware/*.py), as the band imports them."""
    return sorted(p.stem for p in FIRMWARE_DIR.glob("*.py"))


_modules: dict[str, ModuleType] = {}  # bare name -> loaded module (sys.modules has it too)
_NAMES = frozenset(names())


def _firmware_import(name, globals=None, locals=None, fromlist=(), level=0):
    # `import counter` / `from counter import X` inside firmware: the firmware's own module
    if level == 0 and name in _NAMES:
        return load(name)
    return builtins.__import__(name, globals, locals, fromlist, level)


# a plain dict, a copy (CPython's fast global lookups need an exact dict): a test that patches a
# builtin for the firmware patches it here, not in `builtins`
FIRMWARE_BUILTINS = dict(builtins.__dict__, __import__=_firmware_import)


def load(name: str) -> ModuleType:
    """Import firmware module `name` (e.g. "counter") from firmware/, unchanged; once."""
    module = _modules.get(name)
    if module is not None:
        return module
    path = FIRMWARE_DIR / f"{name}.py"
    if name not in _NAMES or not path.is_file():
        raise ModuleNotFoundError(f"no firmware module {name!r} in {FIRMWARE_DIR}", name=name)
    spec = importlib.util.spec_from_file_location(f"{NAMESPACE}.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__builtins__ = FIRMWARE_BUILTINS  # type: ignore[attr-defined]  (exec keeps it)
    # registered before it runs, as Python's import does, so firmware modules that import each
    # other (service -> board -> ...) get the one half-built module, not a loop
    _modules[name] = module
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del _modules[name]
        sys.modules.pop(spec.name, None)
        raise
    return module
