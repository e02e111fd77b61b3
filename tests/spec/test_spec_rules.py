"""Cross-file rules: unique names (as the API compares them) and the reserved attribute key."""

from __future__ import annotations

from typing import Any

from reconciler.model import ChannelSpec, SourceRef
from reconciler.spec.rules import check_rules


def spec(name: Any, file: str, line: int = 1, attributes: Any = None) -> ChannelSpec:
    body: dict[str, Any] = {"name": name}
    positions = {"$": SourceRef(file=file, line=line, col=1)}
    positions["name"] = SourceRef(file=file, line=line, col=1)
    if attributes is not None:
        body["webMessagingWidgetConfiguration"] = {"customAttributes": attributes}
        for key in attributes if isinstance(attributes, dict) else ():
            path = f"webMessagingWidgetConfiguration.customAttributes.{key}"
            positions[path] = SourceRef(file=file, line=line + 5, col=5)
    return ChannelSpec(
        name=name if isinstance(name, str) else "",
        body=body,
        source=SourceRef(file=file, line=line, col=1),
        positions=positions,
    )


def test_names_differing_only_in_case_clash_and_point_at_the_first() -> None:
    specs = [spec("Support", "a.yaml"), spec("Sales", "a.yaml", 20), spec("SUPPORT", "b.yaml", 3)]
    [d] = check_rules(specs)
    assert (d.file, d.line, d.path, d.rule) == ("b.yaml", 3, "name", "unique-name")
    assert "'SUPPORT'" in d.message
    assert "a.yaml:1:1" in d.message


def test_every_repeat_is_reported_against_the_first() -> None:
    specs = [spec("ß", "a.yaml"), spec("SS", "b.yaml"), spec("ss", "c.yaml")]
    found = check_rules(specs)
    assert [(d.file, "a.yaml:1:1" in d.message) for d in found] == [
        ("b.yaml", True),
        ("c.yaml", True),
    ]


def test_distinct_names_and_non_string_names_pass() -> None:
    assert check_rules([spec("One", "a"), spec("Two", "a"), spec(5, "b"), spec(5, "c")]) == []


def test_the_reserved_key_is_refused_in_any_case() -> None:
    specs = [
        spec("A", "a.yaml", attributes={"x-managed-by": "me", "team": "x"}),
        spec("B", "b.yaml", attributes={"X-MANAGED-BY": "me"}),
        spec("C", "c.yaml", attributes={"x-managed-by-team": "fine"}),
        spec("D", "d.yaml", attributes=["not", "a", "mapping"]),
    ]
    found = check_rules(specs)
    assert [(d.file, d.line, d.path, d.rule) for d in found] == [
        (
            "a.yaml",
            6,
            "webMessagingWidgetConfiguration.customAttributes.x-managed-by",
            "reserved-key",
        ),
        (
            "b.yaml",
            6,
            "webMessagingWidgetConfiguration.customAttributes.X-MANAGED-BY",
            "reserved-key",
        ),
    ]
