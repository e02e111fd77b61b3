"""Customer impact notes: each executable action asks its kind what the change does to live
customers (``ResourceKind.impacts``), and carries the answer in ``Action.impacts``.

The planner knows no field of any kind: it hands the kind a ``ChangeView`` of the action (its
verb, changes, body and the names of the same kind's objects the plan deletes) and keeps what
the kind says. Impacts are derived from the action and the plan, so they stay out of the
digest and are assessed again whenever a saved plan is read: plan.json's ``impacts`` are for
people and scripts, never trusted for approval.

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from reconciler import kinds
from reconciler.kinds.base import MISSING, ChangeView, Impact
from reconciler.planner.actions import ABSENT, Action, ActionKind


def _side(value: object) -> object:
    return MISSING if value is ABSENT else value


def change_view(action: Action, deleted: Sequence[str]) -> ChangeView:
    """The kind's view of one action."""
    return ChangeView(
        verb=action.kind.value,
        name=action.name,
        object_id=action.channel_id,
        body=action.body,
        changes={c.path: (_side(c.before), _side(c.after)) for c in action.changes},
        deleted=tuple(deleted),
        previous_name=action.previous_name,
    )


def assess(actions: Iterable[Action]) -> list[Action]:
    """``actions`` with each executable one's impacts filled in (in the same order)."""
    actions = list(actions)
    deleted: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        if action.kind is ActionKind.DELETE:
            deleted[action.resource_kind].append(action.name)
    assessed = []
    for action in actions:
        found: tuple[Impact, ...] = ()
        if action.executable and kinds.known(action.resource_kind):
            view = change_view(action, deleted.get(action.resource_kind, ()))
            found = tuple(kinds.get(action.resource_kind).impacts(view))
        if found != action.impacts:
            action = dataclasses.replace(action, impacts=found)
        assessed.append(action)
    return assessed


def impacted(actions: Iterable[Action]) -> list[Action]:
    """The actions that affect live customers."""
    return [action for action in actions if action.impacts]


def impact_codes_of(actions: Iterable[Action]) -> list[str]:
    """Every impact code among ``actions``, each once, sorted."""
    return sorted({impact.code for action in actions for impact in action.impacts})
