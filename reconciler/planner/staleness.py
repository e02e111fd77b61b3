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

from reconciler.model import LiveResource
from reconciler.planner.actions import ActionKind, LiveFingerprint
from reconciler.planner.plan import Plan


def stale_channels(plan: Plan, live: Iterable[LiveResource]) -> list[str]:
    """One line per action whose object changed since the plan; empty when the plan holds."""
    resources = list(live)
    by_id = {(r.kind, r.id): r for r in resources}
    by_key: dict[tuple[str, str], LiveResource] = {}
    for resource in resources:
        by_key.setdefault((resource.kind, resource.key), resource)
    problems: list[str] = []
    for action in plan.actions:
        if action.live is not None and action.channel_id:
            current = by_id.get((action.resource_kind, action.channel_id))
            if current is None:
                problems.append(f"{action.name!r} (id {action.channel_id}) was deleted")
                continue
            now = LiveFingerprint.of(current)
            if now != action.live:
                problems.append(
                    f"{action.name!r} (id {action.channel_id}) changed: version "
                    f"{action.live.revision} in the plan, {now.revision} now"
                    + ("" if now.revision != action.live.revision else ", other content")
                )
        elif action.kind is ActionKind.CREATE:
            holder = by_key.get((action.resource_kind, action.key))
            if holder is not None:
                problems.append(f"{action.name!r} was created since the plan (id {holder.id})")
    return problems
