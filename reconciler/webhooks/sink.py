"""Where the executor sends events: a ``WebhookSink`` (signed delivery + outbox) or a no-op.

``from_env`` reads ``WEBHOOK_URL`` and ``WEBHOOK_SECRET``: no URL gives a ``NullSink`` (events are
not sent, which is not an error); a URL needs a valid secret. ``emit`` never raises on a failed
delivery: it returns a ``DeliveryOutcome`` and leaves the event in the outbox, which
``redeliver`` (``reconciler webhooks redeliver``) sends later with the same id and body.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Protocol

import httpx

from reconciler.errors import WebhookError
from reconciler.events import Event, WebhookSecret
from reconciler.webhooks.delivery import (
    Clock,
    DeliveryOutcome,
    DeliveryState,
    RetryPolicy,
    Sleep,
    deliver,
    hide_url_in_logs,
)
from reconciler.webhooks.outbox import Outbox, OutboxEntry
from reconciler.webhooks.url import redact_url, validate_webhook_url

DEFAULT_OUTBOX_DIR = Path(".reconciler") / "outbox"


def default_outbox_path(environment: str, root: Path = DEFAULT_OUTBOX_DIR) -> Path:
    """``.reconciler/outbox/<environment>.jsonl`` (relative to the working directory)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in environment) or "default"
    return root / f"{safe.lstrip('.') or 'default'}.jsonl"


class EventSink(Protocol):
    """What apply needs: queue an event durably (``enqueue``: WebhookError when it cannot),
    send a queued one (``send``), both at once (``emit``), resend what earlier runs left in
    the outbox, and close at the end of the run."""

    async def enqueue(self, event: Event) -> None: ...

    async def send(self, event: Event) -> DeliveryOutcome: ...

    async def emit(self, event: Event) -> DeliveryOutcome: ...

    async def resend_pending(self, exclude: frozenset[str]) -> list[DeliveryOutcome]: ...

    async def aclose(self) -> None: ...


class NullSink:
    """WEBHOOK_URL is unset: every event is ``skipped``."""

    async def emit(self, event: Event) -> DeliveryOutcome:
        return DeliveryOutcome(
            webhook_id=event.webhook_id, event_type=event.type.value, state=DeliveryState.SKIPPED
        )

    async def enqueue(self, event: Event) -> None:
        return None

    async def send(self, event: Event) -> DeliveryOutcome:
        return await self.emit(event)

    async def resend_pending(self, exclude: frozenset[str]) -> list[DeliveryOutcome]:
        return []

    async def emit_all(self, events: Iterable[Event]) -> list[DeliveryOutcome]:
        return [await self.emit(event) for event in events]

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> NullSink:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return "NullSink()"


