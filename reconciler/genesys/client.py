"""``GenesysBackend``: one org over HTTP, every kind through its adapter on one session.

It implements ``reconciler.backend.Backend``: ``adapter(kind)`` returns the kind's adapter
(``reconciler.genesys.adapters``), built on first use on the backend's ``GenesysSession``
(auth, retries, pacing, transport, error mapping), so every kind shares one token, one rate
pacer and one connection pool.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from reconciler.backend import ResourceAdapter
from reconciler.errors import ConfigError
from reconciler.genesys.adapters import adapter_factory
from reconciler.genesys.auth import ClientCredentialsAuth
from reconciler.genesys.pacing import RateLimiter
from reconciler.genesys.paging import MAX_PAGES
from reconciler.genesys.retry import RetryPolicy
from reconciler.genesys.session import GenesysSession
from reconciler.genesys.settings import Settings


class GenesysBackend:
    """Implements ``reconciler.backend.Backend`` against a Genesys Cloud org (or the sandbox)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.environment = settings.environment
        self.session = GenesysSession(
            settings,
            transport=transport,
            clock=clock,
            sleep=sleep,
            rng=rng,
            wall_clock=wall_clock,
        )
        self._max_pages = max_pages
        self._adapters: dict[str, ResourceAdapter] = {}

    def __repr__(self) -> str:
        return f"GenesysBackend(environment={self.environment!r})"

    async def __aenter__(self) -> GenesysBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def adapter(self, kind: str) -> ResourceAdapter:
        adapter = self._adapters.get(kind)
        if adapter is None:
            factory = adapter_factory(kind)
            if factory is None:
                raise ConfigError(f"this backend has no adapter for kind {kind!r}")
            adapter = self._adapters[kind] = factory(self.session, self._max_pages)
        return adapter

    @property
    def pacing_wait_seconds(self) -> float:
        """Time requests spent waiting for the rate limit (for the progress display)."""
        return self.session.pacing_wait_seconds

    @property
    def limiter(self) -> RateLimiter:
        return self.session.limiter

    @property
    def policy(self) -> RetryPolicy:
        return self.session.policy

    @property
    def auth(self) -> ClientCredentialsAuth:
        return self.session.auth

    async def aclose(self) -> None:
        await self.session.aclose()
