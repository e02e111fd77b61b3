"""Settling the intents a killed run left open, against the live org.

A run killed between sending a write and recording its outcome leaves an ``intent`` line with
no ``action`` line (``reconciler.audit.intents``). The next apply reads each object again and
decides what happened:

- create: an object of that name with this owner's marker exists: the create was committed;
- update / adopt: the object is this owner's and its revision moved from the one the intent
  started from: committed (an out-of-band edit in the same window would look alike; the
  next plan still shows any difference from the spec);
- delete: the object is gone: committed.

Each settled intent becomes an ``action.recovered`` audit line; a committed one also gets
its event, whose id comes from the change (object id and revision), so a receiver that
already had it from the killed run deduplicates it. An intent that cannot be read now (the
API fails) stays open for the run after.
"""

from __future__ import annotations

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
        return {
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
            settled.append(await _settle_one(intent, backend))
        except ReconcilerError as exc:
            problems.append(f"intent {intent.get('intentId')} ({intent.get('name')!r}): {exc}")
    return settled, problems


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
