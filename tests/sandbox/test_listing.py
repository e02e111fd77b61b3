"""The channels listing: document shape, paging, ordering, name filter, lag."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.sandbox import SandboxState

from .helpers import COLLECTION, Api, FakeClock, channel_body

LISTING_KEYS = {
    "entities",
    "pageSize",
    "pageNumber",
    "total",
    "pageCount",
    "firstUri",
    "lastUri",
    "selfUri",
}


def seed(api: Api, names: list[str]) -> None:
    api.app.seed_channels([{"name": name} for name in names])


def page_params(uri: str) -> dict[str, list[str]]:
    parts = urlsplit(uri)
    assert parts.path == COLLECTION
    return parse_qs(parts.query)


def test_empty_org(api: Api) -> None:
    listing = api.listing()
    assert set(listing) == LISTING_KEYS
    assert listing["entities"] == []
    assert (listing["total"], listing["pageCount"]) == (0, 0)
    assert (listing["pageSize"], listing["pageNumber"]) == (25, 1)


def test_defaults_and_uris_on_a_middle_page(api: Api) -> None:
    seed(api, [f"c{i:03d}" for i in range(60)])
    listing = api.listing("?pageNumber=2")
    assert set(listing) == LISTING_KEYS | {"nextUri", "previousUri"}
    assert listing["pageSize"] == 25
    assert listing["total"] == 60
    assert listing["pageCount"] == 3
    assert [e["name"] for e in listing["entities"]] == [f"c{i:03d}" for i in range(25, 50)]
    assert page_params(listing["selfUri"]) == {"pageSize": ["25"], "pageNumber": ["2"]}
    assert page_params(listing["firstUri"])["pageNumber"] == ["1"]
    assert page_params(listing["lastUri"])["pageNumber"] == ["3"]
    assert page_params(listing["nextUri"])["pageNumber"] == ["3"]
    assert page_params(listing["previousUri"])["pageNumber"] == ["1"]


def test_first_and_last_pages_leave_out_their_links(api: Api) -> None:
    seed(api, [f"c{i}" for i in range(5)])
    first = api.listing("?pageSize=2&pageNumber=1")
    assert "previousUri" not in first
    assert "nextUri" in first
    last = api.listing("?pageSize=2&pageNumber=3")
    assert "nextUri" not in last
    assert "previousUri" in last
    assert len(last["entities"]) == 1


def test_page_past_the_end_is_empty_200(api: Api) -> None:
    seed(api, ["a", "b"])
    listing = api.listing("?pageSize=1&pageNumber=5")
    assert listing["entities"] == []
    assert listing["total"] == 2
    assert listing["pageNumber"] == 5
    assert "nextUri" not in listing


def test_walking_next_uris_visits_every_channel_once(api: Api) -> None:
    names = [f"n{i}" for i in range(250)]
    seed(api, names)
    seen: list[str] = []
    listing = api.listing("?pageSize=100")
    pages = 1
    while True:
        seen += [e["name"] for e in listing["entities"]]
        if "nextUri" not in listing:
            break
        listing = api.listing(listing["nextUri"][len(COLLECTION) :])
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(names)


def test_order_is_case_insensitive_name_then_id(api: Api) -> None:
    seed(api, ["beta", "Alpha", "gamma", "ALPHA2", "Beta2"])
    names = [e["name"] for e in api.listing()["entities"]]
    assert names == ["Alpha", "ALPHA2", "beta", "Beta2", "gamma"]
    # Equal casefolded names cannot coexist (409), so the id tie-break is checked on a state
    # built directly.
    twins = [{"id": i, "name": "Same", "version": 1} for i in ("b-id", "a-id", "c-id")]
    api.app.state = SandboxState(twins)
    assert [e["id"] for e in api.listing("?name=same")["entities"]] == ["a-id", "b-id", "c-id"]


@pytest.mark.parametrize("query", ["Support", "support", "SUPPORT"])
def test_name_filter_is_exact_and_case_insensitive(api: Api, query: str) -> None:
    seed(api, ["Support", "Support EU", "Sales"])
    listing = api.listing(f"?name={query}")
    assert [e["name"] for e in listing["entities"]] == ["Support"]
    assert listing["total"] == 1
    assert page_params(listing["selfUri"])["name"] == [query]


def test_name_filter_encodes_in_uris(api: Api) -> None:
    seed(api, ["A & B?"])
    listing = api.listing("?name=A%20%26%20B%3F")
    assert len(listing["entities"]) == 1
    assert page_params(listing["firstUri"])["name"] == ["A & B?"]


def test_name_filter_with_no_match(api: Api) -> None:
    seed(api, ["Support"])
    listing = api.listing("?name=Supp")
    assert listing["entities"] == []
    assert listing["total"] == 0


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?pageSize=0", ["pageSize"]),
        ("?pageSize=101", ["pageSize"]),
        ("?pageSize=abc", ["pageSize"]),
        ("?pageSize=-1", ["pageSize"]),
        ("?pageSize=1.5", ["pageSize"]),
        ("?pageSize=", ["pageSize"]),
        ("?pageNumber=0", ["pageNumber"]),
        ("?pageNumber=x", ["pageNumber"]),
        ("?pageSize=500&pageNumber=0", ["pageSize", "pageNumber"]),
    ],
)
def test_bad_paging_is_400(api: Api, query: str, fields: list[str]) -> None:
    response = api.call("GET", f"{COLLECTION}{query}")
    assert response.status == 400
    body = response.json()
    assert body["code"] == "bad.request"
    assert [d["fieldName"] for d in body["details"]] == fields


@pytest.mark.parametrize("size", [1, 100])
def test_page_size_bounds_are_accepted(api: Api, size: int) -> None:
    assert api.listing(f"?pageSize={size}")["pageSize"] == size


def test_entities_are_full_channel_objects(api: Api) -> None:
    created = api.create(channel_body())
    assert api.listing()["entities"] == [created]


class TestListingLag:
    """Writes show at once by id, and in the listing only after the lag."""

    @pytest.fixture
    def lagged(self, make_api: Callable[..., Api]) -> Api:
        return make_api(listing_lag_seconds=5.0)

    def test_create_appears_late(self, lagged: Api, clock: FakeClock) -> None:
        created = lagged.create(channel_body())
        assert lagged.call("GET", created["selfUri"]).status == 200
        assert lagged.listing()["entities"] == []
        assert lagged.listing("?name=support")["total"] == 0
        clock.advance(4.9)
        assert lagged.listing()["total"] == 0
        clock.advance(0.1)
        assert [e["id"] for e in lagged.listing()["entities"]] == [created["id"]]

    def test_duplicate_is_refused_while_the_listing_lags(self, lagged: Api) -> None:
        lagged.create(channel_body())
        assert lagged.listing()["total"] == 0
        assert lagged.call("POST", COLLECTION, json_body=channel_body()).status == 409

    def test_update_shows_old_content_until_lag(self, lagged: Api, clock: FakeClock) -> None:
        created = lagged.create(channel_body())
        clock.advance(10)
        lagged.call("PUT", created["selfUri"], json_body=channel_body(description="v2", version=1))
        clock.advance(1)
        lagged.call("PUT", created["selfUri"], json_body=channel_body(description="v3", version=2))
        assert lagged.listing()["entities"][0]["version"] == 1
        clock.advance(4)  # first update visible, second not yet
        assert lagged.listing()["entities"][0]["description"] == "v2"
        clock.advance(1)
        assert lagged.listing()["entities"][0]["description"] == "v3"

    def test_delete_disappears_late(self, lagged: Api, clock: FakeClock) -> None:
        created = lagged.create(channel_body())
        clock.advance(5)
        assert lagged.call("DELETE", created["selfUri"]).status == 204
        assert lagged.call("GET", created["selfUri"]).status == 404
        assert lagged.listing()["total"] == 1
        clock.advance(5)
        assert lagged.listing()["total"] == 0

    def test_without_lag_the_listing_is_immediate(self, api: Api) -> None:
        api.create(channel_body())
        assert api.listing()["total"] == 1
