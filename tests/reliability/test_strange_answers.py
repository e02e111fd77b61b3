"""A strange answer is never a wrong write: each answer below, served by the emulator on
127.0.0.1 in place of the real one, makes ``reconciler apply`` stop with one line naming the
request (exit 1, never 3), with no write made on its strength and the audit run closed.

Before these fixes: a deployments listing answered 200 with an error body and no ``entities``
read as "no deployments" (apply created a second pair for every managed one and exited 0); a
versions listing that lagged behind moved a deployment back to an older version; a publish
answered 200 without a ``version`` ended the run with exit 3 and no ``run.end`` line; a gzip
answer was inflated without a limit; a committed update whose deployment then read ``Error``
was recorded as failed, never audited or announced.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import HookReceiver, serve_hooks
from support import CREDENTIALS, current_clock, pointed_at

from reconciler.audit import verify_file
from reconciler.cli import run
from reconciler.sandbox import (
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    SandboxState,
    WebDeploymentKnobs,
)

SECRET = "whsec_c3RyYW5nZS1zdHJhbmdlLXN0cmFuZ2Utc3RyYW5nZQ=="
CONFIGURATIONS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
WRITES = ("POST", "PUT", "DELETE")
NAMES = ("Shop EU", "Shop DE", "Shop FR")

Tamper = Callable[[SandboxRequest, SandboxResponse], SandboxResponse | None]


def spec(name: str, colour: str = "#0D6EFD") -> str:
    return (
        "kind: webDeployment\n"
        f"name: {name}\n"
        "configuration:\n"
        "  languages: [en-us]\n"
        "  defaultLanguage: en-us\n"
        f'  messenger: {{enabled: true, styles: {{primaryColor: "{colour}"}}}}\n'
        "deployment:\n"
        "  allowAllDomains: true\n"
        "  flow: {name: Sales Inbound Message}\n"
    )


class TamperingApp(SandboxApp):
    """The emulator, with ``tamper`` given each request and the emulator's answer: what it
    returns is sent instead (None: the real answer). Every API write is logged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tamper: Tamper | None = None
        self.writes: list[tuple[str, str]] = []
        self._writes_lock = threading.Lock()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        if request.method in WRITES and request.path.startswith("/api/"):
            with self._writes_lock:
                self.writes.append((request.method, request.path))
        if self.tamper is not None:
            replaced = self.tamper(request, response)
            if replaced is not None:
                return replaced
        return response


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> SandboxResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return SandboxResponse(
        status=status, headers={"Content-Type": "application/json", **(headers or {})}, body=raw
    )


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TamperingApp]:
    """Three managed pairs made by a clean apply, then the log cleared."""
    monkeypatch.chdir(tmp_path)
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=7,
        rate_limit_per_minute=0,
        webdeployments=WebDeploymentKnobs().scaled(0.01),
    )
    app = TamperingApp(config, SandboxState(), clock=current_clock())
    with pointed_at(monkeypatch, app):
        for variable, value in {
            "GENESYS_CLIENT_ID": CREDENTIALS[0],
            "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
            "RECONCILER_RATE_PER_MINUTE": "60000",
            "RECONCILER_MAX_ATTEMPTS": "2",
        }.items():
            monkeypatch.setenv(variable, value)
        write_specs(tmp_path, dict.fromkeys(NAMES, "#0D6EFD"))
        assert apply() == 0
        app.writes.clear()
        yield app


def write_specs(root: Path, colours: dict[str, str]) -> None:
    folder = root / "channels"
    folder.mkdir(exist_ok=True)
    for index, (name, colour) in enumerate(sorted(colours.items())):
        (folder / f"w{index}.yaml").write_text(spec(name, colour), encoding="utf-8")


def apply(*extra: str) -> int:
    return run(["apply", "--yes", "--audit-log", "audit.jsonl", *extra, "channels"])


def audit_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path("audit.jsonl").read_text().splitlines() if line]


def last_run_ended() -> bool:
    verify_file(Path("audit.jsonl"))
    return audit_lines()[-1]["kind"] == "run.end"


