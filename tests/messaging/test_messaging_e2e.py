"""The messaging kinds end to end: the CLI against the emulator over a real socket on
127.0.0.1, under 5% faults (5xx and answers dropped after the write) and listing lag.
Issue 22's "Done when", one behaviour per step."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import run
from reconciler.sandbox import (
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    WebDeploymentKnobs,
    serve_in_thread,
)
from reconciler.sandbox.webdeployments.supported_content import DEFAULT_PROFILE_ID

pytestmark = [pytest.mark.socket, pytest.mark.usefixtures("short_waits")]

#: The client the emulator accepts (the ``workdir`` fixture sets the same pair).
CREDENTIALS = ("cid-messaging-e2e", "sek-messaging-e2e-OKAPI")

LAG = 0.3
SC = "/api/v2/conversations/messaging/supportedcontent"
SETTINGS = "/api/v2/conversations/messaging/settings"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
TIMELINE = "/api/v2/conversations/messaging/threadingtimeline"


class LoggingApp(SandboxApp):
    """The emulator, recording each request's method, path and status in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        with self._log_lock:
            self.log.append((request.method, request.path, response.status))
        return response

    def first_ok(self, method: str, path: str) -> int:
        """The index of the first successful ``method`` request to exactly ``path``."""
        with self._log_lock:
            return next(
                i
                for i, (m, p, status) in enumerate(self.log)
                if m == method and p == path and status < 300
            )

    def writes_to(self, prefix: str) -> list[tuple[str, str, int]]:
        with self._log_lock:
            return [e for e in self.log if e[0] != "GET" and e[1].startswith(prefix)]

    def clear(self) -> None:
        with self._log_lock:
            self.log.clear()


@contextlib.contextmanager
def sandbox(
    monkeypatch: pytest.MonkeyPatch, *, faults: FaultPlan | None = None, lag: float = 0.0
) -> Iterator[LoggingApp]:
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=22,
        rate_limit_per_minute=0,
        listing_lag_seconds=lag,
        faults=faults or FaultPlan(),
        webdeployments=WebDeploymentKnobs.instant(),
    )
    app = LoggingApp(config)
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


PROFILE = """\
kind: supportedContent
name: {name}
{renamed}mediaTypes:
  allow:
    inbound: [image/*, application/pdf]
    outbound: [image/*]
"""
SETTING = """\
kind: messagingSetting
name: Standard
content:
  story:
    mention: {inbound: Enabled}
    reply: {inbound: Disabled}
event:
  typing:
    on: {inbound: Enabled, outbound: Enabled}
"""
DEFAULTS = """\
kind: messagingDefaults
name: defaults
supportedContent: {{name: {profile}}}
messagingSetting: {{name: Standard}}
threadingTimeline:
  defaultTimeoutMinutes: 1440
  settings:
    - {{messengerType: webmessaging, timeoutInMinutes: 60}}
"""
DEPLOYMENT = """\
kind: webDeployment
name: Shop
description: The shop's chat.
configuration:
  languages: [en-us]
  defaultLanguage: en-us
  messenger:
    enabled: true
    styles: {{primaryColor: "#0D6EFD"}}
deployment:
  allowedDomains: [shop.example.com]
  flow: {{name: Sales Inbound Message}}
  supportedContent: {{name: {profile}}}
"""


