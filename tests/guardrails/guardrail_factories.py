"""Web deployment specs and live pairs for the guardrail tests (impacts, policies, notices)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from reconciler.kinds.webdeployment import LIVE
from reconciler.model import LiveResource, SourceRef, Spec
from reconciler.planner import Plan, PlanOptions, build_plan

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
CATALOG = {"flow": [("flow-1", "Sales Inbound Message")], "supportedContent": []}
DOMAINS = ["a.example", "b.example", "c.example"]


def deployment_spec(
    name: str = "Sales EU", *, configuration: dict[str, Any] | None = None, **deployment: Any
) -> Spec:
    block: dict[str, Any] = {"flow": {"name": "Sales Inbound Message"}}
    if "allowAllDomains" not in deployment:
        block["allowedDomains"] = list(DOMAINS)
    block.update(deployment)
    body: dict[str, Any] = {"kind": "webDeployment", "name": name, "deployment": block}
    if configuration is not None:
        body["configuration"] = configuration
    return Spec(
        kind="webDeployment", name=name, body=body, source=SourceRef(file="w.yaml", line=1, col=1)
    )


def live_pair(
    name: str = "Sales EU",
    *,
    id: str = "dep-1",
    configuration: dict[str, Any] | None = None,
    **deployment: Any,
) -> LiveResource:
    block: dict[str, Any] = {
        "allowAllDomains": False,
        "allowedDomains": list(DOMAINS),
        "flow": {"id": "flow-1"},
        "supportedContent": {"id": "default-profile"},
        "status": "Active",
    }
    block.update(deployment)
    return LiveResource(
        kind="webDeployment",
        id=id,
        revision="r|1",
        body={
            "name": name,
            "description": "[x-managed-by: reconciler]",
            "configuration": copy.deepcopy(configuration or {}),
            "deployment": block,
            LIVE: {
                "deploymentId": id,
                "configurationId": f"cfg-{id}",
                "servedVersion": "1",
                "latestVersion": "1",
                "draftDiffers": False,
            },
        },
    )


def make_plan(specs: list[Spec], lives: list[LiveResource], *, prune: bool = False) -> Plan:
    return build_plan(
        specs,
        lives,
        options=PlanOptions(prune=prune),
        environment="t",
        now=NOW,
        catalog=CATALOG,
    )
