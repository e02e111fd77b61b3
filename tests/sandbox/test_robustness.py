"""Hypothesis: any request gets a contract-shaped answer, and the org never holds two
channels whose names differ only in case."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxRequest

from .helpers import COLLECTION, Api, FakeClock

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.sampled_from(["Support", "support", "SUPPORT", "Sales", "sales", "Ops", "x" * 101])


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    path=st.sampled_from([COLLECTION, f"{COLLECTION}/x", "/oauth/token", "/", f"{COLLECTION}/"])
    | st.text(max_size=30).map(lambda t: "/" + t),
    query=st.dictionaries(
        st.sampled_from(["pageSize", "pageNumber", "name", "x"]), st.text(max_size=8), max_size=3
    ),
    body=st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()),
    authorized=st.booleans(),
)
def test_any_request_gets_a_well_formed_answer(
    method: str, path: str, query: dict[str, str], body: bytes, authorized: bool
) -> None:
    api = Api(SandboxApp(SandboxConfig(seed=1), clock=FakeClock()))
    headers = {"authorization": f"Bearer {api.token}"} if authorized else {}
    response = api.app.handle(
        SandboxRequest(method=method, path=path, query=query, headers=headers, body=body)
    )
    assert 200 <= response.status < 600
    assert response.headers["ININ-Correlation-Id"]
    if response.status >= 400:
        document = response.json()
        if path == "/oauth/token":
            assert "error" in document
        else:
            assert document["contextId"] == response.headers["ININ-Correlation-Id"]
            assert document["status"] == response.status


operations = st.lists(
    st.tuples(
        st.sampled_from(["create", "rename", "delete"]),
        names,
        st.integers(min_value=0, max_value=5),
    ),
    max_size=25,
)


@given(ops=operations)
def test_names_stay_unique_case_insensitively(ops: list[tuple[str, str, int]]) -> None:
    api = Api(SandboxApp(SandboxConfig(seed=2, rate_limit_per_minute=0), clock=FakeClock()))
    for op, name, pick in ops:
        ids = sorted(api.app.state.channels)
        target = ids[pick % len(ids)] if ids else "missing"
        current: dict[str, Any] = api.app.state.channels.get(target, {"version": 1})
        if op == "create":
            response = api.call("POST", COLLECTION, json_body={"name": name})
        elif op == "rename":
            body = {"name": name, "version": current["version"]}
            response = api.call("PUT", f"{COLLECTION}/{target}", json_body=body)
        else:
            response = api.call("DELETE", f"{COLLECTION}/{target}")
        assert response.status in (200, 204, 400, 404, 409)
        detail = response.json()["details"][0] if response.status == 409 else {}
        if detail.get("fieldName") == "name":
            holder = detail["entityId"]
            assert api.app.state.channels[holder]["name"].casefold() == name.casefold()
        keys = [str(c["name"]).casefold() for c in api.app.state.channels.values()]
        assert len(keys) == len(set(keys))
        listed = api.listing("?pageSize=100")
        assert listed["total"] == len(keys)
