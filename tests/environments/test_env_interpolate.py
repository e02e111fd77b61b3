"""``${var.X}``, ``${env.X}`` and ``$${`` in spec values (reconciler.interpolate, pure)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.interpolate import (
    SpecContext,
    applies_to,
    interpolate_specs,
    looks_secret,
    strip_reserved,
)
from reconciler.model import ChannelSpec, SourceRef


def spec(body: dict[str, Any]) -> ChannelSpec:
    positions = {
        "$": SourceRef(file="channels/a.yaml", line=1, col=1),
        "name": SourceRef(file="channels/a.yaml", line=1, col=1),
        "description": SourceRef(file="channels/a.yaml", line=2, col=1),
        "routingConfiguration.queueId": SourceRef(file="channels/a.yaml", line=7, col=3),
    }
    return ChannelSpec(
        name=str(body.get("name", "")),
        body=body,
        source=positions["$"],
        positions=positions,
    )


DEV = SpecContext(environment="dev", variables={"queue": "q-dev", "empty": ""})


def resolve(value: str, context: SpecContext = DEV) -> tuple[str | None, list[str]]:
    body = {"name": "A", "routingConfiguration": {"queueId": value}}
    specs, problems = interpolate_specs([spec(body)], context)
    resolved = specs[0].body["routingConfiguration"]["queueId"] if specs else None
    return resolved, [
        f"{d.file}:{d.line}:{d.col}: {d.path}: {d.message} [{d.rule}]" for d in problems
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${var.queue}", "q-dev"),
        ("prefix-${var.queue}-suffix", "prefix-q-dev-suffix"),
        ("${var.queue}${var.queue}", "q-devq-dev"),
        ("${var.empty}", ""),
        ("$${var.queue}", "${var.queue}"),
        ("cost $5 and $$ {x}", "cost $5 and $$ {x}"),
        ("$$${var.queue}", "$${var.queue}"),  # a "$", then an escaped "${"
        ("plain", "plain"),
    ],
)
def test_references_resolve_and_dollar_dollar_escapes(text: str, expected: str) -> None:
    assert resolve(text) == (expected, [])


def test_undefined_variable_names_the_file_line_path_and_variable() -> None:
    value, problems = resolve("${var.missing}")
    assert value is None
    assert problems == [
        "channels/a.yaml:7:3: routingConfiguration.queueId: undefined variable 'var.missing': "
        "not in the variables of environment 'dev' [variable.undefined]"
    ]


def test_without_an_environment_a_variable_asks_for_env() -> None:
    _, problems = resolve("${var.queue}", SpecContext())
    assert len(problems) == 1
    assert "no environment chosen; pass --env NAME (or set RECONCILER_ENV)" in problems[0]


def test_process_environment_values_and_secret_looking_names() -> None:
    context = SpecContext(process_env={"QUEUE_ID": "q-env", "GENESYS_CLIENT_SECRET": "shh"})
    assert resolve("${env.QUEUE_ID}", context) == ("q-env", [])
    value, problems = resolve("${env.GENESYS_CLIENT_SECRET}", context)
    assert value is None
    assert "looks like a secret and is refused" in problems[0]
    assert "shh" not in problems[0]
    _, problems = resolve("${env.NOT_SET}", context)
    assert "'env.NOT_SET': not set in the process environment" in problems[0]


@pytest.mark.parametrize(
    "name", ["API_TOKEN", "db_password", "MY_SECRET", "STRIPE_API_KEY", "PRIVATE_KEY_PEM"]
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["QUEUE_ID", "REGION", "HOST", "KEYBOARD_LAYOUT"])
def test_ordinary_names(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize("text", ["${vars.queue}", "${queue}", "${var.}", "${var.a-b}", "x ${"])
def test_malformed_references_are_errors(text: str) -> None:
    value, problems = resolve(text)
    assert value is None
    assert len(problems) == 1
    assert "[variable.syntax]" in problems[0]


def test_every_problem_of_every_spec_is_reported_and_good_specs_kept() -> None:
    bad = spec(
        {
            "name": "${var.a}",
            "description": "${var.b} and ${env.X}",
            "routingConfiguration": {"queueId": "${var.queue}"},
        }
    )
    good = spec({"name": "Good", "routingConfiguration": {"queueId": "${var.queue}"}})
    specs, problems = interpolate_specs([bad, good], DEV)
    assert [s.name for s in specs] == ["Good"]
    assert sorted((d.path, d.message.split(":")[0]) for d in problems) == [
        ("description", "undefined variable 'env.X'"),
        ("description", "undefined variable 'var.b'"),
        ("name", "undefined variable 'var.a'"),
    ]


def test_name_keys_and_non_strings() -> None:
    body = {
        "name": "Chat ${var.queue}",
        "securityPolicy": {"enabled": True, "allowedOrigins": ["${var.queue}"]},
        "webMessagingWidgetConfiguration": {"customAttributes": {"${var.queue}": "${var.queue}"}},
    }
    specs, problems = interpolate_specs([spec(body)], DEV)
    assert problems == []
    resolved = specs[0]
    assert resolved.name == "Chat q-dev"
    assert resolved.key == "chat q-dev"
    assert resolved.body["securityPolicy"] == {"enabled": True, "allowedOrigins": ["q-dev"]}
    # keys are never interpolated
    assert resolved.body["webMessagingWidgetConfiguration"]["customAttributes"] == {
        "${var.queue}": "q-dev"
    }
    assert body["name"] == "Chat ${var.queue}", "the input spec was changed"


def test_environment_selection_and_stripping() -> None:
    limited = spec({"name": "A", "x-environments": ["dev", "qa"]})
    malformed = spec({"name": "B", "x-environments": "dev"})
    plain = spec({"name": "C"})
    assert applies_to(limited, "dev")
    assert applies_to(limited, "qa")
    assert not applies_to(limited, "prod")
    assert applies_to(limited, None), "without --env every spec applies"
    assert applies_to(malformed, "prod"), "a malformed key is kept for the schema to report"
    assert applies_to(plain, "prod")
    assert strip_reserved(limited).body == {"name": "A"}
    assert strip_reserved(plain) is plain
