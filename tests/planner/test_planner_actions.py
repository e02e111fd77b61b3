"""One table row per action kind, plus the normalisation and ownership rules behind them."""

from __future__ import annotations

import pytest
from planner_factories import OWNER, live, plan, spec

from reconciler.errors import PlanError
from reconciler.kinds.channel import MANAGED_BY_KEY
from reconciler.planner import ABSENT, ActionKind

CASES = [
    # (id, specs, live channels, options, expected kind of the one channel)
    ("create: no live channel has the name", [spec("Sales")], [], {}, "create"),
    ("noop: managed and equal", [spec("Sales")], [live("Sales")], {}, "noop"),
    (
        "update: managed and different",
        [spec("Sales", description="new")],
        [live("Sales", description="old")],
        {},
        "update",
    ),
    (
        "conflict: unmanaged channel holds the name",
        [spec("Sales")],
        [live("Sales", owner=None)],
        {},
        "conflict",
    ),
    (
        "conflict: another owner's channel",
        [spec("Sales")],
        [live("Sales", owner="team-b")],
        {},
        "conflict",
    ),
    (
        "adopt: unmanaged channel with --adopt",
        [spec("Sales")],
        [live("Sales", owner=None)],
        {"adopt": True},
        "adopt",
    ),
    (
        "conflict: another owner's channel even with --adopt",
        [spec("Sales")],
        [live("Sales", owner="team-b")],
        {"adopt": True},
        "conflict",
    ),
    ("delete: managed, no spec, --prune", [], [live("Sales")], {"prune": True}, "delete"),
]


