"""The spec loader and validator on structured hostile YAML: nested flow and block
collections, anchors and aliases (billion laughs), tags, merge keys, huge scalars and keys,
deep nesting. ``tests/spec/test_spec_fuzz.py`` covers arbitrary bytes and token soup; this adds
documents that are well-formed YAML built to hurt. Always diagnostics, never an exception,
and cheap: the loader's limits hold for each example.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.spec.loader import MAX_FILE_BYTES, load_bytes, load_text
from reconciler.spec.validate import check_specs

# Plain scalars of every core-schema kind (``.nan`` has its own test below: it used to crash).
SCALARS = [
    "x",
    "name",
    "",
    "~",
    "null",
    "true",
    "False",
    "yes",
    "0",
    "-12",
    "0o17",
    "0x1F",
    "1e400",
    "+.inf",
    "-.Inf",
    ".nan",
    ".NaN",
    "1.5",
    "'quoted'",
    '"dq \\u00e9"',
    "'it''s'",
    "é",
    "https://a.b",
    "1" + "0" * 400,
    "0x" + "F" * 400,
]
TAGS = [
    "!!str",
    "!!int",
    "!!binary",
    "!!set",
    "!!omap",
    "!!python/object:os.system",
    "!t",
    "!<tag:yaml.org,2002:str>",
]
KEYS = [
    "name",
    "description",
    "webMessagingWidgetConfiguration",
    "securityPolicy",
    "routingConfiguration",
    "widgetId",
    "theme",
    "customAttributes",
    "allowedOrigins",
    "enabled",
    "requireConsent",
    "queueId",
    "<<",
    "? complex",
    "a",
    "a",
]


@st.composite
def node(draw: st.DrawFn, depth: int = 0) -> Any:
    """A tree: ('scalar', text) | ('seq', [...]) | ('map', [(key, child)]), each maybe
    anchored, tagged or replaced by an alias."""
    kinds = ["scalar"] if depth >= 4 else ["scalar", "seq", "map"]
    kind = draw(st.sampled_from(kinds))
    if kind == "scalar":
        value: Any = draw(st.sampled_from(SCALARS) | st.text(max_size=8).map(repr))
    elif kind == "seq":
        value = draw(st.lists(node(depth + 1), max_size=3))
    else:
        value = draw(st.lists(st.tuples(st.sampled_from(KEYS), node(depth + 1)), max_size=4))
    return {
        "kind": kind,
        "value": value,
        "anchor": draw(st.none() | st.sampled_from(["a", "b", "c"])),
        "alias": draw(st.none() | st.sampled_from(["a", "b", "c", "zz"])),
        "tag": draw(st.none() | st.sampled_from(TAGS)),
        "flow": draw(st.booleans()),
    }


def render(tree: dict[str, Any], indent: int = 0) -> str:
    """YAML text for ``tree`` (flow or block style per node); valid enough to reach the
    composer most of the time, invalid sometimes, which is fine too."""
    if tree["alias"] and tree["kind"] == "scalar":
        return f"*{tree['alias']}"
    prefix = " ".join(
        p for p in (f"&{tree['anchor']}" if tree["anchor"] else "", tree["tag"] or "") if p
    )
    lead = f"{prefix} " if prefix else ""
    if tree["kind"] == "scalar":
        return lead + tree["value"]
    pad = "  " * (indent + 1)
    if tree["kind"] == "seq":
        items = [render(child, indent + 1) for child in tree["value"]]
        if tree["flow"] or not items:
            return lead + "[" + ", ".join(items) + "]"
        return lead.rstrip() + "\n" + "\n".join(f"{pad}- {item}" for item in items)
    pairs = [(key, render(child, indent + 1)) for key, child in tree["value"]]
    if tree["flow"] or not pairs:
        return lead + "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return lead.rstrip() + "\n" + "\n".join(f"{pad}{k}: {v}" for k, v in pairs)


def assert_clean(text: str) -> None:
    started = time.monotonic()
    specs, diagnostics = load_text(text, "f.yaml")
    for d in diagnostics:
        assert d.file == "f.yaml"
        assert d.line >= 1
        assert d.col >= 1
        assert d.message
    check_specs(specs)
    assert time.monotonic() - started < 10, "the loader took too long"


documents = st.lists(node(), min_size=1, max_size=3).map(
    lambda trees: "---\n".join(
        "\n".join(f"{k}: {render(child)}" for k, child in t["value"]) + "\n"
        if t["kind"] == "map" and not t["flow"]
        else render(t) + "\n"
        for t in trees
    )
)


@given(documents)
def test_structured_yaml_with_anchors_tags_and_nesting_gives_only_diagnostics(text: str) -> None:
    assert_clean(text)


def laughs(levels: int, width: int) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "name: x\n" + "\n".join(lines) + "\n"


HOSTILE_CASES = [
    pytest.param(laughs(9, 10), id="billion-laughs"),
    pytest.param(laughs(30, 2), id="deep-doubling-aliases"),
    pytest.param("a: &a\n  b: *a\n", id="self-referencing-alias"),
    pytest.param("[" * 50_000 + "]" * 50_000, id="deep-flow-sequence"),
    pytest.param("{a: " * 20_000 + "1" + "}" * 20_000, id="deep-flow-mapping"),
    pytest.param("".join("  " * i + "k:\n" for i in range(2000)), id="deep-block-mapping"),
    pytest.param("name: " + "x" * (MAX_FILE_BYTES - 10) + "\n", id="huge-scalar"),
    pytest.param("k" * 200_000 + ": 1\n", id="huge-key"),
    pytest.param("- " * 5000 + "x\n", id="deep-block-sequence"),
    pytest.param("name: !!binary aGk=\nx: !!set {a, b}\ny: !!omap [a: 1]\n", id="tags"),
    pytest.param("b: &b {theme: x}\nw: {<<: *b}\n", id="merge-key"),
    pytest.param("? [a, b]\n: 1\n? {c: d}\n: 2\n", id="complex-keys"),
    pytest.param("name: a\nname: b\nNAME: c\n", id="duplicate-keys"),
    pytest.param("%YAML 1.1\n---\nname: yes\n", id="yaml-1.1-directive"),
    pytest.param("---\n" * 5000, id="many-empty-documents"),
    pytest.param("name: x\n" + "---\nname: x\n" * 3000, id="many-documents"),
    pytest.param("\ufeffname: x\n\x85y: \u2028z\n", id="odd-line-breaks"),
]
HOSTILE = [str(case.values[0]) for case in HOSTILE_CASES]


@pytest.mark.parametrize("text", HOSTILE_CASES)
def test_hostile_yaml_gives_only_diagnostics(text: str) -> None:
    assert_clean(text)


def test_hostile_bytes_in_a_file_stop_at_the_size_limit(tmp_path: Path) -> None:
    data = b"name: " + b"x" * (MAX_FILE_BYTES + 1)
    specs, diagnostics = load_bytes(data, "big.yaml")
    assert specs == []
    assert any("larger than" in d.message for d in diagnostics)


@pytest.mark.parametrize("value", [".nan", ".NaN", ".NAN"])
def test_a_nan_scalar_is_a_diagnostic_not_a_crash(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_clean(f"name: {value}\nroutingConfiguration: {{queueId: {value}}}\n")
    (tmp_path / "nan.yaml").write_text(f"name: {value}\n", encoding="utf-8")
    assert run(["validate", str(tmp_path)]) == 1
    assert "nan.yaml:1" in capsys.readouterr().out


def test_validate_command_reports_hostile_files_without_an_unexpected_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index, text in enumerate(HOSTILE):
        (tmp_path / f"h{index:02d}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "bytes.yaml").write_bytes(b"\xff\xfe\x00name: \x80\n")
    code = run(["validate", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 1, out.err
    assert "Traceback" not in out.err + out.out
    shown = out.out + out.err
    assert "bytes.yaml" in shown
    assert "h00.yaml" in shown  # the billion laughs, named with its problem
