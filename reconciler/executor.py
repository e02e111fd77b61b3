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
  them). A wait that fails after the org committed the write never turns the write into a
  failure: the result is a success (audited and announced as what it was) carrying
  ``after_write_error`` ("updated; the deployment then reported Error"), and the run fails.

Two runs from two checkouts may create one name at the same moment, and for a kind whose
server allows duplicate names (``CreateSafety.LOOKUP_ONLY``) both creates succeed; a server
that refuses duplicates answers the later one 409, settled as above. So after every create
of a lookup-only kind the executor looks the name up again (``ResourceAdapter.named``): when
more than one object of that name carries this owner's marker, every run picks the same
survivor (``model.creation_order``: the earliest ``dateCreated``, then the lowest id). The
run whose object lost deletes its own twin (the intent of that delete is recorded first,
through ``before_step``), announces nothing for it and takes the survivor as its result.
Only a run's own object is ever deleted this way.

An adapter whose action is several writes calls ``backend.before_write`` ahead of each; the
executor hands those to ``before_step`` (the apply audits each as an intent) and lists the
committed ones in the result's ``steps``.

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
from reconciler.backend import (
    Backend,
    CreateSafety,
    ResourceAdapter,
    StepCallback,
    before_write,
    step_journal,
    wrote,
)
from reconciler.errors import (
    ApiError,
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    OutcomeUnknownError,
    ReconcilerError,
    VersionMismatchError,
    one_line,
)
from reconciler.genesys.calls import CallRecord, record_calls
from reconciler.genesys.status_poller import WorkerSlot, holding
from reconciler.model import LiveResource, creation_order
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
    #: The writes the action committed, in order (a multi-write kind's steps).
    steps: tuple[Mapping[str, Any], ...] = ()
    #: A twin another run created at the same moment: its id, the survivor's, and whether
    #: this run deleted its own object (``{"id", "survivor", "deleted"}``).
    twin: Mapping[str, Any] | None = None
    #: Whether the change is this run's to announce (not when another run's twin won).
    announce: bool = True
    #: The write was committed, then its wait failed (the object turned Error, or never
    #: became ready): the action is a success on record and the run fails.
    after_write_error: str = ""

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
            **({"steps": [dict(step) for step in self.steps]} if self.steps else {}),
            **({"twin": dict(self.twin)} if self.twin is not None else {}),
            **({"afterWriteError": self.after_write_error} if self.after_write_error else {}),
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
    twin: dict[str, Any] | None = None
    announce: bool = True
    after_write_error: str = ""


