"""Hypothesis: any body or query sent to the Web Deployments routes gets a contract-shaped
answer (never a crash), and stored objects always carry the server's fields."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxRequest, WebDeploymentKnobs
from reconciler.sandbox.webdeployments.seeding import seed_pair

from .helpers import Api, FakeClock
from .wd_helpers import CONFIGS, DEPLOYMENTS, FLOWS, SUPPORTED, config_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
#: Bodies near the valid ones, so the checks past the first type check are reached too.
fields = st.sampled_from(
    [
        "name",
        "configuration",
        "messenger",
        "languages",
        "defaultLanguage",
        "allowedDomains",
        "allowAllDomains",
        "flow",
        "supportedContent",
        "status",
        "journeyEvents",
        "position",
    ]
)
near_valid = st.builds(
    lambda base, changes: {**base, **changes},
    st.just(config_body()) | st.just({"name": "D", "configuration": {"id": "C", "version": "1"}}),
    st.dictionaries(fields, json_values, max_size=3),
)


def build() -> tuple[Api, str, str]:
    knobs = WebDeploymentKnobs.instant(unavailable_features={"journeyEvents"})
    app = SandboxApp(SandboxConfig(seed=1, webdeployments=knobs), clock=FakeClock())
    config_id, deployment_id = seed_pair(app, "Seeded")
    return Api(app), config_id, deployment_id


@given(
    route=st.sampled_from(
        [
            ("POST", CONFIGS),
            ("PUT", f"{CONFIGS}/CONFIG/versions/draft"),
            ("POST", DEPLOYMENTS),
            ("PUT", f"{DEPLOYMENTS}/DEPLOYMENT"),
            ("GET", f"{CONFIGS}/CONFIG/versions"),
            ("GET", DEPLOYMENTS),
            ("GET", FLOWS),
            ("GET", SUPPORTED),
            ("DELETE", f"{CONFIGS}/CONFIG"),
        ]
    ),
    query=st.dictionaries(
        st.sampled_from(["pageSize", "pageNumber", "after", "before", "expand", "type", "name"]),
        st.text(max_size=8),
        max_size=3,
    ),
    body=st.binary(max_size=48)
    | json_values.map(lambda v: json.dumps(v).encode())
    | near_valid.map(lambda v: json.dumps(v).encode()),
)
def test_any_request_gets_a_well_formed_answer(
    route: tuple[str, str], query: dict[str, str], body: bytes
) -> None:
    api, config_id, deployment_id = build()
    method, path = route
    path = path.replace("CONFIG", config_id).replace("DEPLOYMENT", deployment_id)
    text = body.decode("utf-8", "replace").replace('"C"', json.dumps(config_id))
    headers = {"authorization": f"Bearer {api.token}"}
    response = api.app.handle(
        SandboxRequest(method=method, path=path, query=query, headers=headers, body=text.encode())
    )
    assert response.status in (200, 204, 400, 404, 409, 413)
    if response.status >= 400:
        document: dict[str, Any] = response.json()
        assert document["status"] == response.status
        assert all("fieldName" in d for d in document["details"])
    for record in api.app.state.objects("webDeploymentConfiguration").values():
        assert record["draft"]["version"] == "DRAFT"
        assert isinstance(record["draft"]["name"], str)
    for deployment in api.app.state.objects("webDeployment").values():
        assert deployment["configuration"]["version"] != "DRAFT"
        assert deployment["status"] in ("Active", "Inactive", "Error")
