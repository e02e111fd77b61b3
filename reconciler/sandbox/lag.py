"""Listing lag shared by kind routes: the listing shows a slice as it was ``seconds`` ago.

A route books each committed write with the object as it was before (None for a create);
``view`` undoes the writes still inside the lag, so creates appear late, deletes disappear
late and updates show the old content until then. GET by id never lags.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _Pending:
    visible_at: float
    object_id: str
    before: dict[str, Any] | None


class ListingLag:
    """The writes of one slice not yet visible in its listing."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pending: deque[_Pending] = deque()

    def book(self, now: float, object_id: str, before: Mapping[str, Any] | None) -> None:
        if self.seconds > 0:
            snapshot = None if before is None else copy.deepcopy(dict(before))
            self._pending.append(_Pending(now + self.seconds, object_id, snapshot))

    def view(self, now: float, current: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The slice as its listing shows it at ``now``."""
        while self._pending and self._pending[0].visible_at <= now:
            self._pending.popleft()
        view = dict(current)
        # Newest first, so an object written twice shows what it was before the oldest
        # write still pending.
        for pending in reversed(self._pending):
            if pending.before is None:
                view.pop(pending.object_id, None)
            else:
                view[pending.object_id] = pending.before
        return view
