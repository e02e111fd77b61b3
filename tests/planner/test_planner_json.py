"""plan.json: the schema, the digests, byte stability and the round trip apply relies on."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from planner_factories import NOW, live, plan, spec, spec_of

from reconciler.artifacts import plan_json_text, plan_schema
from reconciler.errors import PlanError
from reconciler.planner import (
    REDACTED,
    LiveFingerprint,
    any_paths,
    plan_from_json,
    spec_digest,
    write_only_paths,
)
from reconciler.planner.normalise import sha256_digest


def sample(**options):
    specs = [
        spec("Create me", line=1),
        spec("Update me", line=5, description="new"),
        spec("Keep me", line=9),
        spec("Not mine", line=13),
        spec("Adopt me", line=17),
    ]
    lives = [
        live("Update me", description="old"),
        live("Keep me"),
        live("Not mine", owner="team-b"),
        live("Adopt me", owner=None),
        live("Prune me"),
    ]
    return plan(specs, lives, **options)


def test_plan_json_validates_against_the_shipped_schema() -> None:
    schema = plan_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for options in ({}, {"prune": True, "adopt": True}):
        doc = json.loads(plan_json_text(sample(**options)))
        assert list(validator.iter_errors(doc)) == []
        assert doc["format_version"] == "2"
        assert doc["targets"] == []


def test_the_schema_rejects_a_create_without_a_body() -> None:
    doc = sample().to_json()
    create = next(a for a in doc["actions"] if a["action"] == "create")
    del create["body"]
    assert list(Draft202012Validator(plan_schema()).iter_errors(doc))


def test_same_inputs_give_the_same_bytes_apart_from_created_at() -> None:
    first = plan_json_text(sample(prune=True))
    second = plan_json_text(sample(prune=True))
    later = plan_json_text(
        plan(
            [spec("Create me")],
            [],
            now=NOW + timedelta(hours=1),
        )
    )
    assert first == second
    assert json.loads(later)["created_at"] == "2026-11-24T13:00:00Z"


def test_digest_ignores_time_source_positions_and_noops() -> None:
    base = plan([spec("A"), spec("B", description="x")], [live("B")])
    moved = plan(
        [spec("B", description="x", file="other.yaml", line=40), spec("A", line=99)],
        [live("B"), live("In sync")],
        now=NOW + timedelta(days=1),
    )
    extra_noop = plan([spec("A"), spec("B", description="x"), spec("C")], [live("B"), live("C")])
    assert base.digest == moved.digest == extra_noop.digest
    assert base.digest.startswith("sha256:")
    assert len(base.digest) == 71


def test_digest_changes_with_the_changes_and_with_the_live_version() -> None:
    base = plan([spec("B", description="x")], [live("B", version=3)])
    other_change = plan([spec("B", description="y")], [live("B", version=3)])
    newer_live = plan([spec("B", description="x")], [live("B", version=4)])
    assert len({base.digest, other_change.digest, newer_live.digest}) == 3


def test_spec_digest_ignores_file_order_key_order_and_owner() -> None:
    a, b = spec("A"), spec("B", description="x")
    reordered = spec_of(dict(reversed(list(b.body.items()))), file="z.yaml", line=7)
    assert spec_digest([a, b]) == spec_digest([reordered, a])
    assert plan([a, b], [], owner="x").spec_digest == plan([b, a], []).spec_digest
    assert spec_digest([a]) != spec_digest([a, b])


def test_live_fingerprint_tracks_version_and_content() -> None:
    channel = live("A")
    same = LiveFingerprint.of(live("A"))
    edited = LiveFingerprint.of(live("A", description="edited"))
    assert LiveFingerprint.of(channel) == same
    assert edited.version == same.version
    assert edited.content_sha256 != same.content_sha256


def test_round_trip_keeps_every_action_and_the_digest() -> None:
    original = sample(prune=True, adopt=True)
    loaded = plan_from_json(json.loads(plan_json_text(original)))
    assert loaded.digest == original.digest
    assert loaded.actions == original.actions
    assert plan_json_text(loaded) == plan_json_text(original)


def test_an_edited_plan_file_is_refused() -> None:
    doc = json.loads(plan_json_text(sample()))
    create = next(a for a in doc["actions"] if a["action"] == "create")
    create["body"]["description"] = "sneaked in after review"
    with pytest.raises(PlanError, match="digest mismatch"):
        plan_from_json(doc)


def test_write_only_fields_from_the_schema_are_redacted_in_changes_and_bodies() -> None:
    schema = {
        "type": "object",
        "properties": {
            "description": {"type": "string", "writeOnly": True},
            "webMessagingWidgetConfiguration": {
                "properties": {"customAttributes": {"additionalProperties": {"$ref": "#/$defs/s"}}}
            },
        },
        "$defs": {"s": {"type": "string", "writeOnly": True}},
    }
    paths = write_only_paths(schema)
    assert paths == any_paths(["description", "webMessagingWidgetConfiguration.customAttributes.*"])
    result = plan(
        [spec("A", description="new-secret", attributes={"k": "v2"}), spec("B", description="s3")],
        [live("A", description="old-secret", attributes={"k": "v1"})],
        write_only=paths,
    )
    text = plan_json_text(result)
    for secret in ("new-secret", "old-secret", "s3", "v1", "v2"):
        assert f'"{secret}"' not in text
    update = next(a for a in result.actions if a.name == "A")
    assert {(c.before, c.after) for c in update.changes} == {(REDACTED, REDACTED)}
    assert update.body is not None
    assert update.body["description"] == "new-secret"
    doc = json.loads(text)
    assert doc["actions"][0]["redacted"] == [
        "description",
        "webMessagingWidgetConfiguration.customAttributes.k",
    ]
    marker = doc["actions"][0]["body"]["webMessagingWidgetConfiguration"]["customAttributes"]
    assert marker["x-managed-by"] == "reconciler"  # the marker is never a secret


def _as_format_1(doc: dict[str, Any]) -> dict[str, Any]:
    """A format-2 plan document written the way format 1 was (channels only)."""
    old = dict(doc, format_version="1")
    actions = []
    for action in doc["actions"]:
        v2_only = ("action", "kind", "id", "live", "notes", "pending_refs", "previous_name")
        item = {k: v for k, v in action.items() if k not in v2_only}
        item["kind"] = action["action"]
        if "id" in action:
            item["channel_id"] = action["id"]
        if "live" in action:
            live = action["live"]
            item["live"] = {
                "version": int(live["revision"]),
                "content_sha256": live["content_sha256"],
            }
        actions.append(item)
    old["actions"] = actions
    digested = [
        {k: v for k, v in a.items() if k not in ("source", "drift")}
        for a in actions
        if a["kind"] != "noop"
    ]
    old["digest"] = sha256_digest(digested)
    return old


def test_a_format_1_plan_still_loads_as_channel_actions() -> None:
    original = sample(prune=True, adopt=True)
    old = _as_format_1(original.to_json())
    assert list(Draft202012Validator(plan_schema()).iter_errors(old)) == []
    loaded = plan_from_json(old)
    assert [(a.resource_kind, a.kind, a.name, a.channel_id, a.live) for a in loaded.actions] == [
        ("channel", a.kind, a.name, a.channel_id, a.live) for a in original.actions
    ]
    old["actions"][0]["name"] = "edited after review"
    with pytest.raises(PlanError, match="digest mismatch"):
        plan_from_json(old)
