"""Every body is checked: malformed, mistyped or endless answers are TransportErrors with a
clear message, never a KeyError or TypeError; redirects are never followed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_helpers import ClientFactory, channel_body, stored_channel

from reconciler.errors import ApiError, ServerError, TransportError

Handler = Callable[[httpx.Request], httpx.Response]


def api(answer: Callable[[httpx.Request], httpx.Response]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return answer(request)

    return handler


def listing(entities: list[Any], page: int, page_count: int, **extra: Any) -> dict[str, Any]:
    doc = {
        "entities": entities,
        "pageSize": 100,
        "pageNumber": page,
        "total": len(entities),
        "pageCount": page_count,
    }
    doc.update(extra)
    return doc


GOOD = stored_channel(1)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(200, content=b"<html>hi</html>"), "not JSON"),
        (httpx.Response(200, content=b""), "not JSON"),
        (httpx.Response(200, json=[GOOD]), "expected a JSON object, got list"),
        (httpx.Response(200, json={**GOOD, "id": None}), "'id' should be a string"),
        (httpx.Response(200, json={**GOOD, "id": ""}), "id is empty"),
        (httpx.Response(200, json={**GOOD, "version": "1"}), "'version' should be an integer"),
        (httpx.Response(200, json={**GOOD, "version": True}), "'version' should be an integer"),
        (httpx.Response(200, json={k: v for k, v in GOOD.items() if k != "name"}), "'name'"),
        (httpx.Response(200, json={**GOOD, "securityPolicy": []}), "'securityPolicy'"),
        (httpx.Response(200, json={**GOOD, "dateCreated": 5}), "'dateCreated'"),
        (
            httpx.Response(
                200, json={**GOOD, "webMessagingWidgetConfiguration": {"customAttributes": [1]}}
            ),
            "customAttributes",
        ),
    ],
)
def test_bad_channel_bodies(
    make_client: ClientFactory, answer: httpx.Response, expected: str
) -> None:
    client = make_client(httpx.MockTransport(api(lambda request: answer)))
    with pytest.raises(TransportError, match=expected) as info:
        asyncio.run(client.adapter("channel").get("abc"))
    assert "GET /api/v2/webmessaging/channels/abc" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"entities": "none", "pageCount": 1}, "'entities' should be a list"),
        ({"pageCount": 1}, "'entities' is missing"),
        ({"entities": []}, "'pageCount' is missing"),
        ({"entities": [], "pageCount": "1"}, "'pageCount' should be an integer"),
        ({"entities": [], "pageCount": -1}, "negative pageCount"),
        ({"entities": [42], "pageCount": 1}, "not a JSON object"),
        ({"entities": [{"id": "x"}], "pageCount": 1}, "'version' is missing"),
        ({"entities": [], "pageCount": 1, "pageNumber": 4}, "answered with page 4"),
        ({"entities": [], "pageCount": 1, "nextUri": 3}, "'nextUri'"),
    ],
)
def test_bad_listing_pages(make_client: ClientFactory, doc: dict[str, Any], expected: str) -> None:
    client = make_client(httpx.MockTransport(api(lambda request: httpx.Response(200, json=doc))))
    with pytest.raises(TransportError, match=expected):
        asyncio.run(client.adapter("channel").list())


def test_a_server_that_ignores_page_numbers_is_caught(make_client: ClientFactory) -> None:
    page = [stored_channel(i) for i in range(100)]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"entities": page, "pageCount": 3})

    client = make_client(httpx.MockTransport(api(answer)))
    with pytest.raises(TransportError, match="page 2 repeats page 1"):
        asyncio.run(client.adapter("channel").list())


def test_a_listing_that_never_ends_is_an_error_not_a_hang(make_client: ClientFactory) -> None:
    requests: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        requests.append(number)
        entities = [stored_channel(number * 1000 + i) for i in range(100)]
        return httpx.Response(
            200, json=listing(entities, number, 1, nextUri=f"/x?pageNumber={number + 1}")
        )

    client = make_client(httpx.MockTransport(api(answer)), max_pages=20)
    with pytest.raises(TransportError, match="did not end after 20 pages"):
        asyncio.run(client.adapter("channel").list())
    assert len(requests) == 20


def test_an_absurd_page_count_is_refused_before_fetching(make_client: ClientFactory) -> None:
    requests: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        return httpx.Response(200, json=listing([GOOD], 1, 10**9))

    client = make_client(httpx.MockTransport(api(answer)))
    with pytest.raises(TransportError, match="claims 1000000000 pages"):
        asyncio.run(client.adapter("channel").list())
    assert len(requests) == 1


def test_a_listing_that_grew_while_read_is_followed(make_client: ClientFactory) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        if number == 1:
            entities = [stored_channel(i) for i in range(100)]
            return httpx.Response(200, json=listing(entities, 1, 1, nextUri="/next"))
        return httpx.Response(200, json=listing([stored_channel(500)], 2, 2))

    client = make_client(httpx.MockTransport(api(answer)))
    assert len(asyncio.run(client.adapter("channel").list())) == 101


def test_the_exact_listing_query(make_client: ClientFactory) -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=listing([], 1, 0))

    client = make_client(httpx.MockTransport(api(answer)))
    asyncio.run(client.adapter("channel").list())
    asyncio.run(client.adapter("channel").find("Support & Sales"))
    assert seen[0].path == "/api/v2/webmessaging/channels"
    assert dict(seen[0].params) == {"pageSize": "100", "pageNumber": "1"}
    assert dict(seen[1].params) == {"pageSize": "100", "pageNumber": "1", "name": "Support & Sales"}


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(make_client: ClientFactory, status: int) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return httpx.Response(status, headers={"Location": "https://evil.example.net/steal"})

    client = make_client(httpx.MockTransport(handler))
    with pytest.raises(TransportError, match="redirect not followed"):
        asyncio.run(client.adapter("channel").get("abc"))
    assert "evil.example.net" not in hosts


def test_an_error_without_a_json_body_is_still_typed(make_client: ClientFactory) -> None:
    answer = httpx.Response(
        500, content=b"<html>oops</html>", headers={"ININ-Correlation-Id": "c9"}
    )
    client = make_client(httpx.MockTransport(api(lambda request: answer)))
    with pytest.raises(ServerError) as info:
        asyncio.run(client.adapter("channel").get("abc"))
    assert info.value.status == 500
    assert info.value.correlation_id == "c9"
    assert "no JSON error body" in str(info.value)


def test_error_body_fields_are_read_defensively(make_client: ClientFactory) -> None:
    body = {
        "message": "bad",
        "code": "bad.request",
        "status": 400,
        "contextId": "ctx-1",
        "details": [{"fieldName": "name", "errorCode": 7}, "junk", {"entityId": "e"}],
    }
    client = make_client(httpx.MockTransport(api(lambda request: httpx.Response(400, json=body))))
    with pytest.raises(ApiError) as info:
        asyncio.run(client.adapter("channel").create(channel_body("x")))
    assert info.value.correlation_id == "ctx-1"  # from the body when the header is absent
    assert [d.field_name for d in info.value.details] == ["name", ""]
    assert info.value.details[0].error_code == ""


def test_channel_ids_are_escaped_in_paths(make_client: ClientFactory) -> None:
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(204)

    client = make_client(httpx.MockTransport(api(answer)))
    asyncio.run(client.adapter("channel").delete("../oauth/token?x=1"))
    assert paths == ["/api/v2/webmessaging/channels/..%2Foauth%2Ftoken%3Fx%3D1"]
