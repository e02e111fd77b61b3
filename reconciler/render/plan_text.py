"""Terraform-like terminal rendering of a plan or drift report.

    + create "Support"                       (channels/support.yaml:1)
    ~ update "Sales" [id 3f2…]               (channels/sales.yaml:1)
        description: "old" -> "new"
    > adopt "Legacy" [id 9a1…]: sets the ownership marker
    - delete "Old" [id 77c…]
    ! conflict "Shared" [id 5d0…]: managed by another owner ...
    Plan: 1 to create, 1 to update, 1 to delete, 1 to adopt, 1 conflict, 5 unchanged.

Names and values are printed as JSON strings, so control characters in a channel name cannot
drive the terminal. Colour is the caller's decision (a terminal, and NO_COLOR unset).
Values come from the plan's changes, which the planner already redacted.

Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler import kinds
from reconciler.planner import ABSENT, REDACTED, Action, ActionKind, DriftKind, Plan, ReportKind

SYMBOL: dict[ActionKind, str] = {
    ActionKind.CREATE: "+",
    ActionKind.UPDATE: "~",
    ActionKind.ADOPT: ">",
    ActionKind.DELETE: "-",
    ActionKind.CONFLICT: "!",
    ActionKind.NOOP: "=",
}

_COLOUR: dict[ActionKind, str] = {
    ActionKind.CREATE: "32",
    ActionKind.UPDATE: "33",
    ActionKind.ADOPT: "36",
    ActionKind.DELETE: "31",
    ActionKind.CONFLICT: "35",
    ActionKind.NOOP: "2",
}

DRIFT_LABEL: dict[DriftKind, str] = {
    DriftKind.DIFFERS: "differs from git (its spec changed since this tool last wrote it)",
    DriftKind.EDITED: "edited out of band (changed since this tool last wrote it)",
    DriftKind.MISSING: "missing (deleted out of band or never created)",
    DriftKind.CONFLICT: "new conflict",
    DriftKind.EXTRA: "extra managed channel with no spec",
    DriftKind.UNKNOWN: (
        "changed (no audit log was read: edited out of band or differs from git, "
        "it cannot tell which)"
    ),
}


def drift_labels(counts: dict[DriftKind, int]) -> list[tuple[DriftKind, str]]:
    """The labels a report's counts list: every kind, but "changed (no audit log)" only when
    a run without its audit log found some."""
    return [
        (kind, label)
        for kind, label in DRIFT_LABEL.items()
        if kind is not DriftKind.UNKNOWN or counts[kind]
    ]


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def show(value: Any) -> str:
    """One value on one line: JSON, so strings are quoted and control characters escaped."""
    if value is ABSENT:
        return "(absent)"
    if value == REDACTED:
        return REDACTED
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def change_lines(action: Action) -> list[str]:
    """``path: before -> after`` per change; a list shows the items added and removed."""
    lines = []
    for change in action.changes:
        before, after = change.before, change.after
        if isinstance(before, list) and isinstance(after, list):
            added = [v for v in after if v not in before]
            removed = [v for v in before if v not in after]
            parts = [f"+ {show(v)}" for v in added] + [f"- {show(v)}" for v in removed]
            text = ", ".join(parts) if parts else f"{show(before)} -> {show(after)}"
            lines.append(f"{change.path}: {text}")
        else:
            lines.append(f"{change.path}: {show(before)} -> {show(after)}")
    return lines


def kind_prefix(action: Action) -> str:
    """``"web deployment "`` before the name of an object of any kind but the default one."""
    if action.resource_kind == kinds.DEFAULT_KIND:
        return ""
    return f"{kinds.get(action.resource_kind).label} "


def headline(action: Action) -> str:
    """``~ update "Sales" [id 123]``: symbol, action, the kind (unless the default one), name
    and object id."""
    if action.previous_name is not None:
        renamed = f"{show(action.previous_name)} -> {show(action.name)}"
        text = f"{SYMBOL[action.kind]} rename {kind_prefix(action)}{renamed}"
    else:
        text = f"{SYMBOL[action.kind]} {action.kind.value} {kind_prefix(action)}{show(action.name)}"
    if action.channel_id:
        text += f" [id {action.channel_id}]"
    if action.kind is ActionKind.ADOPT:
        label = kinds.get(action.resource_kind).label
        text += f": takes over an unmanaged {label} (sets the ownership marker)"
    elif action.reason:
        text += f": {action.reason}"
    return text


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    conflicts = counts["conflict"]
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['adopt']} to adopt, "
        f"{conflicts} conflict{'s' if conflicts != 1 else ''}, {counts['noop']} unchanged."
    )


def drift_counts(plan: Plan) -> dict[DriftKind, int]:
    counts = dict.fromkeys(DriftKind, 0)
    for action in plan.actions:
        kind = plan.drift_of(action)
        if kind is not None:
            counts[kind] += 1
    return counts


def drift_summary_line(plan: Plan) -> str:
    counts = drift_counts(plan)
    total = sum(counts.values())
    in_sync = plan.summary["noop"]
    if not total:
        return f"No drift: {in_sync} channel{'s' if in_sync != 1 else ''} in sync."
    parts = ", ".join(
        f"{counts[kind]} {label.split(' (')[0]}" for kind, label in drift_labels(counts)
    )
    return (
        f"Drift: {total} channel{'s' if total != 1 else ''} drifted ({parts}); {in_sync} in sync."
    )


#: Marks an impact note in plan.md and notices (UTF-8 files and payloads).
IMPACT_MARK = "⚠ customer impact"
#: The same mark on a terminal, in ASCII: a console's code page may lack the sign.
IMPACT_MARK_TEXT = "!! customer impact"


def impact_lines(action: Action, mark: str = IMPACT_MARK_TEXT) -> list[str]:
    """``!! customer impact [code]: message`` per impact of one action."""
    return [f"{mark} [{impact.code}]: {impact.message}" for impact in action.impacts]


def impact_summary_line(plan: Plan) -> str:
    """``3 changes affect live customers.`` ('' when none does)."""
    count = len(plan.impacted)
    if not count:
        return ""
    if count == 1:
        return "1 change affects live customers."
    return f"{count} changes affect live customers."


def note_lines(plan: Plan) -> list[str]:
    """``Note: web deployment "X": ...`` for every action that carries a warning."""
    return [
        f"Note: {kind_prefix(action)}{show(action.name)}: {note}"
        for action in plan.actions
        for note in action.notes
    ]


def unspecified_line(plan: Plan) -> str:
    """How many managed objects no spec describes: a plan without ``--prune`` leaves them, and
    says so rather than "No changes"."""
    count = plan.unspecified_managed
    objects = "object has" if count == 1 else "objects have"
    return f"{count} managed {objects} no spec (and --prune would delete them)."


def unsafe_line(plan: Plan) -> str:
    return (
        "Warning: this plan is unsafe: "
        + "; ".join(plan.unsafe_reasons)
        + ". 'reconciler apply' refuses it without --force."
    )


def render_plan_text(plan: Plan, *, color: bool = False) -> str:
    """The whole terminal report, ending with a newline."""
    drift = plan.report is ReportKind.DRIFT
    title = "Drift report" if drift else "Plan"
    lines = [f"{title} for environment {show(plan.environment)}, owner {show(plan.owner)}", ""]
    for action in plan.changes:
        line = headline(action)
        if action.source:
            line += f"  ({action.source})"
        kind = plan.drift_of(action)
        if drift and kind is not None:
            line += f"  [{DRIFT_LABEL[kind]}]"
        lines.append(paint(line, _COLOUR[action.kind], color))
        if action.kind in (ActionKind.UPDATE, ActionKind.ADOPT):
            lines.extend(f"    {text}" for text in change_lines(action))
        lines.extend(paint(f"    {text}", "1;31", color) for text in impact_lines(action))
    if plan.changes:
        lines.append("")
    elif not drift and not plan.unspecified_managed:
        lines.append("No changes: every spec matches its live channel.")
    if not drift and plan.unspecified_managed:
        lines.append(unspecified_line(plan))
    lines.extend(note_lines(plan))
    if impact_summary_line(plan):
        lines.append(paint(f"{IMPACT_MARK_TEXT}: {impact_summary_line(plan)}", "1;31", color))
    lines.append(paint(drift_summary_line(plan) if drift else summary_line(plan), "1", color))
    if plan.unsafe:
        lines.append(paint(unsafe_line(plan), "1;31", color))
    lines.append(f"Digest: {plan.digest}")
    return "\n".join(lines) + "\n"
