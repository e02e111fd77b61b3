"""Fixtures of the ``kind: webDeployment`` end-to-end tests."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import wd_e2e_helpers
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


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter's waits scaled to the emulator's timers here (a hundredth of the contract's):
    polls from 50 ms instead of 0.5 s, and a lost create looked up for 1.5 s instead of 10 s.
    The emulator's listing lag in these tests is 1 s at most, so a create that was made is
    still found; one that was not (a 5xx) fails sooner, and the suite stays fast."""
    short = functools.partial(adapter.Waits, listing_lag=1.5, first_delay=0.05, max_delay=0.5)
    monkeypatch.setattr(adapter, "Waits", short)


#: The org behaviours the contract leaves open, one emulator variant each (the contract's
#: own answer first). The adapter must not depend on any one of them.
ORG_VARIANTS: dict[str, dict[str, object]] = {
    "contract": {},
    "follows-latest": {"follow_latest_on_publish": True},
    "unique-names": {"unique_names": True},
    "delete-in-use-allowed": {"delete_in_use": "allow"},
    "inactive-ignored": {"inactive_deactivates": False},
}


@pytest.fixture(params=sorted(ORG_VARIANTS), ids=str)
def org_variant(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, short_waits: None
) -> dict[str, object]:
    """The test runs once per org variant: its knobs applied over every ``wd_sandbox``. The
    deployment wait is cut to 3 s (the emulator's deployments are Active within 0.12 s), so
    an org that never reaches the asked status fails fast."""
    variant = ORG_VARIANTS[request.param]
    monkeypatch.setattr(wd_e2e_helpers, "VARIANT", variant)
    monkeypatch.setattr(adapter, "Waits", functools.partial(adapter.Waits, deployment_active=3.0))
    return variant
