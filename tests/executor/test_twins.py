"""The twin rule of the executor, on a scripted adapter: after a create, this owner's objects of
the name are looked up; the earliest created (then the lowest id of its first write) stays,
and only a losing run's own object is deleted. A lagging listing that shows this run's own
object as it was a moment ago is not a twin."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from reconciler import kinds
from reconciler.backend import CreateSafety, SimpleAdapter
from reconciler.executor import ActionStatus, ExecuteOptions, Executor
from reconciler.model import LiveResource
from reconciler.planner import Action, ActionKind

OWNER = "tests"
KIND = kinds.get("channel")
SPEC = {
    "name": "Twin",
    "webMessagingWidgetConfiguration": {"widgetId": "w-1", "theme": "default"},
    "securityPolicy": {"enabled": False, "allowedOrigins": [], "requireConsent": False},
    "routingConfiguration": {"queueId": "q-1"},
}
BODY = KIND.desired(SPEC, OWNER)


def resource(object_id: str, created: str, origin: str = "") -> LiveResource:
    return LiveResource(
        kind="channel",
        id=object_id,
        revision="1",
        body=dict(BODY),
        date_created=created,
        origin_id=origin,
    )


class Scripted(SimpleAdapter):
    """Creates ``made``; lists ``listed`` (then, once deleted, without it)."""

    kind = "channel"
    create_safety = CreateSafety.LOOKUP_ONLY

    def __init__(self, made: LiveResource, listed: list[LiveResource]) -> None:
        self.made = made
        self.listed = listed
        self.deleted: list[str] = []

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        return self.made

    async def named(self, name: str) -> list[LiveResource]:
        return [r for r in self.listed if r.id not in self.deleted]

    async def find(self, name: str) -> LiveResource | None:
        found = await self.named(name)
        return found[0] if found else None

    async def get(self, object_id: str) -> LiveResource:
        return next(r for r in [*self.listed, self.made] if r.id == object_id)

    async def delete(self, object_id: str) -> None:
        self.deleted.append(object_id)
        self.listed = [r for r in self.listed if r.id != object_id]


class OneKind:
    environment = "test"
    pacing_wait_seconds = 0.0

    def __init__(self, adapter: Scripted) -> None:
        self._adapter = adapter

    def adapter(self, kind: str) -> Scripted:
        return self._adapter

    async def aclose(self) -> None:
        return None


async def no_sleep(seconds: float) -> None:
    return None


def create(adapter: Scripted) -> Any:
    action = Action(kind=ActionKind.CREATE, name="Twin", key=KIND.identity("Twin"), body=BODY)
    backend = OneKind(adapter)  # a partial fake: what a create's execution reads
    executor = Executor(backend, ExecuteOptions(owner=OWNER), sleep=no_sleep)  # type: ignore[arg-type]
    return asyncio.run(executor.execute(action))


def test_a_lagging_listing_of_our_own_object_is_not_a_twin() -> None:
    ours = resource("dep-1", "2026-01-01T10:00:00.500Z", origin="cfg-1")
    as_listed = resource("configuration/cfg-1", "2026-01-01T10:00:00.500Z", origin="cfg-1")
    adapter = Scripted(ours, [as_listed])
    result = create(adapter)
    assert result.status is ActionStatus.SUCCEEDED
    assert adapter.deleted == []
    assert result.twin is None
    assert result.channel_id == "dep-1"


def test_the_later_twin_deletes_itself_and_takes_the_earlier_as_its_result() -> None:
    ours = resource("dep-2", "2026-01-01T10:00:00.900Z", origin="cfg-2")
    earlier = resource("dep-1", "2026-01-01T10:00:00.100Z", origin="cfg-9")
    adapter = Scripted(ours, [earlier, ours])
    result = create(adapter)
    assert result.status is ActionStatus.SUCCEEDED
    assert adapter.deleted == ["dep-2"], "only its own object"
    assert result.channel_id == "dep-1"
    assert result.twin == {"id": "dep-2", "survivor": "dep-1", "deleted": True}
    assert result.announce is False
    assert [s["step"] for s in result.steps] == ["twin.delete"]


def test_the_earlier_twin_stays_and_deletes_nothing() -> None:
    ours = resource("dep-2", "2026-01-01T10:00:00.100Z", origin="cfg-2")
    later = resource("dep-1", "2026-01-01T10:00:00.900Z", origin="cfg-1")
    adapter = Scripted(ours, [later, ours])
    result = create(adapter)
    assert adapter.deleted == []
    assert result.channel_id == "dep-2"
    assert result.twin is None
    assert result.announce is True
    assert "this one is the earliest and stays" in result.note


def test_a_tie_on_the_date_goes_to_the_lowest_id_of_the_first_write() -> None:
    same = "2026-01-01T10:00:00.100Z"
    ours = resource("dep-a", same, origin="cfg-b")
    other = resource("dep-z", same, origin="cfg-a")
    adapter = Scripted(ours, [ours, other])
    result = create(adapter)
    assert adapter.deleted == ["dep-a"]
    assert result.channel_id == "dep-z"
