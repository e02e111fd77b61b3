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
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from reconciler import kinds
from reconciler.errors import PlanError
from reconciler.kinds.base import Reference, scripts_of
from reconciler.model import LiveResource, Spec, creation_order, json_path
from reconciler.planner.actions import (
    Action,
    ActionKind,
    FieldChange,
    LiveFingerprint,
    PendingRef,
)
from reconciler.planner.diff import field_changes, same_json
from reconciler.planner.impacts import assess
from reconciler.planner.normalise import canonical_json, sha256_digest
from reconciler.planner.plan import Plan, PlanOptions, ReportKind, live_digest
from reconciler.planner.redact import WritePaths, redacted_paths
from reconciler.planner.targets import targeted
from reconciler.planner.thresholds import unsafe_reasons
from reconciler.suggest import did_you_mean, listing

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


def _unmanaged_reason(kind: kinds.ResourceKind, owner: str = "") -> str:
    if kind.ownership == "ledger":
        return (
            f"not this owner's: the environment's audit log records no create or adoption of "
            f"this {kind.label} by {owner!r} (a {kind.label} has no field for a marker); "
            "--adopt takes it over"
        )
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
    if not same_json(wanted, current):
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
        reason = (
            _unmanaged_reason(kind, options.owner)
            if owner is None
            else _foreign_reason(kind, owner)
        )
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


def _rename_hints(
    actions: list[Action], unspecified: Sequence[tuple[str, str]] = ()
) -> list[Action]:
    """A note on each create whose kind also has deletes in the plan, or (without
    ``--prune``) managed objects no spec describes: it may be a rename."""
    deleted: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        if action.kind is ActionKind.DELETE:
            deleted[action.resource_kind].append(action.name)
    left: dict[str, list[str]] = defaultdict(list)
    for kind_name, name in unspecified:
        left[kind_name].append(name)
    if not deleted and not left:
        return actions
    hinted = []
    for action in actions:
        names = deleted.get(action.resource_kind)
        leftover = left.get(action.resource_kind)
        if action.kind is ActionKind.CREATE and (names or leftover):
            label = kinds.get(action.resource_kind).label
            if names:
                listed = ", ".join(repr(n) for n in sorted(names))
                found = f"this plan also deletes {label} {listed}"
            else:
                listed = ", ".join(repr(n) for n in sorted(leftover or ()))
                found = f"no spec describes the managed {label} {listed} (--prune would delete it)"
            note = (
                f"{found}; if this spec renames one of them, "
                f"add 'renamedFrom: [<old name>]' to it, so the {label} is renamed in place "
                "and keeps its id"
            )
            action = dataclasses.replace(action, notes=(*action.notes, note))
        hinted.append(action)
    return hinted


def _check_id(
    spec: Spec,
    ref: Reference,
    object_id: str,
    catalog: Catalog,
    live_by_key: Mapping[tuple[str, str], list[LiveResource]] | None = None,
) -> None:
    """A reference by id to an object the adapter lists must name one of them (a flow of the
    right type, an existing profile): caught here, before any write, not by a 400 halfway."""
    ids = {entry[0] for entry in catalog.get(ref.target, ())}
    if kinds.known(ref.target):
        ids |= {
            r.id
            for (kind, _), found in (live_by_key or {}).items()
            if kind == ref.target
            for r in found
        }
    if not ids:
        return  # nothing of the target was read: the API judges the id
    if object_id not in ids:
        label = ref.label or ref.target
        raise PlanError(
            f"{_key_source(spec, ref)}: {'.'.join(ref.path)}: no {label} has the id {object_id!r}"
        )


def _key_source(spec: Spec, ref: Reference) -> str:
    """``file:line:col`` of the reference's key in the spec (the document's line without it)."""
    here = spec.positions.get(json_path(list(ref.path)))
    return _source(spec) if here is None else f"{here.file}:{here.line}:{here.col}"


