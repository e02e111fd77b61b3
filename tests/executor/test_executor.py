"""The executor against the in-process sandbox: faults never duplicate a channel, conflicts
are reported clearly, one failure does not stop the others. Time is virtual (FakeClock)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest
from fakes import FakeClock

from reconciler.executor import ActionResult, ActionStatus, ExecuteOptions, Executor
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.model import LiveChannel, channel_key
from reconciler.planner.actions import Action, ActionKind, LiveFingerprint
from reconciler.planner.diff import field_changes
from reconciler.planner.normalise import desired_body, normalise_body
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxState, SandboxTransport

OWNER = "team-cx"
ENV = {
    "GENESYS_CLIENT_ID": "cid-executor",
    "GENESYS_CLIENT_SECRET": "sek-executor-not-real",
    "GENESYS_API_URL": "http://127.0.0.1:9",
    "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
}


def spec_body(name: str, queue: str = "queue-1") -> dict[str, Any]:
    return {
        "name": name,
        "description": f"Chat for {name}",
        "webMessagingWidgetConfiguration": {"widgetId": "widget-1", "theme": "default"},
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": queue},
    }


def create(name: str) -> Action:
    return Action(
        kind=ActionKind.CREATE,
        name=name,
        key=channel_key(name),
        body=desired_body(spec_body(name), OWNER),
    )


def update(live: LiveChannel, queue: str, kind: ActionKind = ActionKind.UPDATE) -> Action:
    body = desired_body(spec_body(live.name, queue), OWNER)
    return Action(
        kind=kind,
        name=live.name,
        key=live.key,
        channel_id=live.id,
        body=body,
        live=LiveFingerprint.of(live),
        changes=field_changes(normalise_body(live.body), normalise_body(body)),
    )


def delete(live: LiveChannel) -> Action:
    return Action(
        kind=ActionKind.DELETE,
        name=live.name,
        key=live.key,
        channel_id=live.id,
        live=LiveFingerprint.of(live),
    )


class Harness:
    def __init__(self, *, faults: FaultPlan | None = None, lag: float = 0.0, rate: int = 0) -> None:
        self.clock = FakeClock()
        self.app = SandboxApp(
            SandboxConfig(
                rate_limit_per_minute=rate,
                listing_lag_seconds=lag,
                faults=faults or FaultPlan(),
                seed=5,
            ),
            SandboxState(),
            clock=self.clock,
            wall_clock=self.clock.wall,
        )

    def client(self) -> GenesysBackend:
        return GenesysBackend(
            resolve_settings(ENV),
            transport=SandboxTransport(self.app, sleep=self.clock.sleep),
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=random.Random(3),
            wall_clock=self.clock.wall,
        )

    def seed(self, body: dict[str, Any]) -> LiveChannel:
        """Create a channel directly, as an out-of-band actor would."""

        async def go() -> LiveChannel:
            client = self.client()
            try:
                created = await client.adapter("channel").create(body)
                assert isinstance(created, LiveChannel)
                return created
            finally:
                await client.aclose()

        return asyncio.run(go())

    def execute(
        self, actions: list[Action], rng: random.Random | None = None, **options: Any
    ) -> list[ActionResult]:
        async def go() -> list[ActionResult]:
            client = self.client()
            try:
                executor = Executor(
                    client,
                    ExecuteOptions(owner=OWNER, **options),
                    clock=self.clock,
                    sleep=self.clock.sleep,
                    rng=rng or random.Random(1),
                )
                return await executor.run(actions)
            finally:
                await client.aclose()

        return asyncio.run(go())

    def stored(self) -> list[dict[str, Any]]:
        return list(self.app.state.channels.values())


def names(channels: list[dict[str, Any]]) -> Counter[str]:
    return Counter(str(c["name"]).casefold() for c in channels)


def test_200_creates_under_faults_end_with_exactly_200_channels() -> None:
    faults = FaultPlan(seed=42, error_5xx=0.10, rate_limit_429=0.10, drop_after_commit=0.05)
    h = Harness(faults=faults, lag=2.0)
    actions = [create(f"Channel {i:03d}") for i in range(200)]

    results = h.execute(actions)

    assert [r.status for r in results] == [ActionStatus.SUCCEEDED] * 200
    counts = names(h.stored())
    assert len(counts) == 200
    assert max(counts.values()) == 1, "a channel was duplicated"
    # The faults really happened: some creates needed more than one request to settle.
    assert any(r.attempts > 1 for r in results)
    assert any("answer" in r.note for r in results), "no lost answer was exercised"


def test_lost_create_answer_is_settled_through_the_duplicate_name_entity_id() -> None:
    # The POST is applied and its answer dropped; the listing lags, so the name lookup finds
    # nothing; the second POST gets 409 with entityId, which is our own channel.
    h = Harness(faults=FaultPlan(script=("drop",), only_methods=frozenset({"POST"})), lag=30.0)

    [result] = h.execute([create("Support")])

    assert result.status is ActionStatus.SUCCEEDED
    assert "already created by this owner" in result.note
    stored = h.stored()
    assert len(stored) == 1
    assert result.channel_id == stored[0]["id"]


def test_name_held_by_a_foreign_channel_fails_clearly_and_others_go_on() -> None:
    h = Harness()
    foreign = spec_body("Sales")
    h.seed(foreign)  # unmanaged: no marker

    results = h.execute([create("Sales"), create("Billing")])

    by_name = {r.name: r for r in results}
    assert by_name["Sales"].status is ActionStatus.FAILED
    assert "already exists" in by_name["Sales"].error
    assert "not managed by reconciler" in by_name["Sales"].error
    assert by_name["Billing"].status is ActionStatus.SUCCEEDED
    assert names(h.stored()) == Counter({"sales": 1, "billing": 1})


def test_update_whose_answer_was_lost_is_not_applied_twice() -> None:
    # The seeding POST goes through ("ok"); the PUT is applied and its answer dropped.
    h2 = Harness(faults=FaultPlan(script=("ok", "drop"), only_methods=frozenset({"POST", "PUT"})))
    live = h2.seed(desired_body(spec_body("Support"), OWNER))

    [result] = h2.execute([update(live, "queue-2")])

    assert result.status is ActionStatus.SUCCEEDED
    [stored] = h2.stored()
    assert stored["routingConfiguration"]["queueId"] == "queue-2"
    assert stored["version"] == live.version + 1, "the update was applied more than once"


def test_an_edit_after_the_plan_in_a_field_the_plan_does_not_change_is_never_reverted() -> None:
    h = Harness()
    live = h.seed(desired_body(spec_body("Support"), OWNER))
    # Someone edits the description after the plan was made (the plan holds version 1).
    asyncio.run(_put(h, live, {**desired_body(spec_body("Support"), OWNER), "description": "x"}))

    [result] = h.execute([update(live, "queue-9")])

    assert result.status is ActionStatus.FAILED
    assert "'Support'" in result.error
    assert "edited after the plan (description)" in result.error
    [stored] = h.stored()
    assert stored["description"] == "x", "the unreviewed edit was reverted"
    assert stored["routingConfiguration"]["queueId"] == "queue-1", "a write went out anyway"


def test_an_edit_after_the_plan_in_a_field_the_plan_changes_anyway_is_applied_over() -> None:
    h = Harness()
    live = h.seed(desired_body(spec_body("Support"), OWNER))
    # Someone sets the queue after the plan; the plan sets that field anyway.
    asyncio.run(_put(h, live, desired_body(spec_body("Support", "queue-7"), OWNER)))

    [result] = h.execute([update(live, "queue-9")])

    assert result.status is ActionStatus.SUCCEEDED
    [stored] = h.stored()
    assert stored["routingConfiguration"]["queueId"] == "queue-9"
    assert stored["description"] == "Chat for Support"


def test_a_delete_refuses_a_channel_edited_after_the_plan() -> None:
    h = Harness()
    live = h.seed(desired_body(spec_body("Support"), OWNER))
    asyncio.run(_put(h, live, {**desired_body(spec_body("Support"), OWNER), "description": "x"}))

    [result] = h.execute([delete(live)])

    assert result.status is ActionStatus.FAILED
    assert "edited after the plan" in result.error
    assert len(h.stored()) == 1


def test_update_of_a_channel_taken_by_another_owner_is_reported() -> None:
    h = Harness()
    live = h.seed(desired_body(spec_body("Support"), OWNER))
    asyncio.run(_put(h, live, desired_body(spec_body("Support"), "someone-else")))

    [result] = h.execute([update(live, "queue-2")])

    assert result.status is ActionStatus.FAILED
    assert "now managed by 'someone-else'" in result.error
    [stored] = h.stored()
    assert stored["routingConfiguration"]["queueId"] == "queue-1"


def test_adopt_sets_the_marker_on_an_unmanaged_channel() -> None:
    h = Harness()
    live = h.seed(spec_body("Legacy"))

    [result] = h.execute([update(live, "queue-1", ActionKind.ADOPT)])

    assert result.status is ActionStatus.SUCCEEDED
    [stored] = h.stored()
    assert stored["webMessagingWidgetConfiguration"]["customAttributes"] == {"x-managed-by": OWNER}


def test_delete_of_a_channel_already_gone_succeeds() -> None:
    h = Harness()
    live = h.seed(desired_body(spec_body("Old"), OWNER))
    asyncio.run(_delete(h, live.id))

    [result] = h.execute([delete(live)])

    assert result.status is ActionStatus.SUCCEEDED
    assert result.note == "already absent"


def test_delete_whose_answer_was_lost_settles_by_reading() -> None:
    h = Harness(faults=FaultPlan(script=("ok", "drop"), only_methods=frozenset({"POST", "DELETE"})))
    live = h.seed(desired_body(spec_body("Old"), OWNER))

    [result] = h.execute([delete(live)])

    assert result.status is ActionStatus.SUCCEEDED
    assert h.stored() == []


def test_result_records_correlation_ids_and_latency() -> None:
    h = Harness()
    [result] = h.execute([create("Support")])
    assert result.correlation_ids, "the POST's correlation id is recorded"
    assert result.attempts == 1
    assert result.latency_ms >= 0


def test_stop_skips_actions_not_yet_started() -> None:
    h = Harness()

    async def go() -> list[ActionResult]:
        client = h.client()
        stop = asyncio.Event()
        done: list[ActionResult] = []

        async def on_result(result: ActionResult) -> None:
            done.append(result)
            stop.set()  # Ctrl-C after the first action finished

        try:
            executor = Executor(
                client,
                ExecuteOptions(owner=OWNER, parallelism=1),
                clock=h.clock,
                sleep=h.clock.sleep,
            )
            return await executor.run(
                [create(f"C{i}") for i in range(5)], on_result=on_result, stop=stop
            )
        finally:
            await client.aclose()

    results = asyncio.run(go())
    statuses = Counter(r.status for r in results)
    assert statuses == Counter({ActionStatus.SUCCEEDED: 1, ActionStatus.SKIPPED: 4})
    assert len(h.stored()) == 1


def test_parallelism_bounds_concurrent_actions() -> None:
    h = Harness()
    in_flight = 0
    peak = 0

    class Counting:
        def __init__(self, inner: GenesysBackend) -> None:
            self.inner = inner.adapter("channel")
            self.environment = inner.environment
            self.create_safety = self.inner.create_safety

        def adapter(self, kind: str) -> Counting:
            return self

        async def settle(self, resource: LiveChannel) -> LiveChannel:
            return resource

        async def create(self, body: dict[str, Any]) -> LiveChannel:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await h.clock.sleep(0.5)
                created = await self.inner.create(body)
                assert isinstance(created, LiveChannel)
                return created
            finally:
                in_flight -= 1

    async def go() -> list[ActionResult]:
        client = h.client()
        try:
            executor = Executor(
                Counting(client),  # type: ignore[arg-type]
                ExecuteOptions(owner=OWNER, parallelism=3),
                clock=h.clock,
            )
            return await executor.run([create(f"C{i}") for i in range(10)])
        finally:
            await client.aclose()

    results = asyncio.run(go())
    assert all(r.succeeded for r in results)
    assert peak == 3


def test_a_create_that_never_gets_an_answer_fails_after_bounded_backed_off_rounds() -> None:
    # Every POST answers 503: the outcome stays unknown. The executor re-checks and re-sends
    # with a growing, jittered pause, then gives up with a message that says a rerun is safe.
    h = Harness(faults=FaultPlan(script=("503",) * 50, only_methods=frozenset({"POST"})))
    slept_before = len(h.clock.slept)

    [result] = h.execute(
        [create("Support")], rng=CeilingRandom(), max_rounds=4, backoff_seconds=1.0
    )

    assert result.status is ActionStatus.FAILED
    assert "outcome still unknown after 4 rounds" in result.error
    assert result.unsettled, "an unknown outcome must stay open for the next run to settle"
    assert result.to_json()["unsettled"] is True
    assert "will not duplicate" in result.error
    assert h.stored() == []
    # With jitter at its ceiling, the pauses before rounds 2, 3 and 4 are 1, 2 and 4 s.
    backoffs = [p for p in h.clock.slept[slept_before:] if p >= 1.0]
    assert backoffs == [1.0, 2.0, 4.0]


class CeilingRandom(random.Random):
    """Full jitter at its upper bound, so the backoff schedule is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_parallelism_must_be_positive() -> None:
    with pytest.raises(ValueError, match="parallelism"):
        Executor(object(), ExecuteOptions(owner=OWNER, parallelism=0))  # type: ignore[arg-type]


async def _put(h: Harness, live: LiveChannel, body: dict[str, Any]) -> None:
    client = h.client()
    try:
        current = await client.adapter("channel").get(live.id)
        await client.adapter("channel").update(live.id, body, revision=str(current.version))
    finally:
        await client.aclose()


async def _delete(h: Harness, channel_id: str) -> None:
    client = h.client()
    try:
        await client.adapter("channel").delete(channel_id)
    finally:
        await client.aclose()
