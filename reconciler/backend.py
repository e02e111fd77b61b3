"""The small interfaces every backend implements: one adapter per kind, behind one session.

``Backend`` is what plan, apply and import hold: the environment's name, the adapter of each
kind it serves, and the time its requests waited for the rate limit. ``ResourceAdapter`` is
the CRUD of one kind (``reconciler.genesys.adapters`` over HTTP; the sandbox serves the same
paths). The planner and the executor never learn which kind's endpoints they talk to: what
differs (paging style, publish-to-version, waits for Active) stays inside the adapter.

Pure: this module imports no I/O library.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol

from reconciler.model import LiveResource

#: Several live objects (named here: inside an adapter ``list`` is a method).
Resources = list[LiveResource]
#: Step records (named here for the same reason).
StepRecords = list[dict[str, Any]]


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

    async def named(self, name: str) -> Resources:
        """Every object with this name (any owner), each with its ``date_created``: after a
        create, the executor looks for a twin another run made at the same moment."""
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

    async def settle_steps(
        self, steps: Sequence[Mapping[str, Any]], resource: LiveResource | None
    ) -> StepRecords:
        """The step intents (``before_write``) of a killed run's action, each judged against
        the org: the step's record with ``committed`` (bool) and the ids it found. Adapters
        whose actions are one write return ``[]`` (the action's own intent settles it)."""
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

    async def find(self, name: str) -> LiveResource | None:
        raise NotImplementedError

    async def named(self, name: str) -> Resources:
        found = await self.find(name)
        return [found] if found is not None else []

    async def settle(self, resource: LiveResource) -> LiveResource:
        return resource

    async def catalog(self, targets: Collection[str]) -> Mapping[str, Sequence[tuple[str, str]]]:
        return {}

    async def settle_steps(
        self, steps: Sequence[Mapping[str, Any]], resource: LiveResource | None
    ) -> StepRecords:
        return []


# -- the writes inside one action -----------------------------------------------------------
#
# An action of some kinds is several writes (a web deployment's create: the configuration, its
# publish, the deployment). The adapter calls ``before_write`` right before each one (the
# apply records an intent line for it, fsynced, so a kill between two writes leaves each
# committed one on record) and ``wrote`` once it is committed (its ids go into the action's
# record). The executor opens the journal around each action (``step_journal``); outside one,
# both do nothing.

StepCallback = Callable[[str, Mapping[str, Any]], Awaitable[None]]


class _Journal:
    def __init__(self, before: StepCallback | None) -> None:
        self.before = before
        self.done: list[dict[str, Any]] = []


_JOURNAL: contextvars.ContextVar[_Journal | None] = contextvars.ContextVar(
    "reconciler_write_steps", default=None
)


async def before_write(step: str, **facts: Any) -> None:
    """Announce the write ``step`` (``configuration.create``...) with what is known of it."""
    journal = _JOURNAL.get()
    if journal is not None and journal.before is not None:
        await journal.before(step, {k: v for k, v in facts.items() if v is not None})


def wrote(step: str, **facts: Any) -> None:
    """Record that the write ``step`` was committed, with the ids it made or touched."""
    journal = _JOURNAL.get()
    if journal is not None:
        journal.done.append({"step": step, **{k: v for k, v in facts.items() if v is not None}})


@contextlib.contextmanager
def step_journal(before: StepCallback | None) -> Iterator[list[dict[str, Any]]]:
    """Collect the committed steps of the writes made inside the block (the list it yields),
    calling ``before`` ahead of each."""
    journal = _Journal(before)
    token = _JOURNAL.set(journal)
    try:
        yield journal.done
    finally:
        _JOURNAL.reset(token)
