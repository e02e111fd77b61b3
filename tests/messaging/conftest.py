"""Fixtures of the messaging kinds' tests: a project folder, and waits scaled to the
emulator's short listing lag."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from reconciler.genesys.adapters import profiles
from reconciler.genesys.adapters import webdeployment as wd_adapter

CREDENTIALS = ("cid-messaging-e2e", "sek-messaging-e2e-OKAPI")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, with sandbox credentials set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "60000")
    return tmp_path


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lost create is looked up for 1.5 s (the emulator's lag here is 0.3 s), polls from
    50 ms: the web deployment adapter's waits and the profile adapters' alike."""
    short = functools.partial(wd_adapter.Waits, listing_lag=1.5, first_delay=0.05, max_delay=0.5)
    monkeypatch.setattr(wd_adapter, "Waits", short)
    monkeypatch.setattr(profiles.ProfileAdapter, "listing_lag", 1.5)
