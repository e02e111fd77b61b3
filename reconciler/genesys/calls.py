"""A record of every HTTP attempt made inside a block, for per-action logs.

The executor wraps each action in ``with record_calls() as calls:`` and logs which requests
it made, with their correlation ids (support asks for them). The recorder lives in a
contextvar, so tasks spawned inside the block (they copy the context) record into it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One HTTP attempt. ``status`` is 0 when no response came (``error`` says why);
    ``token`` marks a request to the token endpoint (not an API call)."""

    method: str
    path: str
    status: int
    correlation_id: str
    attempt: int
    elapsed_ms: float
    error: str = ""
    token: bool = False


_RECORDERS: ContextVar[tuple[list[CallRecord], ...]] = ContextVar(
    "reconciler_call_recorders", default=()
)


@contextmanager
def record_calls() -> Iterator[list[CallRecord]]:
    """Collect a ``CallRecord`` for every attempt made inside the block (nested blocks too)."""
    calls: list[CallRecord] = []
    token = _RECORDERS.set((*_RECORDERS.get(), calls))
    try:
        yield calls
    finally:
        _RECORDERS.reset(token)


def record(call: CallRecord) -> None:
    """Add ``call`` to every recorder active in the current context."""
    for calls in _RECORDERS.get():
        calls.append(call)


def forget_recorders() -> None:
    """Record nothing of the calls made from here on in this context (a task shared by
    several actions, such as a status poll, makes calls that are no single action's)."""
    _RECORDERS.set(())
