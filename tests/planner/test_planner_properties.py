"""Invariants over generated orgs: apply then plan is all noop; order never matters."""

from __future__ import annotations

import json
import random

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from planner_factories import live_of, plan, simulate_apply, spec_of

from reconciler.artifacts import plan_json_text, plan_schema
from reconciler.planner import ActionKind

NAMES = ["Sales", "Support", "Billing", "Returns", "VIP", "Élan", "straße"]
ORIGINS = [
    "https://a.example.com",
    "https://B.example.com",
    "https://c.example.com:8443",
    "http://localhost:8080",
]


def _case(name: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower() for c, f in zip(name, flips + [False] * 20, strict=False)
    )


@st.composite
def bodies(draw: st.DrawFn, name: str) -> dict:
    flips = draw(st.lists(st.booleans(), max_size=8))
    doc: dict = {"name": _case(name, flips)}
    if draw(st.booleans()):
        doc["description"] = draw(st.sampled_from(["", "first", "second", "<b>|`x`"]))
    widget: dict = {
        "widgetId": draw(st.sampled_from(["w1", "w2"])),
        "theme": draw(st.sampled_from(["default", "compact", "custom"])),
    }
    if draw(st.booleans()):
        widget["customAttributes"] = draw(
            st.dictionaries(st.sampled_from(["lang", "brand", "tier"]), st.sampled_from(["a", "b"]))
        )
    doc["webMessagingWidgetConfiguration"] = widget
    doc["securityPolicy"] = {
        "enabled": True,
        "allowedOrigins": draw(st.lists(st.sampled_from(ORIGINS), max_size=4)),
        "requireConsent": True,
    }
    doc["routingConfiguration"] = {"queueId": draw(st.sampled_from(["q1", "q2"]))}
    return doc


@st.composite
def orgs(draw: st.DrawFn):
    """Specs and live channels over a small name space, so matches, misses and extras all occur."""
    spec_names = draw(st.lists(st.sampled_from(NAMES), unique_by=str.casefold, max_size=6))
    live_names = draw(st.lists(st.sampled_from(NAMES), unique_by=str.casefold, max_size=6))
    specs = [spec_of(draw(bodies(n)), line=i + 1) for i, n in enumerate(spec_names)]
    lives = [
        live_of(
            draw(bodies(n)),
            id=f"live-{i}",
            owner=draw(st.sampled_from(["reconciler", None, "team-b"])),
            version=draw(st.integers(1, 9)),
        )
        for i, n in enumerate(live_names)
    ]
    return specs, lives


@given(org=orgs(), prune=st.booleans(), adopt=st.booleans())
def test_applying_a_plan_then_planning_again_leaves_nothing_to_do(org, prune, adopt) -> None:
    specs, lives = org
    first = plan(specs, lives, prune=prune, adopt=adopt)
    after = simulate_apply(first, lives)
    second = plan(specs, after, prune=prune, adopt=adopt)
    executable = [a for a in second.actions if a.executable]
    assert executable == []
    conflicts = lambda p: sorted(a.key for a in p.actions if a.kind is ActionKind.CONFLICT)  # noqa: E731
    assert conflicts(second) == conflicts(first)
    assert second.summary["noop"] == len(specs) - len(conflicts(first))


def _shuffled(value, rng: random.Random):
    """The same JSON value with every mapping's keys in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(org=orgs(), seed=st.integers(0, 2**16), prune=st.booleans(), adopt=st.booleans())
def test_plans_do_not_depend_on_file_key_or_listing_order(org, seed, prune, adopt) -> None:
    specs, lives = org
    rng = random.Random(seed)
    specs2 = [spec_of(_shuffled(s.body, rng), line=s.source.line) for s in specs]
    for s in specs2:
        rng.shuffle(s.body["securityPolicy"]["allowedOrigins"])
    lives2 = [
        live_of(_shuffled(ch.body, rng), id=ch.id, owner=None, version=ch.version) for ch in lives
    ]
    rng.shuffle(specs2)
    rng.shuffle(lives2)
    first = plan(specs, lives, prune=prune, adopt=adopt)
    second = plan(specs2, lives2, prune=prune, adopt=adopt)
    assert second.digest == first.digest
    assert second.spec_digest == first.spec_digest
    assert plan_json_text(second) == plan_json_text(first)


VALIDATOR = Draft202012Validator(plan_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@given(org=orgs(), prune=st.booleans(), adopt=st.booleans())
def test_every_plan_validates_against_the_schema(org, prune, adopt) -> None:
    specs, lives = org
    doc = json.loads(plan_json_text(plan(specs, lives, prune=prune, adopt=adopt)))
    assert [e.message for e in VALIDATOR.iter_errors(doc)] == []
