"""No secret (client secret, Basic credentials, bearer tokens) in any repr, str, exception
message or call record, whatever goes wrong."""

from __future__ import annotations

import asyncio
import base64
import traceback
from typing import Any

import httpx
import pytest
from client_helpers import (
    FAKE_CLIENT_ID,
    FAKE_SECRET,
    ClientFactory,
    FakeClock,
    channel_body,
    make_settings,
    sandbox_app,
    sandbox_transport,
)

from reconciler.errors import ReconcilerError
from reconciler.genesys.calls import record_calls
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig


class Spy(httpx.AsyncBaseTransport):
    """Remembers every credential that went over the wire, to scan for them later."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.credentials: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        value = request.headers.get("Authorization", "")
        self.credentials.add(value.partition(" ")[2])
        response = await self.inner.handle_async_request(request)
        if request.url.path == "/oauth/token" and response.status_code == 200:
            await response.aread()
            self.credentials.add(response.json()["access_token"])
        return response


def texts_of(exc: BaseException) -> list[str]:
    out = []
    while exc is not None:
        out += [str(exc), repr(exc), "".join(traceback.format_exception_only(type(exc), exc))]
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return out


SCENARIOS: dict[str, dict[str, Any]] = {
    "bad credentials": {"credentials": ("nobody", "nothing")},
    "token rate limit": {"faults": FaultPlan(token_script=("rate_limit",) * 9)},
    "dropped create": {"faults": FaultPlan(script=("drop",))},
    "server errors": {"faults": FaultPlan(script=("503",) * 9)},
    "slow": {"faults": FaultPlan(script=("slow",) * 9, slow_seconds=99)},
    "revoked": {},
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_secret_anywhere(clock: FakeClock, make_client: ClientFactory, name: str) -> None:
    config = {"credentials": (FAKE_CLIENT_ID, FAKE_SECRET), "seed": 3, **SCENARIOS[name]}
    app = SandboxApp(SandboxConfig(**config), clock=clock)
    spy = Spy(sandbox_transport(app, clock))
    client = make_client(spy, make_settings(max_attempts=2))
    texts = [repr(make_settings()), str(make_settings()), repr(client), repr(client.auth)]

    async def scenario() -> None:
        await client.adapter("channel").create(channel_body("First"))
        app.revoke_tokens()
        await client.adapter("channel").list()
        await client.adapter("channel").get("nope")

    with record_calls() as calls:
        try:
            asyncio.run(scenario())
        except ReconcilerError as exc:
            texts += texts_of(exc)
    texts += [repr(call) for call in calls]
    basic = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode()).decode()
    secrets = {FAKE_SECRET, FAKE_CLIENT_ID, basic} | {c for c in spy.credentials if c}
    assert len(secrets) >= 3
    blob = "\n".join(texts)
    for secret in secrets:
        assert secret not in blob, f"{name}: a secret leaked"


def test_the_sandbox_scenario_with_tokens_really_ran(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    spy = Spy(sandbox_transport(app, clock))
    client = make_client(spy)
    asyncio.run(client.adapter("channel").list())
    assert len(spy.credentials - {""}) == 2  # Basic credentials and one bearer token