def stopped_without_a_write(
    app: TamperingApp, capsys: pytest.CaptureFixture[str], request_named: str
) -> str:
    """Apply exits 1 with one line naming the request; no write reached the org."""
    code = apply()
    err = capsys.readouterr().err
    assert code == 1, err
    assert app.writes == [], f"a write was made on the strength of a strange answer: {err}"
    (line,) = [line for line in err.splitlines() if request_named in line]
    assert len(line) <= 500
    assert "Traceback" not in err
    return line


def listing(path: str) -> Callable[[SandboxRequest], bool]:
    return lambda request: request.method == "GET" and request.path == path


@pytest.mark.parametrize(
    "body",
    [
        # A gateway's error body under 200: no entities at all.
        {
            "message": "Service temporarily unavailable",
            "code": "service.unavailable",
            "status": 503,
        },
        {"pageSize": 25, "total": 0},  # no entities, no error either
        {"entities": {"id": "x"}, "pageSize": 25},  # entities not a list
        {"entities": [{"name": "no id"}], "pageSize": 25},  # an entity without an id
    ],
    ids=["error-body-under-200", "no-entities", "entities-not-a-list", "entity-without-id"],
)
def test_a_deployments_listing_not_of_the_documented_shape_stops_the_run(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], body: dict[str, Any]
) -> None:
    is_listing = listing(DEPLOYMENTS)
    org.tamper = lambda request, real: answer(body) if is_listing(request) else None
    line = stopped_without_a_write(org, capsys, f"GET {DEPLOYMENTS}")
    assert "error" in line or "entit" in line
    assert len(org.state.objects("webDeployment")) == len(NAMES), "no second pair"


def test_a_configurations_listing_with_an_error_body_under_200_stops_the_run(
    org: TamperingApp, capsys: pytest.CaptureFixture[str]
) -> None:
    is_listing = listing(CONFIGURATIONS)
    error = {"message": "upstream timeout", "code": "gateway.timeout", "status": 504}
    org.tamper = lambda request, real: answer(error) if is_listing(request) else None
    stopped_without_a_write(org, capsys, f"GET {CONFIGURATIONS}")


