"""The client against a minimal server written here from the channels API's description alone
(docs/api-notes.md#channels; it does not import ``reconciler.sandbox``), on 127.0.0.1: list,
create, update and delete all work."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from contract_helpers import FAKE_CLIENT_ID, FAKE_SECRET, channel_body

from reconciler.errors import DuplicateNameError, NotFoundError, VersionMismatchError
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings

COLLECTION = "/api/v2/webmessaging/channels"


class Org:
    """Channels by id, tokens issued, and a log of what was asked."""

    def __init__(self) -> None:
        self.channels: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.log: list[str] = []
        self.lock = threading.Lock()


def _error(status: int, code: str, message: str, **detail: str) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"message": message, "code": code, "status": status, "details": []}
    if detail:
        body["details"] = [detail]
    return status, body


def _answer(
    org: Org, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: Any
) -> tuple[int, dict[str, Any] | None]:
    if path == "/oauth/token":
        expected = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode()).decode()
        form = parse_qs(raw.decode())
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "description": "bad client"}
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type", "description": "grant"}
        token = uuid.uuid4().hex
        org.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme != "Bearer" or token not in org.tokens:
        return _error(401, "bad.credentials", "Invalid login credentials.")

    def conflict_on_name(name: str, own_id: str | None) -> tuple[int, dict[str, Any]] | None:
        for other in org.channels.values():
            if other["name"].casefold() == name.casefold() and other["id"] != own_id:
                return _error(
                    409,
                    "general.conflict",
                    "Duplicate name.",
                    fieldName="name",
                    errorCode="duplicate.value",
                    entityId=other["id"],
                )
        return None

    if path == COLLECTION and method == "GET":
        size = int(query.get("pageSize", ["25"])[0])
        number = int(query.get("pageNumber", ["1"])[0])
        items = sorted(org.channels.values(), key=lambda c: (c["name"].casefold(), c["id"]))
        if "name" in query:
            items = [c for c in items if c["name"].casefold() == query["name"][0].casefold()]
        count = -(-len(items) // size)
        listing: dict[str, Any] = {
            "entities": items[(number - 1) * size : number * size],
            "pageSize": size,
            "pageNumber": number,
            "total": len(items),
            "pageCount": count,
        }
        if number < count:
            listing["nextUri"] = f"{COLLECTION}?pageSize={size}&pageNumber={number + 1}"
        return 200, listing
    if path == COLLECTION and method == "POST":
        body = json.loads(raw)
        problem = conflict_on_name(body["name"], None)
        if problem:
            return problem
        new_id = str(uuid.uuid4())
        stamp = "2026-11-24T12:00:00.000Z"
        org.channels[new_id] = {
            "id": new_id,
            **body,
            "version": 1,
            "dateCreated": stamp,
            "dateModified": stamp,
            "selfUri": f"{COLLECTION}/{new_id}",
        }
        return 200, org.channels[new_id]
    channel_id = path.removeprefix(COLLECTION + "/")
    current = org.channels.get(channel_id)
    if current is None:
        return _error(404, "not.found", "Not found.")
    if method == "GET":
        return 200, current
    if method == "DELETE":
        del org.channels[channel_id]
        return 204, None
    body = json.loads(raw)
    if body.pop("version") != current["version"]:
        return _error(
            409,
            "general.conflict",
            "Version does not match current version.",
            fieldName="version",
            errorCode="version.mismatch",
        )
    problem = conflict_on_name(body["name"], channel_id)
    if problem:
        return problem
    org.channels[channel_id] = {**current, **body, "version": current["version"] + 1}
    return 200, org.channels[channel_id]


@contextmanager
def independent_server(org: Org) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with org.lock:
                org.log.append(f"{self.command} {parts.path}")
                status, payload = _answer(
                    org, self.command, parts.path, parse_qs(parts.query), raw, self.headers
                )
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("ININ-Correlation-Id", str(uuid.uuid4()))
            self.send_header("inin-ratelimit-count", "1")
            self.send_header("inin-ratelimit-allowed", "300")
            self.send_header("inin-ratelimit-reset", "60")
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def _no_wait(seconds: float) -> None:
    return None


@pytest.mark.socket
def test_the_client_works_with_an_independent_server() -> None:
    org = Org()

    async def scenario(url: str) -> None:
        env = {
            "GENESYS_CLIENT_ID": FAKE_CLIENT_ID,
            "GENESYS_CLIENT_SECRET": FAKE_SECRET,
            "GENESYS_API_URL": url,
            "GENESYS_LOGIN_URL": url,
        }
        settings = resolve_settings(env, rate_per_minute=100_000)
        async with GenesysBackend(settings, sleep=_no_wait) as client:
            created = [
                await client.adapter("channel").create(channel_body(f"ch-{i:03d}"))
                for i in range(130)
            ]
            listed = await client.adapter("channel").list()
            assert sorted(c.id for c in listed) == sorted(c.id for c in created)
            with pytest.raises(DuplicateNameError) as duplicate:
                await client.adapter("channel").create(channel_body("CH-007"))
            assert duplicate.value.entity_id == created[7].id
            updated = await client.adapter("channel").update(
                created[0].id, channel_body("ch-000", description="new"), revision="1"
            )
            assert updated.version == 2
            with pytest.raises(VersionMismatchError):
                await client.adapter("channel").update(
                    created[0].id, channel_body("ch-000"), revision="1"
                )
            found = await client.adapter("channel").find("CH-000")
            assert found is not None
            assert found.body["description"] == "new"
            await client.adapter("channel").delete(created[0].id)
            with pytest.raises(NotFoundError):
                await client.adapter("channel").get(created[0].id)
            assert len(await client.adapter("channel").list()) == 129

    with independent_server(org) as url:
        asyncio.run(scenario(url))
    assert org.log.count("POST /oauth/token") == 1
    assert org.log.count(f"GET {COLLECTION}") == 2 + 2 + 1  # two listings of 2 pages, one find
