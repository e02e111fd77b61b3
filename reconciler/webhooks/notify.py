"""Sending notices to Slack and Microsoft Teams incoming webhooks, through the outbox.

An environment file names, per service, the variable that holds the incoming-webhook URL
(``notices: {slack: {urlEnv: SLACK_WEBHOOK_URL}}``): the URL is a secret (Slack's and Teams'
carry their token in the path) and lives in CI secrets, never in git. It is never shown:
messages name the variable and the host only, and httpx's request log shows
``https://host/***``.

A notice is written to the outbox (fsynced) before its first attempt, then POSTed as JSON with
the same bounded retries as events (429, 5xx, timeouts; a 2xx that a Teams connector uses to
report its own 429 counts as a 429); a notice still undelivered stays pending, and
``reconciler webhooks redeliver`` sends it again, reading the URL from the same variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import WebhookError
from reconciler.loopback import is_loopback_host
from reconciler.notices import SERVICES, TOPICS, Notice
from reconciler.webhooks.delivery import (
    Clock,
    DeliveryOutcome,
    DeliveryState,
    RetryPolicy,
    Sleep,
    hide_url_in_logs,
    retry_after_seconds,
)
from reconciler.webhooks.outbox import Outbox, PendingNotice

LABEL = {"slack": "Slack", "teams": "Microsoft Teams"}


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeTarget:
    """One service to notify: the variable holding its URL, and the URL read from it."""

    service: str
    url_env: str
    url: str

    @property
    def shown(self) -> str:
        """How messages and logs show the target: the variable and the host, no secret."""
        host = urlsplit(self.url).hostname or "?"
        return f"{LABEL[self.service]} ({self.url_env}, host {host})"


def check_notice_url(url: str, name: str) -> str:
    """``url`` if a notice may be posted there; WebhookError naming ``name`` (never the URL,
    which holds the webhook's secret) otherwise."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        _port = parts.port
    except ValueError:
        raise WebhookError(f"{name} does not hold a valid URL") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in text):
        raise WebhookError(f"{name} must hold an https:// incoming-webhook URL")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise WebhookError(
            f"{name} must hold an https URL (plain http only to localhost, 127.0.0.0/8 or ::1)"
        )
    return text


