"""The compiled schema predicate never calls an invalid body valid.

``check_spec`` skips jsonschema when the predicate says "valid", so that answer must be one
jsonschema agrees with; "not valid" only means jsonschema decides (and explains).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from spec_samples import VALID_CHANNEL

from reconciler.spec.loader import load_specs, load_text
from reconciler.spec.quickcheck import compile_schema
from reconciler.spec.schema import quick_channel_check, schema_errors

CASES = Path(__file__).resolve().parent.parent / "cases"


def valid_body() -> dict[str, Any]:
    [spec], _ = load_text(VALID_CHANNEL, "c.yaml")
    return copy.deepcopy(spec.body)


VALID = valid_body()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 70)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "x", "default", "custom", "https://a.example", "http://localhost"])
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
paths = st.lists(
    st.sampled_from(
        [
            "name",
            "description",
            "webMessagingWidgetConfiguration",
            "widgetId",
            "theme",
            "customAttributes",
            "securityPolicy",
            "enabled",
            "allowedOrigins",
            "requireConsent",
            "routingConfiguration",
            "queueId",
            "x-environments",
            "extra",
            0,
            1,
        ]
    ),
    min_size=1,
    max_size=3,
)


def mutate(body: Any, path: list[Any], value: Any, delete: bool) -> Any:
    body = copy.deepcopy(body)
    node = body
    for part in path[:-1]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return body
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        if delete:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        if delete:
            del node[last]
        else:
            node[last] = value
    return body


@given(st.lists(st.tuples(paths, json_values, st.booleans()), max_size=3))
def test_valid_answer_is_never_wrong(edits: list[tuple[list[Any], Any, bool]]) -> None:
    body: Any = VALID
    for path, value, delete in edits:
        body = mutate(body, path, value, delete)
    if quick_channel_check()(body):
        assert schema_errors(body) == []


def test_valid_specs_take_the_quick_answer() -> None:
    valid_cases = [c for c in CASES.iterdir() if c.name.startswith("valid-")]
    bodies = [spec.body for case in valid_cases for spec in load_specs([case]).specs]
    assert len(bodies) >= 10
    quick = quick_channel_check()
    # Specs with the consent policy off are left to jsonschema (the predicate is stricter
    # there); every other valid spec is answered without it.
    assert sum(quick(body) for body in bodies) >= len(bodies) - 2


def test_invalid_case_bodies_are_never_called_valid() -> None:
    checked = 0
    for case in sorted(CASES.iterdir()):
        if case.name.startswith("valid-") or not case.is_dir():
            continue
        for spec in load_specs([case / "channels"]).specs:
            if schema_errors(spec.body):
                checked += 1
                assert not quick_channel_check()(spec.body), case.name
    assert checked >= 30


def test_unknown_keywords_are_not_compiled() -> None:
    def never(regex: str) -> Any:
        raise AssertionError(regex)

    schema = {"type": "object", "anyOf": [{"required": ["a"]}]}
    assert compile_schema(schema, pattern=never, format_conforms=lambda x, f: True) is None


@given(st.from_regex(r"\A[A-Za-z][A-Za-z0-9+.-]{0,6}://[A-Za-z0-9._~-]{0,12}(?::[0-9]{0,6})?\Z"))
def test_plain_uris_are_uris_for_the_format_checker(text: str) -> None:
    # The predicate accepts these without the format checker; the checker must agree.
    from jsonschema import Draft202012Validator

    from reconciler.spec.schema import _PLAIN_URI

    assert _PLAIN_URI.fullmatch(text)
    assert Draft202012Validator.FORMAT_CHECKER.conforms(text, "uri")
