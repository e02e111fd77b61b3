"""What many test folders share: the sandbox credentials, the project folder a CLI test runs in,
the sandbox served on 127.0.0.1 with the reconciler pointed at it, and the virtual clock.

Importable as ``support`` (pytest puts ``tests/`` on sys.path for its rootdir conftest). The
``workdir`` and ``virtual_clock`` fixtures built on it live in ``tests/conftest.py``.

The clock: ``tests/conftest.py`` gives every test a fresh ``FakeClock`` as
``reconciler.genesys.factory.default_timing``, so a command run in-process (``run([...])``)
waits on it, not on real time, and so do the embedded ``--sandbox`` org's timers and every
app ``sandbox_app`` builds: a deployment Pending for 0.6 s, a listing lagging 1 s or a poll
every 50 ms costs no wall time, while every wait still happens in the order it would. Commands
run in a child process, and servers a test builds itself, keep real time: a test whose client is
a child process builds its ``SandboxApp`` itself, or is marked ``real_clock`` (a virtual clock
only moves when an in-process client waits on it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock

from reconciler.genesys import factory
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, serve_in_thread
from reconciler.sandbox.registry import ROUTES
from reconciler.sandbox.routing import KindRoute

#: The client credentials of every served sandbox (distinctive, so a scan can find a leak).
CREDENTIALS = ("cid-TEST-QUOLL-2207", "sek-TEST-NUMBAT-5c1d")
#: The client's own request rate in a ``workdir`` (per minute): far above any sandbox limit a
#: test sets, so the client is never what paces a test unless the test says so.
CLIENT_RATE = 60000


def current_clock() -> Callable[[], float]:
    """The clock in-process commands use now: the test's virtual one, or real time."""
    timing = factory.default_timing
    return timing.clock if timing is not None else time.monotonic


def pass_time(seconds: float) -> None:
    """Let ``seconds`` go by for in-process commands and ``support`` apps: the virtual clock
    moves on (at once), or, under real time, the test sleeps."""
    timing = factory.default_timing
    if timing is not None and isinstance(timing.clock, FakeClock):
        timing.clock.now += seconds
    else:
        time.sleep(seconds)


def use_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """``GENESYS_CLIENT_ID`` and ``GENESYS_CLIENT_SECRET`` set to ``CREDENTIALS``."""
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])


def make_workdir(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``path`` as the working directory of a project: an empty ``channels/``, the sandbox
    credentials and ``CLIENT_RATE`` in the environment."""
    (path / "channels").mkdir(exist_ok=True)
    monkeypatch.chdir(path)
    use_credentials(monkeypatch)
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", str(CLIENT_RATE))
    return path


def sandbox_app(
    state: SandboxState | None = None,
    *,
    routes: tuple[type[KindRoute], ...] = ROUTES,
    **config: Any,
) -> SandboxApp:
    """A sandbox app on the current clock serving ``routes``: ``CREDENTIALS`` unless
    ``credentials`` is given (``None``: any), then every ``SandboxConfig`` field given
    (``rate_limit_per_minute``, ``seed``...)."""
    config.setdefault("credentials", CREDENTIALS)
    return SandboxApp(SandboxConfig(**config), state, clock=current_clock(), routes=routes)


@contextlib.contextmanager
def pointed_at(monkeypatch: pytest.MonkeyPatch, app: SandboxApp) -> Iterator[str]:
    """``app`` served on a free 127.0.0.1 port for the block, ``GENESYS_API_URL`` and
    ``GENESYS_LOGIN_URL`` pointing at it; yields its URL."""
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield server.url


@contextlib.contextmanager
def serve_sandbox(
    monkeypatch: pytest.MonkeyPatch,
    state: SandboxState | None = None,
    *,
    routes: tuple[type[KindRoute], ...] = ROUTES,
    **config: Any,
) -> Iterator[SandboxApp]:
    """``sandbox_app(state, routes=routes, **config)`` served for the block, the reconciler
    pointed at it. A sandbox with a rate limit has the client's ``RECONCILER_RATE_PER_MINUTE``
    set to it, as an administrator sets it for their org."""
    app = sandbox_app(state, routes=routes, **config)
    if app.config.rate_limit_per_minute:
        monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", str(app.config.rate_limit_per_minute))
    with pointed_at(monkeypatch, app):
        yield app
