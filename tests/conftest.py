"""Shared test configuration. Area fixtures live in each test folder's own conftest.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import support
from fakes import FakeClock
from hypothesis import HealthCheck, settings

from reconciler.genesys import factory

# Bounded example counts: CI is a shared 2-core machine with a time limit.
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

#: Variables that steer the reconciler. A developer's shell (or CI) may have any of them set;
#: no test may depend on that, so every test starts without them and sets what it needs.
STEERING_PREFIXES = ("GENESYS_", "RECONCILER_", "WEBHOOK_")
KEPT = frozenset({"RECONCILER_RECORD_CASSETTES"})  # asks the contract tests to re-record


@pytest.fixture(autouse=True)
def hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in list(os.environ):
        if name.startswith(STEERING_PREFIXES) and name not in KEPT:
            monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    # Org locks live in a user folder: each test gets its own (subprocesses inherit it).
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))


@pytest.fixture(autouse=True)
def virtual_clock(request: pytest.FixtureRequest) -> Iterator[FakeClock | None]:
    """Every test's in-process commands, embedded sandbox and ``support`` apps wait on a
    fresh virtual clock (``support``'s docstring says what that covers); a test marked
    ``real_clock`` gets real time (``None``)."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    clock = FakeClock()
    saved = factory.default_timing
    factory.default_timing = factory.Timing(clock=clock, sleep=clock.sleep)
    try:
        yield clock
    finally:
        factory.default_timing = saved


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (``channels/`` in it) as the working directory, the sandbox
    credentials and the client's rate set (``support.make_workdir``)."""
    return support.make_workdir(tmp_path, monkeypatch)
