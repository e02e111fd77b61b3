"""Fixtures of the guardrail tests: a project folder, and the emulator on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.genesys.adapters import webdeployment as adapter
from reconciler.sandbox import SandboxApp, SandboxConfig, WebDeploymentKnobs, serve_in_thread

CREDENTIALS = ("cid-guardrails", "sek-guardrails-OKAPI")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, sandbox credentials set, no CI
    variables (a run link appears only where a test sets them)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "60000")
    monkeypatch.setenv("GITHUB_ACTOR", "octo-reviewer")
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    short = functools.partial(adapter.Waits, listing_lag=1.5, first_delay=0.05, max_delay=0.5)
    monkeypatch.setattr(adapter, "Waits", short)
    (tmp_path / "channels").mkdir()
    (tmp_path / "environments").mkdir()
    return tmp_path


@contextlib.contextmanager
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    """The Web Deployments emulator on 127.0.0.1, instant timers, the CLI pointed at it."""
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=25,
        rate_limit_per_minute=0,
        webdeployments=WebDeploymentKnobs.instant(),
    )
    app = SandboxApp(config)
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> Iterator[SandboxApp]:
    with emulator(monkeypatch) as app:
        yield app