def write(path: str, text: str) -> None:
    target = Path("channels") / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def converge(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Apply; under faults a create whose answer was lost is never repeated blindly, so the
    next runs settle it once the listing caught up."""
    out = ""
    for _ in range(4):
        code = run(args)
        captured = capsys.readouterr()
        out += captured.out + captured.err
        if code == 0:
            return code, out
        time.sleep(LAG + 0.1)
    return code, out


def profiles(app: SandboxApp) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in app.state.objects("supportedContent").values()}


def shop(app: SandboxApp) -> dict[str, Any]:
    (deployment,) = [d for d in app.state.objects("webDeployment").values() if d["name"] == "Shop"]
    return deployment


def clean_plan(capsys: pytest.CaptureFixture[str], *paths: str) -> None:
    time.sleep(LAG + 0.1)  # the listing catches up
    code = run(["plan", "--detailed-exitcode", *paths])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "No changes" in out.out


def test_profiles_settings_defaults_and_a_deployment_through_their_whole_life(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write("pictures.yaml", PROFILE.format(name="Pictures", renamed=""))
    # A second profile stays declared throughout: a plan prunes only the kinds its specs (or
    # the environment's kinds:) manage.
    write("spare.yaml", PROFILE.format(name="Spare", renamed=""))
    write("standard.yaml", SETTING)
    write("defaults.yaml", DEFAULTS.format(profile="Pictures"))
    write("shop.yaml", DEPLOYMENT.format(profile="Pictures"))
    faults = FaultPlan(seed=5, error_5xx=0.05, drop_after_commit=0.05, retry_after_seconds=0)
    with sandbox(monkeypatch, faults=faults, lag=LAG) as app:
        assert run(["plan"]) == 0
        shown = capsys.readouterr().out
        assert '+ create supported content profile "Pictures"' in shown
        assert "(after supportedContent 'Pictures')" in shown
        markdown = Path("artifacts/plan.md").read_text()
        assert "after supportedContent &#x27;Pictures&#x27;" in markdown or (
            "after supportedContent 'Pictures'" in markdown
        )
        plan = json.loads(Path("artifacts/plan.json").read_text())
        (defaults,) = [a for a in plan["actions"] if a["kind"] == "messagingDefaults"]
        assert defaults["action"] == "update"  # the singleton is never created
        assert defaults["after"] == ["messagingSetting 'Standard'", "supportedContent 'Pictures'"]

        # One apply: profile, then setting, then the deployment naming the profile; defaults.
        code, out = converge(["apply", "--yes"], capsys)
        assert code == 0, out
        assert sum(app.stats.faults[c] for c in ("502", "503", "504", "drop")) >= 1
        assert sorted(profiles(app)) == ["Default", "Images only", "Pictures", "Spare"]
        pictures = profiles(app)["Pictures"]
        assert {m["type"] for m in pictures["mediaTypes"]["allow"]["inbound"]} == {
            "image/*",
            "application/pdf",
        }
        (setting,) = app.state.objects("messagingSetting").values()
        assert setting["event"]["typing"]["on"] == {"inbound": "Enabled", "outbound": "Enabled"}
        assert app.first_ok("POST", SC) < app.first_ok("POST", SETTINGS)
        assert app.first_ok("POST", SETTINGS) < app.first_ok("POST", DEPLOYMENTS)
        assert app.first_ok("POST", SETTINGS) < app.first_ok("PUT", f"{SC}/default")
        assert shop(app)["supportedContent"]["id"] == pictures["id"]
        stored = app.state.objects("messagingDefaults")["default"]
        assert stored["supportedContentId"] == pictures["id"]
        assert stored["settingId"] == setting["id"]
        assert stored["threadingTimeline"]["settings"] == [
            {"messengerType": "webmessaging", "timeoutInMinutes": 60}
        ]
        clean_plan(capsys)

        # A rename keeps the profile's id; no deployment is written.
        write(
            "pictures.yaml",
            PROFILE.format(name="Pictures and PDF", renamed="renamedFrom: [Pictures]\n"),
        )
        write("defaults.yaml", DEFAULTS.format(profile="Pictures and PDF"))
        write("shop.yaml", DEPLOYMENT.format(profile="Pictures and PDF"))
        assert run(["plan"]) == 0
        shown = capsys.readouterr().out
        assert '~ rename supported content profile "Pictures" -> "Pictures and PDF"' in shown
        app.clear()
        code, out = converge(["apply", "--yes"], capsys)
        assert code == 0, out
        assert profiles(app)["Pictures and PDF"]["id"] == pictures["id"]
        assert app.writes_to(DEPLOYMENTS) == []
        assert shop(app)["supportedContent"]["id"] == pictures["id"]
        clean_plan(capsys)

        # Deleting the spec of a profile still in use: refused, naming who uses it.
        Path("channels/pictures.yaml").unlink()
        write("defaults.yaml", DEFAULTS.format(profile="Default"))
        assert run(["plan", "--prune"]) == 0
        shown = capsys.readouterr().out
        assert "not deleted" in shown
        assert "web deployment 'Shop'" in shown
        assert run(["apply", "--yes", "--prune", "--max-delete-pct", "100"]) == 1
        capsys.readouterr()
        assert "Pictures and PDF" in profiles(app)

        # Once the deployment is moved to another profile, --prune deletes it (after the move).
        write("shop.yaml", DEPLOYMENT.format(profile="Images only"))
        time.sleep(LAG + 0.1)
        code, out = converge(["apply", "--yes", "--prune", "--max-delete-pct", "100"], capsys)
        assert code == 0, out
        assert "Pictures and PDF" not in profiles(app)
        assert shop(app)["supportedContent"]["id"] == profiles(app)["Images only"]["id"]
        clean_plan(capsys, "--prune")

        # An out-of-band change of the default is drift.
        reply = app.direct("PUT", f"{SC}/default", {"id": profiles(app)["Images only"]["id"]})
        assert reply.status == 200
        code = run(["drift"])
        out = capsys.readouterr().out
        assert code == 2, out
        assert "messaging defaults" in out

        # Import of the whole org (adopting what is not this owner's) validates and plans clean.
        app.direct("PUT", f"{SC}/default", {"id": DEFAULT_PROFILE_ID})
        code = run(["import", "--out-dir", "imported", "--adopt", "--yes"])
        result = capsys.readouterr()
        assert code == 0, result.out + result.err
        names = sorted(
            p.relative_to("imported").as_posix() for p in Path("imported").rglob("*.yaml")
        )
        # Each kind in its folder: the folder says the kind.
        assert "messaging/defaults.yaml" in names
        assert "supported-content/images-only.yaml" in names
        assert "messaging-settings/standard.yaml" in names
        assert "web/shop.yaml" in names
        shop_spec = Path("imported/web/shop.yaml").read_text()
        assert "name: Images only" in shop_spec
        assert "name: Sales Inbound Message" in shop_spec
        assert run(["validate", "imported"]) == 0
        capsys.readouterr()
        clean_plan(capsys, "imported")


def test_an_unowned_profile_of_a_specs_name_is_a_conflict_and_untouched(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write("images.yaml", PROFILE.format(name="Images only", renamed=""))
    with sandbox(monkeypatch) as app:
        before = json.dumps(profiles(app)["Images only"], sort_keys=True)
        assert run(["plan", "--detailed-exitcode"]) == 2
        shown = capsys.readouterr().out
        assert '! conflict supported content profile "Images only"' in shown
        assert "audit log records no create or adoption" in shown
        assert run(["apply", "--yes"]) == 1
        capsys.readouterr()
        assert json.dumps(profiles(app)["Images only"], sort_keys=True) == before

        # --adopt takes it over; the ledger then knows it: the next plan is clean.
        assert run(["apply", "--yes", "--adopt"]) == 0
        capsys.readouterr()
        allowed = profiles(app)["Images only"]["mediaTypes"]["allow"]["inbound"]
        assert {m["type"] for m in allowed} == {"image/*", "application/pdf"}
        clean_plan(capsys)
        log = Path(".reconciler/audit/sandbox.jsonl")
        log = log if log.exists() else next(Path("audit").glob("*.jsonl"))
        records = [json.loads(line) for line in log.read_text().splitlines()]
        adopted = [r["record"] for r in records if r["kind"] == "action"]
        assert adopted[-1]["kind"] == "adopt"
        assert adopted[-1]["owner"] == "reconciler"


def test_a_reference_to_a_spec_left_out_by_target_names_both_files(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write("pictures.yaml", PROFILE.format(name="Pictures", renamed=""))
    write("shop.yaml", DEPLOYMENT.format(profile="Pictures"))
    with sandbox(monkeypatch):
        assert run(["plan", "--target", "Shop"]) == 1
        err = capsys.readouterr().err
        assert "channels/shop.yaml" in err
        assert "channels/pictures.yaml" in err
        assert "left out of this plan" in err

    # The same through x-environments: the profile is prod's only, the deployment dev's too.
    Path("environments").mkdir()
    Path("environments/dev.yaml").write_text("owner: reconciler\n", encoding="utf-8")
    write(
        "pictures.yaml",
        PROFILE.format(name="Pictures", renamed="x-environments: [prod]\n"),
    )
    with sandbox(monkeypatch):
        assert run(["plan", "--env", "dev"]) == 1
        err = capsys.readouterr().err
        assert "channels/shop.yaml" in err
        assert "channels/pictures.yaml" in err


def test_profile_writes_are_signed_events_and_audited_with_their_owner(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from webhook_receiver import SECRET, Receiver, serve

    write("pictures.yaml", PROFILE.format(name="Pictures", renamed=""))
    write("standard.yaml", SETTING)
    with (
        sandbox(monkeypatch) as app,
        contextlib.contextmanager(serve)(Receiver(SECRET)) as receiver,
    ):
        monkeypatch.setenv("WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        assert run(["apply", "--yes"]) == 0
        events = [json.loads(d.body) for d in receiver.accepted()]
        assert all(d.verified for d in receiver.deliveries)
        provisioned = {
            e["data"]["channelName"]: e["data"]
            for e in events
            if e["type"] == "channel.provisioned"
        }
        assert provisioned["Pictures"]["kind"] == "supportedContent"
        assert provisioned["Pictures"]["details"]["inbound"] == ["application/pdf", "image/*"]
        assert provisioned["Pictures"]["channelId"] == profiles(app)["Pictures"]["id"]
        assert provisioned["Standard"]["kind"] == "messagingSetting"
    capsys.readouterr()
    log = next(Path(".").glob("**/audit/*.jsonl"))
    records = [json.loads(line) for line in log.read_text().splitlines()]
    written = [r["record"] for r in records if r["kind"] == "action"]
    assert {(r["resource_kind"], r["owner"]) for r in written} == {
        ("supportedContent", "reconciler"),
        ("messagingSetting", "reconciler"),
    }
