"""Create, get, update, delete and their errors, on the pure handler."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.sandbox import MAX_BODY_BYTES

from .helpers import COLLECTION, Api, channel_body

ERROR_KEYS = {"message", "code", "status", "contextId", "details", "errors"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The contract's ErrorBody, with contextId equal to the correlation header."""
    assert response.status == status, response.body
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    assert body["errors"] == []
    return dict(body)


def test_create_returns_channel_as_stored(api: Api) -> None:
    body = channel_body()
    created = api.create(body)
    assert {k: created[k] for k in body} == body
    assert created["version"] == 1
    assert created["dateCreated"] == created["dateModified"] == "2026-03-04T05:06:07.891Z"
    assert created["selfUri"] == f"{COLLECTION}/{created['id']}"
    assert len(created["id"]) == 36
    fetched = api.call("GET", created["selfUri"])
    assert fetched.status == 200
    assert fetched.json() == created


def test_minimal_body_is_accepted(api: Api) -> None:
    created = api.create({"name": "Only a name"})
    assert created["name"] == "Only a name"


def test_server_accepts_ownership_marker_and_twenty_pairs(api: Api) -> None:
    attributes = {f"k{i}": "v" for i in range(19)} | {"x-managed-by": "reconciler"}
    widget = {"widgetId": "w", "customAttributes": attributes}
    created = api.create(channel_body(webMessagingWidgetConfiguration=widget))
    assert created["webMessagingWidgetConfiguration"]["customAttributes"] == attributes


def test_every_response_carries_a_distinct_correlation_id(api: Api) -> None:
    first = api.call("GET", COLLECTION)
    second = api.call("GET", f"{COLLECTION}/missing")
    ids = {first.headers["ININ-Correlation-Id"], second.headers["ININ-Correlation-Id"]}
    assert len(ids) == 2


def test_get_unknown_id_is_404(api: Api) -> None:
    body = assert_error(api.call("GET", f"{COLLECTION}/nope"), 404, "not.found")
    assert body["details"][0]["entityId"] == "nope"


def test_update_bumps_version_and_keeps_created_date(api: Api) -> None:
    created = api.create(channel_body())
    changed = channel_body(description="New text", version=1)
    response = api.call("PUT", created["selfUri"], json_body=changed)
    assert response.status == 200
    updated = response.json()
    assert updated["version"] == 2
    assert updated["description"] == "New text"
    assert updated["dateCreated"] == created["dateCreated"]
    assert updated["id"] == created["id"]
    assert api.call("GET", created["selfUri"]).json() == updated


def test_update_replaces_the_whole_body(api: Api) -> None:
    created = api.create(channel_body())
    response = api.call("PUT", created["selfUri"], json_body={"name": "Support", "version": 1})
    assert response.status == 200
    assert "description" not in response.json()


def test_update_may_echo_its_own_id(api: Api) -> None:
    created = api.create(channel_body())
    body = channel_body(version=1, id=created["id"])
    assert api.call("PUT", created["selfUri"], json_body=body).status == 200


def test_version_mismatch_is_409_with_exact_message(api: Api) -> None:
    created = api.create(channel_body())
    assert api.call("PUT", created["selfUri"], json_body=channel_body(version=1)).status == 200
    stale = api.call("PUT", created["selfUri"], json_body=channel_body(version=1))
    body = assert_error(stale, 409, "general.conflict")
    assert body["message"] == "Version does not match current version."
    assert body["details"] == [{"errorCode": "version.mismatch", "fieldName": "version"}]
    assert api.call("GET", created["selfUri"]).json()["version"] == 2


def test_update_of_unknown_id_is_404(api: Api) -> None:
    response = api.call("PUT", f"{COLLECTION}/nope", json_body=channel_body(version=1))
    assert_error(response, 404, "not.found")


@pytest.mark.parametrize("name", ["Support", "SUPPORT", "support"])
def test_duplicate_name_is_409_with_entity_id(api: Api, name: str) -> None:
    holder = api.create(channel_body("Support"))
    response = api.call("POST", COLLECTION, json_body=channel_body(name))
    body = assert_error(response, 409, "general.conflict")
    assert body["details"] == [
        {
            "errorCode": "duplicate.value",
            "fieldName": "name",
            "entityId": holder["id"],
            "entityName": "Support",
        }
    ]
    assert len(api.app.state) == 1


def test_renaming_onto_another_channel_is_409(api: Api) -> None:
    first = api.create(channel_body("First"))
    second = api.create(channel_body("Second"))
    response = api.call("PUT", second["selfUri"], json_body=channel_body("FIRST", version=1))
    body = assert_error(response, 409, "general.conflict")
    assert body["details"][0]["entityId"] == first["id"]


def test_renaming_a_channel_to_its_own_name_in_another_case_is_allowed(api: Api) -> None:
    created = api.create(channel_body("Support"))
    response = api.call("PUT", created["selfUri"], json_body=channel_body("SUPPORT", version=1))
    assert response.status == 200
    assert response.json()["name"] == "SUPPORT"


def test_delete_is_204_without_body_then_404(api: Api) -> None:
    created = api.create(channel_body())
    response = api.call("DELETE", created["selfUri"])
    assert response.status == 204
    assert response.body == b""
    assert "Content-Type" not in response.headers
    assert response.headers["ININ-Correlation-Id"]
    assert_error(api.call("DELETE", created["selfUri"]), 404, "not.found")
    assert_error(api.call("GET", created["selfUri"]), 404, "not.found")


def test_name_is_free_again_after_delete(api: Api) -> None:
    created = api.create(channel_body())
    api.call("DELETE", created["selfUri"])
    assert api.create(channel_body())["id"] != created["id"]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_body_over_limit_is_413(api: Api, method: str) -> None:
    created = api.create(channel_body())
    target = COLLECTION if method == "POST" else created["selfUri"]
    body = b" " * (MAX_BODY_BYTES + 1)
    assert_error(api.call(method, target, body=body), 413, "request.entity.too.large")


def test_body_at_limit_is_not_413(api: Api) -> None:
    padding = MAX_BODY_BYTES - len(json.dumps(channel_body()).encode())
    body = json.dumps(channel_body()).encode() + b" " * padding
    assert len(body) == MAX_BODY_BYTES
    assert api.call("POST", COLLECTION, body=body).status == 200


@pytest.mark.parametrize(
    ("method", "target"),
    [("PATCH", COLLECTION), ("DELETE", COLLECTION), ("POST", f"{COLLECTION}/x")],
)
def test_wrong_method_is_405(api: Api, method: str, target: str) -> None:
    assert_error(api.call(method, target), 405, "method.not.allowed")


@pytest.mark.parametrize("path", ["/", "/api/v2/other", f"{COLLECTION}/a/b", f"{COLLECTION}/"])
def test_unknown_path_is_404(api: Api, path: str) -> None:
    assert_error(api.call("GET", path), 404, "not.found")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"{", "not valid JSON"),
        (b'{"name": "a", "name": "b"}', "duplicate key"),
        (b'{"name": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"", "not valid JSON"),
    ],
)
def test_malformed_json_is_400(api: Api, raw: bytes, why: str) -> None:
    body = assert_error(api.call("POST", COLLECTION, body=raw), 400, "bad.request")
    assert why in body["message"]
    assert body["details"] == [{"errorCode": "body.invalid", "fieldName": "body"}]


def test_invalid_writes_change_nothing(api: Api) -> None:
    created = api.create(channel_body())
    bad = channel_body(version=1, theme="nope")
    assert api.call("PUT", created["selfUri"], json_body=bad).status == 400
    assert api.call("GET", created["selfUri"]).json() == created
