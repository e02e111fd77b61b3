"""The planner's references between kinds, and the ownership ledger, as pure functions: what
resolves to what, what waits for what, what is never deleted, and which cycles are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reconciler import kinds
from reconciler.errors import PlanError
from reconciler.kinds import Reference, ResourceKind
from reconciler.kinds.ledger import OWNER as LEDGER_OWNER
from reconciler.ledger import OwnedBackend, read_ledger
from reconciler.model import LiveResource, SourceRef, Spec
from reconciler.planner import ActionKind, PlanOptions, build_plan

NOW = datetime(2026, 12, 8, tzinfo=timezone.utc)
OPTIONS = PlanOptions(owner="reconciler")


def spec(kind: str, name: str, body: dict[str, Any], file: str = "channels/x.yaml") -> Spec:
    return Spec(
        name=name,
        kind=kind,
        body={"name": name, **body},
        source=SourceRef(file=file, line=1, col=1),
    )


def profile_spec(name: str, file: str = "channels/p.yaml") -> Spec:
    return spec("supportedContent", name, {"mediaTypes": {"allow": {"inbound": ["image/*"]}}}, file)


def profile(name: str, object_id: str, owned: bool = True) -> LiveResource:
    body: dict[str, Any] = {"name": name, "mediaTypes": {"allow": {"inbound": ["image/*"]}}}
    if owned:
        body[LEDGER_OWNER] = "reconciler"
    return LiveResource(kind="supportedContent", id=object_id, revision="1", body=body)


def defaults(profile_id: str) -> LiveResource:
    body = {"name": "defaults", "supportedContent": {"id": profile_id}, LEDGER_OWNER: "reconciler"}
    return LiveResource(kind="messagingDefaults", id="default", revision="r", body=body)


def plan(specs: list[Spec], live: list[LiveResource], **options: Any) -> Any:
    return build_plan(
        specs,
        live,
        options=PlanOptions(owner="reconciler", **options),
        environment="test",
        now=NOW,
    )


def test_a_declared_profile_is_resolved_before_a_live_one_and_a_rename_keeps_its_id() -> None:
    renamed = Spec(
        name="Pictures v2",
        kind="supportedContent",
        body={"name": "Pictures v2", "mediaTypes": {"allow": {"inbound": ["image/*"]}}},
        source=SourceRef(file="channels/p.yaml", line=1, col=1),
        renamed_from=("Pictures",),
    )
    uses = spec(
        "messagingDefaults", "defaults", {"supportedContent": {"name": "Pictures v2"}}, "d.yaml"
    )
    result = plan([renamed, uses], [profile("Pictures", "p-1"), defaults("p-1")])
    by_kind = {a.resource_kind: a for a in result.actions}
    assert by_kind["supportedContent"].previous_name == "Pictures"
    # The defaults already name p-1: the rename changes nothing there.
    assert by_kind["messagingDefaults"].kind is ActionKind.NOOP
    assert by_kind["messagingDefaults"].pending_refs == ()


def test_a_created_profile_is_a_pending_reference_and_its_user_says_it_waits() -> None:
    new = profile_spec("Pictures")
    uses = spec("messagingDefaults", "defaults", {"supportedContent": {"name": "Pictures"}})
    result = plan([new, uses], [defaults("p-0")])
    (update,) = [a for a in result.actions if a.resource_kind == "messagingDefaults"]
    assert update.kind is ActionKind.UPDATE
    assert [r.name for r in update.pending_refs] == ["Pictures"]
    assert update.after == ("supportedContent 'Pictures'",)
    kinds_in_order = [a.resource_kind for a in result.actions]
    assert kinds_in_order.index("supportedContent") < kinds_in_order.index("messagingDefaults")


def test_a_profile_in_use_is_not_deleted_and_the_plan_names_the_user() -> None:
    result = plan([], [profile("Pictures", "p-1"), defaults("p-1")], prune=True)
    (action,) = [a for a in result.actions if a.resource_kind == "supportedContent"]
    assert action.kind is ActionKind.CONFLICT
    assert "still used by messaging defaults 'defaults' (id default)" in action.reason
    # The singleton is never deleted, even with --prune and no spec.
    assert not any(a.resource_kind == "messagingDefaults" for a in result.actions)


def test_a_profile_whose_user_moves_away_in_the_same_plan_is_deleted_after_the_move() -> None:
    moved = spec("messagingDefaults", "defaults", {"supportedContent": {"id": "p-2"}})
    live = [profile("Pictures", "p-1"), profile("Other", "p-2", owned=False), defaults("p-1")]
    result = plan([moved], live, prune=True)
    (delete,) = [a for a in result.actions if a.kind is ActionKind.DELETE]
    assert delete.name == "Pictures"


def test_an_unowned_profile_is_a_conflict_that_names_the_ledger() -> None:
    result = plan([profile_spec("Pictures")], [profile("Pictures", "p-1", owned=False)])
    (action,) = result.actions
    assert action.kind is ActionKind.CONFLICT
    assert "audit log records no create or adoption" in action.reason
    adopted = plan(
        [profile_spec("Pictures")], [profile("Pictures", "p-1", owned=False)], adopt=True
    )
    assert adopted.actions[0].kind is ActionKind.ADOPT


def test_a_reference_to_a_spec_that_x_environments_left_out_names_both_files() -> None:
    uses = spec(
        "messagingDefaults", "defaults", {"supportedContent": {"name": "Pictures"}}, "d.yaml"
    )
    left_out = profile_spec("Pictures", "channels/prod-only.yaml")
    with pytest.raises(PlanError, match=r"d\.yaml.*channels/prod-only\.yaml"):
        build_plan(
            [uses],
            [defaults("p-0"), profile("Pictures", "p-1")],
            options=OPTIONS,
            environment="test",
            now=NOW,
            excluded=[left_out],
        )


class _Linked(ResourceKind):
    """A toy kind whose objects name each other (``peer``), to prove cycles are refused."""

    name: ClassVar[str] = "linked"
    label: ClassVar[str] = "linked thing"
    schema_resource: ClassVar[str] = ""
    references: ClassVar[tuple[Reference, ...]] = (Reference(path=("peer",), target="linked"),)

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        return None

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        return body

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(body)


@pytest.fixture
def linked() -> Iterator[None]:
    kinds.register(_Linked())
    try:
        yield
    finally:
        kinds.unregister("linked")


@pytest.mark.usefixtures("linked")
def test_a_reference_cycle_is_a_plan_error_naming_both_files() -> None:
    a = spec("linked", "A", {"peer": {"name": "B"}}, "channels/a.yaml")
    b = spec("linked", "B", {"peer": {"name": "A"}}, "channels/b.yaml")
    with pytest.raises(PlanError, match=r"reference cycle") as caught:
        plan([a, b], [])
    assert "channels/a.yaml" in str(caught.value)
    assert "channels/b.yaml" in str(caught.value)


def _action_line(kind: str, object_id: str, owner: str, verb: str = "create") -> str:
    record = {
        "resource_kind": kind,
        "kind": verb,
        "status": "succeeded",
        "channel_id": object_id,
        "owner": owner,
    }
    return json.dumps({"kind": "action", "record": record})


def test_the_ledger_holds_what_this_owner_created_or_adopted_until_it_deletes_it(
    tmp_path: Path,
) -> None:
    log = tmp_path / "audit.jsonl"
    assert read_ledger(log, "reconciler") == frozenset()  # no log: nothing is ours
    lines = [
        _action_line("supportedContent", "p-1", "reconciler"),
        _action_line("supportedContent", "p-2", "reconciler", "adopt"),
        _action_line("supportedContent", "p-3", "someone-else"),
        _action_line("messagingSetting", "s-1", "reconciler"),
        _action_line("supportedContent", "p-1", "reconciler", "delete"),
        _action_line("channel", "c-1", "reconciler"),  # a marker kind: not the ledger's
        "not json at all",
    ]
    log.write_text("\n".join(lines) + "\n")
    assert read_ledger(log, "reconciler") == {
        ("supportedContent", "p-2"),
        ("messagingSetting", "s-1"),
    }


class _Backend:
    environment = "test"
    pacing_wait_seconds = 0.0

    def adapter(self, kind: str) -> Any:
        raise AssertionError("not used")

    async def aclose(self) -> None:
        return None


def test_the_owned_backend_marks_ledger_objects_and_the_singleton_only() -> None:
    owned = OwnedBackend(_Backend(), "reconciler", {("supportedContent", "p-1")})
    mine = owned.mark(profile("Pictures", "p-1", owned=False))
    other = owned.mark(profile("Other", "p-2", owned=True))  # a mark from elsewhere is dropped
    singleton = owned.mark(
        LiveResource(kind="messagingDefaults", id="default", revision="r", body={"name": "x"})
    )
    assert mine.managed_by == "reconciler"
    assert other.managed_by is None
    assert singleton.managed_by == "reconciler"
