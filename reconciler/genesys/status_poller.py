"""Shared status polls: objects that wait for a status are checked together through a listing.

An apply of many web deployments has many objects waiting at once: drafts to turn Active
before their publish, deployments to turn Active, deletes to finish. Reading each one by
itself every few seconds spends the org's request budget (shared by every action and every
tool on the same OAuth client) on answers one listing page gives for up to a page of objects.

A ``StatusPoller`` serves one listing (the configurations' drafts, or the deployments). A wait
registers its object and what it waits for (a status such as ``Active``, or ``None``: gone);
one loop per poller looks at every registered object with one listing, and answers each wait
whose object is there. A single-object read is made only where a listing cannot answer or
costs more: fewer objects waiting than the listing has pages (one object left), or an object
a listing still does not show after ``listing_lag`` seconds (a listing may lag a create).

The interval adapts: a wait is looked at at once when it is the only one, else at the next look
after ``first_delay``; its next looks back off, doubling up to
``max_delay``, and while requests queue at the rate pacer (the window's budget is spent) a
poller's looks take at most one send slot in twenty (never rarer than one per ``max_delay``),
so polls never crowd out the writes. A wait ends at its deadline with the
last status it saw (``StatusTimeout``), or at once when the object turns ``Error``
(``StatusFailed``); a failed listing fails the waits it was answering.

A wait holds no worker: the executor hands each action a ``WorkerSlot`` (``holding``), and a
shared wait gives it back while it waits (``released``), so the next action's writes go out
meanwhile, under the same pacer.

``PER_OBJECT`` mode is the behaviour before: each wait reads its own object on its own
backoff and keeps its worker (``RECONCILER_STATUS_POLLS=per-object``, for comparison).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from reconciler import waits as progress
from reconciler.errors import ReconcilerError
from reconciler.genesys.calls import forget_recorders
from reconciler.genesys.session import GenesysSession

SHARED = "shared"
PER_OBJECT = "per-object"
MODES = (SHARED, PER_OBJECT)
#: Entities of one cursor page (the contract's page-size cap).
PAGE_SIZE = 300
#: While requests queue for the rate limit, a poller's looks take at most one send slot in
#: this many (two pollers: a tenth of the budget at most).
_PACED_SHARE = 20

Entity = dict[str, Any]
ListAll = Callable[[], Awaitable[list[Entity]]]
#: One object by id; None when the API answers 404.
ReadOne = Callable[[str], Awaitable[Entity | None]]


class StatusTimeout(ReconcilerError):
    """The object did not reach the status in time; ``last`` is the last status seen."""

    def __init__(self, last: str) -> None:
        super().__init__(f"timed out (last status: {last})")
        self.last = last


class StatusFailed(ReconcilerError):
    """The object turned ``Error``; ``entity`` is the object as that look saw it."""

    def __init__(self, last: str, entity: Entity | None = None) -> None:
        super().__init__(f"turned {last}")
        self.last = last
        self.entity = entity


# -- worker slots ----------------------------------------------------------------------------


class WorkerSlot:
    """One of the executor's ``--parallelism`` slots, held by one action; releasing twice is
    harmless, so a wait cancelled while taking it back cannot over-release."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self.held = False

    async def acquire(self) -> None:
        await self._semaphore.acquire()
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()


_SLOT: ContextVar[WorkerSlot | None] = ContextVar("reconciler_worker_slot", default=None)


@contextmanager
def holding(slot: WorkerSlot) -> Iterator[None]:
    """Run the block as the action that holds ``slot`` (waits inside may give it back)."""
    token = _SLOT.set(slot)
    try:
        yield
    finally:
        _SLOT.reset(token)


@asynccontextmanager
async def released() -> AsyncIterator[None]:
    """Give the current action's worker slot back for the block, take it again after."""
    slot = _SLOT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.release()
    try:
        yield
    finally:
        await slot.acquire()


# -- the poller ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PollTiming:
    """Seconds, on the session's clock."""

    first_delay: float = 0.5
    max_delay: float = 5.0
    listing_lag: float = 10.0


