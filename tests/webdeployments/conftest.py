"""Fixtures of the ``kind: webDeployment`` end-to-end tests."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from wd_e2e_helpers import CREDENTIALS

from reconciler.genesys.adapters import webdeployment as adapter


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, with sandbox credentials set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "60000")
    return tmp_path


@pytest.fixture(autouse=True)
def short_lookup_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter's wait for a lost create to be listed: 1.5 s instead of 10 s. The emulator's
    listing lag in these tests is 0.3 s at most, so a create that was made is still found; one
    that was not (a 5xx) fails sooner, and the suite stays fast."""
    monkeypatch.setattr(adapter, "Waits", functools.partial(adapter.Waits, listing_lag=1.5))
