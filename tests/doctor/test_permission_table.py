"""The client's permission table (``reconciler.genesys.permissions``) and the emulator's own
spelling of it (``reconciler.sandbox.permissions``) agree, and concrete paths find their row."""

from __future__ import annotations

import pytest

from reconciler.genesys import permissions
from reconciler.sandbox.permissions import REQUIRED, refused


def test_the_emulator_and_the_client_name_the_same_permissions() -> None:
    for (method, template), (needed, any_of) in REQUIRED.items():
        need = permissions.need_of_template(method, template)
        if need is None:  # single reads of flows and profiles: the client never sends them
            assert template.endswith("/{id}")
            assert template.startswith(("/api/v2/flows", "/api/v2/conversations/"))
            continue
        assert need.permissions == needed, template
        assert need.any_of is any_of, template
    for need in permissions.NEEDS:
        if need.permissions:
            assert (need.method, need.template) in REQUIRED, need.template


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/api/v2/webdeployments/configurations/c-1/versions/draft", "{id}/versions/draft"),
        ("GET", "/api/v2/webdeployments/configurations/c-1/versions/3", "{version}"),
        ("POST", "/api/v2/webdeployments/configurations/c-1/versions/draft/publish", "publish"),
        ("DELETE", "/api/v2/webdeployments/deployments/d-1", "deployments/{id}"),
        ("GET", "/api/v2/flows", "/api/v2/flows"),
    ],
)
def test_a_concrete_path_finds_its_row(method: str, path: str, template: str) -> None:
    need = permissions.need_of(method, path)
    assert need is not None
    assert need.template.endswith(template)


def test_any_of_is_refused_only_when_every_alternative_is_missing() -> None:
    assert refused("GET", "/api/v2/flows", {"architect:flow:view"}) is not None
    publish = "/api/v2/webdeployments/configurations/{id}/versions/draft/publish"
    # all-of: one missing permission is enough to refuse, and the answer names it
    reply = refused("POST", publish, {"webDeployments:configuration:add"})
    assert reply is not None
    assert reply.status == 403
    assert "webDeployments:configuration:add" in str(reply.payload)
    assert refused("POST", publish, set()) is None
