"""The channel JSON Schema: valid against its metaschema, strict, and explained in words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from spec_samples import VALID_CHANNEL

from reconciler.spec.loader import load_text
from reconciler.spec.schema import channel_schema, check_spec, json_path, schema_errors

ROOT = Path(__file__).resolve().parent.parent.parent


def body(**changes: Any) -> dict[str, Any]:
    [spec], _ = load_text(VALID_CHANNEL, "a.yaml")
    document = json.loads(json.dumps(spec.body))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = document
        for part in parents:
            node = node[part]
        node[last] = value
    return document


def object_schemas(schema: Any, where: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield where, schema
        for key, value in schema.items():
            yield from object_schemas(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from object_schemas(value, f"{where}/{index}")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = channel_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:reconciler:schema:channel:v1"
    assert schema["title"]
    assert schema["description"]


def test_the_repository_schema_is_the_packaged_one() -> None:
    on_disk = json.loads((ROOT / "schemas" / "channel.schema.json").read_text(encoding="utf-8"))
    assert on_disk == channel_schema()


def test_every_object_is_closed_except_the_free_form_attributes() -> None:
    objects = dict(object_schemas(channel_schema()))
    assert len(objects) == 5
    for where, schema in objects.items():
        if where.endswith("/customAttributes"):
            assert schema["additionalProperties"] == {
                "description": "An attribute value, 0 to 256 characters.",
                "type": "string",
                "maxLength": 256,
            }
        else:
            assert schema["additionalProperties"] is False, where


def test_descriptions_explain_the_19_attribute_limit() -> None:
    attributes = channel_schema()["properties"]["webMessagingWidgetConfiguration"]["properties"][
        "customAttributes"
    ]
    assert attributes["maxProperties"] == 19
    assert "x-managed-by" in attributes["description"]
    assert "at most 19" in attributes["description"]


def test_formats_are_checked() -> None:
    # "https://exa mple.com" breaks the origin pattern and, separately, the "uri" format: the
    # format error is only there when the validator has a format checker.
    errors = schema_errors(body(securityPolicy__allowedOrigins=["https://exa mple.com"]))
    assert sorted(str(e.validator) for e in errors) == ["format", "pattern"]


def test_a_valid_body_has_no_errors() -> None:
    assert schema_errors(body()) == []


@pytest.mark.parametrize(
    "origin",
    [
        "https://www.example.com",
        "https://a.b.c.example.com:8443",
        "https://localhost",
        "http://localhost",
        "http://localhost:1",
        "http://127.0.0.1:65535",
        "https://xn--bcher-kva.example",
        "https://10.0.0.1",
    ],
)
def test_allowed_origins(origin: str) -> None:
    assert schema_errors(body(securityPolicy__allowedOrigins=[origin])) == []


@pytest.mark.parametrize(
    "origin",
    [
        "",
        "https://www.example.com\n",
        "https://www.example.com/",
        "http://example.com",
        "http://127.0.0.2",
        "http://localhost.example.com",
        "https://example.com:65536",
        "https://example.com:08",
        "HTTPS://example.com",
        "//example.com",
        "https://",
        "https://*.example.com",
        "https://[::1]",
    ],
)
def test_refused_origins(origin: str) -> None:
    errors = schema_errors(body(securityPolicy__allowedOrigins=[origin]))
    assert "pattern" in [str(e.validator) for e in errors]


def test_consent_is_required_only_when_the_policy_is_enabled() -> None:
    on = body(securityPolicy__requireConsent=False)
    off = body(securityPolicy__enabled=False, securityPolicy__requireConsent=False)
    assert [str(e.validator) for e in schema_errors(on)] == ["const"]
    assert schema_errors(off) == []


def test_every_problem_is_reported_not_just_the_first() -> None:
    [spec], _ = load_text(
        VALID_CHANNEL.replace("name: Support", "name: ''")
        .replace("theme: default", "theme: dark")
        .replace("requireConsent: true", "requireConsent: false")
        .replace("queueId: queue-1", "queueId: 1"),
        "a.yaml",
    )
    found = [(d.path, d.rule) for d in check_spec(spec)]
    assert found == [
        ("name", "schema.minLength"),
        ("webMessagingWidgetConfiguration.theme", "schema.enum"),
        ("securityPolicy.requireConsent", "schema.require-consent"),
        ("routingConfiguration.queueId", "schema.type"),
    ]


def test_one_problem_per_node_when_the_type_is_wrong() -> None:
    [spec], _ = load_text(
        VALID_CHANNEL.replace("requireConsent: true", "requireConsent: 'no'"), "a"
    )
    [diagnostic] = check_spec(spec)
    assert diagnostic.rule == "schema.type"
    assert diagnostic.message.startswith("must be true or false, not the string 'no'")


def test_json_paths() -> None:
    assert json_path([]) == "$"
    assert json_path(["a", "b", 2, "c"]) == "a.b[2].c"
    assert json_path(["a", "x-y_z"]) == "a.x-y_z"
    assert json_path(["a", "b.c", "", 'q"']) == 'a["b.c"][""]["q\\""]'
    assert json_path([0]) == "[0]"
