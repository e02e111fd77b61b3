"""OAuth client credentials: caching, expiry, one refresh on 401, token rate limit, refusal."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

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

from reconciler.errors import AuthenticationError, RateLimitedError, TransportError
from reconciler.genesys.auth import ClientCredentialsAuth
from reconciler.genesys.settings import Secret
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig

TOKEN = "POST /oauth/token"


def test_token_request_is_basic_auth_with_the_client_credentials_form() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600})

    async def scenario() -> str:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            auth = ClientCredentialsAuth(
                token_url="https://login.mypurecloud.ie/oauth/token",
                client_id=Secret(FAKE_CLIENT_ID),
                client_secret=Secret(FAKE_SECRET),
                send=http.send,
            )
            return (await auth.token()).value.reveal()

    assert asyncio.run(scenario()) == "tok-1"
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://login.mypurecloud.ie/oauth/token"
    expected = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}


def test_the_token_request_has_a_timeout_and_a_user_agent(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return httpx.Response(200, json={"entities": [], "pageCount": 0})

    client = make_client(httpx.MockTransport(handler), make_settings(timeout_seconds=12))
    asyncio.run(client.adapter("channel").list())
    assert [r.extensions["timeout"]["read"] for r in seen] == [12, 12]
    assert all(r.headers["User-Agent"].startswith("reconciler/") for r in seen)


def test_one_token_serves_many_concurrent_requests(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, channels=3)
    client = make_client(sandbox_transport(app, clock))

    async def many() -> None:
        await asyncio.gather(*(client.adapter("channel").list() for _ in range(20)))

    asyncio.run(many())
    assert app.stats.requests[TOKEN] == 1


def test_token_is_refreshed_60_seconds_before_it_expires(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, token_ttl_seconds=300)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> list[int]:
        counts = []
        await client.adapter("channel").list()
        counts.append(app.stats.requests[TOKEN])
        clock.now += 239  # 300 - 60 - 1: still fresh
        await client.adapter("channel").list()
        counts.append(app.stats.requests[TOKEN])
        clock.now += 2  # now inside the last minute: refresh first
        await client.adapter("channel").list()
        counts.append(app.stats.requests[TOKEN])
        return counts

    assert asyncio.run(scenario()) == [1, 1, 2]
    assert app.stats.statuses[401] == 0


def test_a_revoked_token_is_refreshed_once_and_the_call_repeated(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> None:
        await client.adapter("channel").create(channel_body("One"))
        app.revoke_tokens()
        await client.adapter("channel").create(channel_body("Two"))

    asyncio.run(scenario())
    assert app.stats.requests[TOKEN] == 2
    assert app.stats.statuses[401] == 1
    assert app.stats.requests["POST /api/v2/webmessaging/channels"] == 3
    assert len(app.state) == 2


def test_concurrent_401s_share_one_refresh(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock, channels=1)
    client = make_client(sandbox_transport(app, clock))
    channel_id = next(iter(app.state.channels))

    async def scenario() -> None:
        await client.adapter("channel").get(channel_id)
        app.revoke_tokens()
        await asyncio.gather(*(client.adapter("channel").get(channel_id) for _ in range(10)))

    asyncio.run(scenario())
    assert app.stats.requests[TOKEN] == 2
    assert app.stats.statuses[200] == 2 + 11  # two tokens and eleven reads
    assert app.stats.statuses[401] >= 1


def test_a_second_401_is_an_authentication_error(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": f"t{len(calls)}", "expires_in": 900})
        body = {"status": 401, "code": "bad.credentials", "message": "Invalid login credentials."}
        return httpx.Response(401, json=body, headers={"ININ-Correlation-Id": "corr-401"})

    client = make_client(httpx.MockTransport(handler))
    with pytest.raises(AuthenticationError) as info:
        asyncio.run(client.adapter("channel").get("abc"))
    assert calls.count("/oauth/token") == 2
    assert calls.count("/api/v2/webmessaging/channels/abc") == 2
    assert info.value.correlation_id == "corr-401"
    assert info.value.code == "bad.credentials"


def test_token_endpoint_rate_limit_is_retried_after_a_delay(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, faults=FaultPlan(token_script=("rate_limit", "rate_limit")))
    client = make_client(sandbox_transport(app, clock))
    start = clock()
    assert asyncio.run(client.adapter("channel").list()) == []
    assert app.stats.requests[TOKEN] == 3
    assert clock() - start >= 5.0
    assert all(delay > 0 for delay in clock.slept[:2])


def test_token_endpoint_rate_limit_gives_up_eventually(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, faults=FaultPlan(token_script=("rate_limit",) * 10))
    client = make_client(sandbox_transport(app, clock))
    with pytest.raises(RateLimitedError, match="rate limit exceeded"):
        asyncio.run(client.adapter("channel").list())
    assert app.stats.requests[TOKEN] == 5
    assert app.stats.requests["GET /api/v2/webmessaging/channels"] == 0


def test_bad_credentials_are_an_authentication_error_without_the_secret(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = SandboxApp(SandboxConfig(credentials=("someone-else", "other-secret")), clock=clock)
    client = make_client(sandbox_transport(app, clock))
    with pytest.raises(AuthenticationError) as info:
        asyncio.run(client.adapter("channel").list())
    message = str(info.value)
    assert "GENESYS_CLIENT_SECRET" in message
    assert FAKE_SECRET not in message
    assert FAKE_CLIENT_ID not in message
    assert app.stats.requests[TOKEN] == 1  # refused credentials are not retried


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>login</html>"),
        httpx.Response(200, json={"access_token": 42, "expires_in": 60}),
        httpx.Response(200, json={"access_token": "t", "expires_in": "soon"}),
        httpx.Response(200, json=["t"]),
        httpx.Response(500, json={"error": "server_error"}),
    ],
)
def test_odd_token_responses_are_transport_errors(
    response: httpx.Response, make_client: ClientFactory
) -> None:
    client = make_client(httpx.MockTransport(lambda request: response))
    with pytest.raises(TransportError):
        asyncio.run(client.adapter("channel").list())


def test_token_request_that_cannot_connect_is_not_an_unknown_outcome(
    make_client: ClientFactory,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow login", request=request)

    client = make_client(httpx.MockTransport(handler))
    with pytest.raises(TransportError) as info:
        asyncio.run(client.adapter("channel").create(channel_body("x")))
    assert type(info.value) is TransportError
    assert "token request" in str(info.value)


def test_auth_refuses_the_sync_client() -> None:
    auth = ClientCredentialsAuth(
        token_url="http://127.0.0.1:9/oauth/token",
        client_id=Secret(FAKE_CLIENT_ID),
        client_secret=Secret(FAKE_SECRET),
        send=lambda request: None,  # type: ignore[arg-type, return-value]
    )
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with (
        httpx.Client(transport=transport) as http,
        pytest.raises(TransportError, match="AsyncClient"),
    ):
        http.get("http://127.0.0.1:9/", auth=auth)
    assert FAKE_SECRET not in repr(auth)
    assert FAKE_CLIENT_ID not in repr(auth)