ResultCallback = Callable[[ActionResult], Awaitable[None]]
#: Called right before an action's first write; returns the id of the intent it recorded.
IntentCallback = Callable[[Action], Awaitable[str]]
#: Called right before each write inside an action: (action, its intent id, step, facts).
StepIntentCallback = Callable[[Action, str, str, Mapping[str, Any]], Awaitable[None]]


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
        before_step: StepIntentCallback | None = None,
    ) -> list[ActionResult]:
        """Execute ``actions`` (non-executable kinds are ignored); results in the same order.

        When ``stop`` is set, actions not yet started are skipped; running ones finish. When
        ``abort`` is set too, running ones are cancelled: their results are failed and
        ``unsettled`` (the next run settles their intents). ``before_write`` records each
        action's intent before its first request, ``before_step`` each later write's.
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
                    on_step = _bind_step(before_step, ready, intent)
                    label = f"{kinds.get(action.resource_kind).label} {action.name!r}"
                    with holding(slot), subject(label):
                        result = await self._execute_abortable(ready, abort, on_step)
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

    async def _execute_abortable(
        self, action: Action, abort: asyncio.Event | None, on_step: StepCallback | None = None
    ) -> ActionResult:
        if abort is None:
            return await self.execute(action, on_step=on_step)
        task = asyncio.ensure_future(self.execute(action, on_step=on_step))
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

    async def execute(self, action: Action, *, on_step: StepCallback | None = None) -> ActionResult:
        """Run one action to a final result; never raises a ReconcilerError."""
        started = self._clock()
        with record_calls() as calls, step_journal(on_step) as steps:
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
            error=one_line(outcome.error) if outcome.error else "",
            note=one_line(outcome.note) if outcome.note else "",
            resource_kind=action.resource_kind,
            details=kinds.get(action.resource_kind).event_details(described)
            if (described := resource or outcome.deleted) is not None
            else {},
            auth_refused=outcome.auth_refused,
            unsettled=outcome.unsettled,
            steps=tuple(steps),
            twin=outcome.twin,
            announce=outcome.announce,
            after_write_error=one_line(outcome.after_write_error),
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
        if (
            action.kind is ActionKind.CREATE
            and outcome.channel is not None
            and not outcome.error
            and self._adapter(action).create_safety is not CreateSafety.SERVER_UNIQUE_NAMES
        ):
            # A server that refuses a second object of one name leaves no twin to look for.
            outcome = await self._one_of_a_name(action, outcome)
        if outcome.channel is not None and not outcome.error:
            try:
                outcome.channel = await self._adapter(action).settle(outcome.channel)
            except WaitCancelled:  # written; the run stopped before it was ready
                outcome.note = "written; the run stopped before it was confirmed ready"
            except ReconcilerError as exc:
                # The org committed the write: it is recorded and announced as what it was.
                label = kinds.get(action.resource_kind).label
                past = _PAST[action.kind]
                outcome.after_write_error = f"{past}; the {label} then failed its wait: {exc}"
                outcome.note = "; ".join(n for n in (outcome.note, outcome.after_write_error) if n)
        return outcome

    # -- twins: two runs that created one name at the same moment -----------------------

    async def _one_of_a_name(self, action: Action, outcome: _Outcome) -> _Outcome:
        """``outcome`` of a create, with a twin made by another run at the same moment settled:
        the survivor is the earliest created (then the lowest id); a losing run deletes its
        own object and takes the survivor as its result."""
        ours = outcome.channel
        assert ours is not None
        adapter = self._adapter(action)
        owner = self._options.owner
        listed = await adapter.named(action.name)
        # One entry per object, by the id of its first write: a lagging listing may show our
        # own object as it was a moment ago (a web deployment's configuration alone), or not
        # at all; that is never a twin.
        twins = {_origin(ours): ours}
        for resource in listed:
            if resource.managed_by == owner and resource.key == ours.key:
                twins.setdefault(_origin(resource), resource)
        if len(twins) < 2:
            return outcome
        survivor = min(twins.values(), key=creation_order)
        label = kinds.get(action.resource_kind).label
        if _origin(survivor) == _origin(ours):
            others = ", ".join(sorted(r.id for o, r in twins.items() if o != _origin(ours)))
            outcome.note = _joined(
                outcome.note,
                f"another run created the same {label} at the same moment (id {others}); this "
                "one is the earliest and stays, that run deletes its own",
            )
            return outcome
        await before_write("twin.delete", id=ours.id, survivor=survivor.id)
        await self._delete_twin(action, ours)
        wrote("twin.delete", id=ours.id, survivor=survivor.id)
        outcome.twin = {"id": ours.id, "survivor": survivor.id, "deleted": True}
        outcome.announce = False
        current = await self._survivor_made(action, survivor)
        outcome.channel = current
        outcome.note = _joined(
            outcome.note,
            f"another run created the same {label} at the same moment (id {survivor.id}, "
            f"earlier); this run's twin (id {ours.id}) was deleted",
        )
        if not _same_content(current, _body(action)):
            outcome.error = (
                f"create of {label} {action.name!r}: another run created it at the same moment "
                f"(id {survivor.id}) with other content, and it stays; this run's twin (id "
                f"{ours.id}) was deleted: run plan again"
            )
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

    async def _delete_twin(self, action: Action, ours: LiveResource) -> None:
        """Delete this run's own twin. Right after a create, a read by id may still answer
        404 (the adapter then calls it gone): gone only once the listing no longer shows it."""
        adapter = self._adapter(action)
        current = ours.id
        for round_number in range(1, self._options.max_rounds + 1):
            if round_number > 1:
                await self._backoff(round_number)
            with contextlib.suppress(NotFoundError, OutcomeUnknownError):
                await adapter.delete(current)
            left = [r for r in await adapter.named(action.name) if _origin(r) == _origin(ours)]
            if not left:
                return
            current = left[0].id  # what is left of it (a configuration without deployment)
        label = kinds.get(action.resource_kind).label
        raise ActionFailed(
            f"create of {label} {action.name!r}: another run created it at the same moment and "
            f"its {label} is older; this run's twin (id {ours.id}) could not be deleted in "
            f"{self._options.max_rounds} rounds: the next plan deletes it"
        )

    async def _survivor_made(self, action: Action, survivor: LiveResource) -> LiveResource:
        """The survivor as its run finishes making it: the other run may be between its
        writes (a web deployment's configuration made, its deployment not yet), so it is read
        again, a bounded number of rounds, until it holds the desired content."""
        adapter = self._adapter(action)
        origin = survivor.origin_id or survivor.id
        body = _body(action)
        current = survivor
        for round_number in range(1, self._options.max_rounds + 1):
            if round_number > 1:
                await self._backoff(round_number)
            listed = [
                r for r in await adapter.named(action.name) if (r.origin_id or r.id) == origin
            ]
            if listed:
                current = listed[0]
            if _same_content(current, body):
                return current
        return current

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


def _origin(resource: LiveResource) -> str:
    return resource.origin_id or resource.id


_PAST = {
    ActionKind.CREATE: "created",
    ActionKind.UPDATE: "updated",
    ActionKind.ADOPT: "adopted",
    ActionKind.DELETE: "deleted",
}


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _bind_step(
    before_step: StepIntentCallback | None, action: Action, intent: str
) -> StepCallback | None:
    if before_step is None:
        return None

    async def on_step(step: str, facts: Mapping[str, Any]) -> None:
        await before_step(action, intent, step, facts)

    return on_step


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
