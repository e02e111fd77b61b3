"""The in-process httpx transport: delay, timeout, drop after commit; sync and async."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxTransport

from .helpers import COLLECTION, FakeClock, channel_body

BASE = "http://sandbox.localhost"


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def login(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/oauth/token", auth=("id", "secret"), data={"grant_type": "client_credentials"}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run(app: SandboxApp, sleeps: Sleeps, body, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        transport = SandboxTransport(app, sleep=sleeps)
        async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=timeout) as c:
            return await body(c, await login(c))

    return asyncio.run(main())


def test_async_round_trip_and_headers() -> None:
    app = SandboxApp(SandboxConfig(seed=1), clock=FakeClock())

    async def body(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        created = await client.post(COLLECTION, json=channel_body(), headers=auth)
        assert created.status_code == 200
        assert created.headers["inin-correlation-id"]
        listing = await client.get(
            COLLECTION, params={"pageSize": 1, "name": "support"}, headers=auth
        )
        assert listing.json()["entities"][0]["id"] == created.json()["id"]

    run(app, Sleeps(), body)
    assert app.stats.requests["POST /oauth/token"] == 1
    assert app.stats.requests[f"GET {COLLECTION}"] == 1


def test_delay_is_slept_through_the_injected_sleep() -> None:
    app = SandboxApp(
        SandboxConfig(latency_ms=20, faults=FaultPlan(script=("slow",), slow_seconds=3))
    )
    sleeps = Sleeps()

    async def body(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
        return (await client.get(COLLECTION, headers=auth)).status_code

    assert run(app, sleeps, body) == 200
    assert sleeps.calls == [pytest.approx(0.02), pytest.approx(3.02)]


def test_slow_write_past_the_read_timeout_times_out_but_is_committed() -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(script=("slow",), slow_seconds=30)))
    sleeps = Sleeps()

    async def body(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(COLLECTION, json=channel_body(), headers=auth)

    run(app, sleeps, body, timeout=5.0)
    assert sleeps.calls == [5.0]  # the timeout, not the whole delay
    assert len(app.state) == 1


def test_drop_raises_remote_protocol_error_after_commit() -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(script=("drop",))))

    async def body(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await client.post(COLLECTION, json=channel_body(), headers=auth)
        listing = await client.get(COLLECTION, headers=auth)
        return int(listing.json()["total"])

    assert run(app, Sleeps(), body) == 1


def test_sync_client_works_too() -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(script=("ok", "slow"), slow_seconds=9)))
    slept: list[float] = []
    transport = SandboxTransport(app, sync_sleep=slept.append)
    with httpx.Client(transport=transport, base_url=BASE, timeout=4.0) as client:
        token = client.post(
            "/oauth/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get(COLLECTION, headers=auth).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            client.get(COLLECTION, headers=auth)
    assert slept == [4.0]
