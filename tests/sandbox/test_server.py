"""The emulator over a real socket on 127.0.0.1, driven with httpx directly."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import (
    MAX_BODY_BYTES,
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    serve_in_thread,
)

from .helpers import COLLECTION, channel_body

pytestmark = pytest.mark.socket


def token(client: httpx.Client) -> dict[str, str]:
    response = client.post(
        "/oauth/token", auth=("id", "secret"), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_crud_over_http() -> None:
    app = SandboxApp()
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        assert server.url == f"http://127.0.0.1:{server.port}"
        auth = token(client)
        created = client.post(COLLECTION, json=channel_body(), headers=auth)
        assert created.status_code == 200
        channel = created.json()
        assert created.headers["inin-ratelimit-allowed"] == "300"
        assert created.headers["ININ-Correlation-Id"]
        listing = client.get(COLLECTION, params={"name": "SUPPORT"}, headers=auth).json()
        assert [e["id"] for e in listing["entities"]] == [channel["id"]]
        updated = client.put(
            channel["selfUri"], json=channel_body(description="x", version=1), headers=auth
        )
        assert updated.json()["version"] == 2
        conflict = client.post(COLLECTION, json=channel_body(), headers=auth)
        assert conflict.status_code == 409
        assert conflict.json()["contextId"] == conflict.headers["inin-correlation-id"]
        deleted = client.delete(channel["selfUri"], headers=auth)
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert client.get(channel["selfUri"], headers=auth).status_code == 404
        unauthorized = client.get(COLLECTION)
        assert unauthorized.json()["code"] == "authentication.required"
    assert app.stats.requests["POST /oauth/token"] == 1
    assert len(app.state) == 0


def test_over_limit_body_is_413_over_http() -> None:
    with serve_in_thread(SandboxApp()) as server, httpx.Client(base_url=server.url) as client:
        body = b'{"name": "x"}' + b" " * MAX_BODY_BYTES
        response = client.post(COLLECTION, content=body, headers=token(client))
        assert response.status_code == 413
        assert response.json()["code"] == "request.entity.too.large"


def test_dropped_connection_after_commit() -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(script=("drop",))))
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        auth = token(client)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(COLLECTION, json=channel_body(), headers=auth)
        # The connection is gone, the write is not: a new connection sees it.
        assert client.get(COLLECTION, headers=auth).json()["total"] == 1


def test_slow_response_times_out_and_stop_is_prompt() -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(script=("slow",), slow_seconds=60)))
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        auth = token(client)
        with pytest.raises(httpx.ReadTimeout):
            client.post(COLLECTION, json=channel_body(), headers=auth, timeout=0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5  # the pending 60 s answer did not hold the stop
    assert len(app.state) == 1


def test_concurrent_clients_share_one_org() -> None:
    import concurrent.futures

    app = SandboxApp()
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        auth = token(client)

        def create(i: int) -> int:
            return client.post(COLLECTION, json=channel_body(f"c{i}"), headers=auth).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(create, range(40)))
        assert results == [200] * 40
        assert client.get(COLLECTION, headers=auth).json()["total"] == 40


def test_ipv6_loopback_when_available() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        context = serve_in_thread(SandboxApp(), host="::1")
        server = context.__enter__()
    except ConfigError:
        pytest.skip("::1 is not configured on this machine")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(f"{server.url}{COLLECTION}").status_code == 401
    finally:
        context.__exit__(None, None, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"), serve_in_thread(SandboxApp(), host=host):
        pass


def test_port_in_use_is_a_config_error() -> None:
    with (
        serve_in_thread(SandboxApp()) as server,
        pytest.raises(ConfigError, match="cannot listen"),
        serve_in_thread(SandboxApp(), port=server.port),
    ):
        pass
