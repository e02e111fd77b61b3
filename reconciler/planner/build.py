"""Match specs to live objects and decide one action per object.

Matching is per kind, by the kind's identity of the name (case-insensitive). For each spec:

- no live object of its kind has the name: ``create``;
- the live object carries this owner's marker: ``noop`` when the normalised bodies are equal,
  otherwise ``update`` with the changed fields;
- it carries no marker: ``conflict``, or ``adopt`` (an update that also sets the marker) with
  ``--adopt``;
- it carries ANOTHER owner's marker: ``conflict``, even with ``--adopt``. Like Argo CD, the
  reconciler never steals a resource another owner tracks: two owners would overwrite each
  other on every run. Handing an object over is a deliberate act (the other owner drops it).

With ``--prune``, each live object with this owner's marker and no spec is a ``delete``;
objects without the marker, or with another's, are never deleted. With targets, both sides
are first limited to the matching names (``planner.targets``).

References (``ResourceKind.references``) are resolved here: ``{"name": X}`` becomes
``{"id": ...}`` of the one live object of the target kind with that name, or of the one entry
of ``catalog[target]`` for targets that are not kinds (flows, profiles). A name that only a
spec of this run creates is left for apply to fill (``Action.pending_refs``). No match, or
more than one, is a ``PlanError`` naming the spec's file and line.

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from reconciler import kinds
from reconciler.errors import PlanError
from reconciler.kinds.base import Reference, scripts_of
from reconciler.model import LiveResource, Spec
from reconciler.planner.actions import (
    Action,
    ActionKind,
    FieldChange,
    LiveFingerprint,
    PendingRef,
)
from reconciler.planner.diff import field_changes
from reconciler.planner.impacts import assess
from reconciler.planner.normalise import canonical_json, sha256_digest
from reconciler.planner.plan import Plan, PlanOptions, ReportKind, live_digest
from reconciler.planner.redact import WritePaths, redacted_paths
from reconciler.planner.targets import targeted
from reconciler.planner.thresholds import unsafe_reasons

#: Where a catalogue entry's id and name are: targets that are not kinds (an adapter lists
#: them), as ``{target: [(id, name), ...]}``.
Catalog = Mapping[str, Sequence[tuple[str, str]]]


def _digest_entry(spec: Spec) -> Any:
    body = kinds.get(spec.kind).normalise(spec.body)
    # The default kind's entry is its bare body, as in format 1, so saved plans still match.
    return body if spec.kind == kinds.DEFAULT_KIND else {"kind": spec.kind, "body": body}


def spec_digest(specs: Iterable[Spec]) -> str:
    """``sha256:`` of the normalised desired bodies, independent of file order and owner."""
    bodies = sorted((_digest_entry(spec) for spec in specs), key=canonical_json)
    return sha256_digest(bodies)


def _source(spec: Spec) -> str:
    return f"{spec.source.file}:{spec.source.line}"


def _unmanaged_reason(kind: kinds.ResourceKind) -> str:
    return f"not managed by the reconciler (no {kind.marker_field} marker); --adopt takes it over"


def _foreign_reason(kind: kinds.ResourceKind, owner: str) -> str:
    return (
        f"managed by another owner ({kind.marker_field}: {owner!r}); the reconciler does not "
        f"take over another owner's {kind.label}, even with --adopt"
    )


def _decide(
    spec: Spec,
    live: LiveResource | None,
    options: PlanOptions,
    write_only: WritePaths,
    duplicates: int,
    resolved: tuple[dict[str, Any], tuple[PendingRef, ...]],
    fingerprint: LiveFingerprint | None = None,
) -> Action:
    kind = kinds.get(spec.kind)
    body = kind.desired(resolved[0], options.owner)
    pending = resolved[1]
    problem = kind.plan_problem(body, live)
    if problem:
        raise PlanError(f"{_source(spec)}: {kind.label} {spec.name!r} {problem}")
    redacted = redacted_paths(body, write_only)
    if live is None:
        return Action(
            kind=ActionKind.CREATE,
            name=spec.name,
            key=spec.key,
            body=body,
            redacted=redacted,
            source=_source(spec),
            resource_kind=spec.kind,
            pending_refs=pending,
        )
    wanted, current = kind.comparable(body, live.body)
    changes: tuple[FieldChange, ...] = ()
    if canonical_json(wanted) != canonical_json(current):
        changes = field_changes(current, wanted, write_only)
    owner = live.managed_by
    reason = ""
    if duplicates > 1:
        verdict = ActionKind.CONFLICT
        reason = f"{duplicates} live {kind.label}s share this name; resolve the duplicates by hand"
    elif owner == options.owner:
        verdict = ActionKind.UPDATE if changes else ActionKind.NOOP
    elif owner is None and options.adopt:
        verdict = ActionKind.ADOPT
    else:
        verdict = ActionKind.CONFLICT
        reason = _unmanaged_reason(kind) if owner is None else _foreign_reason(kind, owner)
    sends = verdict in (ActionKind.UPDATE, ActionKind.ADOPT)
    return Action(
        kind=verdict,
        name=spec.name,
        key=spec.key,
        channel_id=live.id,
        body=body if sends else None,
        redacted=redacted if sends else (),
        live=fingerprint if fingerprint is not None else LiveFingerprint.of(live),
        live_owner=owner,
        changes=changes,
        reason=reason,
        source=_source(spec),
        resource_kind=spec.kind,
        pending_refs=pending if sends else (),
        notes=kind.action_notes(body, live),
    )


def _renamed(
    spec: Spec,
    by_key: Mapping[tuple[str, str], list[LiveResource]],
    seen: set[tuple[str, str]],
    claimed: dict[tuple[str, str], Spec],
) -> tuple[list[LiveResource], str | None]:
    """The live objects under one of the spec's former names, and that name (first found)."""
    kind = kinds.get(spec.kind)
    for former in spec.renamed_from:
        key = (spec.kind, kind.identity(former))
        if key == (spec.kind, spec.key):
            continue
        if key in seen:
            raise PlanError(
                f"{_source(spec)}: renamedFrom names {former!r}, which another spec describes; "
                "a former name must not be in use"
            )
        if key in claimed:
            raise PlanError(
                f"{_source(spec)}: renamedFrom names {former!r}, which "
                f"{_source(claimed[key])} also renames; only one spec may take it over"
            )
        found = by_key.get(key, [])
        if found:
            claimed[key] = spec
            return found, found[0].name
    return [], None


