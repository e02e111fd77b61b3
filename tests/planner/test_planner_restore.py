"""restore: the write-only values a saved plan hides come back from the spec's desired body,
and a value the spec lacks is a clear refusal, never a "(redacted)" sent to the API."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import PlanError
from reconciler.planner import REDACTED
from reconciler.planner.redact import restore

DESIRED: dict[str, Any] = {
    "name": "A",
    "auth": {"user": "ops", "secret": "s1", "keys": ["k1", "k2"]},
}


def test_each_listed_path_takes_the_spec_value_and_nothing_else_changes() -> None:
    saved: dict[str, Any] = {
        "name": "A",
        "auth": {"user": "ops", "secret": REDACTED, "keys": REDACTED},
    }
    restored = restore(saved, ["auth.secret", "auth.keys"], DESIRED)
    assert restored == DESIRED
    assert saved["auth"]["secret"] == REDACTED  # the saved body is left as it was
    restored["auth"]["keys"].append("k3")
    assert DESIRED["auth"]["keys"] == ["k1", "k2"]  # a copy, not the spec's own list


@pytest.mark.parametrize(
    ("saved", "path", "message"),
    [
        ({"auth": {"token": REDACTED}}, "auth.token", "no value for the write-only field"),
        ({"name": "A"}, "auth.secret", "no place for the write-only field"),
        ({"name": "A"}, "", "empty write-only path"),
    ],
)
def test_a_path_that_cannot_be_filled_is_refused(
    saved: dict[str, object], path: str, message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        restore(saved, [path], DESIRED)