def notice_targets(
    config: Mapping[str, object], env: Mapping[str, str], *, file: str = "the environment file"
) -> list[NoticeTarget]:
    """The services an environment's ``notices:`` names, with their URLs from ``env``;
    WebhookError when a named variable is unset or holds no usable URL (before any write)."""
    targets = []
    for service in SERVICES:
        entry = config.get(service)
        if not isinstance(entry, Mapping):
            continue
        name = str(entry.get("urlEnv", ""))
        url = env.get(name, "").strip()
        if not url:
            raise WebhookError(
                f"{file} sends {LABEL[service]} notices with the URL in {name}, which is not "
                "set; set it (a CI secret), or remove notices."
                f"{service} from the file"
            )
        url = check_notice_url(url, name)
        target = NoticeTarget(service=service, url_env=name, url=url)
        hide_url_in_logs(url, f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/***")
        targets.append(target)
    return targets


def wanted_topics(config: Mapping[str, object]) -> frozenset[str]:
    """The topics ``notices.on`` lists (all of them when it is left out)."""
    chosen = config.get("on")
    if isinstance(chosen, Sequence) and not isinstance(chosen, str):
        return frozenset(str(t) for t in chosen)
    return frozenset(TOPICS)


def _throttled(response: httpx.Response) -> bool:
    """A Teams connector answers 200 with this text when it throttles (its docs say so)."""
    return response.status_code == 200 and "HTTP error 429" in response.text[:2000]


async def post_notice(
    client: httpx.AsyncClient,
    *,
    url: str,
    notice_id: str,
    topic: str,
    payload: Mapping[str, object],
    policy: RetryPolicy,
    clock: Clock,
    sleep: Sleep,
    rng: random.Random,
) -> DeliveryOutcome:
    """POST ``payload`` until delivered, a final failure, or ``policy.max_attempts``."""
    status: int | None = None
    error = ""
    attempts = 0
    headers = {"content-type": "application/json", "user-agent": f"reconciler/{__version__}"}
    while attempts < policy.max_attempts:
        attempts += 1
        wait: float | None = None
        try:
            response = await asyncio.wait_for(
                client.post(url, json=dict(payload), headers=headers), timeout=policy.timeout
            )
        except (httpx.TransportError, asyncio.TimeoutError) as exc:
            status = None
            kind = (
                "timeout"
                if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError))
                else ("connection error")
            )
            error = f"{kind} ({type(exc).__name__})"
        else:
            status = response.status_code
            if 200 <= status <= 299 and not _throttled(response):
                return DeliveryOutcome(
                    webhook_id=notice_id,
                    event_type=f"notice.{topic}",
                    state=DeliveryState.DELIVERED,
                    attempts=attempts,
                    status=status,
                )
            error = "HTTP 429 (reported in a 200)" if status == 200 else f"HTTP {status}"
            if not (status == 200 or status == 429 or 500 <= status <= 599):
                break
            wait = retry_after_seconds(response.headers, clock())
        if attempts < policy.max_attempts:
            delay = policy.delay(attempts, rng)
            if wait is not None:
                delay = max(delay, min(wait, policy.max_delay))
            await sleep(delay)
    return DeliveryOutcome(
        webhook_id=notice_id,
        event_type=f"notice.{topic}",
        state=DeliveryState.PENDING,
        attempts=attempts,
        status=status,
        error=error,
    )


class NoticeSender:
    """Notices of one run to its targets, each through the outbox."""

    def __init__(
        self,
        *,
        targets: Sequence[NoticeTarget],
        outbox: Outbox,
        topics: frozenset[str] = frozenset(TOPICS),
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.targets = tuple(targets)
        self.outbox = outbox
        self.topics = topics
        self.policy = policy or RetryPolicy()
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)

    def wants(self, topic: str) -> bool:
        return bool(self.targets) and topic in self.topics

    async def send(self, notice: Notice) -> list[DeliveryOutcome]:
        """Queue and send ``notice`` to every target (never raises on a failed delivery)."""
        if not self.wants(notice.topic):
            return []
        pending = [
            (
                target,
                PendingNotice(
                    notice_id=notice.notice_id(target.service),
                    service=target.service,
                    url_env=target.url_env,
                    topic=notice.topic,
                    payload=notice.payload(target.service),
                ),
            )
            for target in self.targets
        ]
        outcomes = []
        async with self._client() as client:
            for target, item in pending:
                try:
                    await asyncio.to_thread(
                        self.outbox.record_notice_pending,
                        item,
                        attempts=0,
                        status=None,
                        error="",
                        now=self._clock(),
                    )
                except WebhookError as exc:
                    outcomes.append(_unrecorded(item, str(exc)))
                    continue
                outcomes.append(await self._deliver(client, target.url, item))
        with contextlib.suppress(WebhookError):  # delivered lines leave; pending ones stay
            await asyncio.to_thread(self.outbox.compact)
        return outcomes

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport, follow_redirects=False, timeout=self.policy.timeout
        )

    async def _deliver(
        self, client: httpx.AsyncClient, url: str, item: PendingNotice
    ) -> DeliveryOutcome:
        outcome = await post_notice(
            client,
            url=url,
            notice_id=item.notice_id,
            topic=item.topic,
            payload=item.payload,
            policy=self.policy,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
        )
        try:
            if outcome.delivered:
                await asyncio.to_thread(self.outbox.record_notice_delivered, item.notice_id)
            else:
                await asyncio.to_thread(
                    self.outbox.record_notice_pending,
                    item,
                    attempts=item.attempts + outcome.attempts,
                    status=outcome.status,
                    error=outcome.error,
                    now=self._clock(),
                )
        except WebhookError as exc:
            return DeliveryOutcome(
                webhook_id=outcome.webhook_id,
                event_type=outcome.event_type,
                state=outcome.state,
                attempts=outcome.attempts,
                status=outcome.status,
                error=f"{outcome.error}; {exc}" if outcome.error else str(exc),
            )
        return outcome


def _unrecorded(item: PendingNotice, error: str) -> DeliveryOutcome:
    return DeliveryOutcome(
        webhook_id=item.notice_id,
        event_type=f"notice.{item.topic}",
        state=DeliveryState.UNRECORDED,
        error=error,
    )


async def redeliver_notices(
    outbox: Outbox,
    env: Mapping[str, str],
    *,
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> list[DeliveryOutcome]:
    """Send every pending notice of ``outbox`` again, the URL read from the variable it was
    queued with; a notice whose variable is unset stays pending, and its outcome says so."""
    notices = outbox.pending_notices()
    if not notices:
        return []
    sender = NoticeSender(
        targets=(),
        outbox=outbox,
        policy=policy,
        transport=transport,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )
    outcomes: list[DeliveryOutcome] = []
    async with sender._client() as client:
        for item in notices:
            raw = env.get(item.url_env, "").strip()
            try:
                url = check_notice_url(raw, item.url_env) if raw else ""
            except WebhookError as exc:
                url, problem = "", str(exc)
            else:
                service = LABEL.get(item.service, item.service)
                problem = f"{item.url_env} is not set: cannot send the {service} notice"
            if not url:
                outcomes.append(
                    DeliveryOutcome(
                        webhook_id=item.notice_id,
                        event_type=f"notice.{item.topic}",
                        state=DeliveryState.PENDING,
                        error=problem,
                    )
                )
                continue
            host = urlsplit(url)
            hide_url_in_logs(url, f"{host.scheme}://{host.netloc}/***")
            outcomes.append(await sender._deliver(client, url, item))
    return outcomes


def outbox_for(path: Path) -> Outbox:
    """The outbox at ``path``, its folder made; WebhookError when it cannot be."""
    outbox = Outbox(path)
    try:
        outbox.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WebhookError(
            f"cannot create outbox folder {outbox.path.parent}: {exc.strerror}"
        ) from exc
    return outbox


def notice_sender(
    config: Mapping[str, object],
    env: Mapping[str, str],
    outbox_path: Path,
    *,
    file: str = "the environment file",
    transport: httpx.AsyncBaseTransport | None = None,
) -> NoticeSender | None:
    """The sender for an environment's ``notices:`` (None when it names no service);
    WebhookError, before any write, when a URL variable is unset or unusable."""
    targets = notice_targets(config, env, file=file)
    if not targets:
        return None
    return NoticeSender(
        targets=targets,
        outbox=outbox_for(outbox_path),
        topics=wanted_topics(config),
        transport=transport,
    )
