"""Settling the intents a killed run left open, against the live org.

A run killed between sending a write and recording its outcome leaves an ``intent`` line with
no ``action`` line (``reconciler.audit.intents``). The next apply reads each object again and
decides what happened:

- create: an object of that name with this owner's marker exists: the create was committed;
- update / adopt: the object is this owner's and its revision moved from the one the intent
  started from: committed (an out-of-band edit in the same window would look alike; the
  next plan still shows any difference from the spec);
- delete: the object is gone: committed.

An action of several writes also left an ``intent.step`` line before each later write; each
step is settled too (by the kind's adapter, ``settle_steps``: was that write committed, which
ids did it make; a twin's delete by whether the object is gone), and the ``action.recovered``
line lists them (``steps``), so every committed write is on record, not only the first.

Each settled intent becomes an ``action.recovered`` audit line; a committed one also gets
its event, whose id comes from the change (object id and revision), so a receiver that
already had it from the killed run deduplicates it. An intent that cannot be read now (the
API fails) stays open for the run after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import kinds
from reconciler.backend import Backend
from reconciler.errors import NotFoundError, ReconcilerError
from reconciler.model import LiveResource


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    """What one open intent turned out to be."""

    intent: Mapping[str, Any]
    committed: bool
    resource: LiveResource | None = None
    #: The intent's steps, each with ``committed`` and the ids found.
    steps: tuple[Mapping[str, Any], ...] = ()

    @property
    def action(self) -> str:
        return str(self.intent.get("action", ""))

    @property
    def resource_kind(self) -> str:
        return str(self.intent.get("resourceKind", kinds.DEFAULT_KIND))

    @property
    def name(self) -> str:
        return str(self.intent.get("name", ""))

    @property
    def object_id(self) -> str | None:
        if self.resource is not None:
            return self.resource.id
        value = self.intent.get("id")
        return str(value) if value else None

    @property
    def revision(self) -> str:
        """The revision the event reports: after the write, or the one deleted."""
        if self.resource is not None and self.action != "delete":
            return self.resource.revision
        return str(self.intent.get("liveRevision") or "")

    def to_record(self) -> dict[str, Any]:
        """The ``action.recovered`` audit record."""
        steps = {"steps": [dict(step) for step in self.steps]} if self.steps else {}
        return {
            **steps,
            "intentId": self.intent.get("intentId"),
            "fromRun": self.intent.get("runId"),
            "resource_kind": self.resource_kind,
            "kind": self.action,
            "name": self.name,
            "channel_id": self.object_id,
            "version": self.revision or None,
            "status": "succeeded" if self.committed else "not-applied",
            "note": "committed by a run that was stopped before recording it"
            if self.committed
            else "not made: the run was stopped before the write took effect",
        }


async def settle(
    intents: Sequence[Mapping[str, Any]], backend: Backend
) -> tuple[list[Settled], list[str]]:
    """Each open intent settled against the org, and why any could not be (left open)."""
    settled: list[Settled] = []
    problems: list[str] = []
    for intent in intents:
        try:
            one = await _settle_one(intent, backend)
            steps = intent.get("steps") or []
            if steps:
                judged = await _settle_steps(steps, one, backend)
                one = dataclasses.replace(one, steps=tuple(judged))
            settled.append(one)
        except ReconcilerError as exc:
            problems.append(f"intent {intent.get('intentId')} ({intent.get('name')!r}): {exc}")
    return settled, problems


async def _settle_steps(
    steps: Sequence[Mapping[str, Any]], settled: Settled, backend: Backend
) -> list[dict[str, Any]]:
    """Each step judged: a twin's delete by whether the object is gone, the others by the
    kind's adapter (as the action, for an adapter that has no steps of its own)."""
    adapter = backend.adapter(settled.resource_kind)
    own = [s for s in steps if s.get("step") != "twin.delete"]
    judged = await adapter.settle_steps(own, settled.resource) if own else []
    if len(judged) != len(own):
        judged = [{**s, "committed": settled.committed} for s in own]
    by_adapter = iter(judged)
    out: list[dict[str, Any]] = []
    for step in steps:
        if step.get("step") != "twin.delete":
            out.append({k: v for k, v in next(by_adapter).items() if k != "intentId"})
            continue
        try:
            await adapter.get(str(step.get("id", "")))
            gone = False
        except NotFoundError:
            gone = True
        out.append({**{k: v for k, v in step.items() if k != "intentId"}, "committed": gone})
    return out


async def _settle_one(intent: Mapping[str, Any], backend: Backend) -> Settled:
    kind = str(intent.get("resourceKind", kinds.DEFAULT_KIND))
    action = str(intent.get("action", ""))
    owner = str(intent.get("owner", ""))
    adapter = backend.adapter(kind)
    if action == "create":
        found = await adapter.find(str(intent.get("name", "")))
        if found is not None and found.managed_by == owner:
            return Settled(intent=intent, committed=True, resource=found)
        return Settled(intent=intent, committed=False)
    object_id = str(intent.get("id") or "")
    if not object_id:
        return Settled(intent=intent, committed=False)
    try:
        current = await adapter.get(object_id)
    except NotFoundError:
        return Settled(intent=intent, committed=action == "delete")
    if action == "delete":
        return Settled(intent=intent, committed=False, resource=current)
    moved = current.revision != str(intent.get("liveRevision") or "")
    if current.managed_by == owner and moved:
        return Settled(intent=intent, committed=True, resource=current)
    return Settled(intent=intent, committed=False, resource=current)
