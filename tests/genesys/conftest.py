"""Fixtures of the client tests; the helpers live in ``client_helpers``."""

from __future__ import annotations

import random

import httpx
import pytest
from client_helpers import ClientFactory, FakeClock, make_settings

from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import Settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def make_client(clock: FakeClock) -> ClientFactory:
    def build(
        transport: httpx.AsyncBaseTransport, settings: Settings | None = None, **kwargs: object
    ) -> GenesysBackend:
        return GenesysBackend(
            settings or make_settings(),
            transport=transport,
            clock=clock,
            sleep=clock.sleep,
            rng=random.Random(7),
            wall_clock=clock.wall,
            **kwargs,  # type: ignore[arg-type]
        )

    return build
