"""Fixtures for the webhook tests: a verifying receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_receiver import SECRET, Receiver, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver(SECRET))
