"""The loader never crashes: arbitrary bytes and YAML give diagnostics, never exceptions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.spec import fastyaml
from reconciler.spec.loader import load_bytes, load_text, load_text_pure
from reconciler.spec.validate import check_specs

YAML_PIECES = [
    "a",
    "name",
    ":",
    ": ",
    " ",
    "\n",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "&y ",
    "*y",
    "!!str ",
    "!t ",
    "!!python/object:os.system ",
    "---\n",
    "...\n",
    "? ",
    "'",
    '"',
    "|",
    ">",
    "# c",
    "\t",
    "  ",
    "1",
    "0x1F",
    "null",
    "~",
    "true",
    "yes",
    "<<",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "\\",
    "\x00",
    "\ufeff",
    "é",
    "\r\n",
]


def assert_well_formed(specs: list[Any], diagnostics: list[Any]) -> None:
    for d in diagnostics:
        assert d.line >= 1
        assert d.col >= 1
        assert d.file == "f.yaml"
        assert d.rule
        assert d.message
        assert d.path
    # Whatever loads must also go through the schema and the rules without raising.
    check_specs(specs)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_only_diagnostics(data: bytes) -> None:
    specs, diagnostics = load_bytes(data, "f.yaml")
    assert_well_formed(specs, diagnostics)


@given(st.lists(st.sampled_from(YAML_PIECES), max_size=60).map("".join))
def test_yaml_like_text_gives_only_diagnostics(text: str) -> None:
    specs, diagnostics = load_text(text, "f.yaml")
    assert_well_formed(specs, diagnostics)


def assert_same_as_reference(text: str) -> None:
    """libyaml's fast path gives what the pure-Python parser gives: specs, positions and
    every diagnostic (the fast path hands anything unusual to the reference parser)."""
    specs, diagnostics = load_text(text, "f.yaml")
    reference_specs, reference_diagnostics = load_text_pure(text, "f.yaml")
    assert diagnostics == reference_diagnostics
    assert specs == reference_specs
    assert [dict(s.positions) for s in specs] == [dict(s.positions) for s in reference_specs]


needs_libyaml = pytest.mark.skipif(
    fastyaml._CParser is None, reason="PyYAML is installed without libyaml"
)


@needs_libyaml
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=60).map("".join))
def test_fast_path_agrees_with_the_reference_parser(text: str) -> None:
    assert_same_as_reference(text)


SPEC_LIKE_PIECES = [
    "name: ",
    "description: ",
    "a",
    "x y",
    "1",
    "null",
    "''",
    '"q\\u00e9"',
    "\n",
    "\n  ",
    "\n    ",
    "- ",
    ": ",
    "[a, b]",
    "{k: v}",
    "|\n  block\n",
    ">-\n  folded\n",
    "---\n",
    "# note\n",
    " # note",
    "\t",
    "https://a.example:80",
    "\r\n",
    "\x85",
    "\u2028",
    "é",
    "\\",
    '"',
    "'",
    "? ",
    "...\n",
    "&a ",
    "*a",
    "--- ",
    "-- ",
    "!",
    "%",
    "@",
    "`",
    ",",
    "]",
    "}",
    ":",
    "#",
]


@needs_libyaml
@given(st.lists(st.sampled_from(SPEC_LIKE_PIECES), max_size=40).map("".join))
def test_fast_path_agrees_on_spec_like_text(text: str) -> None:
    assert_same_as_reference(text)


@needs_libyaml
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=5))
def test_fast_path_agrees_on_block_mappings(document: dict[str, str]) -> None:
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in document.items()]
    assert_same_as_reference("\n".join(["name: x", *lines]))


# JSON is YAML 1.2, so any JSON-like mapping written as JSON must load back unchanged. (ruamel's
# own dumper is no oracle here: it writes some strings, such as "?A" as a flow key, that it
# cannot read back.) Non-ASCII is written as \\u escapes, so stay in the BMP: YAML reads a
# surrogate pair of escapes as two characters.
text = st.text(st.characters(max_codepoint=0xFFFF), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(text, json_values, min_size=1, max_size=6), st.sampled_from([None, 2]))
def test_any_json_mapping_loads_unchanged(document: dict[str, Any], indent: int | None) -> None:
    specs, diagnostics = load_text(json.dumps(document, indent=indent), "f.yaml")
    assert diagnostics == []
    [spec] = specs
    assert spec.body == document
    assert_well_formed(specs, diagnostics)
