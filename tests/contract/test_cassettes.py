"""Contract tests: the exact requests the client sends, pinned in vcrpy cassettes.

The cassettes in ``cassettes/`` were recorded from the emulator over a real socket
(``serve_in_thread``) and are replayed with ``record_mode="none"``: a request the client did
not send when they were recorded (other method, path, query or JSON body) fails the test. Each
test also states its expected requests, so a reviewer sees them without opening YAML.

Re-record (after a deliberate change of the wire format):

    RECONCILER_RECORD_CASSETTES=1 python -m pytest -q tests/contract

Recording rewrites the server's random port to ``CANONICAL_URL``, drops the Authorization
header, keeps only ``grant_type`` of the token request body and blanks the access token.
Never activate a cassette in a test that uses the in-process emulator: vcrpy patches httpx.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import vcr
from contract_helpers import FAKE_CLIENT_ID, FAKE_SECRET, channel_body, stored_channel
from vcr.serializers import yamlserializer

from reconciler.errors import DuplicateNameError, VersionMismatchError
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, serve_in_thread

CASSETTES = Path(__file__).parent / "cassettes"
CANONICAL_URL = "http://127.0.0.1:8765"
RECORD = os.environ.get("RECONCILER_RECORD_CASSETTES") == "1"
FILTERED_TOKEN = "filtered-access-token"
CHANNELS = "/api/v2/webmessaging/channels"


def _filter_request(served_url: str) -> Any:
    def before_record_request(request: Any) -> Any:
        request.uri = request.uri.replace(served_url, CANONICAL_URL)
        if urlsplit(request.uri).path == "/oauth/token":
            form = parse_qs((request.body or b"").decode("ascii", "replace"))
            request.body = urlencode({"grant_type": form.get("grant_type", [""])[0]}).encode()
        return request

    return before_record_request


def _filter_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for volatile in ("date", "server"):  # so a re-recording diffs only where the wire changed
        headers.pop(volatile, None)
    body = response.get("body", {}).get("string", b"")
    with contextlib.suppress(ValueError, AttributeError):
        payload = json.loads(body)
        if isinstance(payload, dict) and "access_token" in payload:
            payload["access_token"] = FILTERED_TOKEN
            response["body"]["string"] = json.dumps(payload).encode()
            headers["content-length"] = [str(len(response["body"]["string"]))]
    return response


def _no_wait(seconds: float) -> Any:
    async def nothing() -> None:
        return None

    return nothing()


@contextlib.contextmanager
def cassette(name: str, channels: int = 0) -> Iterator[str]:
    """Yield the base URL to use: a live emulator while recording, the canonical URL on replay."""
    path = CASSETTES / f"{name}.yaml"
    if RECORD:
        path.unlink(missing_ok=True)
        config = SandboxConfig(
            credentials=(FAKE_CLIENT_ID, FAKE_SECRET), rate_limit_per_minute=100_000, seed=5
        )
        app = SandboxApp(
            config,
            SandboxState(stored_channel(i) for i in range(channels)),
            wall_clock=lambda: datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc),
        )
        with serve_in_thread(app) as server:
            recorder = vcr.VCR(
                record_mode="all",
                filter_headers=["authorization", "host"],
                before_record_request=_filter_request(server.url),
                before_record_response=_filter_response,
                match_on=["method", "scheme", "host", "port", "path", "query", "body"],
            )
            with recorder.use_cassette(str(path)):
                yield server.url
        return
    if not path.exists():
        pytest.fail(f"missing cassette {path.name}: record with RECONCILER_RECORD_CASSETTES=1")
    player = vcr.VCR(
        record_mode="none",
        filter_headers=["authorization"],
        before_record_request=_filter_request(CANONICAL_URL),
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    )
    with player.use_cassette(str(path), allow_playback_repeats=False) as played:
        yield CANONICAL_URL
        assert played.all_played, f"{name}: the client sent fewer requests than recorded"


def client_for(url: str) -> GenesysBackend:
    env = {
        "GENESYS_CLIENT_ID": FAKE_CLIENT_ID,
        "GENESYS_CLIENT_SECRET": FAKE_SECRET,
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
    }
    return GenesysBackend(
        resolve_settings(env, rate_per_minute=100_000, concurrency=1), sleep=_no_wait
    )


def recorded_requests(name: str) -> list[tuple[str, str, dict[str, list[str]], Any]]:
    """(method, path, query, body) of every request in a cassette, in recorded order."""
    document = yamlserializer.deserialize((CASSETTES / f"{name}.yaml").read_text())
    out = []
    for interaction in document["interactions"]:
        request = interaction["request"]
        parts = urlsplit(request["uri"])
        body = request["body"]
        if isinstance(body, bytes):
            body = body.decode()
        if not body:
            body = None
        elif parts.path != "/oauth/token":
            body = json.loads(body)
        out.append((request["method"], parts.path, parse_qs(parts.query), body))
    return out


TOKEN_REQUEST: tuple[str, str, dict[str, list[str]], Any] = (
    "POST",
    "/oauth/token",
    {},
    "grant_type=client_credentials",
)


def page_request(number: int, name: str | None = None) -> tuple[str, str, dict[str, Any], None]:
    query = {"pageSize": ["100"], "pageNumber": [str(number)]}
    if name is not None:
        query["name"] = [name]
    return ("GET", CHANNELS, query, None)


def test_listing_250_channels() -> None:
    async def scenario(url: str) -> int:
        async with client_for(url) as client:
            return len(await client.adapter("channel").list())

    with cassette("list_250", channels=250) as url:
        assert asyncio.run(scenario(url)) == 250
    assert recorded_requests("list_250") == [
        TOKEN_REQUEST,
        page_request(1),
        page_request(2),
        page_request(3),
    ]


def test_create_get_find_update_delete() -> None:
    created_body = channel_body("Contract EN")
    updated_body = channel_body("Contract EN", description="Updated")

    async def scenario(url: str) -> str:
        async with client_for(url) as client:
            created = await client.adapter("channel").create(created_body)
            assert (await client.adapter("channel").get(created.id)).version == 1
            found = await client.adapter("channel").find("contract en")
            assert found is not None
            assert found.id == created.id
            updated = await client.adapter("channel").update(created.id, updated_body, revision="1")
            assert updated.version == 2
            assert updated.body["description"] == "Updated"
            await client.adapter("channel").delete(created.id)
            return created.id

    with cassette("crud") as url:
        channel_id = asyncio.run(scenario(url))
    item = f"{CHANNELS}/{channel_id}"
    assert recorded_requests("crud") == [
        TOKEN_REQUEST,
        ("POST", CHANNELS, {}, created_body),
        ("GET", item, {}, None),
        page_request(1, name="contract en"),
        ("PUT", item, {}, {**updated_body, "version": 1}),
        ("DELETE", item, {}, None),
    ]


def test_conflicts() -> None:
    async def scenario(url: str) -> tuple[str, str]:
        async with client_for(url) as client:
            first = await client.adapter("channel").create(channel_body("Taken"))
            with pytest.raises(DuplicateNameError) as duplicate:
                await client.adapter("channel").create(channel_body("TAKEN"))
            await client.adapter("channel").update(
                first.id, channel_body("Taken", description="2"), revision="1"
            )
            with pytest.raises(VersionMismatchError):
                await client.adapter("channel").update(
                    first.id, channel_body("Taken"), revision="1"
                )
            return first.id, duplicate.value.entity_id

    with cassette("conflicts") as url:
        first_id, holder = asyncio.run(scenario(url))
    assert holder == first_id
    assert [r[:2] for r in recorded_requests("conflicts")] == [
        ("POST", "/oauth/token"),
        ("POST", CHANNELS),
        ("POST", CHANNELS),
        ("PUT", f"{CHANNELS}/{first_id}"),
        ("PUT", f"{CHANNELS}/{first_id}"),
    ]


def test_cassettes_hold_no_secret() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 3
    basic = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode()).decode()
    for path in files:
        text = path.read_text()
        for secret in (FAKE_SECRET, FAKE_CLIENT_ID, basic, "Bearer", "Basic"):
            assert secret not in text, f"{path.name} contains {secret[:6]}..."
        assert "authorization" not in text.lower()
        document = yamlserializer.deserialize(text)
        for interaction in document["interactions"]:
            body = interaction["response"]["body"]["string"]
            if b"access_token" in (body if isinstance(body, bytes) else body.encode()):
                assert json.loads(body)["access_token"] == FILTERED_TOKEN
