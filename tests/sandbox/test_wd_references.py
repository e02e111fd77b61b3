"""Flows and supported content: seeded, read-only, page-number listings."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState
from reconciler.sandbox.webdeployments.flows import flow_object

from .helpers import WALL, Api, FakeClock
from .wd_helpers import FLOWS, SUPPORTED, WdApi

MakeApi = Callable[..., Api]


def wd_api(make_api: MakeApi) -> WdApi:
    return WdApi(make_api().app)


def names(listing: dict[str, object]) -> list[str]:
    return [str(e["name"]) for e in listing["entities"]]  # type: ignore[attr-defined]


def test_flows_filter_by_lower_case_type_and_answer_upper_case(make_api: MakeApi) -> None:
    wd = wd_api(make_api)
    messages = wd.ok("GET", f"{FLOWS}?type=inboundshortmessage&sortBy=name")
    assert names(messages) == [
        "Sales Inbound Message",
        "Support Inbound Message",
        "Support Inbound Message (old)",
    ]
    assert {e["type"] for e in messages["entities"]} == {"INBOUNDSHORTMESSAGE"}
    calls = wd.ok("GET", f"{FLOWS}?type=inboundcall")
    assert names(calls) == ["Main IVR"]
    assert calls["entities"][0]["type"] == "INBOUNDCALL"
    both = wd.ok("GET", f"{FLOWS}?type=inboundcall,inboundshortmessage")
    assert both["total"] == 4
    refused = wd.call("GET", f"{FLOWS}?type=telepathy")
    assert refused.status == 400
    assert refused.json()["details"][0]["fieldName"] == "type"


def test_the_flow_name_filter_is_a_substring_match(make_api: MakeApi) -> None:
    wd = wd_api(make_api)
    exact = "Support Inbound Message"
    listing = wd.ok("GET", f"{FLOWS}?type=inboundshortmessage&name=Support%20Inbound%20Message")
    assert sorted(names(listing)) == [exact, f"{exact} (old)"]  # the client must filter exactly
    assert names(wd.ok("GET", f"{FLOWS}?name=ivr")) == ["Main IVR"]
    assert wd.ok("GET", f"{FLOWS}?name=Nothing%20like%20it")["entities"] == []
    assert wd.flow_id(exact) != wd.flow_id(f"{exact} (old)")


def test_flows_page_by_number_and_get_by_id(make_api: MakeApi) -> None:
    wd = wd_api(make_api)
    first = wd.ok("GET", f"{FLOWS}?pageSize=3&sortBy=name")
    assert (first["pageCount"], first["total"], first["pageNumber"]) == (2, 4, 1)
    assert "previousUri" not in first
    second = wd.ok("GET", first["nextUri"])
    assert names(second) == ["Support Inbound Message (old)"]
    assert "nextUri" not in second
    assert second["previousUri"].startswith(f"{FLOWS}?")
    assert "sortBy=name" in second["selfUri"]
    flow = first["entities"][0]
    assert wd.ok("GET", f"{FLOWS}/{flow['id']}") == flow
    assert wd.call("GET", f"{FLOWS}/unknown").status == 404
    assert wd.call("GET", f"{FLOWS}?pageNumber=0").status == 400
    assert wd.ok("GET", f"{FLOWS}?id={flow['id']}&name=zzz")["entities"] == [flow]


def test_deleted_flows_are_hidden_unless_asked_for(clock: FakeClock) -> None:
    state = SandboxState(kinds={"flow": [flow_object("Gone", deleted=True), flow_object("Here")]})
    app = SandboxApp(SandboxConfig(seed=1), state, clock=clock, wall_clock=lambda: WALL)
    wd = WdApi(app)
    assert names(wd.ok("GET", FLOWS)) == ["Here"]  # a slice in the state is never re-seeded
    assert sorted(names(wd.ok("GET", f"{FLOWS}?deleted=true"))) == ["Gone", "Here"]


def test_supported_content_lists_gets_and_names_the_default(make_api: MakeApi) -> None:
    wd = wd_api(make_api)
    listing = wd.ok("GET", SUPPORTED)
    assert names(listing) == ["Default", "Images only"]
    assert (listing["pageNumber"], listing["pageCount"]) == (1, 1)
    default = wd.ok("GET", f"{SUPPORTED}/default")
    assert default["name"] == "Default"
    images = listing["entities"][1]
    assert wd.ok("GET", f"{SUPPORTED}/{images['id']}") == images
    assert images["mediaTypes"]["allow"]["inbound"] == [{"type": "image/*"}]
    assert wd.call("GET", f"{SUPPORTED}/unknown").status == 404
    paged = wd.ok("GET", f"{SUPPORTED}?pageSize=1&pageNumber=2")
    assert names(paged) == ["Images only"]


def test_repeated_type_parameters_are_all_applied_and_kept_in_links(make_api: MakeApi) -> None:
    wd = wd_api(make_api)
    listing = wd.ok("GET", f"{FLOWS}?type=inboundcall&type=inboundshortmessage&pageSize=2")
    assert listing["total"] == 4
    assert "type=inboundcall&type=inboundshortmessage" in listing["nextUri"]
    assert wd.ok("GET", listing["nextUri"])["total"] == 4
