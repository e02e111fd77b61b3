"""What a run is waiting for, so a CI log can say it, and a stop can cut the waits short.

A long wait (a web deployment becoming Active, a draft to publish, the API's rate limit, a
webhook retry) is awaited through ``waited``. While an apply runs, a ``WaitBoard`` is the
current board (``watching``): ``current()`` lists the waits in progress for the progress lines
(``reconciler.applying`` prints one at most every interval, off a terminal), and ``stop()``
ends every wait at once with ``WaitCancelled``, a ``ReconcilerError``, so a first Ctrl-C never
sits out a 60 s rate-limit pause or a 3-minute activation. Only waits are cut, and only
those before an object's first write or after its last (``waited``): a request in flight,
or the rest of a half-written object, is never cancelled here.

Without a board (plan, import, tests of the client) ``waited`` is a plain ``await``. The board
is a context variable, so each asyncio task sees the board of the run that started it; the
executor names each task's object with ``subject`` so a line says whose wait it is.

No I/O; the clock is passed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcilerError

Clock = Callable[[], float]


class WaitCancelled(ReconcilerError):
    """A wait ended early because the run is stopping (nothing was in flight)."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """One wait in progress: whose (``subject``, may be ""), for what, for how long."""

    subject: str
    what: str
    seconds: float

    def describe(self) -> str:
        who = f"{self.subject}: " if self.subject else ""
        return f"{who}{self.what} ({self.seconds:.0f}s)"


class WaitBoard:
    """The waits of one run in progress, and the switch that ends them."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._waits: dict[int, tuple[str, str, float]] = {}
        self._ids = itertools.count()
        self.stopped = asyncio.Event()

    def now(self) -> float:
        return self._clock()

    @contextlib.contextmanager
    def entry(self, subject: str, what: str, since: float | None = None) -> Iterator[None]:
        key = next(self._ids)
        self._waits[key] = (subject, what, self._clock() if since is None else since)
        try:
            yield
        finally:
            del self._waits[key]

    def current(self, at_least: float = 0.0) -> list[Waiting]:
        """The waits that have lasted ``at_least`` seconds, the longest first; the same wait
        of several objects (the rate limit) once, with how many wait."""
        now = self._clock()
        grouped: dict[tuple[str, str], list[float]] = {}
        for subject, what, since in self._waits.values():
            if now - since >= at_least:
                grouped.setdefault((subject, what), []).append(now - since)
        found = []
        for (subject, what), ages in grouped.items():
            label = what if len(ages) == 1 else f"{what} ({len(ages)} requests)"
            found.append(Waiting(subject, label, max(ages)))
        return sorted(found, key=lambda w: (-w.seconds, w.subject, w.what))

    def stop(self) -> None:
        """End every wait now and refuse new ones (the run is stopping)."""
        self.stopped.set()


@dataclass(slots=True)
class Subject:
    """The object a task works on, and whether the task has sent it a write yet."""

    label: str
    wrote: bool = False


_BOARD: ContextVar[WaitBoard | None] = ContextVar("reconciler_wait_board", default=None)
_SUBJECT: ContextVar[Subject | None] = ContextVar("reconciler_wait_subject", default=None)


@contextlib.contextmanager
def watching(board: WaitBoard) -> Iterator[WaitBoard]:
    """Make ``board`` the current one for this task and the tasks it starts."""
    token = _BOARD.set(board)
    try:
        yield board
    finally:
        _BOARD.reset(token)


@contextlib.contextmanager
def subject(label: str) -> Iterator[Subject]:
    """Name the object this task works on ("web deployment 'Sales EU'") in its waits, and
    track whether it sent a write (tasks it starts share the record)."""
    current = Subject(label)
    token = _SUBJECT.set(current)
    try:
        yield current
    finally:
        _SUBJECT.reset(token)


def wrote() -> None:
    """The current task sent a write to its object (the session calls it for every write)."""
    current = _SUBJECT.get()
    if current is not None:
        current.wrote = True


def has_written() -> bool:
    current = _SUBJECT.get()
    return current is not None and current.wrote


def started() -> float | None:
    """Now on the current board's clock (None without a board): a wait made of several
    sleeps passes it to ``waited`` as ``since``, so its line counts from its first sleep."""
    board = _BOARD.get()
    return board.now() if board is not None else None


def stopping() -> bool:
    """Whether the current run is stopping (its waits are being cut short)."""
    board = _BOARD.get()
    return board is not None and board.stopped.is_set()


async def waited(
    awaitable: Awaitable[Any], what: str, *, since: float | None = None, final: bool = False
) -> None:
    """Await ``awaitable`` (a sleep) as a wait for ``what``; ``WaitCancelled`` when the run is
    stopping, before it or during it.

    A wait between two writes to one object (the draft to publish after its configuration was
    created, the rate limit before the deployment's write) is never cut: stopping there would
    leave half an object. Cut are waits before an object's first write, and ``final`` ones
    that come after its last (waiting for Active, webhook retries).
    """
    board = _BOARD.get()
    current = _SUBJECT.get()
    label = current.label if current is not None else ""
    if board is None:
        await awaitable
        return
    if not final and current is not None and current.wrote:
        with board.entry(label, what, since):
            await awaitable
        return
    if board.stopped.is_set():
        _discard(awaitable)
        raise WaitCancelled(f"stopped while waiting for {what}")
    with board.entry(label, what, since):
        sleeper = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(board.stopped.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not sleeper.done():
                sleeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sleeper
        if sleeper.cancelled() or not sleeper.done():
            raise WaitCancelled(f"stopped while waiting for {what}")
        sleeper.result()


def _discard(awaitable: Awaitable[Any]) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):  # a coroutine never awaited: close it, so no warning is raised
        close()


def detach() -> None:
    """The current task's waits are shown and cut by no board: a task shared by several
    objects (a status poll serving their waits, which are each shown and cut by their own
    ``waited``) must not stop because the first object it served may be cut."""
    _BOARD.set(None)
    _SUBJECT.set(None)
