"""Fixtures of the least-privilege and ``doctor`` tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The shared project folder without channels/: a folder with no specs at all."""
    (workdir / "channels").rmdir()
    return workdir