def test_a_versions_listing_behind_the_served_version_never_moves_a_deployment_back(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_specs(tmp_path, dict.fromkeys(NAMES, "#112233"))
    assert apply() == 0  # each pair now serves version 2
    capsys.readouterr()
    org.writes.clear()
    served = {d["id"]: d["configuration"]["version"] for d in deployments(org)}
    assert set(served.values()) == {"2"}
    # An unpublished edit, so the versions listing is read; and the listing lags: version 1.
    for record in org.state.objects("webDeploymentConfiguration").values():
        draft = {
            k: v
            for k, v in record["draft"].items()
            if k not in ("id", "version", "status", "selfUri", "dateCreated", "dateModified")
            and not k.endswith("User")
        }
        reply = org.direct(
            "PUT", f"{CONFIGURATIONS}/{record['id']}/versions/draft", {**draft, "headscript": {}}
        )
        assert reply.status == 200, reply.payload

    def lagging(request: SandboxRequest, real: SandboxResponse) -> SandboxResponse | None:
        if request.method == "GET" and request.path.endswith("/versions"):
            page = json.loads(real.body)
            page["entities"] = [e for e in page["entities"] if e.get("version") == "1"]
            return answer(page)
        return None

    org.tamper = lagging
    line = stopped_without_a_write(org, capsys, "/versions")
    assert "below version 2" in line
    assert {d["id"]: d["configuration"]["version"] for d in deployments(org)} == served


def test_a_publish_answered_without_a_version_is_settled_by_the_versions_listing(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "channels" / "new.yaml").write_text(spec("Shop IT"), encoding="utf-8")

    def no_version(request: SandboxRequest, real: SandboxResponse) -> SandboxResponse | None:
        if request.method == "POST" and request.path.endswith("/publish"):
            return answer({"id": "x", "status": "Active"})  # 200, and not a version
        return None

    org.tamper = no_version
    code = apply()
    err = capsys.readouterr().err
    # The emulator made the publish; the versions listing (not the answer) says which
    # version, and the deployment serves that one.
    assert code == 0, err
    assert last_run_ended()
    (deployment,) = [d for d in deployments(org) if d["name"] == "Shop IT"]
    assert deployment["configuration"]["version"] == "1"


def test_a_publish_answered_without_a_version_and_not_made_creates_no_deployment(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "channels" / "new.yaml").write_text(spec("Shop IT"), encoding="utf-8")
    published: list[str] = []
    # The emulator's publish is replaced before it runs: nothing is published.
    original = org.handle

    def handle(request: SandboxRequest) -> SandboxResponse:
        if request.method == "POST" and request.path.endswith("/publish"):
            published.append(request.path)
            return answer({"status": "Active"})
        return original(request)

    org.handle = handle  # type: ignore[method-assign]
    code = apply()
    err = capsys.readouterr().err
    assert code == 1, err
    assert published
    assert ("POST", DEPLOYMENTS) not in org.writes, "no deployment on a publish never made"
    (line,) = [line for line in err.splitlines() if "Shop IT" in line and "FAILED" in line]
    assert "without a version" in line
    assert len(line) <= 500
    assert last_run_ended()


def test_a_gzip_bomb_is_cut_at_the_cap(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.genesys.transport.MAX_BODY_BYTES", 1_000_000)
    # 200 MB of JSON white space inside a listing, 200 kB on the wire.
    bomb = gzip.compress(b'{"entities": [' + b" " * 200_000_000 + b"]}", compresslevel=9)
    assert len(bomb) < 1_000_000
    is_listing = listing(DEPLOYMENTS)
    org.tamper = lambda request, real: (
        answer(bomb, headers={"Content-Encoding": "gzip"}) if is_listing(request) else None
    )
    line = stopped_without_a_write(org, capsys, f"GET {DEPLOYMENTS}")
    assert "larger than 1000000 bytes" in line


def test_an_uncompressed_body_over_the_cap_is_cut_too(
    org: TamperingApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reconciler.genesys.transport.MAX_BODY_BYTES", 100_000)
    big = b'{"entities": [' + b" " * 500_000 + b"]}"
    is_listing = listing(CONFIGURATIONS)
    org.tamper = lambda request, real: answer(big) if is_listing(request) else None
    line = stopped_without_a_write(org, capsys, f"GET {CONFIGURATIONS}")
    assert "larger than 100000 bytes" in line


def test_a_committed_update_whose_deployment_then_reads_error_is_audited_and_announced(
    org: TamperingApp,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved: set[str] = set()

    def error_after_put(request: SandboxRequest, real: SandboxResponse) -> SandboxResponse | None:
        if request.path.startswith(DEPLOYMENTS + "/") and real.status == 200:
            deployment_id = request.path.rsplit("/", 1)[-1]
            if request.method == "PUT":
                moved.add(deployment_id)
            elif request.method == "GET" and deployment_id in moved:
                return answer({**json.loads(real.body), "status": "Error"})
        return None

    org.tamper = error_after_put
    capsys.readouterr()
    write_specs(tmp_path, {"Shop EU": "#445566", "Shop DE": "#0D6EFD", "Shop FR": "#0D6EFD"})
    receiver = HookReceiver(SECRET)
    with serve_hooks(receiver) as hook_url:
        monkeypatch.setenv("WEBHOOK_URL", hook_url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        code = apply()
    captured = capsys.readouterr()
    assert code == 1, "the deployment is in Error: the run is not green"
    assert len(moved) == 1
    # Once as it ends and once among the run's problems at the end: the same line.
    (line,) = {x for x in captured.err.splitlines() if "update web deployment Shop EU" in x}
    assert "updated; the web deployment then failed its wait" in line
    assert "turned Error" in line
    assert len(line) <= 500
    (record,) = [
        x["record"]
        for x in audit_lines()
        if x["kind"] == "action"
        and x["record"]["name"] == "Shop EU"
        and x["record"]["kind"] == "update"
    ]
    assert record["status"] == "succeeded", "the write the org committed is on record"
    assert "turned Error" in record["afterWriteError"]
    events = [json.loads(hook.body) for hook in receiver.hooks if hook.verified]
    assert [e["type"] for e in events if e["type"] == "channel.updated"] == ["channel.updated"]
    report = json.loads((tmp_path / "artifacts" / "apply.json").read_text())
    assert report["status"] == "failed"


def deployments(app: SandboxApp) -> list[dict[str, Any]]:
    return list(app.state.objects("webDeployment").values())
