"""Shared fixtures: where the real recordings are (skip with a reason where they are absent)."""

from pathlib import Path

import pytest

from host_tools import REPO_ROOT

SHARED_TRACES = REPO_ROOT.parent / "shared" / "traces"


@pytest.fixture
def shared_traces() -> Path:
    if not SHARED_TRACES.is_dir():
        pytest.skip(
            f"real recordings not found at {SHARED_TRACES} (../shared/traces beside the repo)"
        )
    return SHARED_TRACES
