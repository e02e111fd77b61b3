"""A field the kind's schema marks ``writeOnly`` is hidden in plan.json and every output, yet
``apply --plan`` sends the spec's real value: a saved plan takes it back from the specs.

A toy ``vault`` kind (schema, kind, adapter, emulator route in this file) has a write-only
``secret``; the emulator on 127.0.0.1 stores what it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from support import serve_sandbox

from reconciler import kinds
from reconciler.backend import CreateSafety, SimpleAdapter
from reconciler.cli import run
from reconciler.genesys import responses
from reconciler.genesys.adapters import register_adapter, unregister_adapter
from reconciler.genesys.paging import page_number_listing
from reconciler.genesys.session import GenesysSession
from reconciler.kinds import ResourceKind
from reconciler.model import LiveResource
from reconciler.sandbox import SandboxApp
from reconciler.sandbox.registry import ROUTES
from reconciler.sandbox.routing import Call, Endpoint, KindRoute
from reconciler.sandbox.validation import parse_json
from reconciler.sandbox.wire import Reply, problem

VAULTS = "/api/v2/vaults"
SECRET = "s3cret-value-1"
NEW_SECRET = "s3cret-value-2"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "name", "label", "access"],
    "properties": {
        "kind": {"const": "vault"},
        "name": {"type": "string", "minLength": 1},
        "label": {"type": "string"},
        "access": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"user": {"type": "string"}, "secret": {"$ref": "#/$defs/secret"}},
        },
    },
    "$defs": {"secret": {"type": "string", "writeOnly": True}},
}


class VaultKind(ResourceKind):
    name: ClassVar[str] = "vault"
    label: ClassVar[str] = "vault"
    schema_resource: ClassVar[str] = ""
    server_fields: ClassVar[tuple[str, ...]] = ("id", "version")
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {"": ("name", "label", "access")}

    def schema(self) -> dict[str, Any]:
        return SCHEMA

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        owner = body.get("managedBy")
        return owner if isinstance(owner, str) else None

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        return {**body, "managedBy": owner}

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "managedBy"}


def vault(payload: Any, context: str) -> LiveResource:
    fields = {k: v for k, v in payload.items() if k not in ("id", "version")}
    return LiveResource(
        kind="vault", id=payload["id"], revision=str(payload["version"]), body=fields
    )


class VaultAdapter(SimpleAdapter):
    kind = "vault"
    create_safety = CreateSafety.LOOKUP_ONLY

    def __init__(self, session: GenesysSession) -> None:
        self.session = session

    async def list(self) -> list[LiveResource]:
        return await page_number_listing(
            self.session, VAULTS, vault, item_id=lambda v: v.id, page_size=100
        )

    async def get(self, object_id: str) -> LiveResource:
        answer = await self.session.request("GET", f"{VAULTS}/{object_id}")
        return vault(responses.json_object(answer), "")

    async def find(self, name: str) -> LiveResource | None:
        return next((v for v in await self.list() if v.key == kinds.identity_key(name)), None)

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        answer = await self.session.request("POST", VAULTS, body=dict(body))
        return vault(responses.json_object(answer), "")

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        sent = {**body, "version": int(revision)}
        answer = await self.session.request("PUT", f"{VAULTS}/{object_id}", body=sent)
        return vault(responses.json_object(answer), "")

    async def delete(self, object_id: str) -> None:
        await self.session.request("DELETE", f"{VAULTS}/{object_id}")


class VaultRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = ("vault",)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(VAULTS, {"GET": self.listing, "POST": self.create}),
            Endpoint(f"{VAULTS}/{{id}}", {"GET": self.get, "PUT": self.put}),
        ]

    def listing(self, call: Call) -> Reply:
        found = sorted(self.state.objects("vault").values(), key=lambda v: v["name"].casefold())
        return Reply(status=200, payload={"entities": found, "pageNumber": 1, "pageCount": 1})

    def create(self, call: Call) -> Reply:
        doc, _ = parse_json(call.request.body)
        stored = {**doc, "id": self.ctx.new_id(), "version": 1}
        self.state.objects("vault")[stored["id"]] = stored
        return Reply(status=200, payload=stored)

    def get(self, call: Call) -> Reply:
        found = self.state.objects("vault").get(call.params["id"])
        return Reply(status=200, payload=found) if found else problem(404, "not.found", "None.")

    def put(self, call: Call) -> Reply:
        found = self.state.objects("vault").get(call.params["id"])
        doc, _ = parse_json(call.request.body)
        if found is None:
            return problem(404, "not.found", "None.")
        if doc.get("version") != found["version"]:
            return problem(409, "general.conflict", "Version does not match current version.")
        found.update({**doc, "version": found["version"] + 1})
        return Reply(status=200, payload=found)


SPEC = """\
kind: vault
name: Main
label: {label}
access: {{user: ops, secret: {secret}}}
"""


@pytest.fixture
def org(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    kinds.register(VaultKind())
    register_adapter("vault", lambda session, max_pages: VaultAdapter(session))
    try:
        with serve_sandbox(
            monkeypatch, routes=(*ROUTES, VaultRoutes), rate_limit_per_minute=6000, seed=1
        ) as app:
            yield app
    finally:
        unregister_adapter("vault")
        kinds.unregister("vault")


def write_spec(label: str, secret: str) -> None:
    Path("channels").mkdir(exist_ok=True)
    Path("channels/vault.yaml").write_text(SPEC.format(label=label, secret=secret), "utf-8")


def stored(app: SandboxApp) -> dict[str, Any]:
    (only,) = app.state.objects("vault").values()
    return dict(only)


def written_outputs() -> str:
    """Every artifact and audit line the runs wrote."""
    files = [*Path("artifacts").iterdir(), *Path("audit").iterdir()]
    return "".join(path.read_text(encoding="utf-8") for path in sorted(files))


def test_a_saved_plan_sends_the_specs_write_only_values_and_shows_none(
    org: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec("first", SECRET)
    assert run(["plan"]) == 0
    text = Path("artifacts/plan.json").read_text(encoding="utf-8")
    assert SECRET not in text
    (action,) = [a for a in json.loads(text)["actions"] if a["kind"] == "vault"]
    assert action["action"] == "create"
    assert action["body"]["access"] == {"user": "ops", "secret": "(redacted)"}
    assert action["redacted"] == ["access.secret"]
    digest = json.loads(text)["digest"]

    assert run(["apply", "--yes", "--plan", "artifacts/plan.json", "--expect-digest", digest]) == 0
    assert stored(org)["access"] == {"user": "ops", "secret": SECRET}

    # An update of the secret: the plan shows (redacted) on both sides, apply sends the new one.
    write_spec("second", NEW_SECRET)
    assert run(["plan"]) == 0
    text = Path("artifacts/plan.json").read_text(encoding="utf-8")
    (action,) = [a for a in json.loads(text)["actions"] if a["kind"] == "vault"]
    assert action["action"] == "update"
    assert {c["path"]: c["after"] for c in action["changes"]} == {
        "access.secret": "(redacted)",
        "label": "second",
    }
    digest = json.loads(text)["digest"]
    assert run(["apply", "--yes", "--plan", "artifacts/plan.json", "--expect-digest", digest]) == 0
    assert stored(org)["access"]["secret"] == NEW_SECRET
    assert stored(org)["label"] == "second"

    assert run(["plan", "--detailed-exitcode"]) == 0
    captured = capsys.readouterr()
    for secret in (SECRET, NEW_SECRET):
        assert secret not in captured.out + captured.err
        assert secret not in written_outputs()


def test_a_saved_plan_whose_spec_lost_the_write_only_value_is_refused(
    org: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec("first", SECRET)
    assert run(["plan"]) == 0
    # Another secret: the spec digest differs, so the saved plan is refused before any write.
    write_spec("first", NEW_SECRET)
    assert run(["apply", "--yes", "--plan", "artifacts/plan.json"]) == 1
    assert "the specs changed since the plan was made" in capsys.readouterr().err
    assert org.state.objects("vault") == {}
