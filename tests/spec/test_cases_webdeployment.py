"""The webDeployment corpus: every folder of tests/cases_webdeployment is one validation run.

Each case holds its input under ``channels/`` and ``expected.txt``, the exact diagnostic lines
(paths relative to the case folder); an empty ``expected.txt`` means the specs are valid.

Until ``reconciler validate`` dispatches on ``kind``, ``validate_webdeployments`` below drives the
same machinery by hand: the loader, interpolation, the schema-error explanations of
``reconciler.spec.schema`` applied to ``webdeployment.schema.json``, the cross-file rules, and
the kind's own cross-field rules. Once dispatch exists, ``test_case`` should call
``run(["validate"])`` exactly as tests/spec/test_spec_cases.py does, and this adapter goes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

from reconciler import kinds
from reconciler.interpolate import SpecContext, interpolate_specs
from reconciler.kinds.webdeployment_rules import check_document
from reconciler.model import ChannelSpec, Diagnostic, SourceRef
from reconciler.spec import schema as channel_schema_module
from reconciler.spec.loader import load_specs
from reconciler.spec.rules import unique_names

# Values shaped like spec fields: the schema's own names as keys, so that nested checks run.
FIELD_NAMES = st.sampled_from(
    [
        "configuration",
        "deployment",
        "messenger",
        "languages",
        "defaultLanguage",
        "flow",
        "allowedDomains",
        "allowAllDomains",
        "name",
        "id",
        "customI18nLabels",
        "localizedLabels",
        "key",
        "language",
        "status",
        "configurationVersion",
        "description",
        "enabled",
    ]
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(FIELD_NAMES | st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=20,
)

CASES = Path(__file__).resolve().parent.parent / "cases_webdeployment"
ALL_CASES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


@functools.lru_cache(maxsize=1)
def webdeployment_schema() -> dict[str, Any]:
    text = resources.files("reconciler.schemas").joinpath("webdeployment.schema.json")
    return json.loads(text.read_text("utf-8"))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def webdeployment_validator() -> Validator:
    # The kinds' validator: Draft 2020-12 with ECMA-262 ``$`` in patterns.
    return channel_schema_module.kind_validator(kinds.get("webDeployment"))


def schema_diagnostics(spec: ChannelSpec) -> list[Diagnostic]:
    """``reconciler.spec.schema.check_spec`` with the webDeployment schema in place."""
    found: dict[tuple[str, str], Diagnostic] = {}
    for error in webdeployment_validator().iter_errors(spec.body):
        for diagnostic in channel_schema_module._diagnostics(error, spec):
            found.setdefault((diagnostic.path, diagnostic.message), diagnostic)
    return channel_schema_module._drop_shadowed(list(found.values()))


def validate_webdeployments(paths: Iterable[str | Path]) -> list[Diagnostic]:
    loaded = load_specs(paths)
    resolved, problems = interpolate_specs(loaded.specs, SpecContext())
    for spec in resolved:
        problems.extend(schema_diagnostics(spec))
        problems.extend(check_document(spec))
    problems.extend(unique_names(resolved))
    everything = {*loaded.diagnostics, *problems}
    return sorted(everything, key=lambda d: (*d.sort_key(), d.rule))


def expected_lines(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return text.splitlines()


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / case)
    found = [str(diagnostic) for diagnostic in validate_webdeployments(["channels"])]
    assert found == expected_lines(case)


def test_corpus_is_big_enough() -> None:
    invalid = [case for case in ALL_CASES if expected_lines(case)]
    valid = [case for case in ALL_CASES if not expected_lines(case)]
    assert len(invalid) >= 25
    assert len(valid) >= 5
    assert all(case.startswith("valid-") for case in valid)
    assert not any(case.startswith("valid-") for case in invalid)


def test_every_expected_line_names_file_line_and_column() -> None:
    for case in ALL_CASES:
        for line in expected_lines(case):
            place = line.split(": ", 1)[0]
            file, row, col = place.rsplit(":", 2)
            assert file.startswith("channels/"), (case, line)
            assert int(row) >= 1, (case, line)
            assert int(col) >= 1, (case, line)


def test_every_rule_is_exercised_by_some_case() -> None:
    rules: set[str] = set()
    for case in ALL_CASES:
        rules.update(d.rule for d in validate_webdeployments([CASES / case / "channels"]))
    expected = {
        "schema.required",
        "schema.additionalProperties",
        "schema.server-field",
        "schema.type",
        "schema.minLength",
        "schema.maxLength",
        "schema.enum",
        "schema.pattern",
        "schema.minimum",
        "schema.maximum",
        "schema.minItems",
        "schema.maxItems",
        "schema.uniqueItems",
        "unique-name",
        "webdeployment.reserved-marker",
        "webdeployment.languages-pair",
        "webdeployment.default-language",
        "webdeployment.label-language",
        "webdeployment.label-repeat",
        "webdeployment.push-labels",
        "webdeployment.domains",
        "webdeployment.reference",
        "webdeployment.pinned-version",
    }
    assert expected <= rules, expected - rules


EXAMPLES = Path(__file__).resolve().parent.parent.parent / "docs" / "examples" / "webdeployment"


def test_the_documented_examples_are_valid() -> None:
    examples = sorted(EXAMPLES.glob("*.yaml"))
    assert len(examples) >= 2
    assert validate_webdeployments(examples) == []


def test_schema_is_valid_draft_2020_12_with_a_stable_id() -> None:
    schema = webdeployment_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:reconciler:schema:webdeployment:v1"
    on_disk = Path(__file__).resolve().parent.parent.parent / "schemas"
    assert json.loads((on_disk / "webdeployment.schema.json").read_text("utf-8")) == schema


def test_the_field_reference_documents_every_field_of_the_schema() -> None:
    docs = (EXAMPLES.parent.parent / "webdeployments.md").read_text(encoding="utf-8")
    schema = webdeployment_schema()
    blocks = {"": schema, "configuration": schema["properties"]["configuration"]}
    blocks["deployment"] = schema["properties"]["deployment"]
    blocks["messenger"] = blocks["configuration"]["properties"]["messenger"]
    for block, node in blocks.items():
        for field in node["properties"]:
            written = f"`messenger.{field}" if block == "messenger" else f"`{field}"
            assert written in docs, (block, field)


def object_schemas(node: Any, where: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append((where, node))
        for key, value in node.items():
            found.extend(object_schemas(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(object_schemas(value, f"{where}/{index}"))
    return found


def test_every_object_is_closed_except_the_passed_through_support_center() -> None:
    objects = dict(object_schemas(webdeployment_schema()))
    open_ones = [where for where, node in objects.items() if "additionalProperties" not in node]
    assert open_ones == ["$/properties/configuration/properties/supportCenter"]
    for where, node in objects.items():
        if where in open_ones:
            continue
        assert node["additionalProperties"] is False, where
        refused = set(node.get("x-server-set", {}))
        assert not refused & set(node["properties"]), where


@given(st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=6))
@settings(max_examples=200)
def test_any_body_gets_diagnostics_not_a_crash(fields: dict[str, Any]) -> None:
    body = {"kind": "webDeployment", **fields}
    spec = ChannelSpec(name="x", body=body, source=SourceRef(file="a.yaml", line=1, col=1))
    for diagnostic in [*schema_diagnostics(spec), *check_document(spec)]:
        assert diagnostic.line >= 1
        assert diagnostic.message
