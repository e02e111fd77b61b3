"""Cursor paging of the configurations, versions and deployments listings: opaque cursors,
relative nextUri, the 300 cap, 400 on a bad pageSize, and the sticky last cursor that a
client's guard must stop on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.sandbox import WebDeploymentKnobs

from .helpers import Api
from .wd_helpers import CONFIGS, DEPLOYMENTS, WdApi, after_of, config_body, make_wd

MakeApi = Callable[..., Api]
PAGE_CAP = 50


def walk(wd: WdApi, first: str, *, guard: bool) -> tuple[list[dict[str, Any]], int]:
    """The client loop of docs/api-notes.md#paging: (entities, pages read), stopping at PAGE_CAP
    pages."""
    entities: list[dict[str, Any]] = []
    target, after, pages = first, "", 0
    while pages < PAGE_CAP:
        page = wd.ok("GET", target)
        pages += 1
        entities.extend(page["entities"])
        next_uri = page.get("nextUri") or ""
        if not next_uri:
            break
        new_after = after_of(next_uri)
        if guard and (not new_after or new_after == after):
            break
        after, target = new_after, next_uri
    return entities, pages


def with_configs(make_api: MakeApi, count: int, **knobs: Any) -> WdApi:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(**knobs))
    for index in range(count):
        wd.create_config(config_body(f"Config {index:02d}"))
    return wd


def test_cursor_pages_walk_every_entity_once_with_relative_links(make_api: MakeApi) -> None:
    wd = with_configs(make_api, 7)
    first = wd.ok("GET", f"{CONFIGS}?pageSize=3")
    assert first["total"] == 7
    assert first["nextUri"].startswith(f"{CONFIGS}?pageSize=3&after=")
    assert "previousUri" not in first
    entities, pages = walk(wd, f"{CONFIGS}?pageSize=3", guard=True)
    assert pages == 3
    assert len({e["id"] for e in entities}) == 7
    last = wd.ok("GET", wd.ok("GET", first["nextUri"])["nextUri"])
    assert "nextUri" not in last
    assert len(last["entities"]) == 1
    back = wd.ok("GET", last["previousUri"])
    assert back["entities"] == wd.ok("GET", first["nextUri"])["entities"]


def test_the_sticky_last_cursor_repeats_and_only_the_guard_stops_the_loop(
    make_api: MakeApi,
) -> None:
    wd = with_configs(make_api, 5, sticky_last_cursor=True)
    entities, pages = walk(wd, f"{CONFIGS}?pageSize=2", guard=True)
    assert len(entities) == 5
    assert len({e["id"] for e in entities}) == 5
    assert pages == 3
    second = wd.ok("GET", f"{CONFIGS}?pageSize=2")["nextUri"]
    last_link = wd.ok("GET", wd.ok("GET", second)["nextUri"])["nextUri"]
    last = wd.ok("GET", last_link)
    assert after_of(last["nextUri"]) == after_of(last_link)  # the cursor does not advance
    unguarded, unguarded_pages = walk(wd, f"{CONFIGS}?pageSize=2", guard=False)
    assert unguarded_pages == PAGE_CAP  # without the guard, only a page cap ends it
    assert len(unguarded) > 5


def test_page_size_defaults_to_300_is_capped_and_must_be_positive(make_api: MakeApi) -> None:
    wd = with_configs(make_api, 2)
    assert "pageSize=300" in wd.ok("GET", CONFIGS)["selfUri"]
    assert "pageSize=300" in wd.ok("GET", f"{CONFIGS}?pageSize=5000")["selfUri"]
    for bad in ("0", "-1", "abc", "1.5", ""):
        response = wd.call("GET", f"{CONFIGS}?pageSize={bad}")
        assert response.status == 400, bad
        assert response.json()["details"][0]["fieldName"] == "pageSize"


def test_cursors_are_opaque_checked_and_survive_deleting_their_entity(
    make_api: MakeApi,
) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant())
    for index in range(4):
        wd.published_pair(f"Pair {index}")
    order = [e["id"] for e in wd.ok("GET", DEPLOYMENTS)["entities"]]
    first = wd.ok("GET", f"{DEPLOYMENTS}?pageSize=2&expand=Configuration")
    assert "expand=Configuration" in first["nextUri"]
    assert "messenger" in first["entities"][0]["configuration"]
    edge = first["entities"][-1]["id"]
    assert edge not in first["nextUri"]  # opaque, not the raw id
    assert wd.call("DELETE", f"{DEPLOYMENTS}/{edge}").status == 204
    rest = wd.ok("GET", first["nextUri"])
    assert [e["id"] for e in rest["entities"]] == order[2:]
    broken = wd.call("GET", f"{DEPLOYMENTS}?after=%%%")
    assert broken.status == 400
    assert broken.json()["details"][0]["fieldName"] == "after"
    assert wd.call("GET", f"{DEPLOYMENTS}?after=YWJj").status == 400  # base64, not ours
    assert wd.call("GET", f"{DEPLOYMENTS}?before=YWJj").status == 400


@pytest.mark.parametrize("size", ["1", "2", "300"])
def test_versions_page_with_the_draft_included(make_api: MakeApi, size: str) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant())
    config_id = wd.create_config()["id"]
    for _ in range(3):
        wd.publish(config_id)
    entities, _ = walk(wd, f"{CONFIGS}/{config_id}/versions?pageSize={size}", guard=True)
    assert [e["version"] for e in entities] == ["DRAFT", "1", "2", "3"]
