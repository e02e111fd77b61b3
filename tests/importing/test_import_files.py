"""What import writes: slugs, normalised documents, escapes, and files that load back unchanged."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reconciler.importing import (
    ImportRequest,
    channel_document,
    decide,
    header_lines,
    render_document,
    slug,
)
from reconciler.interpolate import SpecContext, interpolate_specs
from reconciler.model import LiveChannel
from reconciler.planner import normalise_body
from reconciler.spec.loader import load_text
from reconciler.spec.validate import resolve_and_check

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def live(name: str, *, id: str = "c-1", owner: str | None = None, **over: Any) -> LiveChannel:
    attributes = dict(over.pop("attributes", {"b": "2", "a": "1"}))
    if owner is not None:
        attributes["x-managed-by"] = owner
    body: dict[str, Any] = {
        "routingConfiguration": {"queueId": over.pop("queue", "q-1")},
        "securityPolicy": {
            "requireConsent": True,
            "allowedOrigins": over.pop(
                "origins", ["https://b.example.com", "https://a.example.com"]
            ),
            "enabled": True,
        },
        "webMessagingWidgetConfiguration": {
            "customAttributes": attributes,
            "theme": "compact",
            "widgetId": "w-1",
        },
        "description": over.pop("description", "A channel"),
        "name": name,
    }
    return LiveChannel(id=id, version=4, body=body, date_created="2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sales EU", "sales-eu"),
        ("  Sales -- EU!! ", "sales-eu"),
        ("Café Crème", "cafe-creme"),
        ("日本語", "channel"),
        ("Staging (developers)", "staging-developers"),
        ("x" * 200, "x" * 60),
        ("../../etc/passwd", "etc-passwd"),
    ],
)
def test_slug(name: str, expected: str) -> None:
    assert slug(name) == expected


def render(channel: LiveChannel) -> str:
    return render_document(channel_document(channel), header_lines(channel, "dev (sandbox)", NOW))


def test_a_document_is_normalised_in_contract_order_with_a_header() -> None:
    text = render(live("Sales EU", owner="reconciler", origins=["https://B.example.com"]))
    assert text == (
        "# Imported by 'reconciler import' from environment dev (sandbox)\n"
        "# channel id c-1, on 2026-11-24.\n"
        "# Edit freely: this file is now the channel's spec.\n"
        "name: Sales EU\n"
        "description: A channel\n"
        "webMessagingWidgetConfiguration:\n"
        "  widgetId: w-1\n"
        "  theme: compact\n"
        "  customAttributes:\n"
        "    a: '1'\n"
        "    b: '2'\n"
        "securityPolicy:\n"
        "  enabled: true\n"
        "  allowedOrigins:\n"
        "    - https://b.example.com\n"
        "  requireConsent: true\n"
        "routingConfiguration:\n"
        "  queueId: q-1\n"
    )


def test_empty_parts_are_left_out_or_flow_style() -> None:
    channel = live("Kiosk", description="", attributes={}, origins=[])
    channel.body["securityPolicy"].update(enabled=False, requireConsent=False)
    text = render(channel)
    assert "description" not in text
    assert "customAttributes" not in text
    assert "  allowedOrigins: []\n" in text


TRICKY = [
    "true",
    "123",
    "0x1F",
    "null",
    "~",
    "yes",
    "",
    "a: b",
    "- item",
    "#not a comment",
    "two\nlines\n",
    "  leading and trailing  ",
    "${var.queue} stays literal",
    "$${ and $$${ and ${",
    "quote ' and \" and \\",
    "tab\there",
    "émoji 🎉 and 日本語",
    "@at `tick` *star & amp ! bang % pct",
]


@pytest.mark.parametrize("value", TRICKY)
def test_every_value_loads_back_exactly(value: str) -> None:
    channel = live(
        f"N {value}"[:100] if value.strip() else "Name",
        description=value,
        attributes={"k": value, "yes": value},
        queue=value or "q",
    )
    specs, diagnostics = load_text(render(channel), "channels/x.yaml")
    assert diagnostics == []
    resolved, problems = resolve_and_check(specs, SpecContext())
    assert [p for p in problems if p.rule.startswith("variable")] == []
    expected = normalise_body(channel.body)
    if expected["description"] == "":
        del expected["description"]
    assert [spec.body for spec in resolved] == [expected]


def test_names_that_slug_alike_get_unique_files_and_existing_files_are_kept(
    tmp_path: Path,
) -> None:
    out = tmp_path / "channels"
    out.mkdir()
    (out / "sales-eu.yaml").write_text("# someone else's notes, not a spec\n")
    channels = [
        live("Sales EU", id="1"),
        live("sales-eu", id="2"),
        live("SALES  EU!", id="3"),
        live("Other", id="4", owner="someone-else"),
        live("Mine", id="5", owner="reconciler"),
    ]
    planned, skipped, considered = decide(channels, ImportRequest(out_dir=out))
    files = {ch.name: path.name for ch, path, replaced in planned}
    assert files == {
        "Mine": "mine.yaml",
        "SALES  EU!": "sales-eu-2.yaml",
        "Sales EU": "sales-eu-3.yaml",
        "sales-eu": "sales-eu-4.yaml",
    }
    assert all(not replaced for _, _, replaced in planned)
    assert skipped == [("channel", "Other", "managed by another owner ('someone-else')")]
    assert considered == 5


def test_name_globs_select_channels(tmp_path: Path) -> None:
    channels = [live("Sales EU", id="1"), live("Sales US", id="2"), live("Support", id="3")]
    request = ImportRequest(out_dir=tmp_path / "out", names=("sales e*", "SUPPORT"))
    planned, _, considered = decide(channels, request)
    assert sorted(ch.name for ch, _, _ in planned) == ["Sales EU", "Support"]
    assert considered == 2


def test_out_dir_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    from reconciler.errors import UsageError

    with pytest.raises(UsageError, match="not a folder"):
        decide([live("A")], ImportRequest(out_dir=tmp_path / "file"))


@given(value=st.text(max_size=40), key=st.text(min_size=1, max_size=20))
def test_any_text_value_and_key_loads_back_exactly(value: str, key: str) -> None:
    assume(key.casefold() != "x-managed-by")
    channel = live("Name", description=value, attributes={key: value}, queue="q")
    specs, diagnostics = load_text(render(channel), "channels/x.yaml")
    assert diagnostics == []
    resolved, problems = interpolate_specs(specs, SpecContext())
    assert problems == []
    body = resolved[0].body
    assert body.get("description", "") == value  # an empty description is left out
    assert body["webMessagingWidgetConfiguration"]["customAttributes"] == {key: value}


def test_strings_yaml_1_1_reads_as_booleans_are_written_quoted() -> None:
    from ruamel.yaml.comments import CommentedMap

    from reconciler.importing import _ordered, render_document

    document = _ordered({"launcherButton": {"visibility": "On"}, "other": "Off"}, "", {})
    assert isinstance(document, CommentedMap)
    text = render_document(document, [])
    assert 'visibility: "On"' in text
    assert 'other: "Off"' in text
