"""A kind is a module you add: a toy ``note`` kind (schema, kind module, adapter, emulator
route, all in this file) is planned, applied, imported and pruned end to end through the CLI
against the emulator over a real socket on 127.0.0.1, next to the built-in channel kind.

A note belongs to a channel (``depends_on``) and names it (a ``Reference``): when both are
created in one run, the channel's phase runs first and the note is sent with the id its create
returned; when the note is pruned with its channel, the note goes first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reconciler import kinds
from reconciler.backend import CreateSafety, SimpleAdapter
from reconciler.cli import run
from reconciler.genesys import responses
from reconciler.genesys.adapters import register_adapter, unregister_adapter
from reconciler.genesys.paging import page_number_listing
from reconciler.genesys.session import GenesysSession
from reconciler.kinds import Reference, ResourceKind
from reconciler.model import LiveResource
from reconciler.sandbox import SandboxApp, SandboxConfig, serve_in_thread
from reconciler.sandbox.registry import ROUTES
from reconciler.sandbox.routing import Call, Endpoint, KindRoute
from reconciler.sandbox.validation import parse_json
from reconciler.sandbox.wire import Reply, problem

CREDENTIALS = ("cid-toy", "sek-toy-not-real")
NOTES = "/api/v2/notes"

# -- the kind: schema and declaration (pure) --------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "name", "text", "channel"],
    "properties": {
        "kind": {"const": "note"},
        "name": {"type": "string", "minLength": 1},
        "text": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "channel": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {"name": {"type": "string"}, "id": {"type": "string"}},
        },
    },
}


class NoteKind(ResourceKind):
    name: ClassVar[str] = "note"
    label: ClassVar[str] = "note"
    schema_resource: ClassVar[str] = ""
    server_fields: ClassVar[tuple[str, ...]] = ("id", "version")
    set_lists: ClassVar[tuple[tuple[str, ...], ...]] = (("tags",),)
    depends_on: ClassVar[tuple[str, ...]] = ("channel",)
    references: ClassVar[tuple[Reference, ...]] = (Reference(path=("channel",), target="channel"),)
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {"": ("name", "text", "tags")}

    def schema(self) -> dict[str, Any]:
        return SCHEMA

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        owner = body.get("managedBy")
        return owner if isinstance(owner, str) else None

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        return {**body, "managedBy": owner}

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "managedBy"}


# -- its adapter (HTTP) ---------------------------------------------------------------------


def note(payload: Any, context: str) -> LiveResource:
    fields = {k: v for k, v in payload.items() if k not in ("id", "version")}
    return LiveResource(
        kind="note", id=payload["id"], revision=str(payload["version"]), body=fields
    )


class NoteAdapter(SimpleAdapter):
    kind = "note"
    create_safety = CreateSafety.LOOKUP_ONLY

    def __init__(self, session: GenesysSession) -> None:
        self.session = session

    async def list(self) -> list[LiveResource]:
        return await page_number_listing(
            self.session, NOTES, note, item_id=lambda n: n.id, page_size=100
        )

    async def get(self, object_id: str) -> LiveResource:
        return note(
            responses.json_object(await self.session.request("GET", f"{NOTES}/{object_id}")), ""
        )

    async def find(self, name: str) -> LiveResource | None:
        return next((n for n in await self.list() if n.key == kinds.identity_key(name)), None)

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        return note(
            responses.json_object(await self.session.request("POST", NOTES, body=dict(body))), ""
        )

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        sent = {**body, "version": int(revision)}
        return note(
            responses.json_object(
                await self.session.request("PUT", f"{NOTES}/{object_id}", body=sent)
            ),
            "",
        )

    async def delete(self, object_id: str) -> None:
        await self.session.request("DELETE", f"{NOTES}/{object_id}")


# -- its emulator route ---------------------------------------------------------------------


class NoteRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = ("note",)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(NOTES, {"GET": self.listing, "POST": self.create}),
            Endpoint(f"{NOTES}/{{id}}", {"GET": self.get, "PUT": self.put, "DELETE": self.delete}),
        ]

    def listing(self, call: Call) -> Reply:
        notes = sorted(self.state.objects("note").values(), key=lambda n: n["name"].casefold())
        return Reply(status=200, payload={"entities": notes, "pageNumber": 1, "pageCount": 1})

    def create(self, call: Call) -> Reply:
        doc, _ = parse_json(call.request.body)
        stored = {**doc, "id": self.ctx.new_id(), "version": 1}
        self.state.objects("note")[stored["id"]] = stored
        return Reply(status=200, payload=stored)

    def get(self, call: Call) -> Reply:
        found = self.state.objects("note").get(call.params["id"])
        return Reply(status=200, payload=found) if found else problem(404, "not.found", "No note.")

    def put(self, call: Call) -> Reply:
        found = self.state.objects("note").get(call.params["id"])
        doc, _ = parse_json(call.request.body)
        if found is None:
            return problem(404, "not.found", "No note.")
        if doc.get("version") != found["version"]:
            return problem(409, "general.conflict", "Version does not match current version.")
        found.update({**doc, "version": found["version"] + 1})
        return Reply(status=200, payload=found)

    def delete(self, call: Call) -> Reply:
        gone = self.state.objects("note").pop(call.params["id"], None)
        return Reply(status=204, payload=None) if gone else problem(404, "not.found", "No note.")


# -- the test -------------------------------------------------------------------------------

CHANNEL = """\
name: Support
webMessagingWidgetConfiguration: {widgetId: widget-1, theme: default}
securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}
routingConfiguration: {queueId: queue-1}
"""

NOTE = """\
kind: note
name: Welcome
text: {text}
tags: [b, a, a]
channel: {{name: support}}
"""


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    kinds.register(NoteKind())
    register_adapter("note", lambda session, max_pages: NoteAdapter(session))
    app = SandboxApp(
        SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=6000, seed=1),
        routes=(*ROUTES, NoteRoutes),
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "6000")
    try:
        with serve_in_thread(app) as server:
            monkeypatch.setenv("GENESYS_API_URL", server.url)
            monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
            yield app
    finally:
        unregister_adapter("note")
        kinds.unregister("note")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_toy_kind_plans_applies_imports_and_prunes_end_to_end(
    toy: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write(Path("channels/support.yaml"), CHANNEL)
    write(Path("channels/notes.yaml"), NOTE.format(text="Hello"))

    assert run(["validate"]) == 0
    assert run(["plan"]) == 0
    plan = json.loads(Path("artifacts/plan.json").read_text())
    assert [(a["kind"], a["action"]) for a in plan["actions"]] == [
        ("channel", "create"),
        ("note", "create"),
    ]
    # The channel does not exist yet: the note's reference waits for the channel's create.
    assert plan["actions"][1]["pending_refs"] == [
        {"path": "channel", "kind": "channel", "name": "support"}
    ]

    assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
    channels = list(toy.state.objects("channel").values())
    notes = list(toy.state.objects("note").values())
    assert [c["name"] for c in channels] == ["Support"]
    assert len(notes) == 1
    assert notes[0]["channel"] == {"id": channels[0]["id"]}
    assert notes[0]["tags"] == ["a", "b"]  # a set: sorted, once each
    assert notes[0]["managedBy"] == "reconciler"

    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode"]) == 0
    assert "No changes" in capsys.readouterr().out

    # An edit is an update of the same note; the plan shows the field.
    write(Path("channels/notes.yaml"), NOTE.format(text="Hello again"))
    assert run(["plan", "--detailed-exitcode"]) == 2
    shown = capsys.readouterr().out
    assert '~ update note "Welcome"' in shown
    assert 'text: "Hello" -> "Hello again"' in shown
    assert run(["apply", "--yes"]) == 0
    assert next(iter(toy.state.objects("note").values()))["text"] == "Hello again"

    # import writes a spec of the toy kind that validates and plans clean.
    assert run(["import", "--out-dir", "imported"]) == 0
    imported = sorted(p.name for p in Path("imported").iterdir())
    assert imported == ["support.yaml", "welcome.yaml"]
    assert Path("imported/welcome.yaml").read_text().count("kind: note") == 1
    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode", "imported"]) == 0
    assert "No changes" in capsys.readouterr().out

    # Pruning both: the note (which depends on the channel) is deleted first. No spec of the
    # note kind is left, so only an environment that declares the kind reads (and prunes) it.
    Path("channels/notes.yaml").unlink()
    Path("channels/support.yaml").unlink()
    write(Path("channels/other.yaml"), CHANNEL.replace("Support", "Other"))
    write(Path("environments/toy.yaml"), "kinds: [channel, note]\n")
    guard = ["--prune", "--max-delete-pct", "100"]
    assert run(["plan", *guard]) == 0  # without --env: the note kind is not read
    planned = json.loads(Path("artifacts/plan.json").read_text())["actions"]
    assert "note" not in {a["kind"] for a in planned}
    audit = ["--audit-log", "audit/127.0.0.1.jsonl"]
    assert run(["apply", "--yes", *guard, *audit, "--env", "toy"]) == 0
    assert toy.state.objects("note") == {}
    assert [c["name"] for c in toy.state.objects("channel").values()] == ["Other"]
    # The audit log records actions as they finish: the note's delete before the channel's.
    (log,) = Path("audit").glob("*.jsonl")  # beside it: its .lock file
    records = [json.loads(line) for line in log.read_text().splitlines()]
    deletes = [
        r["record"]["resource_kind"]
        for r in records
        if r["kind"] == "action" and r["record"]["kind"] == "delete"
    ]
    assert deletes == ["note", "channel"]
