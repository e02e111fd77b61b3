"""Fixtures of the guardrail tests: a project folder, and the emulator on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import serve_sandbox

from reconciler.genesys.adapters import webdeployment as adapter
from reconciler.sandbox import SandboxApp, WebDeploymentKnobs


@pytest.fixture
def workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared project folder with an empty environments/, no CI variables (a run link
    appears only where a test sets them), and the adapter's waits short."""
    monkeypatch.setenv("GITHUB_ACTOR", "octo-reviewer")
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    short = functools.partial(adapter.Waits, listing_lag=1.5, first_delay=0.05, max_delay=0.5)
    monkeypatch.setattr(adapter, "Waits", short)
    (workdir / "environments").mkdir()
    return workdir


@contextlib.contextmanager
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    """The Web Deployments emulator on 127.0.0.1, instant timers, the CLI pointed at it."""
    with serve_sandbox(
        monkeypatch, seed=25, rate_limit_per_minute=0, webdeployments=WebDeploymentKnobs.instant()
    ) as app:
        yield app


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> Iterator[SandboxApp]:
    with emulator(monkeypatch) as app:
        yield app