def _lookalike_notes(actions: list[Action]) -> list[Action]:
    """A note on each name that mixes scripts (a Cyrillic 'а' among Latin letters): it reads
    like another name it is not."""
    noted = []
    for action in actions:
        scripts = scripts_of(action.name)
        if len(scripts) > 1:
            mixed = " and ".join(s.title() for s in scripts)
            note = f"its name mixes {mixed} letters; it may look like a name it is not"
            action = dataclasses.replace(action, notes=(*action.notes, note))
        noted.append(action)
    return noted


def _rename_hints(actions: list[Action]) -> list[Action]:
    """A note on each create whose kind also has deletes in the plan: it may be a rename."""
    deleted: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        if action.kind is ActionKind.DELETE:
            deleted[action.resource_kind].append(action.name)
    if not deleted:
        return actions
    hinted = []
    for action in actions:
        names = deleted.get(action.resource_kind)
        if action.kind is ActionKind.CREATE and names:
            label = kinds.get(action.resource_kind).label
            listed = ", ".join(repr(n) for n in sorted(names))
            note = (
                f"this plan also deletes {label} {listed}; if this spec renames one of them, "
                f"add 'renamedFrom: [<old name>]' to it, so the {label} is renamed in place "
                "and keeps its id"
            )
            action = dataclasses.replace(action, notes=(*action.notes, note))
        hinted.append(action)
    return hinted


def _check_id(spec: Spec, ref: Reference, object_id: str, catalog: Catalog) -> None:
    """A reference by id to an object the adapter lists must name one of them (a flow of the
    right type, an existing profile): caught here, before any write, not by a 400 halfway."""
    if kinds.known(ref.target) or ref.target not in catalog:
        return
    if not any(entry[0] == object_id for entry in catalog[ref.target]):
        label = ref.label or ref.target
        raise PlanError(
            f"{_source(spec)}: {'.'.join(ref.path)}: no {label} has the id {object_id!r}"
        )


