"""The ownership ledger: what this owner created or adopted, read from the audit log.

Kinds whose objects have no free-text field (``ResourceKind.ownership == "ledger"``:
supported-content profiles, messaging settings) cannot carry an ownership marker. Every
successful create, update or adoption apply makes is an action record in the environment's
audit log, naming the owner; a delete ends the entry. ``read_ledger`` replays those records;
``OwnedBackend`` wraps a backend so that every object of such a kind the ledger holds is read
with ``reconciler.kinds.ledger.OWNER`` set to the owner, and everything else without it: the
planner and the executor then judge ownership exactly as for a marker. An object created or
adopted during the run joins the ledger at once (its record is written as the action ends).

A ``singleton`` kind (the org's messaging defaults) is always read as this owner's: the spec
that declares it owns it; it is never created or deleted.

No audit log, or one of another owner, means an empty ledger: nothing markerless is updated or
deleted without ``--adopt`` (fail closed). Reading is tolerant like ``audit/written.py``:
unreadable lines are skipped (``audit verify`` judges the file).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler import kinds
from reconciler.audit.chain import AuditKind
from reconciler.backend import Backend, CreateSafety, ResourceAdapter, Resources, StepRecords
from reconciler.errors import AuditError
from reconciler.kinds.ledger import OWNER
from reconciler.model import LiveResource

_OUTCOMES = (AuditKind.ACTION.value, AuditKind.RECOVERED.value)
_KEEPS = ("create", "update", "adopt")


def ledger_kinds() -> frozenset[str]:
    return frozenset(n for n in kinds.names() if kinds.get(n).ownership == "ledger")


def read_ledger(path: Path, owner: str) -> frozenset[tuple[str, str]]:
    """``(kind, object id)`` of every object of a ledger kind this owner created, updated or
    adopted, and has not deleted since, by the records of the audit log at ``path``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return frozenset()
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {exc.strerror or exc}") from exc
    wanted = ledger_kinds()
    held: set[tuple[str, str]] = set()
    for raw in data.split(b"\n"):
        if b'"succeeded"' not in raw or b'"owner"' not in raw:
            continue
        try:
            line = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue
        if not isinstance(line, dict) or line.get("kind") not in _OUTCOMES:
            continue
        record = line.get("record")
        if not isinstance(record, dict) or record.get("status") != "succeeded":
            continue
        kind, object_id = record.get("resource_kind"), record.get("channel_id")
        if kind not in wanted or not isinstance(object_id, str) or not object_id:
            continue
        if record.get("owner") != owner:
            continue
        if record.get("kind") == "delete":
            held.discard((kind, object_id))
        elif record.get("kind") in _KEEPS:
            held.add((kind, object_id))
    return frozenset(held)


class _OwnedAdapter:
    """An adapter whose reads carry the ledger's (or the singleton's) ownership."""

    def __init__(self, inner: ResourceAdapter, owned: OwnedBackend) -> None:
        self._inner = inner
        self._owned = owned
        self.kind = inner.kind
        self.create_safety: CreateSafety = inner.create_safety

    def _mark(self, resource: LiveResource) -> LiveResource:
        return self._owned.mark(resource)

    async def list(self) -> list[LiveResource]:
        return [self._mark(r) for r in await self._inner.list()]

    async def get(self, object_id: str) -> LiveResource:
        return self._mark(await self._inner.get(object_id))

    async def find(self, name: str) -> LiveResource | None:
        found = await self._inner.find(name)
        return None if found is None else self._mark(found)

    async def named(self, name: str) -> Resources:
        return [self._mark(r) for r in await self._inner.named(name)]

    async def settle_steps(
        self, steps: Sequence[Mapping[str, Any]], resource: LiveResource | None
    ) -> StepRecords:
        return await self._inner.settle_steps(steps, resource)

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        created = await self._inner.create(body)
        self._owned.hold(created.kind, created.id)
        return self._mark(created)

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        updated = await self._inner.update(object_id, body, revision=revision)
        self._owned.hold(updated.kind, updated.id)  # an adoption joins the ledger
        return self._mark(updated)

    async def delete(self, object_id: str) -> LiveResource | None:
        deleted = await self._inner.delete(object_id)
        self._owned.release(self.kind, object_id)
        return deleted

    async def settle(self, resource: LiveResource) -> LiveResource:
        return self._mark(await self._inner.settle(resource))

    async def catalog(self, *args: Any) -> Mapping[str, Sequence[tuple[str, str]]]:
        return await self._inner.catalog(*args)


class OwnedBackend:
    """``backend`` with ownership read from the ledger for the kinds that keep one."""

    def __init__(self, backend: Backend, owner: str, ledger: Iterable[tuple[str, str]]) -> None:
        self._backend = backend
        self.owner = owner
        self._held: set[tuple[str, str]] = set(ledger)
        self._adapters: dict[str, ResourceAdapter] = {}
        self.environment = backend.environment

    @property
    def held(self) -> Collection[tuple[str, str]]:
        return frozenset(self._held)

    def hold(self, kind: str, object_id: str) -> None:
        if kinds.known(kind) and kinds.get(kind).ownership == "ledger":
            self._held.add((kind, object_id))

    def release(self, kind: str, object_id: str) -> None:
        self._held.discard((kind, object_id))

    def mark(self, resource: LiveResource) -> LiveResource:
        strategy = kinds.get(resource.kind).ownership if kinds.known(resource.kind) else "marker"
        if strategy == "marker":
            return resource
        owned = strategy == "singleton" or (resource.kind, resource.id) in self._held
        body = {k: v for k, v in resource.body.items() if k != OWNER}
        if owned:
            body[OWNER] = self.owner
        return LiveResource(
            kind=resource.kind,
            id=resource.id,
            revision=resource.revision,
            body=body,
            date_created=resource.date_created,
            date_modified=resource.date_modified,
        )

    def adapter(self, kind: str) -> ResourceAdapter:
        adapter = self._adapters.get(kind)
        if adapter is None:
            inner = self._backend.adapter(kind)
            strategy = kinds.get(kind).ownership if kinds.known(kind) else "marker"
            adapter = inner if strategy == "marker" else _OwnedAdapter(inner, self)
            self._adapters[kind] = adapter
        return adapter

    @property
    def pacing_wait_seconds(self) -> float:
        return self._backend.pacing_wait_seconds

    async def aclose(self) -> None:
        await self._backend.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)
