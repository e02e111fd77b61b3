"""Match specs to live channels and decide one action per channel.

Matching is by case-insensitive name, as the API compares names. For each spec:

- no live channel has the name: ``create``;
- the live channel carries this owner's marker: ``noop`` when the normalised bodies are equal,
  otherwise ``update`` with the changed fields;
- it carries no marker: ``conflict``, or ``adopt`` (an update that also sets the marker) with
  ``--adopt``;
- it carries ANOTHER owner's marker: ``conflict``, even with ``--adopt``. Like Argo CD, the
  reconciler never steals a resource another owner tracks: two owners would overwrite each
  other on every run. Handing a channel over is a deliberate act (the other owner drops it).

With ``--prune``, each live channel with this owner's marker and no spec is a ``delete``;
channels without the marker, or with another's, are never deleted. With targets, both sides
are first limited to the matching names (``planner.targets``).

Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from reconciler.errors import PlanError
from reconciler.model import MANAGED_BY_KEY, ChannelSpec, LiveChannel
from reconciler.planner.actions import Action, ActionKind, FieldChange, LiveFingerprint
from reconciler.planner.diff import field_changes
from reconciler.planner.normalise import (
    canonical_json,
    desired_body,
    normalise_body,
    sha256_digest,
)
from reconciler.planner.plan import Plan, PlanOptions, ReportKind, live_digest
from reconciler.planner.redact import WritePaths, redacted_paths
from reconciler.planner.targets import targeted
from reconciler.planner.thresholds import unsafe_reasons

UNMANAGED_REASON = (
    f"not managed by the reconciler (no {MANAGED_BY_KEY} marker); --adopt takes it over"
)


def spec_digest(specs: Iterable[ChannelSpec]) -> str:
    """``sha256:`` of the normalised desired bodies, independent of file order and owner."""
    bodies = sorted(
        (normalise_body(spec.body) for spec in specs),
        key=lambda body: canonical_json(body),
    )
    return sha256_digest(bodies)


def _source(spec: ChannelSpec) -> str:
    return f"{spec.source.file}:{spec.source.line}"


def _foreign_reason(owner: str) -> str:
    return (
        f"managed by another owner ({MANAGED_BY_KEY}: {owner!r}); the reconciler does not "
        "take over another owner's channel, even with --adopt"
    )


def _decide(
    spec: ChannelSpec,
    live: LiveChannel | None,
    options: PlanOptions,
    write_only: WritePaths,
    duplicates: int,
    fingerprint: LiveFingerprint | None = None,
) -> Action:
    body = desired_body(spec.body, options.owner)
    redacted = redacted_paths(body, write_only)
    if live is None:
        return Action(
            kind=ActionKind.CREATE,
            name=spec.name,
            key=spec.key,
            body=body,
            redacted=redacted,
            source=_source(spec),
        )
    wanted, current = normalise_body(body), normalise_body(live.body)
    changes: tuple[FieldChange, ...] = ()
    if canonical_json(wanted) != canonical_json(current):
        changes = field_changes(current, wanted, write_only)
    owner = live.managed_by
    reason = ""
    if duplicates > 1:
        kind = ActionKind.CONFLICT
        reason = f"{duplicates} live channels share this name; resolve the duplicates by hand"
    elif owner == options.owner:
        kind = ActionKind.UPDATE if changes else ActionKind.NOOP
    elif owner is None and options.adopt:
        kind = ActionKind.ADOPT
    else:
        kind = ActionKind.CONFLICT
        reason = UNMANAGED_REASON if owner is None else _foreign_reason(owner)
    sends = kind in (ActionKind.UPDATE, ActionKind.ADOPT)
    return Action(
        kind=kind,
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
    )


def build_plan(
    specs: Sequence[ChannelSpec],
    live: Sequence[LiveChannel],
    *,
    options: PlanOptions,
    environment: str,
    now: datetime,
    write_only: WritePaths = frozenset(),
    report: ReportKind = ReportKind.PLAN,
) -> Plan:
    """Decide every action, sort them, and assess the thresholds.

    With ``options.targets``, only the specs and live channels whose names match are
    considered (digests, thresholds and pruning included): the plan is partial.
    """
    if not options.owner:
        raise PlanError("the owner id must not be empty")
    specs = targeted(specs, options.targets)
    live = targeted(live, options.targets)
    by_key: dict[str, list[LiveChannel]] = defaultdict(list)
    for channel in live:
        by_key[channel.key].append(channel)
    for channels in by_key.values():
        channels.sort(key=lambda ch: ch.id)
    fingerprints = {id(ch): LiveFingerprint.of(ch) for ch in live}  # each hashed once
    actions: list[Action] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.key in seen:
            raise PlanError(f"two specs share the channel name {spec.name!r} (names ignore case)")
        seen.add(spec.key)
        matches = by_key.get(spec.key, [])
        match = matches[0] if matches else None
        fingerprint = fingerprints[id(match)] if match is not None else None
        actions.append(_decide(spec, match, options, write_only, len(matches), fingerprint))
    managed = [ch for ch in live if ch.managed_by == options.owner]
    if options.prune:
        for channel in managed:
            if channel.key not in seen:
                actions.append(
                    Action(
                        kind=ActionKind.DELETE,
                        name=channel.name,
                        key=channel.key,
                        channel_id=channel.id,
                        live=fingerprints[id(channel)],
                        live_owner=channel.managed_by,
                    )
                )
    actions.sort(key=Action.sort_key)
    kinds = [a.kind for a in actions]
    reasons = unsafe_reasons(
        options.thresholds,
        managed=len(managed),
        updates=kinds.count(ActionKind.UPDATE),
        deletes=kinds.count(ActionKind.DELETE),
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