@dataclass(slots=True, kw_only=True)
class _Waiter:
    object_id: str
    wanted: str | None
    future: asyncio.Future[Entity | None]
    started: float
    deadline: float
    due: float
    delay: float
    last: str = "not readable yet"


@dataclass(slots=True)
class _Snapshot:
    taken: float = -math.inf
    entities: list[Entity] = field(default_factory=list)


class StatusPoller:
    """Waits on one listing's objects (see the module's docstring)."""

    def __init__(
        self,
        session: GenesysSession,
        *,
        list_all: ListAll,
        read_one: ReadOne,
        timing: PollTiming | None = None,
        mode: str = SHARED,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown status poll mode {mode!r}")
        self._session = session
        self._list_all = list_all
        self._read_one = read_one
        self.timing = timing or PollTiming()
        self.mode = mode
        self._waiters: list[_Waiter] = []
        self._loop_task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._pages = 1
        self._last_poll = -math.inf
        self._snapshot = _Snapshot()
        #: Requests the polls made (listing pages and single reads), for tests and reports.
        self.requests = 0

    def listing_since(self, moment: float) -> list[Entity] | None:
        """The entities of the last listing, when it was fetched at or after ``moment``."""
        snap = self._snapshot
        return list(snap.entities) if snap.taken >= moment else None

    async def wait(
        self,
        object_id: str,
        *,
        wanted: str | None,
        timeout: float,
        what: str = "",
        final: bool = False,
    ) -> Entity | None:
        """Wait until the object has status ``wanted`` (returns it as last seen), or, with
        ``wanted=None``, until it is gone (returns None). ``StatusTimeout`` after ``timeout``
        seconds, ``StatusFailed`` when it turns ``Error``.

        ``what`` names the wait in the run's progress lines; ``final``: no write to the object
        follows, so a stopping run may cut the wait (``reconciler.waits.waited``)."""
        what = what or f"{object_id} to become {wanted or 'gone'}"
        if self.mode == PER_OBJECT:
            return await self._wait_alone(object_id, wanted, timeout, what, final)
        now = self._session.clock()
        future: asyncio.Future[Entity | None] = asyncio.get_running_loop().create_future()
        first = self.timing.first_delay
        # Alone, it is looked at at once (one request, as a single read would be); with
        # others waiting, it joins their next look.
        alone = not any(not w.future.done() for w in self._waiters)
        self._waiters.append(
            _Waiter(
                object_id=object_id,
                wanted=wanted,
                future=future,
                started=now,
                deadline=now + timeout,
                due=now if alone else now + first,
                delay=first,
            )
        )
        if self._loop_task is None or self._loop_task.done() or self._wake is None:
            self._wake = asyncio.Event()
            self._loop_task = asyncio.ensure_future(self._run(self._wake))
        self._wake.set()
        async with released():
            try:
                await progress.waited(future, what, final=final)
            finally:
                future.cancel()  # no-op once answered; a cut wait leaves the poll's list
            return future.result()

    # -- per object (the behaviour before) ---------------------------------------------------

    async def _wait_alone(
        self, object_id: str, wanted: str | None, timeout: float, what: str, final: bool
    ) -> Entity | None:
        clock = self._session.clock
        started, delay = clock(), self.timing.first_delay
        since = progress.started()
        last = "not readable yet"
        while True:
            self.requests += 1
            entity = await self._read_one(object_id)
            verdict, last = _judge(entity, wanted, last, listed=True)
            if verdict == "done":
                return entity
            if verdict == "failed":
                raise StatusFailed(last, entity)
            if clock() - started >= timeout:
                raise StatusTimeout(last)
            sleep = self._session.sleep(delay)
            await progress.waited(sleep, what, since=since, final=final)
            delay = min(delay * 2, self.timing.max_delay)

    # -- shared --------------------------------------------------------------------------------

    async def _run(self, wake_up: asyncio.Event) -> None:
        forget_recorders()  # these requests are every waiting action's, none in particular
        progress.detach()  # each waiter's own wait is shown, and cut when it may be
        _SLOT.set(None)
        clock = self._session.clock
        while True:
            self._waiters = [w for w in self._waiters if not w.future.done()]
            if not self._waiters:
                return
            now = clock()
            wake = min(min(w.due for w in self._waiters), min(w.deadline for w in self._waiters))
            limiter = self._session.limiter
            if limiter.queued:
                # Paced: requests queue for the rate limit, and the budget goes to the
                # writes: a look takes at most one send slot in ``_PACED_SHARE``.
                gap = min(self.timing.max_delay, limiter.interval * self._pages * _PACED_SHARE)
                wake = max(wake, self._last_poll + gap)
            if wake > now:
                wake_up.clear()
                await self._sleep_until(wake - now, wake_up)
                continue  # a new waiter may be due sooner: compute again
            await self._poll_once()

    async def _sleep_until(self, seconds: float, wake_up: asyncio.Event) -> None:
        """Sleep on the session's clock; a new waiter wakes the loop early."""
        sleeper = asyncio.ensure_future(self._session.sleep(seconds))
        woken = asyncio.ensure_future(wake_up.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, woken):
                task.cancel()

    async def _poll_once(self) -> None:
        clock = self._session.clock
        waiters = list(self._waiters)
        started = clock()
        self._last_poll = started
        try:
            seen = await self._look(waiters, started)
        except ReconcilerError as exc:
            for waiter in waiters:
                if not waiter.future.done():
                    waiter.future.set_exception(exc)
            return
        now = clock()
        for waiter in waiters:
            if waiter.future.done() or waiter.object_id not in seen:
                continue
            entity, listed = seen[waiter.object_id]
            verdict, waiter.last = _judge(entity, waiter.wanted, waiter.last, listed=listed)
            if verdict == "done":
                waiter.future.set_result(entity)
            elif verdict == "failed":
                waiter.future.set_exception(StatusFailed(waiter.last, entity))
            elif now >= waiter.deadline:
                waiter.future.set_exception(StatusTimeout(waiter.last))
            else:
                waiter.delay = min(waiter.delay * 2, self.timing.max_delay)
                waiter.due = now + waiter.delay

    async def _look(
        self, waiters: list[_Waiter], now: float
    ) -> dict[str, tuple[Entity | None, bool]]:
        """What one look saw of each waiter's object: (entity or None, whether a listing or a
        single read said so). Objects left out were not looked at this time."""
        due = [w for w in waiters if w.due <= now or w.deadline <= now]
        seen: dict[str, tuple[Entity | None, bool]] = {}
        if len(waiters) <= self._pages:
            singles = due
        else:
            self.requests += self._pages
            entities = await self._list_all()
            self._snapshot = _Snapshot(taken=now, entities=entities)
            self._pages = max(1, math.ceil(len(entities) / PAGE_SIZE))
            by_id = {str(e.get("id")): e for e in entities}
            singles = []
            for waiter in waiters:
                entity = by_id.get(waiter.object_id)
                if entity is not None or waiter.wanted is None:
                    seen[waiter.object_id] = (entity, True)
                elif now - waiter.started >= self.timing.listing_lag and waiter in due:
                    singles.append(waiter)  # still not listed: the listing may lag a create
                else:
                    seen[waiter.object_id] = (None, False)
        if singles:
            self.requests += len(singles)
            read = await asyncio.gather(*(self._read_one(w.object_id) for w in singles))
            for waiter, entity in zip(singles, read, strict=True):
                seen[waiter.object_id] = (entity, True)
        return seen


def _judge(
    entity: Entity | None, wanted: str | None, last: str, *, listed: bool
) -> tuple[str, str]:
    """("done" | "failed" | "wait", last status seen) for one look at an object."""
    if entity is None:
        if wanted is None:
            return "done", "gone"
        return "wait", "not readable yet" if listed else "not listed yet"
    status = str(entity.get("status") or "no status")
    if wanted is None:
        return "wait", status
    if status == wanted:
        return "done", status
    if status == "Error":
        return "failed", status
    return "wait", status
