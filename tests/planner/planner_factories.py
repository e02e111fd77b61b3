"""Builders for planner tests: specs, live channels, a fake backend and a pure apply simulator."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from reconciler.errors import ConfigError
from reconciler.kinds.channel import MANAGED_BY_KEY
from reconciler.model import ChannelSpec, LiveChannel, SourceRef
from reconciler.planner import ActionKind, Plan, PlanOptions, ReportKind, build_plan

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
OWNER = "reconciler"


def body(
    name: str,
    *,
    description: str | None = "A channel",
    widget: str = "widget-1",
    theme: str = "default",
    attributes: dict[str, str] | None = None,
    origins: Sequence[str] = ("https://www.example.com",),
    enabled: bool = True,
    queue: str = "queue-1",
) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name}
    if description is not None:
        doc["description"] = description
    widget_doc: dict[str, Any] = {"widgetId": widget, "theme": theme}
    if attributes is not None:
        widget_doc["customAttributes"] = dict(attributes)
    doc["webMessagingWidgetConfiguration"] = widget_doc
    doc["securityPolicy"] = {
        "enabled": enabled,
        "allowedOrigins": list(origins),
        "requireConsent": True,
    }
    doc["routingConfiguration"] = {"queueId": queue}
    return doc


def spec(name: str, *, file: str = "channels/c.yaml", line: int = 1, **kwargs: Any) -> ChannelSpec:
    return ChannelSpec(
        name=name, body=body(name, **kwargs), source=SourceRef(file=file, line=line, col=1)
    )


def spec_of(doc: dict[str, Any], *, file: str = "channels/c.yaml", line: int = 1) -> ChannelSpec:
    return ChannelSpec(name=doc["name"], body=doc, source=SourceRef(file=file, line=line, col=1))


def live(
    name: str,
    *,
    id: str | None = None,
    owner: str | None = OWNER,
    version: int = 3,
    **kwargs: Any,
) -> LiveChannel:
    doc = body(name, **kwargs)
    return live_of(doc, id=id or f"id-{name.casefold()}", owner=owner, version=version)


def live_of(
    doc: dict[str, Any], *, id: str, owner: str | None = OWNER, version: int = 1
) -> LiveChannel:
    doc = copy.deepcopy(doc)
    if owner is not None:
        widget = doc.setdefault("webMessagingWidgetConfiguration", {})
        widget.setdefault("customAttributes", {})[MANAGED_BY_KEY] = owner
    return LiveChannel(id=id, version=version, body=doc)


def plan(
    specs: Sequence[ChannelSpec],
    lives: Sequence[LiveChannel],
    *,
    report: ReportKind = ReportKind.PLAN,
    write_only: frozenset[tuple[str, ...]] = frozenset(),
    now: datetime = NOW,
    **options: Any,
) -> Plan:
    return build_plan(
        specs,
        lives,
        options=PlanOptions(**options),
        environment="test-org",
        now=now,
        report=report,
        write_only=write_only,
    )


def kinds(result: Plan) -> dict[str, str]:
    return {action.name: action.kind.value for action in result.actions}


def simulate_apply(result: Plan, lives: Iterable[LiveChannel]) -> list[LiveChannel]:
    """What the org looks like after apply executes the plan (server stores bodies as sent)."""
    state = {channel.id: channel for channel in lives}
    for index, action in enumerate(result.actions):
        if action.kind is ActionKind.CREATE:
            assert action.body is not None
            new_id = f"new-{index}"
            state[new_id] = LiveChannel(id=new_id, version=1, body=copy.deepcopy(action.body))
        elif action.kind in (ActionKind.UPDATE, ActionKind.ADOPT):
            assert action.body is not None
            assert action.channel_id is not None
            old = state[action.channel_id]
            state[action.channel_id] = LiveChannel(
                id=old.id, version=old.version + 1, body=copy.deepcopy(action.body)
            )
        elif action.kind is ActionKind.DELETE:
            assert action.channel_id is not None
            del state[action.channel_id]
    return list(state.values())


class FakeBackend:
    """An in-memory Backend with a channel adapter: enough for planning (a listing), counting
    the calls."""

    environment = "fake-org"
    pacing_wait_seconds = 0.0
    kind = "channel"

    def __init__(self, channels: Iterable[LiveChannel] = ()) -> None:
        self.channels = list(channels)
        self.list_calls = 0

    def adapter(self, kind: str) -> FakeBackend:
        if kind != "channel":
            raise ConfigError(f"this fake backend has no adapter for kind {kind!r}")
        return self

    async def list(self) -> list[LiveChannel]:
        self.list_calls += 1
        return list(self.channels)

    async def get(self, channel_id: str) -> LiveChannel:
        raise AssertionError("planning must not read channels one by one")

    async def find(self, name: str) -> LiveChannel | None:
        raise AssertionError("planning must not look channels up by name")

    async def create(self, body: Any) -> LiveChannel:
        raise AssertionError("planning never writes")

    async def update(self, channel_id: str, body: Any, *, revision: str) -> LiveChannel:
        raise AssertionError("planning never writes")

    async def delete(self, channel_id: str) -> None:
        raise AssertionError("planning never writes")

    async def catalog(self, targets: object = ()) -> dict[str, list[tuple[str, str]]]:
        return {}

    async def aclose(self) -> None:
        return None
