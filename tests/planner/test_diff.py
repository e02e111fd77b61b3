"""The planner's field differ against deepdiff's tree view, which it replaces: the same paths
for any two JSON bodies (lists atomic, ``True``/``1``/``1.0`` apart), and the same verdict as
comparing canonical JSON bytes."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.kinds import canonical_json
from reconciler.planner.diff import field_changes, same_json

KEYS = st.sampled_from(["a", "b", "name", "x-managed-by", "allowedOrigins"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 2.5]),
    st.sampled_from(["", "x", "y"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)
BODIES = st.dictionaries(KEYS, VALUES, max_size=4)


def deepdiff_paths(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What ``field_changes`` computed with deepdiff before."""
    diff = DeepDiff(before, after, view="tree", threshold_to_diff_deeper=0)
    paths: set[tuple[str, ...]] = set()
    for levels in diff.values():
        for level in levels:
            parts: list[str] = []
            for part in level.path(output_format="list"):
                if not isinstance(part, str):
                    break
                parts.append(part)
            paths.add(tuple(parts))
    return [".".join(p) for p in sorted(paths)]


@settings(max_examples=400, deadline=None)
@given(BODIES, BODIES)
def test_the_paths_are_deepdiffs(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert [c.path for c in field_changes(before, after)] == deepdiff_paths(before, after)


@settings(max_examples=400, deadline=None)
@given(VALUES, VALUES)
def test_same_json_is_equal_canonical_bytes(a: Any, b: Any) -> None:
    assert same_json(a, b) is (canonical_json(a) == canonical_json(b))


def test_a_list_is_one_change_and_types_stay_apart() -> None:
    before = {"p": {"origins": ["a", "b"], "on": True, "n": 1}}
    after = {"p": {"origins": ["a", "c"], "on": 1, "n": 1.0}}
    changes = field_changes(before, after)
    assert [c.path for c in changes] == ["p.n", "p.on", "p.origins"]
    assert changes[2].before == ["a", "b"]
    assert changes[2].after == ["a", "c"]
    assert field_changes(before, before) == ()
