"""Notices: one concise message for the team's Slack or Microsoft Teams channel when drift is
found, an apply fails or does not finish, or applied changes affected live customers.

``Notice`` is the message as a value (a summary line, the objects, a link to the CI run);
``slack_payload`` and ``teams_payload`` spell it in the format each service's incoming webhook
renders:

- Slack (incoming webhooks, Block Kit): ``{"text", "blocks"}``: ``text`` is the summary (what
  notifications and screen readers show), ``blocks`` a ``section`` of mrkdwn with the summary
  and one for the objects, and a ``context`` block with the run link. ``&``, ``<`` and ``>``
  are escaped, so a name cannot ping a channel (``<!channel>``) or forge a link.
- Microsoft Teams (incoming webhook or Workflows): a ``message`` whose one attachment is an
  Adaptive Card 1.2 (``application/vnd.microsoft.card.adaptive``): a bold ``TextBlock``
  summary, a ``TextBlock`` list of the objects, and an ``Action.OpenUrl`` to the run.

Texts are bounded (Slack: 3,000 characters a section; long lists end with "and N more"), and
hold names, codes and the reasons the terminal shows: never a URL of a webhook, a token or a
secret (the webhook URLs are never part of a notice at all).

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: What a notice is about; ``notices.on`` in an environment file picks among them.
TOPICS = ("drift.detected", "apply.failed", "apply.impacts")
SERVICES = ("slack", "teams")
MAX_ITEMS = 20
MAX_SECTION = 2900  # Slack allows 3,000 characters in a section's text
MAX_LINE = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """One message about one run."""

    topic: str
    run_id: str
    environment: str
    summary: str
    items: tuple[str, ...] = ()
    run_url: str = ""

    def notice_id(self, service: str) -> str:
        """Stable per run, topic and service: a redelivery carries the same id."""
        key = f"{self.run_id}\x00{self.topic}\x00{service}".encode()
        return "ntc_" + hashlib.sha256(key).hexdigest()[:32]

    def payload(self, service: str) -> dict[str, Any]:
        if service == "slack":
            return slack_payload(self)
        if service == "teams":
            return teams_payload(self)
        raise ValueError(f"unknown notice service {service!r}")


def run_url(env: Mapping[str, str]) -> str:
    """The GitHub Actions run's page, when GITHUB_SERVER_URL, GITHUB_REPOSITORY and
    GITHUB_RUN_ID are set ('' otherwise)."""
    server = env.get("GITHUB_SERVER_URL", "").strip().rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "").strip().strip("/")
    run_id = env.get("GITHUB_RUN_ID", "").strip()
    if not (server.startswith(("https://", "http://")) and repository and run_id.isdigit()):
        return ""
    return f"{server}/{repository}/actions/runs/{run_id}"


def _line(text: str) -> str:
    """One line, control characters spelled out, bounded."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return flat if len(flat) <= MAX_LINE else flat[: MAX_LINE - 1] + "…"


def _shown_items(items: Sequence[str]) -> list[str]:
    shown = [_line(item) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        shown.append(f"and {len(items) - MAX_ITEMS} more")
    return shown


def slack_escape(text: str) -> str:
    """Slack's three control characters, as its docs ask: ``&``, ``<``, ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bounded(lines: list[str], limit: int) -> str:
    text = ""
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > limit:
            rest = len(lines) - index
            return f"{text}\nand {rest} more"
        text = candidate
    return text


def slack_payload(notice: Notice) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` plus Block Kit ``blocks``."""
    summary = _line(notice.summary)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{slack_escape(summary)}*"}}
    ]
    items = [f"• {slack_escape(item)}" for item in _shown_items(notice.items)]
    if items:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _bounded(items, MAX_SECTION)}}
        )
    context = f"reconciler · environment {slack_escape(_line(notice.environment))}"
    if notice.run_url:
        context += f" · <{slack_escape(notice.run_url)}|View the run>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": slack_escape(summary), "blocks": blocks}


def teams_payload(notice: Notice) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook message: one Adaptive Card attachment."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _line(notice.summary),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    items = _shown_items(notice.items)
    if items:
        body.append(
            {
                "type": "TextBlock",
                "text": _bounded([f"- {item}" for item in items], MAX_SECTION),
                "wrap": True,
            }
        )
    body.append(
        {
            "type": "TextBlock",
            "text": f"reconciler · environment {_line(notice.environment)}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        }
    )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": body,
    }
    if notice.run_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "View the run", "url": notice.run_url}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def drift_notice(plan: Any, *, run_id: str, link: str = "") -> Notice:
    """``drift.detected``: the drift summary and each drifted object with how it drifted."""
    from reconciler.render.plan_text import DRIFT_LABEL, drift_summary_line, kind_prefix

    items = []
    for action in plan.changes:
        drift = plan.drift_of(action)
        how = DRIFT_LABEL[drift].split(" (")[0] if drift is not None else action.kind.value
        where = f" (id {action.channel_id})" if action.channel_id else ""
        items.append(f"{kind_prefix(action)}{action.name!r}{where}: {how}")
    summary = f"Drift in {plan.environment}: " + drift_summary_line(plan).removeprefix("Drift: ")
    return Notice(
        topic="drift.detected",
        run_id=run_id,
        environment=plan.environment,
        summary=summary,
        items=tuple(items),
        run_url=link,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyOutcome:
    """What an apply notice says of a run (built by the apply from its result)."""

    run_id: str
    environment: str
    status: str
    succeeded: int
    failed: int
    not_started: int
    problems: tuple[str, ...] = ()  # failed actions, conflicts left, why the run stopped
    impacts: tuple[str, ...] = ()  # applied changes that affected live customers


def apply_notice(outcome: ApplyOutcome, *, link: str = "") -> Notice | None:
    """``apply.failed`` for a run that failed or did not finish, else ``apply.impacts`` when
    applied changes affected live customers, else None (nothing to tell)."""
    counts = (
        f"{outcome.succeeded} succeeded, {outcome.failed} failed, {outcome.not_started} not started"
    )
    if outcome.status in ("failed", "interrupted"):
        verb = "failed" if outcome.status == "failed" else "did not finish (interrupted)"
        return Notice(
            topic="apply.failed",
            run_id=outcome.run_id,
            environment=outcome.environment,
            summary=f"Apply {verb} in {outcome.environment}: {counts}",
            items=outcome.problems + outcome.impacts,
            run_url=link,
        )
    if outcome.impacts:
        count = len(outcome.impacts)
        changes = "1 applied change affected" if count == 1 else f"{count} applied changes affected"
        return Notice(
            topic="apply.impacts",
            run_id=outcome.run_id,
            environment=outcome.environment,
            summary=f"Apply in {outcome.environment}: {changes} live customers",
            items=outcome.impacts,
            run_url=link,
        )
    return None
