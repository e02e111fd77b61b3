"""The webDeployment corpus: every folder of tests/cases_webdeployment is one run of
``reconciler validate``.

Each case holds its input under ``channels/`` and ``expected.txt``, the exact diagnostic lines
(paths relative to the case folder); an empty ``expected.txt`` means the specs are valid.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.cli import run
from reconciler.kinds.webdeployment_rules import KIND, SCHEMA_RESOURCE, check_document
from reconciler.model import ChannelSpec, SourceRef
from reconciler.spec.schema import check_spec, kind_schema
from reconciler.spec.validate import validate_paths

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


def webdeployment_schema() -> dict[str, Any]:
    return kind_schema(SCHEMA_RESOURCE)


def expected_lines(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return text.splitlines()


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CASES / case)
    code = run(["validate"])
    out = capsys.readouterr().out.splitlines()
    expected = expected_lines(case)
    assert out[:-1] == expected
    assert code == (1 if expected else 0)


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
        result = validate_paths([CASES / case / "channels"])
        rules.update(d.rule for d in result.diagnostics)
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
    result = validate_paths(examples)
    assert result.diagnostics == ()
    assert len(result.specs) == len(examples)


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
        # A condition (``if``) describes values, it is not an object a spec writes.
        if node.get("type") == "object" and "/if/" not in f"{where}/":
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
    body = {"kind": KIND, **fields}
    spec = ChannelSpec(name="x", body=body, source=SourceRef(file="a.yaml", line=1, col=1))
    spec = dataclasses.replace(spec, kind=KIND)
    for diagnostic in [*check_spec(spec), *check_document(spec)]:
        assert diagnostic.line >= 1
        assert diagnostic.message
