"""Server-side validation of channel bodies: one 400 detail per violated field, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import COLLECTION, Api, channel_body

W = "webMessagingWidgetConfiguration"
S = "securityPolicy"
R = "routingConfiguration"


def widget(**fields: Any) -> dict[str, Any]:
    return {"widgetId": "w", **fields}


def policy(**fields: Any) -> dict[str, Any]:
    return {"enabled": False, "allowedOrigins": [], "requireConsent": False, **fields}


# (case id, create body, expected {fieldName: errorCode})
INVALID: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("missing name", {"description": "x"}, {"name": "required"}),
    ("empty name", channel_body(""), {"name": "length.invalid"}),
    ("long name", channel_body("n" * 101), {"name": "length.invalid"}),
    ("name not string", channel_body(5), {"name": "type.invalid"}),  # type: ignore[arg-type]
    ("name null", channel_body(None), {"name": "type.invalid"}),  # type: ignore[arg-type]
    ("long description", channel_body(description="d" * 501), {"description": "length.invalid"}),
    ("description number", channel_body(description=1), {"description": "type.invalid"}),
    ("unknown top field", channel_body(color="red"), {"color": "field.unknown"}),
    ("id on create", channel_body(id="x"), {"id": "read.only"}),
    ("version on create", channel_body(version=1), {"version": "read.only"}),
    ("selfUri on create", channel_body(selfUri="/x"), {"selfUri": "read.only"}),
    ("dateCreated on create", channel_body(dateCreated="x"), {"dateCreated": "read.only"}),
    ("widget not object", {"name": "a", W: []}, {W: "type.invalid"}),
    ("widget missing id", {"name": "a", W: {"theme": "default"}}, {f"{W}.widgetId": "required"}),
    ("widget id empty", {"name": "a", W: widget(widgetId="")}, {f"{W}.widgetId": "length.invalid"}),
    (
        "widget id long",
        {"name": "a", W: widget(widgetId="w" * 101)},
        {f"{W}.widgetId": "length.invalid"},
    ),
    ("theme unknown", {"name": "a", W: widget(theme="dark")}, {f"{W}.theme": "value.invalid"}),
    ("theme case", {"name": "a", W: widget(theme="Default")}, {f"{W}.theme": "value.invalid"}),
    ("widget extra", {"name": "a", W: widget(size=3)}, {f"{W}.size": "field.unknown"}),
    (
        "21 attributes",
        {"name": "a", W: widget(customAttributes={f"k{i}": "v" for i in range(21)})},
        {f"{W}.customAttributes": "too.many"},
    ),
    (
        "attributes not object",
        {"name": "a", W: widget(customAttributes=["a"])},
        {f"{W}.customAttributes": "type.invalid"},
    ),
    (
        "attribute key long",
        {"name": "a", W: widget(customAttributes={"k" * 65: "v"})},
        {f"{W}.customAttributes.{'k' * 65}": "length.invalid"},
    ),
    (
        "attribute key empty",
        {"name": "a", W: widget(customAttributes={"": "v"})},
        {f"{W}.customAttributes.": "length.invalid"},
    ),
    (
        "attribute value long",
        {"name": "a", W: widget(customAttributes={"k": "v" * 257})},
        {f"{W}.customAttributes.k": "length.invalid"},
    ),
    (
        "attribute value number",
        {"name": "a", W: widget(customAttributes={"k": 1})},
        {f"{W}.customAttributes.k": "type.invalid"},
    ),
    ("policy not object", {"name": "a", S: True}, {S: "type.invalid"}),
    ("enabled not bool", {"name": "a", S: policy(enabled="yes")}, {f"{S}.enabled": "type.invalid"}),
    (
        "consent not bool",
        {"name": "a", S: policy(requireConsent=1)},
        {f"{S}.requireConsent": "type.invalid"},
    ),
    (
        "consent false while enabled",
        {"name": "a", S: policy(enabled=True, requireConsent=False)},
        {f"{S}.requireConsent": "consent.required"},
    ),
    (
        "consent missing while enabled",
        {"name": "a", S: {"enabled": True}},
        {f"{S}.requireConsent": "consent.required"},
    ),
    (
        "origins not list",
        {"name": "a", S: policy(allowedOrigins="https://a.com")},
        {f"{S}.allowedOrigins": "type.invalid"},
    ),
    (
        "51 origins",
        {"name": "a", S: policy(allowedOrigins=[f"https://h{i}.com" for i in range(51)])},
        {f"{S}.allowedOrigins": "too.many"},
    ),
    ("policy extra", {"name": "a", S: policy(mode=1)}, {f"{S}.mode": "field.unknown"}),
    ("routing not object", {"name": "a", R: "q"}, {R: "type.invalid"}),
    ("routing missing queue", {"name": "a", R: {}}, {f"{R}.queueId": "required"}),
    ("queue empty", {"name": "a", R: {"queueId": ""}}, {f"{R}.queueId": "length.invalid"}),
    ("queue long", {"name": "a", R: {"queueId": "q" * 129}}, {f"{R}.queueId": "length.invalid"}),
    ("routing extra", {"name": "a", R: {"queueId": "q", "x": 1}}, {f"{R}.x": "field.unknown"}),
    (
        "several fields at once",
        {"name": "", "color": 1, W: widget(theme="x"), R: {}},
        {
            "name": "length.invalid",
            "color": "field.unknown",
            f"{W}.theme": "value.invalid",
            f"{R}.queueId": "required",
        },
    ),
]

BAD_ORIGINS = [
    "https://example.com/",
    "https://example.com/path",
    "https://example.com?q=1",
    "https://example.com#frag",
    "example.com",
    "https://",
    "https://user@example.com",
    "https://example.com:99999",
    "https://example.com:",
    "https://exa mple.com",
    " https://example.com",
    "https//example.com",
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_create_bodies(api: Api, body: dict[str, Any], expected: dict[str, str]) -> None:
    response = api.call("POST", COLLECTION, json_body=body)
    assert response.status == 400, response.body
    document = response.json()
    assert document["code"] == "bad.request"
    got = {d["fieldName"]: d["errorCode"] for d in document["details"]}
    assert got == expected
    assert len(document["details"]) == len(expected)  # one detail per field
    for field in expected:
        assert field in document["message"]
    assert len(api.app.state) == 0


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_invalid_origins(api: Api, origin: str) -> None:
    body = channel_body(securityPolicy=policy(allowedOrigins=["https://ok.example", origin]))
    response = api.call("POST", COLLECTION, json_body=body)
    assert response.status == 400
    details = response.json()["details"]
    assert details == [
        {"errorCode": "origin.invalid", "fieldName": "securityPolicy.allowedOrigins[1]"}
    ]


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com",
        "http://localhost:8080",
        "https://sub.example.co.uk:443",
        "http://127.0.0.1",
        "https://[::1]:8443",
    ],
)
def test_valid_origins(api: Api, origin: str) -> None:
    body = channel_body(
        securityPolicy=policy(enabled=True, requireConsent=True, allowedOrigins=[origin])
    )
    assert api.call("POST", COLLECTION, json_body=body).status == 200


@pytest.mark.parametrize(
    "body",
    [
        channel_body("n" * 100, description="d" * 500),
        {"name": "a", W: widget(widgetId="w" * 100, theme="custom")},
        {"name": "a", W: widget(theme="compact", customAttributes={"k" * 64: "v" * 256})},
        {"name": "a", W: widget(customAttributes={f"k{i}": "" for i in range(20)})},
        {"name": "a", S: policy(allowedOrigins=[f"https://h{i}.com" for i in range(50)])},
        {"name": "a", S: {}},
        {"name": "a", R: {"queueId": "q" * 128}},
        {"name": "a", "description": ""},
    ],
    ids=[
        "long name",
        "widget",
        "attr limits",
        "20 attrs",
        "50 origins",
        "empty policy",
        "queue",
        "empty description",
    ],
)
def test_valid_bodies_at_the_limits(api: Api, body: dict[str, Any]) -> None:
    response = api.call("POST", COLLECTION, json_body=body)
    assert response.status == 200, response.body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (channel_body(), {"version": "required"}),
        (channel_body(version="1"), {"version": "type.invalid"}),
        (channel_body(version=True), {"version": "type.invalid"}),
        (channel_body(version=0), {"version": "type.invalid"}),
        (channel_body(version=1, id="other"), {"id": "value.invalid"}),
        (channel_body(version=1, selfUri="/x"), {"selfUri": "read.only"}),
        (channel_body(version=1, dateModified="x"), {"dateModified": "read.only"}),
        (channel_body(version=1, extra=1), {"extra": "field.unknown"}),
    ],
    ids=[
        "no version",
        "version string",
        "version bool",
        "version 0",
        "other id",
        "selfUri",
        "dateModified",
        "extra",
    ],
)
def test_invalid_update_bodies(api: Api, body: dict[str, Any], expected: dict[str, str]) -> None:
    created = api.create(channel_body())
    response = api.call("PUT", created["selfUri"], json_body=body)
    assert response.status == 400
    got = {d["fieldName"]: d["errorCode"] for d in response.json()["details"]}
    assert got == expected


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_body_must_be_an_object(api: Api, body: Any) -> None:
    raw = b"null" if body is None else None
    response = api.call("POST", COLLECTION, json_body=body, body=raw)
    assert response.status == 400
    assert response.json()["details"] == [{"errorCode": "type.invalid", "fieldName": "body"}]
