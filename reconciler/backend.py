"""The small interfaces every backend implements: one adapter per kind, behind one session.

``Backend`` is what plan, apply and import hold: the environment's name, the adapter of each
kind it serves, and the time its requests waited for the rate limit. ``ResourceAdapter`` is
the CRUD of one kind (``reconciler.genesys.adapters`` over HTTP; the sandbox serves the same
paths). The planner and the executor never learn which kind's endpoints they talk to: what
differs (paging style, publish-to-version, waits for Active) stays inside the adapter.

Pure: this module imports no I/O library.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from reconciler.model import LiveResource


class CreateSafety(str, enum.Enum):
    """What makes a repeated create safe after its answer was lost (an adapter declares it).

    - ``server_unique_names``: the server refuses a second object of one name (409 with the
      holder's id), so after a lookup that finds nothing the executor may POST again.
    - ``lookup_only``: nothing on the server stops a duplicate, so the executor never repeats
      a create whose answer was lost: it looks the name up (the adapter tolerates listing lag
      for a bounded time) and otherwise fails the action; the next run's plan settles it.
    """

    SERVER_UNIQUE_NAMES = "server_unique_names"
    LOOKUP_ONLY = "lookup_only"


class ResourceAdapter(Protocol):
    """Async CRUD on one kind. Every method raises only ``reconciler.errors`` types."""

    #: The kind this adapter serves (``reconciler.kinds``).
    kind: str
    #: How a create whose answer was lost is settled without a duplicate.
    create_safety: CreateSafety

    async def list(self) -> list[LiveResource]:
        """Every object of the org; may lag recent writes (an eventually consistent listing)."""
        ...

    async def get(self, object_id: str) -> LiveResource:
        """One object by id, reflecting every completed write. NotFoundError if absent."""
        ...

    async def find(self, name: str) -> LiveResource | None:
        """The object with this name (the kind's identity), or None."""
        ...

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        """Create from a create body. OutcomeUnknownError when the answer was lost."""
        ...

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        """Replace the object's writable fields; ``revision`` is the one the caller read."""
        ...

    async def delete(self, object_id: str) -> LiveResource | None:
        """Delete by id. NotFoundError if it is already gone. May return the object as read
        just before (its kind's event details then describe it); None otherwise."""
        ...

    async def settle(self, resource: LiveResource) -> LiveResource:
        """Wait until a written object is ready (Active); adapters without waits return it."""
        ...

    async def catalog(self, targets: Collection[str]) -> Mapping[str, Sequence[tuple[str, str]]]:
        """Objects this kind's specs refer to by name that are not kinds (flows...), as
        ``{target: [(id, name), ...]}``, for the ``targets`` a spec names by name only (the
        planner never asks for a listing no spec needs); empty for kinds without them."""
        ...


class Backend(Protocol):
    """An open connection to one org (or the sandbox)."""

    #: Human-readable name of the environment (``sandbox``, ``mypurecloud.ie``...), for reports.
    environment: str

    def adapter(self, kind: str) -> ResourceAdapter:
        """The adapter of ``kind``; ``ConfigError`` when this backend does not serve it."""
        ...

    @property
    def pacing_wait_seconds(self) -> float:
        """Time requests spent waiting for the rate limit so far (for progress and reports)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class SimpleAdapter:
    """Defaults for the optional parts of ``ResourceAdapter``."""

    async def settle(self, resource: LiveResource) -> LiveResource:
        return resource

    async def catalog(self, targets: Collection[str]) -> Mapping[str, Sequence[tuple[str, str]]]:
        return {}
