"""The events and records of one apply run: queued before success is audited, sent beside the
actions, waited for within a budget, and the open intents of an earlier run settled.

- ``RunState.queue``: an event goes to the outbox (fsynced) before its action's success is
  audited; an outbox that cannot be written stops and fails the run.
- ``bounded``: deliveries are awaited at most ``budget`` seconds; the rest stay pending in the
  outbox, so a webhook outage never holds the apply.
- ``recover``: every intent an earlier run left open is settled against the org
  (``reconciler.recovery``), audited as ``action.recovered`` and, when it was committed,
  announced under the change's own id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from reconciler.audit import AuditKind, AuditLog
from reconciler.audit.intents import open_intents
from reconciler.backend import Backend
from reconciler.errors import WebhookError
from reconciler.events import Event, EventType, channel_event
from reconciler.executor import ActionResult
from reconciler.planner import ActionKind
from reconciler.recovery import settle
from reconciler.webhooks import DeliveryOutcome, DeliveryState, EventSink

#: Actions in a row refused authentication before the run stops early.
MAX_AUTH_REFUSALS = 3

EVENT_OF: dict[ActionKind, EventType] = {
    ActionKind.CREATE: EventType.CHANNEL_PROVISIONED,
    ActionKind.UPDATE: EventType.CHANNEL_UPDATED,
    ActionKind.DELETE: EventType.CHANNEL_DELETED,
    ActionKind.ADOPT: EventType.CHANNEL_ADOPTED,
}
#: The action verb an intent names, back to its kind (for a recovered change's event).
ACTION_OF: dict[str, ActionKind] = {kind.value: kind for kind in EVENT_OF}


class RunState:
    """What one run's callbacks share: queued events, sends, the reasons to stop early."""

    def __init__(self) -> None:
        self.queued: set[str] = set()
        self.sends: list[tuple[Event, asyncio.Future[DeliveryOutcome]]] = []
        self.unrecorded: list[DeliveryOutcome] = []
        self.outbox_error = ""
        self.halted = ""
        self.auth_refusals = 0
        self.recovered: list[dict[str, Any]] = []

    async def queue(self, sink: EventSink, event: Event, stop: asyncio.Event) -> None:
        """Queue ``event`` in the outbox once per run; an outbox that cannot be written
        stops the run (no more actions start) and fails it, saying so."""
        if event.webhook_id in self.queued:
            return
        try:
            await sink.enqueue(event)
        except WebhookError as exc:
            self.outbox_error = self.outbox_error or str(exc)
            self.halted = self.halted or f"the webhook outbox cannot be written: {exc}"
            stop.set()
            self.unrecorded.append(
                DeliveryOutcome(
                    webhook_id=event.webhook_id,
                    event_type=event.type.value,
                    state=DeliveryState.UNRECORDED,
                    error=str(exc),
                )
            )
            return
        self.queued.add(event.webhook_id)

    def note_auth(self, result: ActionResult, stop: asyncio.Event) -> None:
        """Stop after ``MAX_AUTH_REFUSALS`` actions in a row refused authentication."""
        self.auth_refusals = self.auth_refusals + 1 if result.auth_refused else 0
        if self.auth_refusals >= MAX_AUTH_REFUSALS and not self.halted:
            self.halted = (
                f"stopped early: {self.auth_refusals} actions in a row were refused "
                "authentication (401); check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET"
            )
            stop.set()


async def recover(
    audit: AuditLog,
    backend: Backend,
    sink: EventSink,
    state: RunState,
    environment: str,
    run_id: str,
    wall_clock: Callable[[], datetime],
) -> None:
    """Settle every intent an earlier run left without an outcome: audit it and, when it was
    committed, queue and send its event (the change's id: a receiver deduplicates it)."""
    intents = await asyncio.to_thread(open_intents, audit.path)
    intents = [i for i in intents if i.get("runId") != run_id]
    if not intents:
        return
    settled, _problems = await settle(intents, backend)
    for item in settled:
        if item.committed and item.object_id and item.action in ACTION_OF:
            event = channel_event(
                EVENT_OF[ACTION_OF[item.action]],
                run_id=run_id,
                environment=environment,
                channel_id=item.object_id,
                channel_name=item.name,
                source="",
                now=wall_clock(),
                resource_kind=item.resource_kind,
                revision=item.revision or None,
            )
            await state.queue(sink, event, asyncio.Event())
            if event.webhook_id in state.queued:
                state.sends.append((event, asyncio.ensure_future(sink.send(event))))
        record = item.to_record()
        audit.append(AuditKind.RECOVERED, record)
        state.recovered.append(record)


async def bounded(
    sends: Sequence[tuple[Event, asyncio.Future[DeliveryOutcome]]], budget: float
) -> list[DeliveryOutcome]:
    """The outcomes of deliveries, waiting at most ``budget`` seconds: a webhook outage never
    holds the apply. A delivery still running then is cancelled; its event stays pending in
    the outbox (it was queued before it was sent) for the next run or ``redeliver``."""
    if not sends:
        return []
    done, running = await asyncio.wait({task for _event, task in sends}, timeout=budget)
    for task in running:
        task.cancel()
    outcomes: list[DeliveryOutcome] = []
    for event, task in sends:
        if task in done and not task.cancelled() and task.exception() is None:
            outcomes.append(task.result())
            continue
        outcomes.append(
            DeliveryOutcome(
                webhook_id=event.webhook_id,
                event_type=event.type.value,
                state=DeliveryState.PENDING,
                error=f"delivery time budget ({budget:.0f} s) spent; kept in the outbox",
            )
        )
    return outcomes


async def earlier_outcomes(
    task: asyncio.Future[list[DeliveryOutcome]], budget: float
) -> list[DeliveryOutcome]:
    """What resending earlier runs' pending events gave, within the budget (else they stay
    pending in the outbox, untouched)."""
    done, _running = await asyncio.wait({task}, timeout=budget)
    if task not in done:
        task.cancel()
        return []
    if task.cancelled() or task.exception() is not None:
        return []
    return task.result()
