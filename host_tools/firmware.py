"""Import the band's firmware modules (same source files) on the host."""

import importlib
import sys
from types import ModuleType

from host_tools import FIRMWARE_DIR


def load(name: str) -> ModuleType:
    """Import firmware module `name` (e.g. "counter") from firmware/, unchanged."""
    path = str(FIRMWARE_DIR)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(name)
