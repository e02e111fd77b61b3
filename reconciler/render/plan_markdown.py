"""plan.md / drift.md: a pull-request comment a reviewer can act on.

A summary table, the digest, the environment, an unsafe warning, then one collapsible
``<details>`` diff per changed channel. The comment always stays under ``MAX_CHARS`` (GitHub
rejects comments over 65,536): past it, the remaining channels' details are left out with a
line saying how many and where the full plan is.

Channel values are text from a spec or from the API, so they are escaped for where they land:
HTML-escaped in ``<summary>``, backslash- and HTML-escaped in markdown text, and put in code
fences longer than any run of backticks they contain. Values come from the plan's changes,
which the planner already redacted.

Pure: no I/O.
"""

from __future__ import annotations

import html
import re

from reconciler import kinds
from reconciler.planner import ABSENT, Action, ActionKind, Plan, ReportKind
from reconciler.planner.redact import redact
from reconciler.render.plan_text import (
    DRIFT_LABEL,
    IMPACT_MARK,
    SYMBOL,
    drift_counts,
    drift_labels,
    drift_summary_line,
    impact_summary_line,
    kind_prefix,
    note_lines,
    show,
    summary_line,
    unspecified_line,
)

MAX_CHARS = 60_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _plain(text: str) -> str:
    """Control characters spelled out, so a value cannot break a line or a block."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def escape_html(text: str) -> str:
    return html.escape(_plain(text), quote=True)


def escape_markdown(text: str) -> str:
    """Text safe in a markdown paragraph or table cell: no markup, no HTML, no cell breaks."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(_plain(text), quote=False))


def code_span(text: str) -> str:
    """Inline code in a ``<summary>`` (HTML context): escaped, not backticked."""
    return f"<code>{escape_html(text)}</code>"


def fence(body: str, info: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def _diff_lines(action: Action) -> list[str]:
    lines = []
    for change in action.changes:
        if change.before is not ABSENT:
            lines.append(f"- {change.path}: {show(change.before)}")
        if change.after is not ABSENT:
            lines.append(f"+ {change.path}: {show(change.after)}")
    return lines


def _detail_lines(plan: Plan, action: Action) -> list[str]:
    if action.kind is ActionKind.CREATE and action.body is not None:
        shown = redact(action.body, (), plan.write_only)
        return [f"+ {key}: {show(value)}" for key, value in sorted(shown.items())]
    if action.kind is ActionKind.DELETE:
        return [f"- {show(action.name)} (id {action.channel_id})"]
    diff = _diff_lines(action)
    head: list[str] = []
    if action.kind is ActionKind.ADOPT:
        label = kinds.get(action.resource_kind).label
        head = [f"# adopt: takes the {label} over and sets the ownership marker"]
    elif action.kind is ActionKind.CONFLICT:
        head = [f"# {action.reason}", "# never touched by apply; its fields that differ:"]
    return head + (diff or ["# no field differs"])


def details_block(plan: Plan, action: Action) -> str:
    """One collapsible section for one changed channel."""
    verb = f"{SYMBOL[action.kind]} {action.kind.value}"
    label = f"{verb} {kind_prefix(action)}{code_span(action.name)}"
    if action.previous_name is not None:
        renamed = f"{code_span(action.previous_name)} -> {code_span(action.name)}"
        label = f"{SYMBOL[action.kind]} rename {kind_prefix(action)}{renamed}"
    if action.channel_id:
        label += f" (id {code_span(action.channel_id)})"
    drift = plan.drift_of(action)
    if plan.report is ReportKind.DRIFT and drift is not None:
        label += f": {escape_html(DRIFT_LABEL[drift])}"
    elif action.changes and action.kind is not ActionKind.CONFLICT:
        count = len(action.changes)
        label += f": {count} field{'s' if count != 1 else ''}"
    if action.source:
        label += f" from {code_span(action.source)}"
    if action.impacts:
        label += f" <b>{escape_html(IMPACT_MARK)}</b>"
    body = "\n".join(_plain(line) for line in _detail_lines(plan, action))
    block = f"<details><summary>{label}</summary>\n\n{fence(body, 'diff')}\n\n</details>\n\n"
    return block + impact_block(action)


def impact_block(action: Action) -> str:
    """The impact notes under an action, outside its collapsed diff so no reviewer misses
    them: one marked line each (``> ⚠ customer impact [code]: ...``)."""
    if not action.impacts:
        return ""
    lines = [
        f"> **{escape_markdown(IMPACT_MARK)}** \\[`{impact.code}`\\]: "
        f"{escape_markdown(impact.message)}"
        for impact in action.impacts
    ]
    return "\n".join(lines) + "\n\n"


def _head(plan: Plan) -> list[str]:
    drift = plan.report is ReportKind.DRIFT
    counts = plan.summary
    title = "Drift report" if drift else "Reconciler plan"
    lines = [
        f"## {title}: {escape_markdown(plan.environment)}",
        "",
        f"**Environment:** {escape_markdown(plan.environment)} · "
        f"**Owner:** {escape_markdown(plan.owner)} · **Digest:** `{plan.digest}`",
        "",
    ]
    if plan.unsafe:
        lines += [
            "> [!WARNING]",
            "> **Unsafe plan**: `reconciler apply` refuses it without `--force`.",
        ]
        lines += [f"> - {escape_markdown(reason)}" for reason in plan.unsafe_reasons]
        lines.append("")
    lines += [
        "| create | update | delete | adopt | conflict | unchanged |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {counts['create']} | {counts['update']} | {counts['delete']} | {counts['adopt']} "
        f"| {counts['conflict']} | {counts['noop']} |",
        "",
    ]
    if drift:
        found = drift_counts(plan)
        lines += ["| drift | channels |", "|---|---:|"]
        lines += [f"| {label} | {found[kind]} |" for kind, label in drift_labels(found)]
        lines += ["", drift_summary_line(plan), ""]
    else:
        lines += [summary_line(plan), ""]
        if impact_summary_line(plan):
            lines += [
                "> [!CAUTION]",
                f"> **{escape_markdown(IMPACT_MARK)}: {impact_summary_line(plan)}** "
                "Each is marked below.",
                "",
            ]
        if plan.unspecified_managed:
            lines += [unspecified_line(plan), ""]
    return lines


def render_plan_markdown(
    plan: Plan, *, full_plan: str = "plan.json", limit: int = MAX_CHARS
) -> str:
    """The comment; ``full_plan`` names where the complete JSON plan is, for the cut note."""
    head = "\n".join(_head(plan)) + "\n"
    notes = note_lines(plan)
    if notes:
        head += "\n> [!WARNING]\n" + "".join(f"> {escape_markdown(n)}\n" for n in notes)
    changes = plan.changes
    note_room = 400
    parts = [head]
    size = len(head)
    shown = 0
    for action in changes:
        block = details_block(plan, action)
        if size + len(block) + note_room > limit:
            break
        parts.append(block)
        size += len(block)
        shown += 1
    omitted = len(changes) - shown
    if omitted:
        parts.append(
            f"\n_{omitted} of {len(changes)} changed channels omitted to keep this comment under "
            f"{limit:,} characters; the full plan is in {escape_markdown(full_plan)}._\n"
        )
    return "".join(parts)