def _resolve_refs(
    spec: Spec,
    live_by_key: Mapping[tuple[str, str], list[LiveResource]],
    declared: Mapping[tuple[str, str], tuple[Spec, LiveResource | None]],
    catalog: Catalog,
    excluded: Mapping[tuple[str, str], Spec] | None = None,
) -> tuple[dict[str, Any], tuple[PendingRef, ...]]:
    """The spec's body with every reference given by name turned into ``{"id": ...}``.

    A name of a registered kind resolves first to a spec of this run (the live object it
    matched, renames included, or a pending reference when the spec creates it), then to a
    live object; a name only a spec left out of this plan (``--target``, ``x-environments``)
    declares is a plan error naming both files."""
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
            _check_id(spec, ref, value["id"], catalog, live_by_key)
            continue
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            continue  # absent
        name = value["name"]
        if kinds.known(ref.target):
            target = kinds.get(ref.target)
            key = target.identity(name)
            label = target.label
            mine = declared.get((ref.target, key))
            if mine is not None:
                if mine[1] is None:
                    pending.append(PendingRef(path=ref.path, kind=ref.target, name=name))
                else:
                    parent[ref.path[-1]] = {"id": mine[1].id}
                continue
            left_out = (excluded or {}).get((ref.target, key))
            if left_out is not None:
                raise PlanError(
                    f"{_source(spec)}: {where}: names {label} {name!r}, whose spec "
                    f"{_source(left_out)} is left out of this plan (--target or "
                    "x-environments); plan both together, or name the object by id"
                )
            found = [(r.id, r.name) for r in live_by_key.get((ref.target, key), [])]
            if not found:
                found = [e for e in catalog.get(ref.target, ()) if target.identity(e[1]) == key]
            existing = [r.name for (k, _), rs in live_by_key.items() if k == ref.target for r in rs]
            existing += [e[1] for e in catalog.get(ref.target, ())]
        else:  # an object the adapter lists: its exact name, as the API spells it
            found = [e for e in catalog.get(ref.target, ()) if e[1] == name]
            label = ref.label or ref.target
            existing = [entry_name for _, entry_name in catalog.get(ref.target, ())]
        if len(found) != 1:
            detail = (
                _unknown_name(label, name, existing)
                if not found
                else f"{len(found)} {label}s are named {name!r} (ids "
                + ", ".join(sorted(i for i, _ in found))
                + "); refer to one by id"
            )
            raise PlanError(f"{_key_source(spec, ref)}: {where}: {detail}")
        parent[ref.path[-1]] = {"id": found[0][0]}
    return body, tuple(pending)


def _referenced(kind_name: str, body: Mapping[str, Any]) -> list[tuple[Reference, Any]]:
    """Each reference of a body of ``kind_name`` with its value (``{"id"}``/``{"name"}``)."""
    found = []
    for ref in kinds.get(kind_name).references:
        node: Any = body
        for part in ref.path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            found.append((ref, node))
    return found


