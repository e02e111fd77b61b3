"""Execute a plan's actions against a backend: in dependency phases, paced, never duplicating.

Actions run in phases by kind (``reconciler.kinds.ordered``): creates, updates and adoptions of
a kind after those of the kinds it depends on, deletes in the reverse order. Within a phase each
action runs in its own task, at most ``parallelism`` at once; the backend's shared rate pacer
spaces the requests. An action that waits for a status (an adapter's shared status poll) gives
its slot back while it waits, so the next actions' writes go out meanwhile. One failure does
not stop the others. A reference to an object the run creates (``Action.pending_refs``) is
filled with the id an earlier phase's action returned; if that action failed, the dependent one
fails without a write.

Every action goes through its kind's adapter. Every outcome that a write leaves unknown (a lost
answer) is settled by reading before writing again:

- create: after a lost answer, look the name up. Found with our content and our marker: our
  own earlier create, a success. Absent: for an adapter whose server refuses duplicate names
  (``CreateSafety.SERVER_UNIQUE_NAMES``), POST again; its 409 names the holder, which is read by
  id (that never lags). For any other adapter (``LOOKUP_ONLY``), never POST again: the action
  fails, saying the next run will find the object if it was made. No object is created twice.
- update / adopt: send the revision read at plan time. A 409 version mismatch or a lost answer
  reads the object again: already as desired is a success; still ours and different is
  updated again with the fresh revision; taken by another owner is reported.
- delete: a 404, first or after a lost answer, means the object is gone: a success.
- every successful write is then settled by the adapter (waits for Active, where a kind has
  them).

Each loop is bounded by ``max_rounds``. Nothing here prints or writes files: results go to the
caller through ``on_result``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.backend import Backend, CreateSafety, ResourceAdapter
from reconciler.errors import (
    ApiError,
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    OutcomeUnknownError,
    ReconcilerError,
    VersionMismatchError,
)
from reconciler.genesys.calls import CallRecord, record_calls
from reconciler.genesys.status_poller import WorkerSlot, holding
from reconciler.model import LiveResource
from reconciler.planner.actions import Action, ActionKind, LiveFingerprint
from reconciler.planner.diff import field_changes
from reconciler.planner.normalise import canonical_json
from reconciler.waits import WaitCancelled, has_written, subject, waited

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ActionStatus(str, enum.Enum):
    """How one action ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # never started: the run was interrupted first


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionResult:
    """The record of one executed action, as the audit log and apply.json keep it."""

    kind: ActionKind
    name: str
    status: ActionStatus
    channel_id: str | None = None
    version: int | str | None = None
    attempts: int = 0
    latency_ms: float = 0.0
    correlation_ids: tuple[str, ...] = ()
    error: str = ""
    note: str = ""
    resource_kind: str = kinds.DEFAULT_KIND
    #: Kind-specific facts of the object written (for events): a web deployment's
    #: configuration id and version, for example.
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The audit intent recorded before its write (``before_write``), "" when none was.
    intent_id: str = ""
    #: Stopped while its write was in flight: its outcome is unknown until the next run.
    unsettled: bool = False
    #: The API refused the credentials (401) during this action.
    auth_refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is ActionStatus.SUCCEEDED

    def to_json(self) -> dict[str, Any]:
        return {
            "resource_kind": self.resource_kind,
            "kind": self.kind.value,
            "name": self.name,
            "status": self.status.value,
            "channel_id": self.channel_id,
            "version": self.version,
            "attempts": self.attempts,
            "latency_ms": round(self.latency_ms, 1),
            "correlation_ids": list(self.correlation_ids),
            "error": self.error,
            "note": self.note,
            **({"intentId": self.intent_id} if self.intent_id else {}),
            **({"unsettled": True} if self.unsettled else {}),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteOptions:
    """``max_rounds`` bounds the write-read rounds one action may take to settle; between
    rounds the executor waits a full-jitter backoff (``backoff_seconds`` doubling, capped at
    ``backoff_cap_seconds``) so a struggling server is not hammered."""

    owner: str
    parallelism: int = 8
    max_rounds: int = 8
    backoff_seconds: float = 0.25
    backoff_cap_seconds: float = 8.0


@dataclass(slots=True, kw_only=True)
class _Outcome:
    channel: LiveResource | None = None
    channel_id: str | None = None
    note: str = ""
    error: str = ""
    extra_correlation_ids: list[str] = field(default_factory=list)
    #: What a delete removed, when its adapter read it (for the events' details).
    deleted: LiveResource | None = None
    auth_refused: bool = False
    unsettled: bool = False


ResultCallback = Callable[[ActionResult], Awaitable[None]]
#: Called right before an action's first write; returns the id of the intent it recorded.
IntentCallback = Callable[[Action], Awaitable[str]]


class ActionFailed(ReconcilerError):
    """An action that cannot complete; its message goes into the action's result."""


class OutcomeStillUnknown(ActionFailed):
    """A write whose answers were lost every round: it may have been applied. Its result is
    failed and ``unsettled``, so the next apply settles its intent against the org (and
    announces it, if it was made)."""


def _same_content(resource: LiveResource, body: Mapping[str, Any]) -> bool:
    """Equal as the planner sees it: canonical bytes, so ``True`` and ``1`` differ."""
    wanted, current = kinds.get(resource.kind).comparable(body, resource.body)
    return canonical_json(wanted) == canonical_json(current)


def phases(actions: Sequence[Action]) -> list[list[Action]]:
    """``actions`` grouped into phases: writes by kind in dependency order, then deletes in
    the reverse order. Each phase keeps the plan's order."""
    order = kinds.ordered(a.resource_kind for a in actions)
    writes = [
        [a for a in actions if a.resource_kind == k and a.kind is not ActionKind.DELETE]
        for k in order
    ]
    deletes = [
        [a for a in actions if a.resource_kind == k and a.kind is ActionKind.DELETE]
        for k in reversed(order)
    ]
    return [phase for phase in (*writes, *deletes) if phase]


class Executor:
    """Runs executable actions against one backend."""

    def __init__(
        self,
        backend: Backend,
        options: ExecuteOptions,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if options.parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self._backend = backend
        self._options = options
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)

    async def _backoff(self, round_number: int) -> None:
        """Full-jitter exponential backoff before round ``round_number`` (2, 3, ...)."""
        options = self._options
        ceiling = min(
            options.backoff_cap_seconds, options.backoff_seconds * 2 ** (round_number - 2)
        )
        await waited(self._sleep(self._rng.uniform(0.0, ceiling)), "a backoff before retrying")

    async def run(
        self,
        actions: Sequence[Action],
        *,
        on_result: ResultCallback | None = None,
        stop: asyncio.Event | None = None,
        abort: asyncio.Event | None = None,
        before_write: IntentCallback | None = None,
    ) -> list[ActionResult]:
        """Execute ``actions`` (non-executable kinds are ignored); results in the same order.

        When ``stop`` is set, actions not yet started are skipped; running ones finish. When
        ``abort`` is set too, running ones are cancelled: their results are failed and
        ``unsettled`` (the next run settles their intents). ``before_write`` records each
        action's intent before its first request.
        """
        todo = [a for a in actions if a.executable]
        slots = asyncio.Semaphore(self._options.parallelism)
        made: dict[tuple[str, str], ActionResult] = {}  # (kind, identity) -> its write's result
        results: dict[int, ActionResult] = {}

        async def one(action: Action) -> ActionResult:
            slot = WorkerSlot(slots)
            await slot.acquire()
            try:
                if stop is not None and stop.is_set():
                    result = ActionResult(
                        kind=action.kind,
                        name=action.name,
                        status=ActionStatus.SKIPPED,
                        channel_id=action.channel_id,
                        note="not started: the run was interrupted",
                        resource_kind=action.resource_kind,
                    )
                else:
                    ready = _with_refs(action, made)
                    intent = await before_write(ready) if before_write is not None else ""
                    label = f"{kinds.get(action.resource_kind).label} {action.name!r}"
                    with holding(slot), subject(label):
                        result = await self._execute_abortable(ready, abort)
                    if intent:
                        result = dataclasses.replace(result, intent_id=intent)
                if on_result is not None:
                    await on_result(result)
                return result
            finally:
                slot.release()

        for phase in phases(todo):
            done = await asyncio.gather(*(one(a) for a in phase))
            for action, result in zip(phase, done, strict=True):
                results[id(action)] = result
                made[(action.resource_kind, action.key)] = result
        return [results[id(a)] for a in todo]

    async def _execute_abortable(self, action: Action, abort: asyncio.Event | None) -> ActionResult:
        if abort is None:
            return await self.execute(action)
        task = asyncio.ensure_future(self.execute(action))
        waiter = asyncio.ensure_future(abort.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return ActionResult(
            kind=action.kind,
            name=action.name,
            status=ActionStatus.FAILED,
            channel_id=action.channel_id,
            error="stopped while its write was in flight: its outcome is unknown; the next "
            "apply settles it against the org",
            resource_kind=action.resource_kind,
            unsettled=True,
        )

    def _adapter(self, action: Action) -> ResourceAdapter:
        return self._backend.adapter(action.resource_kind)

    async def execute(self, action: Action) -> ActionResult:
        """Run one action to a final result; never raises a ReconcilerError."""
        started = self._clock()
        with record_calls() as calls:
            try:
                outcome = await self._dispatch(action)
            except WaitCancelled as exc:
                if not has_written():  # stopped before its first write: nothing was sent
                    return ActionResult(
                        kind=action.kind,
                        name=action.name,
                        status=ActionStatus.SKIPPED,
                        channel_id=action.channel_id,
                        note=f"not started: the run was interrupted ({exc}, before any write)",
                        resource_kind=action.resource_kind,
                    )
                outcome = _Outcome(channel_id=action.channel_id, error=str(exc))
                outcome.unsettled = True  # the next apply settles it against the org
            except ReconcilerError as exc:
                outcome = _Outcome(channel_id=action.channel_id, error=str(exc))
                outcome.auth_refused = isinstance(exc, AuthenticationError) or isinstance(
                    exc.__cause__, AuthenticationError
                )
                outcome.unsettled = isinstance(exc, OutcomeStillUnknown)
                if isinstance(exc, ApiError) and exc.correlation_id:
                    outcome.extra_correlation_ids.append(exc.correlation_id)
        elapsed_ms = (self._clock() - started) * 1000.0
        resource = outcome.channel
        version: int | str | None = None
        if resource is not None:
            version = int(resource.revision) if resource.revision.isdigit() else resource.revision
        return ActionResult(
            kind=action.kind,
            name=action.name,
            status=ActionStatus.FAILED if outcome.error else ActionStatus.SUCCEEDED,
            channel_id=resource.id if resource is not None else outcome.channel_id,
            version=version,
            attempts=sum(1 for c in calls if not c.token),
            latency_ms=elapsed_ms,
            correlation_ids=_correlation_ids(calls, outcome.extra_correlation_ids),
            error=outcome.error,
            note=outcome.note,
            resource_kind=action.resource_kind,
            details=kinds.get(action.resource_kind).event_details(described)
            if (described := resource or outcome.deleted) is not None
            else {},
            auth_refused=outcome.auth_refused,
            unsettled=outcome.unsettled,
        )

    async def _dispatch(self, action: Action) -> _Outcome:
        if action.kind is ActionKind.CREATE:
            outcome = await self._create(action)
        elif action.kind in (ActionKind.UPDATE, ActionKind.ADOPT):
            outcome = await self._update(action)
        elif action.kind is ActionKind.DELETE:
            return await self._delete(action)
        else:
            raise ActionFailed(f"{action.kind.value} is not an executable action")
        if outcome.channel is not None and not outcome.error:
            try:
                outcome.channel = await self._adapter(action).settle(outcome.channel)
            except WaitCancelled:  # written; the run stopped before it was ready
                outcome.note = "written; the run stopped before it was confirmed ready"
        return outcome

    # -- create ---------------------------------------------------------------------------

    async def _create(self, action: Action) -> _Outcome:
        body = _body(action)
        adapter = self._adapter(action)
        label = kinds.get(action.resource_kind).label
        lost = 0
        for round_number in range(1, self._options.max_rounds + 1):
            if round_number > 1:
                await self._backoff(round_number)
            try:
                created = await adapter.create(body)
            except OutcomeUnknownError as exc:
                lost += 1
                found = await adapter.find(action.name)
                if found is not None:
                    return self._settle_existing(action, found, body, lost)
                if adapter.create_safety is not CreateSafety.SERVER_UNIQUE_NAMES:
                    raise OutcomeStillUnknown(
                        f"create of {label} {action.name!r}: its answer was lost and no "
                        f"{label} of that name is listed yet; not created again (nothing on "
                        "the server stops a duplicate): run apply again, the next plan sees "
                        "whether it was made"
                    ) from exc
                continue  # absent or not yet listed: POST again; a 409 stops a duplicate
            except DuplicateNameError as exc:
                if not exc.entity_id:
                    raise ActionFailed(
                        f"a {label} named {action.name!r} already exists and the API did not "
                        "say which; run plan again"
                    ) from exc
                holder = await adapter.get(exc.entity_id)
                return self._settle_existing(action, holder, body, lost)
            note = f"created after {lost} lost answer(s)" if lost else ""
            return _Outcome(channel=created, note=note)
        raise OutcomeStillUnknown(
            f"create of {action.name!r}: outcome still unknown after "
            f"{self._options.max_rounds} rounds; run apply again (it will not duplicate)"
        )

    def _settle_existing(
        self, action: Action, channel: LiveResource, body: Mapping[str, Any], lost: int
    ) -> _Outcome:
        owner = self._options.owner
        if channel.managed_by == owner and _same_content(channel, body):
            why = "its answer was lost" if lost else "the name was already taken by it"
            return _Outcome(channel=channel, note=f"already created by this owner ({why})")
        holder = channel.managed_by
        whose = f"managed by {holder!r}" if holder else "not managed by reconciler"
        differs = "" if _same_content(channel, body) else ", with other content"
        raise ActionFailed(
            f"a {kinds.get(channel.kind).label} named {channel.name!r} already exists "
            f"(id {channel.id}, {whose}{differs}); it was not created by this plan: run plan again"
        )

    # -- update / adopt -------------------------------------------------------------------

    async def _update(self, action: Action) -> _Outcome:
        body = _body(action)
        channel_id = _channel_id(action)
        if action.live is None:
            raise ActionFailed(f"{action.kind.value} of {action.name!r} has no live version")
        revision = action.live.revision
        adapter = self._adapter(action)
        label = kinds.get(action.resource_kind).label
        owner = self._options.owner
        allowed: set[str | None] = {owner} if action.kind is ActionKind.UPDATE else {owner, None}
        # Re-read right before the write: the API has no conditional write for every kind, and
        # an edit made since the plan must never be reverted without review.
        try:
            fresh = await adapter.get(channel_id)
        except NotFoundError as exc:
            raise ActionFailed(
                f"{label} {action.name!r} (id {channel_id}) no longer exists; run plan again"
            ) from exc
        if LiveFingerprint.of(fresh) != action.live:
            if fresh.managed_by == owner and _same_content(fresh, body):
                return _Outcome(channel=fresh, note="already up to date")
            _check_unchanged_since_plan(action, fresh, body, allowed)
            revision = fresh.revision
        reread = 0
        for round_number in range(1, self._options.max_rounds + 1):
            if round_number > 1:
                await self._backoff(round_number)
            try:
                updated = await adapter.update(channel_id, body, revision=revision)
            except (VersionMismatchError, OutcomeUnknownError) as exc:
                reread += 1
                why = "version mismatch" if isinstance(exc, VersionMismatchError) else "lost answer"
                try:
                    current = await adapter.get(channel_id)
                except NotFoundError as gone:
                    raise ActionFailed(
                        f"{label} {action.name!r} (id {channel_id}) was deleted during the run"
                    ) from gone
                if current.managed_by == owner and _same_content(current, body):
                    return _Outcome(channel=current, note=f"already up to date after {why}")
                try:
                    _check_unchanged_since_plan(action, current, body, allowed)
                except ActionFailed as refused:
                    raise refused from exc
                revision = current.revision  # still needed: apply on the fresh revision
                continue
            except NotFoundError as exc:
                raise ActionFailed(
                    f"{label} {action.name!r} (id {channel_id}) no longer exists; run plan again"
                ) from exc
            note = f"applied after {reread} re-read(s)" if reread else ""
            return _Outcome(channel=updated, note=note)
        raise ActionFailed(
            f"{action.kind.value} of {action.name!r}: the {label} kept changing during "
            f"{self._options.max_rounds} rounds; run plan again"
        )

    # -- delete ---------------------------------------------------------------------------

    async def _delete(self, action: Action) -> _Outcome:
        channel_id = _channel_id(action)
        adapter = self._adapter(action)
        label = kinds.get(action.resource_kind).label
        try:
            fresh = await adapter.get(channel_id)
        except NotFoundError:
            return _Outcome(channel_id=channel_id, note="already absent")
        if fresh.managed_by != self._options.owner:
            raise ActionFailed(
                f"{label} {action.name!r} (id {channel_id}) is now managed by "
                f"{fresh.managed_by!r}; not deleted"
            )
        if action.live is not None and (
            LiveFingerprint.of(fresh).content_sha256 != action.live.content_sha256
        ):
            raise ActionFailed(
                f"{label} {action.name!r} (id {channel_id}) was edited after the plan; not "
                "deleted: run plan again to review it"
            )
        for round_number in range(1, self._options.max_rounds + 1):
            if round_number > 1:
                await self._backoff(round_number)
            try:
                deleted = await adapter.delete(channel_id)
            except NotFoundError:
                return _Outcome(channel_id=channel_id, note="already absent")
            except OutcomeUnknownError:
                try:
                    await adapter.get(channel_id)
                except NotFoundError:
                    return _Outcome(channel_id=channel_id, note="deleted (its answer was lost)")
                continue
            return _Outcome(channel_id=channel_id, deleted=deleted)
        raise OutcomeStillUnknown(
            f"delete of {action.name!r}: outcome still unknown after "
            f"{self._options.max_rounds} rounds; run apply again"
        )


def _check_unchanged_since_plan(
    action: Action, current: LiveResource, body: Mapping[str, Any], allowed: set[str | None]
) -> None:
    """Refuse to write over an edit made after the plan: the object must still be the
    owner's, and every field where it now differs from the desired body must be one the plan
    changes anyway (its other fields still hold what the plan saw)."""
    label = kinds.get(action.resource_kind).label
    where = f"{label} {action.name!r} (id {current.id})"
    if current.managed_by not in allowed:
        raise ActionFailed(f"{where} is now managed by {current.managed_by!r}; not changed")
    wanted, now = kinds.get(current.kind).comparable(body, current.body)
    planned = {change.path for change in action.changes}
    differing = [change.path for change in field_changes(now, wanted)]
    unreviewed = sorted(p for p in differing if not any(_related(p, q) for q in planned))
    if unreviewed:
        raise ActionFailed(
            f"{where} was edited after the plan ({', '.join(unreviewed)}); not updated, so "
            "that edit is not reverted without review: run plan again"
        )


def _related(path: str, other: str) -> bool:
    """Whether two dotted paths are the same field or one holds the other."""
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


def _with_refs(action: Action, made: Mapping[tuple[str, str], ActionResult]) -> Action:
    """``action`` with each pending reference filled from the result of the action that made
    the referred object; ``ActionFailed`` (as a failed action) when that one did not succeed."""
    if not action.pending_refs or action.body is None:
        return action
    body = kinds.copy_json(action.body)
    for ref in action.pending_refs:
        result = made.get((ref.kind, kinds.get(ref.kind).identity(ref.name)))
        if result is None or not result.succeeded or not result.channel_id:
            label = kinds.get(ref.kind).label
            return dataclasses.replace(
                action, body=None, pending_refs=(), reason=f"{label} {ref.name!r} was not created"
            )
        parent: Any = body
        for part in ref.path[:-1]:
            parent = parent.setdefault(part, {})
        parent[ref.path[-1]] = {"id": result.channel_id}
    return dataclasses.replace(action, body=body, pending_refs=())


def _body(action: Action) -> dict[str, Any]:
    if action.body is None:
        if action.reason:
            raise ActionFailed(
                f"{action.kind.value} of {action.name!r} not attempted: {action.reason}"
            )
        raise ActionFailed(f"{action.kind.value} of {action.name!r} carries no body")
    return action.body


def _channel_id(action: Action) -> str:
    if not action.channel_id:
        raise ActionFailed(f"{action.kind.value} of {action.name!r} carries no channel id")
    return action.channel_id


def _correlation_ids(calls: Sequence[CallRecord], extra: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for call in calls:
        if call.correlation_id:
            seen.setdefault(call.correlation_id, None)
    for cid in extra:
        seen.setdefault(cid, None)
    return tuple(seen)
