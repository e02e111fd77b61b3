"""Safety thresholds (octoDNS figures by default) and drift classification, as tables."""

from __future__ import annotations

import pytest
from planner_factories import live, plan, spec

from reconciler.planner import DriftKind, ReportKind, Thresholds

THRESHOLD_CASES = [
    # (id, managed channels, updated, deleted, thresholds, unsafe reasons' subjects)
    ("9 managed: never unsafe", 9, 9, 0, Thresholds(), []),
    ("10 managed, 3 updates = 30%: safe", 10, 3, 0, Thresholds(), []),
    ("10 managed, 4 updates = 40%: unsafe", 10, 4, 0, Thresholds(), ["update"]),
    ("10 managed, 4 deletes: unsafe", 10, 0, 4, Thresholds(), ["delete"]),
    ("both over", 10, 4, 4, Thresholds(), ["update", "delete"]),
    ("raised limit", 10, 4, 0, Thresholds(max_update_pct=50), []),
    ("lowered minimum", 4, 2, 0, Thresholds(min_existing=4), ["update"]),
]


@pytest.mark.parametrize(
    ("managed", "updated", "deleted", "thresholds", "subjects"),
    [case[1:] for case in THRESHOLD_CASES],
    ids=[case[0] for case in THRESHOLD_CASES],
)
def test_thresholds(managed, updated, deleted, thresholds, subjects) -> None:
    lives = [live(f"ch{i:02}", description="old") for i in range(managed)]
    kept = lives[deleted:]
    specs = [
        spec(ch.name, description="new" if i < updated else "old") for i, ch in enumerate(kept)
    ]
    result = plan(specs, lives, prune=True, thresholds=thresholds)
    assert result.summary["update"] == updated
    assert result.summary["delete"] == deleted
    assert result.unsafe is bool(subjects)
    assert [reason.split()[1].rstrip("s") for reason in result.unsafe_reasons] == subjects
    doc = result.to_json()
    assert doc["unsafe"] is bool(subjects)
    assert doc["unsafe_reasons"] == list(result.unsafe_reasons)


def test_unsafe_reason_names_the_figures() -> None:
    lives = [live(f"ch{i:02}", description="old") for i in range(10)]
    specs = [spec(ch.name, description="new") for ch in lives[:5]] + [
        spec(ch.name, description="old") for ch in lives[5:]
    ]
    (reason,) = plan(specs, lives).unsafe_reasons
    assert reason == "5 updates touch 50% of the 10 managed channels (limit 30%)"


def test_adopts_and_creates_do_not_count_towards_the_thresholds() -> None:
    managed = [live(f"ch{i:02}") for i in range(10)]
    unmanaged = [live(f"free{i}", owner=None) for i in range(10)]
    specs = [spec(ch.name) for ch in managed + unmanaged] + [spec(f"new{i}") for i in range(10)]
    result = plan(specs, managed + unmanaged, adopt=True)
    assert result.summary["adopt"] == 10
    assert result.summary["create"] == 10
    assert not result.unsafe


DRIFT_CASES = [
    # (id, specs, live, prune, expected drift kind)
    (
        "differs from git (no record of what this tool wrote)",
        [spec("Sales", description="spec")],
        [live("Sales", description="edited")],
        False,
        DriftKind.DIFFERS,
    ),
    ("deleted out of band / missing", [spec("Sales")], [], False, DriftKind.MISSING),
    (
        "new conflict: unmanaged",
        [spec("Sales")],
        [live("Sales", owner=None)],
        False,
        DriftKind.CONFLICT,
    ),
    (
        "new conflict: foreign",
        [spec("Sales")],
        [live("Sales", owner="x")],
        False,
        DriftKind.CONFLICT,
    ),
    ("extra managed channel with --prune", [], [live("Sales")], True, DriftKind.EXTRA),
]


@pytest.mark.parametrize(
    ("specs", "lives", "prune", "expected"),
    [case[1:] for case in DRIFT_CASES],
    ids=[case[0] for case in DRIFT_CASES],
)
def test_drift_kinds(specs, lives, prune, expected) -> None:
    result = plan(specs, lives, prune=prune, report=ReportKind.DRIFT)
    (action,) = result.actions
    assert result.drift_of(action) is expected
    doc = result.to_json()
    assert doc["report"] == "drift"
    assert expected is not None
    assert doc["actions"][0]["drift"] == expected.value
    assert result.has_changes


def test_in_sync_is_no_drift() -> None:
    result = plan([spec("Sales")], [live("Sales"), live("Other")])
    assert not result.has_changes
    assert [result.drift_of(a) for a in result.actions] == [None]