@pytest.mark.parametrize(
    ("specs", "lives", "options", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_one_action_per_kind(specs, lives, options, expected) -> None:
    result = plan(specs, lives, **options)
    assert [a.kind.value for a in result.actions] == [expected]
    assert result.summary[expected] == 1
    assert sum(result.summary.values()) == 1


@pytest.mark.parametrize(
    ("owner", "prune"),
    [(OWNER, False), (None, True), ("team-b", True)],
    ids=["managed without --prune", "unmanaged with --prune", "foreign with --prune"],
)
def test_live_channel_without_spec_is_never_deleted_otherwise(owner, prune) -> None:
    result = plan([], [live("Legacy", owner=owner)], prune=prune)
    assert result.actions == ()


def test_executable_actions_carry_what_apply_needs() -> None:
    lives = [live("Sales", description="old", version=7), live("Gone", version=2)]
    result = plan([spec("Sales"), spec("New", line=9)], lives, prune=True)
    by_kind = {a.kind: a for a in result.actions}

    create = by_kind[ActionKind.CREATE]
    assert create.channel_id is None
    assert create.live is None
    assert create.body is not None
    assert create.body["webMessagingWidgetConfiguration"]["customAttributes"] == {
        MANAGED_BY_KEY: OWNER
    }
    assert create.source == "channels/c.yaml:9"

    update = by_kind[ActionKind.UPDATE]
    assert update.channel_id == "id-sales"
    assert update.live is not None
    assert update.live.version == 7
    assert update.body is not None
    assert update.body["description"] == "A channel"
    assert [(c.path, c.before, c.after) for c in update.changes] == [
        ("description", "old", "A channel")
    ]

    delete = by_kind[ActionKind.DELETE]
    assert (delete.channel_id, delete.live.version if delete.live else None) == ("id-gone", 2)
    assert delete.body is None


def test_marker_is_written_with_the_chosen_owner_and_never_shown_as_a_change() -> None:
    result = plan(
        [spec("Sales", attributes={"lang": "en"})],
        [live("Sales", owner=None, attributes={"lang": "en"})],
        adopt=True,
        owner="team-a",
    )
    (action,) = result.actions
    assert action.kind is ActionKind.ADOPT
    assert action.changes == ()  # only the marker differs, and it is not a diff
    assert action.body is not None
    assert action.body["webMessagingWidgetConfiguration"]["customAttributes"] == {
        "lang": "en",
        MANAGED_BY_KEY: "team-a",
    }


def test_channels_of_this_owner_only_are_managed() -> None:
    result = plan([spec("Sales")], [live("Sales", owner="reconciler")], owner="team-a")
    (action,) = result.actions
    assert action.kind is ActionKind.CONFLICT
    assert "'reconciler'" in action.reason


def test_names_match_ignoring_case_and_a_case_change_is_an_update() -> None:
    result = plan([spec("SALES")], [live("sales")])
    (action,) = result.actions
    assert action.kind is ActionKind.UPDATE
    assert [(c.path, c.before, c.after) for c in action.changes] == [("name", "sales", "SALES")]


def test_allowed_origins_compare_as_a_set_ignoring_case() -> None:
    wanted = spec("Sales", origins=["https://b.example.com", "https://a.example.com"])
    current = live("Sales", origins=["https://A.EXAMPLE.com", "https://b.example.com"])
    result = plan([wanted], [current])
    assert result.actions[0].kind is ActionKind.NOOP


def test_allowed_origins_change_is_one_change_of_the_whole_sorted_list() -> None:
    wanted = spec("Sales", origins=["https://c.example.com", "https://a.example.com"])
    current = live("Sales", origins=["https://a.example.com", "https://b.example.com"])
    (action,) = plan([wanted], [current]).actions
    assert [(c.path, c.before, c.after) for c in action.changes] == [
        (
            "securityPolicy.allowedOrigins",
            ["https://a.example.com", "https://b.example.com"],
            ["https://a.example.com", "https://c.example.com"],
        )
    ]
    assert action.body is not None
    assert action.body["securityPolicy"]["allowedOrigins"] == [
        "https://a.example.com",
        "https://c.example.com",
    ]


def test_custom_attribute_changes_are_per_key() -> None:
    wanted = spec("Sales", attributes={"lang": "fr", "new": "x"})
    current = live("Sales", attributes={"lang": "en", "old": "y"})
    (action,) = plan([wanted], [current]).actions
    prefix = "webMessagingWidgetConfiguration.customAttributes."
    assert [(c.path, c.before, c.after) for c in action.changes] == [
        (prefix + "lang", "en", "fr"),
        (prefix + "new", ABSENT, "x"),
        (prefix + "old", "y", ABSENT),
    ]


def test_absent_description_equals_empty_and_absent_attributes_equal_empty() -> None:
    result = plan(
        [spec("Sales", description=None, attributes=None)],
        [live("Sales", description="", attributes={})],
    )
    assert result.actions[0].kind is ActionKind.NOOP


def test_a_boolean_is_not_a_number() -> None:
    current = live("Sales")
    current.body["securityPolicy"]["enabled"] = 1
    (action,) = plan([spec("Sales")], [current]).actions
    assert action.kind is ActionKind.UPDATE
    assert [(c.path, c.before, c.after) for c in action.changes] == [
        ("securityPolicy.enabled", 1, True)
    ]


def test_conflict_lists_the_fields_adopt_would_change_but_sends_nothing() -> None:
    (action,) = plan([spec("Sales", queue="q2")], [live("Sales", owner=None, queue="q1")]).actions
    assert action.kind is ActionKind.CONFLICT
    assert action.body is None
    assert "--adopt" in action.reason
    assert [c.path for c in action.changes] == ["routingConfiguration.queueId"]


def test_two_live_channels_with_one_name_are_a_conflict() -> None:
    lives = [live("Sales", id="b"), live("sales", id="a")]
    (action,) = plan([spec("Sales")], lives).actions
    assert action.kind is ActionKind.CONFLICT
    assert action.channel_id == "a"
    assert "2 live channels" in action.reason


def test_two_specs_with_one_name_are_refused() -> None:
    with pytest.raises(PlanError, match="two specs share the channel name"):
        plan([spec("Sales"), spec("SALES")], [])


def test_actions_are_sorted_by_name_then_kind() -> None:
    specs = [spec("b"), spec("C"), spec("a")]
    lives = [live("b", owner=None), live("d"), live("C", description="x")]
    result = plan(specs, lives, prune=True)
    assert [(a.name, a.kind.value) for a in result.actions] == [
        ("a", "create"),
        ("b", "conflict"),
        ("C", "update"),
        ("d", "delete"),
    ]
