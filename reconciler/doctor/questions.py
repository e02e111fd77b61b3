"""What a read settles about an org's Web Deployments API (the points its documentation leaves
open), and scratch pairs an earlier ``--write-probe`` left behind.

- the largest page a cursor listing serves (ask for more than any documented default);
- whether the versions listing includes the ``DRAFT`` entry (read one configuration's);
- how the flows listing's ``name`` filter matches: exact, prefix or substring, and whether
  letter case matters (the adapter never depends on it: it lists the flows and matches the
  name itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from reconciler.doctor.checks import Collector, cheap_get
from reconciler.doctor.report import Status
from reconciler.errors import PermissionDeniedError, ReconcilerError
from reconciler.genesys import responses
from reconciler.kinds import webdeployment_rules as rules

if TYPE_CHECKING:
    from reconciler.genesys.client import GenesysBackend

CONFIGURATIONS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
FLOWS = "/api/v2/flows"
#: A page size larger than any listing's documented default, to find the cap.
ASKED_PAGE_SIZE = 1000
#: How scratch pairs are named and marked (``probe.py`` makes them).
PROBE_PREFIX = "reconciler-doctor-probe-"
PROBE_OWNER = "reconciler-doctor"


async def settle_reads(backend: GenesysBackend, found: Collector, *, flows: bool) -> None:
    await _page_size(backend, found)
    await _versions_listing(backend, found)
    if flows:
        await _flows_name_filter(backend, found)


async def _json(backend: GenesysBackend, path: str, **params: str) -> dict[str, Any]:
    response = await backend.session.request("GET", path, params=params)
    return responses.json_object(response)


async def _page_size(backend: GenesysBackend, found: Collector) -> None:
    question = "largest cursor page (pageSize)"
    try:
        page = await _json(backend, DEPLOYMENTS, pageSize=str(ASKED_PAGE_SIZE))
    except ReconcilerError as exc:
        found.settle(question, f"undetermined: {exc}")
        return
    entities = page.get("entities") if isinstance(page.get("entities"), list) else []
    echoed = _echoed_page_size(page)
    total = page.get("total")
    if echoed is not None and echoed < ASKED_PAGE_SIZE:
        found.settle(question, echoed)
    elif isinstance(total, int) and total > len(entities or []) and entities:
        found.settle(question, len(entities))
    elif echoed is not None:
        found.settle(question, f"at least {echoed}")
    else:
        found.settle(
            question,
            f"undetermined: {len(entities or [])} deployment(s), fewer than the "
            f"{ASKED_PAGE_SIZE} asked for, and the answer does not say its page size",
        )


def _echoed_page_size(page: dict[str, Any]) -> int | None:
    size = page.get("pageSize")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    uri = page.get("selfUri")
    if isinstance(uri, str):
        values = parse_qs(urlsplit(uri).query).get("pageSize")
        if values and values[0].isdigit():
            return int(values[0])
    return None


async def _versions_listing(backend: GenesysBackend, found: Collector) -> None:
    question = "versions listing includes DRAFT"
    try:
        page = await _json(backend, CONFIGURATIONS, pageSize="1", showOnlyPublished="false")
        entities = page.get("entities") or []
        if not entities or not isinstance(entities[0], dict):
            found.settle(question, "undetermined: no configuration (--write-probe makes one)")
            return
        config_id = str(entities[0].get("id", ""))
        versions = await _json(backend, f"{CONFIGURATIONS}/{quote(config_id, safe='')}/versions")
    except ReconcilerError as exc:
        found.settle(question, f"undetermined: {exc}")
        return
    listed = [v.get("version") for v in versions.get("entities") or [] if isinstance(v, dict)]
    found.settle(question, any(str(v).upper() == "DRAFT" for v in listed))


async def _flows_name_filter(backend: GenesysBackend, found: Collector) -> None:
    question = "flows name filter"
    try:
        first = await cheap_get(backend, FLOWS, type="inboundshortmessage")
        entities = responses.json_object(first).get("entities") or []
        names = [str(e.get("name", "")) for e in entities if isinstance(e, dict)]
        name = next((n for n in names if len(n) >= 3), None)
        if name is None:
            found.settle(question, "undetermined: no inbound message flow with a long name")
            return

        async def matches(needle: str) -> bool:
            page = await _json(
                backend, FLOWS, type="inboundshortmessage", name=needle, pageSize="100"
            )
            listed = page.get("entities") or []
            return any(isinstance(e, dict) and e.get("name") == name for e in listed)

        exact = await matches(name)
        prefix = await matches(name[:-1])
        inner = await matches(name[1:-1])
        any_case = await matches(name.swapcase())
    except PermissionDeniedError:
        found.settle(question, "undetermined: listing flows needs architect:flow:view")
        return
    except ReconcilerError as exc:
        found.settle(question, f"undetermined: {exc}")
        return
    if not exact:
        answer = "does not even match the exact name"
    else:
        answer = "substring" if inner else "prefix" if prefix else "exact"
        if answer != "exact":
            answer += ", any case" if any_case else ", case-sensitive"
    found.settle(question, answer)


async def leftovers(backend: GenesysBackend, found: Collector, *, remove: bool) -> None:
    """Scratch pairs of an earlier probe (a run killed outright); removed with
    ``--write-probe``, named otherwise."""
    from reconciler.doctor.probe import remove_pair

    try:
        configs = await _all(backend, CONFIGURATIONS, showOnlyPublished="false")
        deployments = await _all(backend, DEPLOYMENTS)
    except ReconcilerError:
        return  # the permission checks have said why
    ours_c = [c for c in configs if _is_probe(c)]
    ours_d = [d for d in deployments if _is_probe(d)]
    if not ours_c and not ours_d:
        return
    names = sorted({str(o.get("name")) for o in (*ours_c, *ours_d)})
    if not remove:
        found.add(
            "leftovers",
            Status.WARN,
            f"scratch objects of an earlier doctor --write-probe are still there: "
            f"{', '.join(names)}; doctor --write-probe removes them",
        )
        return
    for deployment in ours_d:
        await remove_pair(backend, str(deployment.get("id")), None)
    for config in ours_c:
        await remove_pair(backend, None, str(config.get("id")))
    found.add(
        "leftovers", Status.INFO, f"removed an earlier probe's scratch objects: {', '.join(names)}"
    )


def _is_probe(entity: Any) -> bool:
    return (
        isinstance(entity, dict)
        and str(entity.get("name", "")).startswith(PROBE_PREFIX)
        and rules.read_marker(entity.get("description")) == PROBE_OWNER
    )


async def _all(backend: GenesysBackend, path: str, **params: str) -> list[dict[str, Any]]:
    from reconciler.genesys.paging import MAX_PAGES, cursor_listing

    return await cursor_listing(backend.session, path, params=params, max_pages=MAX_PAGES)
