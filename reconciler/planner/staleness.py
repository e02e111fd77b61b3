"""Is a saved plan still true of the org? (apply --plan, before any write)

A reviewed plan may be applied only to the org it was computed against. Every action recorded
the fingerprint (version and content hash) of the live channel it saw; a create recorded that
no channel held its name. This module compares those records with a fresh listing and names
every channel that moved. Any difference refuses the whole plan: a partial apply of a stale
plan would act on decisions nobody reviewed.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler import kinds
from reconciler.model import LiveResource
from reconciler.planner.actions import Action, ActionKind, LiveFingerprint
from reconciler.planner.diff import field_changes
from reconciler.planner.plan import Plan


def stale_channels(plan: Plan, live: Iterable[LiveResource]) -> list[str]:
    """One line per action whose object changed since the plan, in words (``web deployment
    'Sales EU' (id 3f2...) was edited since the plan: deployment.allowedDomains``); empty when
    the plan holds."""
    resources = list(live)
    by_id = {(r.kind, r.id): r for r in resources}
    by_key: dict[tuple[str, str], LiveResource] = {}
    for resource in resources:
        by_key.setdefault((resource.kind, resource.key), resource)
    problems: list[str] = []
    for action in plan.actions:
        label = kinds.get(action.resource_kind).label
        who = f"{label} {action.name!r}"
        if action.live is not None and action.channel_id:
            where = f"{who} (id {action.channel_id})"
            current = by_id.get((action.resource_kind, action.channel_id))
            if current is None:
                problems.append(f"{where} was deleted since the plan")
                continue
            if LiveFingerprint.of(current) != action.live:
                problems.append(f"{where} {what_changed(action, current)}")
        elif action.kind is ActionKind.CREATE:
            holder = by_key.get((action.resource_kind, action.key))
            if holder is not None:
                problems.append(
                    f"{who} was created by someone else since the plan (id {holder.id})"
                )
    return problems


def what_changed(action: Action, current: LiveResource) -> str:
    """How an object moved since its action was planned, in words: its owner, the fields
    that no longer hold what the plan saw, or that it was written again unchanged."""
    kind = kinds.get(action.resource_kind)
    if current.managed_by != action.live_owner:
        now = (
            f"is now managed by {current.managed_by!r}"
            if current.managed_by
            else "no longer carries the ownership marker"
        )
        was = f"managed by {action.live_owner!r}" if action.live_owner else "unmanaged"
        return f"{now} (it was {was} in the plan)"
    fresh = LiveFingerprint.of(current)
    if action.live is not None and fresh.content_sha256 == action.live.content_sha256:
        return "was written again since the plan (same content, a new version)"
    if action.body is not None:
        wanted, now_view = kind.comparable(action.body, current.body)
        now_differs = {c.path: c.before for c in field_changes(now_view, wanted)}
        planned = {c.path: c.before for c in action.changes}
        moved = sorted(
            path
            for path in now_differs.keys() | planned.keys()
            if now_differs.get(path, _MISSING) != planned.get(path, _MISSING)
        )
        if moved:
            return "was edited since the plan: " + ", ".join(moved)
    return "was edited since the plan (in fields this plan does not change)"


_MISSING = object()