class WebhookSink:
    """Signed delivery to one URL with an outbox; concurrent emits are independent."""

    def __init__(
        self,
        *,
        url: str,
        secret: WebhookSecret,
        outbox: Outbox,
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        max_concurrency: int = 8,
    ) -> None:
        self._url = url
        hide_url_in_logs(url)
        self._secret = secret
        self.outbox = outbox
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)
        self._limit = asyncio.Semaphore(max_concurrency)
        self._client = httpx.AsyncClient(
            transport=transport, follow_redirects=False, timeout=self.policy.timeout
        )

    @property
    def display_url(self) -> str:
        return redact_url(self._url)

    def __repr__(self) -> str:
        return f"WebhookSink(url={self.display_url!r}, outbox={self.outbox!r})"

    async def _send(self, event: Event) -> DeliveryOutcome:
        async with self._limit:
            try:
                return await deliver(
                    self._client,
                    url=self._url,
                    secret=self._secret,
                    event=event,
                    policy=self.policy,
                    clock=self._clock,
                    sleep=self._sleep,
                    rng=self._rng,
                )
            except Exception as exc:  # a bug or an odd transport: still an outcome, not a raise
                return DeliveryOutcome(
                    webhook_id=event.webhook_id,
                    event_type=event.type.value,
                    state=DeliveryState.PENDING,
                    error=f"unexpected {type(exc).__name__}",
                )

    async def _journal(
        self, event: Event, outcome: DeliveryOutcome, earlier: int
    ) -> DeliveryOutcome:
        """Record the outcome in the outbox (in a worker thread: fsync must not stall the loop)."""
        try:
            if outcome.delivered:
                await asyncio.to_thread(self.outbox.record_delivered, event.webhook_id)
            else:
                await asyncio.to_thread(
                    self.outbox.record_pending,
                    event,
                    attempts=earlier + outcome.attempts,
                    status=outcome.status,
                    error=outcome.error,
                    now=self._clock(),
                )
        except WebhookError as exc:
            note = f"{outcome.error}; {exc}" if outcome.error else str(exc)
            return replace(outcome, error=note)
        return outcome

    async def enqueue(self, event: Event) -> None:
        """Write the event to the outbox as pending (fsynced); WebhookError when it cannot."""
        await asyncio.to_thread(
            self.outbox.record_pending,
            event,
            attempts=0,
            status=None,
            error="",
            now=self._clock(),
        )

    async def send(self, event: Event) -> DeliveryOutcome:
        """Deliver a queued event and journal the result; never raises."""
        return await self._journal(event, await self._send(event), 0)

    async def emit(self, event: Event) -> DeliveryOutcome:
        """Journal, deliver, journal the result; never raises. When the outbox cannot hold
        the event it is still sent once; if that fails too it is ``unrecorded`` (lost, and
        said so), never "kept in the outbox"."""
        try:
            await self.enqueue(event)
        except WebhookError as exc:
            outcome = await self._send(event)
            note = f"{outcome.error}; {exc}" if outcome.error else str(exc)
            if outcome.delivered:
                return replace(outcome, error=note)
            return replace(outcome, state=DeliveryState.UNRECORDED, error=note)
        return await self.send(event)

    async def resend_pending(self, exclude: frozenset[str]) -> list[DeliveryOutcome]:
        """Send again the events earlier runs left pending (not those in ``exclude``)."""
        entries = [e for e in self.outbox.pending() if e.event.webhook_id not in exclude]
        return list(await asyncio.gather(*(self._resend(entry) for entry in entries)))

    async def emit_all(self, events: Iterable[Event]) -> list[DeliveryOutcome]:
        """Deliver several events concurrently, each independently; outcomes in input order."""
        return list(await asyncio.gather(*(self.emit(event) for event in events)))

    async def redeliver(self) -> list[DeliveryOutcome]:
        """Send every pending outbox entry again (same id and body), then compact the outbox."""
        entries = self.outbox.pending()
        outcomes = await asyncio.gather(*(self._resend(entry) for entry in entries))
        self.outbox.compact()
        return list(outcomes)

    async def _resend(self, entry: OutboxEntry) -> DeliveryOutcome:
        return await self._journal(entry.event, await self._send(entry.event), entry.attempts)

    async def aclose(self) -> None:
        """Close the HTTP client and compact the outbox (delivered entries leave it)."""
        await self._client.aclose()
        # On failure the journal is still complete; the next run or redeliver compacts it.
        with contextlib.suppress(WebhookError):
            self.outbox.compact()

    async def __aenter__(self) -> WebhookSink:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def webhook_settings(env: Mapping[str, str]) -> tuple[str, WebhookSecret] | None:
    """The checked URL and secret, or None when WEBHOOK_URL is unset or empty."""
    url = env.get("WEBHOOK_URL", "").strip()
    if not url:
        return None
    url = validate_webhook_url(url)
    if not env.get("WEBHOOK_SECRET", "").strip():
        raise WebhookError(
            "WEBHOOK_SECRET is not set; it is required when WEBHOOK_URL is set "
            "(a whsec_<base64> secret)"
        )
    return url, WebhookSecret.parse(env["WEBHOOK_SECRET"])


def from_env(
    env: Mapping[str, str],
    outbox_path: Path | str,
    *,
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> WebhookSink | NullSink:
    """A sink for this environment; WebhookError (naming the variable) on a bad URL or secret."""
    settings = webhook_settings(env)
    if settings is None:
        return NullSink()
    url, secret = settings
    outbox = Outbox(Path(outbox_path))
    try:
        outbox.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = outbox.path.parent
        raise WebhookError(f"cannot create outbox folder {where}: {exc.strerror}") from exc
    return WebhookSink(
        url=url,
        secret=secret,
        outbox=outbox,
        policy=policy,
        transport=transport,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RedeliveryReport:
    """What one ``redeliver`` did to one outbox file."""

    outbox: Path
    outcomes: tuple[DeliveryOutcome, ...]
    warnings: tuple[str, ...] = ()  # corrupt lines moved aside

    @property
    def delivered(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.delivered)

    @property
    def still_pending(self) -> tuple[DeliveryOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.delivered)


async def redeliver(
    outbox_path: Path | str,
    env: Mapping[str, str],
    *,
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> RedeliveryReport:
    """Redeliver one outbox file: its events to WEBHOOK_URL (WebhookError when events are
    pending and it is not configured), its Slack and Teams notices to the URLs in the
    variables they were queued with."""
    from reconciler.webhooks.notify import redeliver_notices

    outbox = Outbox(Path(outbox_path))
    settings = webhook_settings(env)
    if settings is None:
        count = len(outbox.pending())
        if count:
            raise WebhookError(f"WEBHOOK_URL is not set: cannot redeliver {count} pending event(s)")
    notices = await redeliver_notices(
        outbox, env, policy=policy, transport=transport, clock=clock, sleep=sleep, rng=rng
    )
    if settings is None:
        if notices:
            outbox.compact()
        return RedeliveryReport(
            outbox=outbox.path, outcomes=tuple(notices), warnings=tuple(outbox.warnings)
        )
    url, secret = settings
    sink = WebhookSink(
        url=url,
        secret=secret,
        outbox=outbox,
        policy=policy,
        transport=transport,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )
    async with sink:
        outcomes = await sink.redeliver()
    return RedeliveryReport(
        outbox=outbox.path, outcomes=(*notices, *outcomes), warnings=tuple(outbox.warnings)
    )
