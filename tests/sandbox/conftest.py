"""Fixtures of the sandbox tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.sandbox import SandboxApp, SandboxConfig

from .helpers import WALL, Api, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_api(clock: FakeClock) -> Callable[..., Api]:
    """``make_api(**config)``: a fresh app with the fake clocks, already logged in."""

    def make(**config: Any) -> Api:
        config.setdefault("seed", 7)
        app = SandboxApp(SandboxConfig(**config), clock=clock, wall_clock=lambda: WALL)
        return Api(app)

    return make


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