def _check_cycles(
    specs: Sequence[Spec], declared: Mapping[tuple[str, str], tuple[Spec, LiveResource | None]]
) -> None:
    """A reference cycle between specs (A names B, B names A) is a plan error naming both."""
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for spec in specs:
        out = []
        for ref, value in _referenced(spec.kind, spec.body):
            name = value.get("name")
            if isinstance(name, str) and kinds.known(ref.target):
                key = (ref.target, kinds.get(ref.target).identity(name))
                if key in declared and key != (spec.kind, spec.key):
                    out.append(key)
        edges[(spec.kind, spec.key)] = out
    state: dict[tuple[str, str], int] = {}

    def visit(node: tuple[str, str], path: list[tuple[str, str]]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                first, second = declared[nxt][0], declared[node][0]
                raise PlanError(
                    f"{_source(second)}: a reference cycle: {kinds.get(second.kind).label} "
                    f"{second.name!r} names {kinds.get(first.kind).label} {first.name!r} "
                    f"({_source(first)}), which names it back; break the cycle"
                )
            if state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in edges:
        if state.get(node) is None:
            visit(node, [node])


def _users(
    resource: LiveResource, live: Sequence[LiveResource], actions: Mapping[str, Action]
) -> list[str]:
    """Who still uses ``resource`` once this plan has run: every live object (managed or not)
    whose reference holds its id, unless this plan deletes that object or points it elsewhere."""
    users = []
    for other in live:
        if not kinds.known(other.kind):
            continue
        for ref, value in _referenced(other.kind, other.body):
            if ref.target != resource.kind or value.get("id") != resource.id:
                continue
            planned = actions.get(other.id)
            if planned is not None and planned.kind is ActionKind.DELETE:
                continue
            if planned is not None and planned.body is not None and planned.executable:
                moved = [v for r, v in _referenced(other.kind, planned.body) if r.path == ref.path]
                if moved and moved[0].get("id") != resource.id:
                    continue
            label = kinds.get(other.kind).label
            users.append(f"{label} {other.name!r} (id {other.id})")
    return sorted(set(users))


def _protect_used(actions: list[Action], live: Sequence[LiveResource]) -> list[Action]:
    """A delete of an object that a live object still uses (a deployment or the org's
    defaults naming a profile, managed or not) becomes a conflict saying who uses it."""
    if not any(a.kind is ActionKind.DELETE for a in actions):
        return actions
    by_id = {a.channel_id: a for a in actions if a.channel_id}
    live_by_id = {(r.kind, r.id): r for r in live}
    kept = []
    for action in actions:
        resource = live_by_id.get((action.resource_kind, action.channel_id or ""))
        if action.kind is ActionKind.DELETE and resource is not None:
            users = _users(resource, live, by_id)
            if users:
                label = kinds.get(action.resource_kind).label
                action = dataclasses.replace(
                    action,
                    kind=ActionKind.CONFLICT,
                    reason=(
                        f"not deleted: this {label} is still used by {', '.join(users)}; "
                        "move them to another one first"
                    ),
                )
        kept.append(action)
    return kept


def _with_users(actions: list[Action], live: Sequence[LiveResource]) -> list[Action]:
    """Each update or adoption of an object that other kinds refer to says who uses it now."""
    referred = {ref.target for name in kinds.names() for ref in kinds.get(name).references}
    by_id = {a.channel_id: a for a in actions if a.channel_id}
    live_by_id = {(r.kind, r.id): r for r in live}
    result = []
    for action in actions:
        resource = live_by_id.get((action.resource_kind, action.channel_id or ""))
        if (
            resource is not None
            and action.resource_kind in referred
            and action.kind in (ActionKind.UPDATE, ActionKind.ADOPT)
        ):
            users = _users(resource, live, by_id)
            if users:
                action = dataclasses.replace(action, used_by=tuple(users))
        result.append(action)
    return result


def _ordering_notes(
    actions: list[Action],
    specs: Sequence[Spec],
    declared: Mapping[tuple[str, str], tuple[Spec, LiveResource | None]],
    live: Sequence[LiveResource],
) -> list[Action]:
    """``after``: the actions of this plan each executable action must wait for: a write after
    the writes of the objects it names, a delete after the deletes of the objects naming it."""
    by_key = {(a.resource_kind, a.key): a for a in actions}
    spec_of = {(spec.kind, spec.key): spec for spec in specs}
    deleted = {(a.resource_kind, a.channel_id): a for a in actions if a.kind is ActionKind.DELETE}
    waits: dict[tuple[str, str], list[str]] = defaultdict(list)
    for action in actions:
        if not action.executable:
            continue
        key = (action.resource_kind, action.key)
        if action.kind is ActionKind.DELETE:
            continue
        spec = spec_of.get(key)
        if spec is None:
            continue
        for ref, value in _referenced(spec.kind, spec.body):
            name = value.get("name")
            if not isinstance(name, str) or not kinds.known(ref.target):
                continue
            target_key = (ref.target, kinds.get(ref.target).identity(name))
            first = by_key.get(target_key)
            if first is not None and first.executable and target_key in declared:
                waits[key].append(f"{ref.target} {declared[target_key][0].name!r}")
    for resource in live:
        if (resource.kind, resource.id) not in deleted or not kinds.known(resource.kind):
            continue
        for ref, value in _referenced(resource.kind, resource.body):
            target = deleted.get((ref.target, str(value.get("id", ""))))
            if target is not None:
                waits[(target.resource_kind, target.key)].append(
                    f"{resource.kind} {resource.name!r}"
                )
    if not waits:
        return actions
    return [
        dataclasses.replace(a, after=tuple(sorted(set(waits[(a.resource_kind, a.key)]))))
        if (a.resource_kind, a.key) in waits and a.executable
        else a
        for a in actions
    ]


def _twin_delete(
    twin: LiveResource, survivor: LiveResource, fingerprint: LiveFingerprint
) -> Action:
    return Action(
        kind=ActionKind.DELETE,
        name=twin.name,
        key=twin.key,
        channel_id=twin.id,
        live=fingerprint,
        live_owner=twin.managed_by,
        resource_kind=twin.kind,
        reason=f"a twin of id {survivor.id}: two runs created this name at the same moment; "
        "the earliest created stays",
        notes=(f"twin of {survivor.id} (created earlier), deleted so one object holds the name",),
    )


def _unknown_name(label: str, name: str, existing: Sequence[str]) -> str:
    """``no flow is named 'Sales'; did you mean 'Sales EU'? (flows: 'A', 'B' and 3 more)``"""
    text = f"no {label} is named {name!r}"
    hint = did_you_mean(name, existing)
    if hint:
        text += f"; {hint}"
    if existing:
        return f"{text} ({label}s that exist: {listing(existing)})"
    return f"{text} (the org has no {label})"


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
    excluded: Sequence[Spec] = (),
    prune_kinds: Collection[str] | None = None,
) -> Plan:
    """Decide every action, sort them, and assess the thresholds.

    With ``options.targets``, only the specs and live objects whose names match are
    considered (digests, thresholds and pruning included): the plan is partial.
    ``excluded``: specs left out by ``x-environments``; a reference to one (or to a spec
    ``--target`` leaves out) is a plan error naming both files. ``prune_kinds``: the kinds
    whose objects are this plan's to count and prune (the specs' and the environment's);
    other live objects (read for references) are never deleted. None: every kind.
    """
    if not options.owner:
        raise PlanError("the owner id must not be empty")
    all_live = live
    all_specs = specs
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
    matched: list[tuple[Spec, list[LiveResource], str | None]] = []
    for spec in specs:
        matches = by_key.get((spec.kind, spec.key), [])
        kind = kinds.get(spec.kind)
        previous: str | None = None
        if not matches:
            matches, previous = _renamed(spec, by_key, seen, claimed)
        if (
            len(matches) > 1
            and kind.ambiguous_is_error  # names are not unique on the server
            and all(r.managed_by == options.owner for r in matches)
        ):
            # Twins: two runs of this owner created the name at the same moment and a run
            # stopped before it settled them. Every run keeps the same one (the earliest
            # created, then the lowest id) and deletes the others; a plan never fails on them.
            survivor = min(matches, key=creation_order)
            for twin in matches:
                if twin is not survivor:
                    actions.append(_twin_delete(twin, survivor, fingerprints[id(twin)]))
            matches = [survivor]
        if len(matches) > 1 and kind.ambiguous_is_error:
            ids = ", ".join(r.id for r in matches)
            raise PlanError(
                f"{_source(spec)}: {len(matches)} live {kind.label}s are named {spec.name!r} "
                f"(ids {ids}); names are not unique on the server, so the reconciler will not "
                "guess: rename or delete the others"
            )
        matched.append((spec, matches, previous))
    # What the specs of this run declare, and the live object each matched (None: created).
    declared = {
        (spec.kind, spec.key): (spec, matches[0] if len(matches) == 1 else None)
        for spec, matches, _ in matched
    }
    _check_cycles(specs, declared)
    left_out = {
        (spec.kind, spec.key): spec
        for spec in (*excluded, *(s for s in all_specs if (s.kind, s.key) not in seen))
    }
    for spec, matches, previous in matched:
        resolved = _resolve_refs(spec, ref_index, declared, catalog or {}, left_out)
        match = matches[0] if matches else None
        fingerprint = fingerprints.get(id(match)) if match is not None else None
        action = _decide(spec, match, options, write_only, len(matches), resolved, fingerprint)
        if previous is not None:
            action = dataclasses.replace(action, previous_name=previous)
        actions.append(action)
    managed = [
        r
        for r in live
        if r.managed_by == options.owner
        and (prune_kinds is None or r.kind in prune_kinds or (r.kind, r.key) in seen)
        # a singleton is this owner's only while a spec declares it
        and (kinds.get(r.kind).ownership != "singleton" or (r.kind, r.key) in seen)
    ]
    described = seen | claimed.keys()
    unspecified = (
        ()
        if options.prune
        else tuple(sorted((r.kind, r.name) for r in managed if (r.kind, r.key) not in described))
    )
    if options.prune:
        for resource in managed:
            if kinds.get(resource.kind).ownership == "singleton":
                continue  # one per org, always there: never deleted
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
    actions = _protect_used(actions, all_live)
    actions = _with_users(actions, all_live)
    actions = _ordering_notes(actions, specs, declared, all_live)
    actions = assess(_lookalike_notes(_rename_hints(actions, unspecified)))
    rank = {name: i for i, name in enumerate(kinds.ordered(kinds.names()))}
    actions.sort(key=lambda a: (rank.get(a.resource_kind, len(rank)), *a.sort_key()))
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
        unspecified=unspecified,
    )