def _resolve_refs(
    spec: Spec,
    live_by_key: Mapping[tuple[str, str], list[LiveResource]],
    planned: set[tuple[str, str]],
    catalog: Catalog,
) -> tuple[dict[str, Any], tuple[PendingRef, ...]]:
    """The spec's body with every reference given by name turned into ``{"id": ...}``."""
    kind = kinds.get(spec.kind)
    if not kind.references:
        return spec.body, ()
    body = kinds.copy_json(spec.body)
    pending: list[PendingRef] = []
    for ref in kind.references:
        parent: Any = body
        for part in ref.path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        value = parent.get(ref.path[-1]) if isinstance(parent, dict) else None
        where = ".".join(ref.path)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            _check_id(spec, ref, value["id"], catalog)
            continue
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            continue  # absent
        name = value["name"]
        if kinds.known(ref.target):
            target = kinds.get(ref.target)
            key = target.identity(name)
            found = [(r.id, r.name) for r in live_by_key.get((ref.target, key), [])]
            label = target.label
            if not found and (ref.target, key) in planned:
                pending.append(PendingRef(path=ref.path, kind=ref.target, name=name))
                continue
        else:  # an object the adapter lists: its exact name, as the API spells it
            found = [e for e in catalog.get(ref.target, ()) if e[1] == name]
            label = ref.label or ref.target
        if len(found) != 1:
            detail = (
                f"no {label} is named {name!r}"
                if not found
                else f"{len(found)} {label}s are named {name!r} (ids "
                + ", ".join(sorted(i for i, _ in found))
                + "); refer to one by id"
            )
            raise PlanError(f"{_source(spec)}: {where}: {detail}")
        parent[ref.path[-1]] = {"id": found[0][0]}
    return body, tuple(pending)


def build_plan(
    specs: Sequence[Spec],
    live: Sequence[LiveResource],
    *,
    options: PlanOptions,
    environment: str,
    now: datetime,
    write_only: WritePaths = frozenset(),
    report: ReportKind = ReportKind.PLAN,
    catalog: Catalog | None = None,
) -> Plan:
    """Decide every action, sort them, and assess the thresholds.

    With ``options.targets``, only the specs and live objects whose names match are
    considered (digests, thresholds and pruning included): the plan is partial.
    """
    if not options.owner:
        raise PlanError("the owner id must not be empty")
    all_live = live
    specs = targeted(specs, options.targets)
    live = targeted(live, options.targets)
    by_key: dict[tuple[str, str], list[LiveResource]] = defaultdict(list)
    for resource in live:
        by_key[(resource.kind, resource.key)].append(resource)
    for resources in by_key.values():
        resources.sort(key=lambda r: r.id)
    # References look at every live object, not only the targeted ones.
    ref_index: dict[tuple[str, str], list[LiveResource]] = defaultdict(list)
    for resource in all_live:
        ref_index[(resource.kind, resource.key)].append(resource)
    fingerprints = {id(r): LiveFingerprint.of(r) for r in live}  # each hashed once
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        if (spec.kind, spec.key) in seen:
            label = kinds.get(spec.kind).label
            raise PlanError(f"two specs share the {label} name {spec.name!r} (names ignore case)")
        seen.add((spec.kind, spec.key))
    actions: list[Action] = []
    claimed: dict[tuple[str, str], Spec] = {}  # former names taken over by a rename
    for spec in specs:
        matches = by_key.get((spec.kind, spec.key), [])
        kind = kinds.get(spec.kind)
        previous: str | None = None
        if not matches:
            matches, previous = _renamed(spec, by_key, seen, claimed)
        if len(matches) > 1 and kind.ambiguous_is_error:
            ids = ", ".join(r.id for r in matches)
            raise PlanError(
                f"{_source(spec)}: {len(matches)} live {kind.label}s are named {spec.name!r} "
                f"(ids {ids}); names are not unique on the server, so the reconciler will not "
                "guess: rename or delete the others"
            )
        resolved = _resolve_refs(spec, ref_index, seen, catalog or {})
        match = matches[0] if matches else None
        fingerprint = fingerprints.get(id(match)) if match is not None else None
        action = _decide(spec, match, options, write_only, len(matches), resolved, fingerprint)
        if previous is not None:
            action = dataclasses.replace(action, previous_name=previous)
        actions.append(action)
    managed = [r for r in live if r.managed_by == options.owner]
    if options.prune:
        for resource in managed:
            if (resource.kind, resource.key) not in seen | claimed.keys():
                actions.append(
                    Action(
                        kind=ActionKind.DELETE,
                        name=resource.name,
                        key=resource.key,
                        channel_id=resource.id,
                        live=fingerprints[id(resource)],
                        live_owner=resource.managed_by,
                        resource_kind=resource.kind,
                    )
                )
    actions = assess(_lookalike_notes(_rename_hints(actions)))
    actions.sort(key=Action.sort_key)
    verdicts = [a.kind for a in actions]
    reasons = unsafe_reasons(
        options.thresholds,
        managed=len(managed),
        updates=verdicts.count(ActionKind.UPDATE),
        deletes=verdicts.count(ActionKind.DELETE),
    )
    return Plan(
        environment=environment,
        created_at=now,
        options=options,
        actions=tuple(actions),
        spec_digest=spec_digest(specs),
        live_digest=live_digest(live, [fingerprints[id(ch)] for ch in live]),
        managed_count=len(managed),
        unsafe_reasons=reasons,
        report=report,
        write_only=write_only,
    )
