"""``kind: webDeployment`` end to end: the CLI (``reconciler.cli.run``) against the Web
Deployments emulator over a real socket on 127.0.0.1, its timers a hundredth of the contract's
(or instant where a test is not about waiting). Issue 12's "Done when", one behaviour a test.

The tests that take ``org_variant`` run once per emulator variant of what the contract leaves
open (deployments pinned or following the latest version, unique names or not, deleting a
configuration in use refused or allowed, a written Inactive deactivating or ignored): the
adapter must converge on each, or fail saying why."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from support import pass_time
from wd_e2e_helpers import (
    CONFIGURATIONS,
    DEPLOYMENTS,
    IMAGES_ONLY,
    SALES_FLOW,
    SUPPORT_FLOW,
    configuration_named,
    configurations,
    deployment_named,
    deployments,
    move_directly,
    publish_directly,
    served_version,
    spec_text,
    wd_sandbox,
    write_count,
    write_spec,
)
from webhook_receiver import SECRET, Receiver, serve

from reconciler.cli import run
from reconciler.sandbox import FaultPlan, SandboxApp, WebDeploymentKnobs
from reconciler.sandbox.webdeployments.seeding import seed_pair
from reconciler.sandbox.webdeployments.supported_content import DEFAULT_PROFILE_ID

pytestmark = [pytest.mark.socket, pytest.mark.usefixtures("short_waits")]

INSTANT = WebDeploymentKnobs.instant()
DOZEN = [f"Store {i:02d}" for i in range(12)]
LAG = 0.3


def write_dozen(root: Path) -> None:
    for i, name in enumerate(DOZEN):
        flow = "Sales Inbound Message" if i % 2 == 0 else "Support Inbound Message"
        profile = IMAGES_ONLY if i % 3 == 0 else None
        write_spec(root, f"store-{i:02d}.yaml", spec_text(name, flow=flow, profile=profile))


def profile_id(app: SandboxApp, name: str) -> str:
    (profile,) = [p for p in app.state.objects("supportedContent").values() if p["name"] == name]
    return str(profile["id"])


def test_a_dozen_specs_under_faults_and_lag_each_create_one_pair_serving_version_1(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_dozen(workdir)
    # Which request draws which fault depends on how the four workers interleave, so the first
    # writes' faults are scripted: the third write's answer is lost after it committed, the
    # fifth meets a 503; then 5% of each, drawn.
    faults = FaultPlan(
        seed=2,
        error_5xx=0.05,
        drop_after_commit=0.05,
        retry_after_seconds=0,
        write_script=("ok", "ok", "drop", "ok", "503"),
    )
    with wd_sandbox(monkeypatch, faults=faults, listing_lag_seconds=LAG) as app:
        code = run(["apply", "--yes", "--parallelism", "4"])
        out = capsys.readouterr()
        assert app.stats.faults["drop"] >= 1, app.stats.faults
        assert sum(app.stats.faults[code] for code in ("502", "503", "504")) >= 1
        # A create whose answer was lost may fail its action (never repeated blindly); the
        # next runs converge once the listing caught up (updates of a configuration alone:
        # allowed past the safety threshold, a dozen is a small org).
        for _ in range(3):
            if code == 0:
                break
            pass_time(LAG + 0.1)
            code = run(["apply", "--yes", "--max-update-pct", "100"])
            out = capsys.readouterr()
        assert code == 0, out.out + out.err

        # Every pair exactly once, serving version "1".
        assert sorted(r["draft"]["name"] for r in configurations(app)) == DOZEN
        assert sorted(d["name"] for d in deployments(app)) == DOZEN
        images = profile_id(app, IMAGES_ONLY)
        for i, name in enumerate(DOZEN):
            deployment = deployment_named(app, name)
            record = configuration_named(app, name)
            assert deployment["configuration"] == {
                **deployment["configuration"],
                "id": record["id"],
                "version": "1",
            }
            assert [v["version"] for v in record["versions"]] == ["1"]
            # References resolved by exact name: never "Support Inbound Message (old)", which
            # the flows name filter (a substring match) also returns.
            assert deployment["flow"]["id"] == (SALES_FLOW if i % 2 == 0 else SUPPORT_FLOW)
            expected_profile = images if i % 3 == 0 else DEFAULT_PROFILE_ID
            assert deployment["supportedContent"]["id"] == expected_profile
            assert served_version(app, name)["messenger"]["styles"]["primaryColor"] == "#0D6EFD"

        # Once the listing caught up, still under faults: nothing left to do.
        pass_time(LAG + 0.1)
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out


def test_a_plan_right_after_apply_has_no_changes_and_a_second_apply_writes_nothing(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_dozen(workdir)
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes", "--parallelism", "4"]) == 0
        capsys.readouterr()
        # Whatever defaults the server filled in (futureFeature, sessionDurationSeconds...).
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
        writes = write_count(app)
        assert run(["apply", "--yes"]) == 0
        assert "Nothing to apply" in capsys.readouterr().out
        assert write_count(app) == writes
        assert all(len(r["versions"]) == 1 for r in configurations(app))


def test_a_failed_deployment_create_converges_on_the_next_apply_without_a_new_version(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    # The configuration's create and publish go through, the deployment's create meets a 503
    # (not applied; the client cannot know that).
    faults = FaultPlan(
        script=("ok", "ok", "503"), only_methods=frozenset({"POST"}), retry_after_seconds=0
    )
    with wd_sandbox(monkeypatch, faults=faults) as app:
        assert run(["apply", "--yes"]) == 1
        out = capsys.readouterr().out
        assert "its configuration" in out
        assert "was created, then" in out
        assert "already exists" not in out  # its own configuration is not someone else's
        assert deployments(app) == []
        assert run(["plan"]) == 0
        out = capsys.readouterr().out
        assert "the configuration has no deployment; apply creates one" in out
        assert "draft differs" not in out
        assert run(["apply", "--yes"]) == 0
        assert deployment_named(app, "Sales EU")["configuration"]["version"] == "1"
        assert [v["version"] for v in configuration_named(app, "Sales EU")["versions"]] == ["1"]


def test_one_field_changed_publishes_version_2_and_keeps_fields_no_client_models(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        first = served_version(app, "Sales EU")
        # Server-filled fields the spec never names, one of them newer than any client.
        conversations = first["messenger"]["apps"]["conversations"]
        assert conversations["futureFeature"] == {"enabled": True}
        session_seconds = conversations["sessionDurationSeconds"]
        deployment_id = deployment_named(app, "Sales EU")["id"]
        capsys.readouterr()

        write_spec(workdir, "sales.yaml", spec_text("Sales EU", colour="#FF5500"))
        assert run(["plan", "--detailed-exitcode"]) == 2
        plan = capsys.readouterr().out
        assert "configuration.messenger.styles.primaryColor" in plan
        assert '"#0D6EFD" -> "#FF5500"' in plan
        assert 'configuration.version: "1" -> "2"' in plan  # the derived line
        assert "1 to update" in plan

        assert run(["apply", "--yes"]) == 0
        deployment = deployment_named(app, "Sales EU")
        assert deployment["id"] == deployment_id  # moved, not replaced
        assert deployment["configuration"]["version"] == "2"
        second = served_version(app, "Sales EU")
        assert second["messenger"]["styles"]["primaryColor"] == "#FF5500"
        kept = second["messenger"]["apps"]["conversations"]
        assert kept["futureFeature"] == {"enabled": True}
        assert kept["sessionDurationSeconds"] == session_seconds
        assert [v["version"] for v in configuration_named(app, "Sales EU")["versions"]] == [
            "1",
            "2",
        ]
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out


def test_reordering_domains_is_no_change(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(
        workdir, "sales.yaml", spec_text("Sales EU", domains=("a.example.eu", "b.example.eu"))
    )
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        writes = write_count(app)
        write_spec(
            workdir, "sales.yaml", spec_text("Sales EU", domains=("b.example.eu", "a.example.eu"))
        )
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
        assert run(["apply", "--yes"]) == 0
        assert write_count(app) == writes


def test_an_out_of_band_publish_is_drift_and_the_next_apply_converges(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        assert run(["drift"]) == 0
        record = configuration_named(app, "Sales EU")
        messenger = dict(record["draft"]["messenger"], styles={"primaryColor": "#123456"})
        # Published in the admin UI; the deployment still serves "1".
        assert publish_directly(app, record["id"], messenger=messenger) == "2"
        follows = org_variant.get("follow_latest_on_publish") is True
        # Pinned, the deployment still serves "1"; an org that follows serves "2" at once.
        assert deployment_named(app, "Sales EU")["configuration"]["version"] == (
            "2" if follows else "1"
        )
        capsys.readouterr()

        assert run(["drift"]) == 2
        report = capsys.readouterr().out
        assert "Sales EU" in report

        assert run(["apply", "--yes"]) == 0
        served = deployment_named(app, "Sales EU")["configuration"]["version"]
        versions = [v["version"] for v in configuration_named(app, "Sales EU")["versions"]]
        assert served == versions[-1]  # the deployment serves the latest version again...
        # ... and it holds the spec's content, not the out-of-band edit.
        assert served_version(app, "Sales EU")["messenger"]["styles"]["primaryColor"] == "#0D6EFD"
        capsys.readouterr()
        assert run(["drift"]) == 0, capsys.readouterr().out


def test_a_deployment_moved_to_another_version_is_drift(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU", colour="#111111"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        write_spec(workdir, "sales.yaml", spec_text("Sales EU", colour="#222222"))
        assert run(["apply", "--yes"]) == 0
        deployment = deployment_named(app, "Sales EU")
        assert deployment["configuration"]["version"] == "2"
        move_directly(app, deployment["id"], "1")  # rolled back in the admin UI
        capsys.readouterr()

        assert run(["drift"]) == 2
        assert "Sales EU" in capsys.readouterr().out
        assert run(["apply", "--yes"]) == 0
        assert served_version(app, "Sales EU")["messenger"]["styles"]["primaryColor"] == "#222222"
        # Version 2 already says what the spec says: the deployment moves back to it, and no
        # version 3 is published for nothing.
        assert deployment_named(app, "Sales EU")["configuration"]["version"] == "2"
        versions = [v["version"] for v in configuration_named(app, "Sales EU")["versions"]]
        assert versions == ["1", "2"]
        capsys.readouterr()
        assert run(["drift"]) == 0, capsys.readouterr().out


def test_prune_deletes_the_deployment_then_its_configuration(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    write_spec(workdir, "support.yaml", spec_text("Support", flow="Support Inbound Message"))
    # Deletes visible at once, listings a second late: the deployment just deleted is still
    # listed when the adapter asks whether another deployment uses the configuration.
    lag = 1.0
    with wd_sandbox(monkeypatch, knobs=INSTANT, listing_lag_seconds=lag) as app:
        assert run(["apply", "--yes"]) == 0
        pass_time(lag + 0.1)
        record = configuration_named(app, "Support")
        deployment = deployment_named(app, "Support")
        (workdir / "channels" / "support.yaml").unlink()
        app.clear_log()
        capsys.readouterr()

        assert run(["apply", "--yes", "--prune"]) == 0, capsys.readouterr().out
        deletes = [(m, p) for m, p, status in app.writes() if m == "DELETE" and status < 300]
        assert deletes == [
            ("DELETE", f"{DEPLOYMENTS}/{deployment['id']}"),
            ("DELETE", f"{CONFIGURATIONS}/{record['id']}"),
        ]
        assert [d["name"] for d in deployments(app)] == ["Sales EU"]
        assert [r["draft"]["name"] for r in configurations(app)] == ["Sales EU"]
        # The audit log has the one delete action, of this kind, with both ids.
        records = [
            json.loads(line)
            for line in (workdir / "audit" / "127.0.0.1.jsonl").read_text().splitlines()
        ]
        (delete,) = [
            r["record"]
            for r in records
            if r["kind"] == "action" and r["record"]["kind"] == "delete"
        ]
        assert (delete["name"], delete["resource_kind"], delete["status"]) == (
            "Support",
            "webDeployment",
            "succeeded",
        )


def test_an_unowned_pair_with_a_specs_name_is_a_conflict_and_left_untouched(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        seed_pair(app, "Sales EU", configuration={"description": "made in the admin UI"})
        before = copy.deepcopy(app.state.kinds)
        assert run(["plan"]) == 0
        plan = capsys.readouterr().out
        assert 'conflict web deployment "Sales EU"' in plan
        assert "not managed by the reconciler" in plan
        assert "1 conflict" in plan
        run(["apply", "--yes"])
        assert app.writes() == []
        assert app.state.kinds == before


def test_two_live_pairs_with_one_name_fail_the_plan_naming_the_name_and_the_spec(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", "# Sales\n" + spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        seed_pair(app, "Sales EU")
        seed_pair(app, "sales eu")  # names compare case-insensitively
        assert run(["plan"]) == 1
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert "Sales EU" in captured.err
        assert "channels/sales.yaml:2" in captured.err
        assert app.writes() == []


def test_an_unknown_flow_fails_the_plan_naming_it_and_the_spec_before_any_write(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    # "Support Inbound" is a substring of two flows' names: the name filter returns both, the
    # exact match none.
    write_spec(workdir, "support.yaml", spec_text("Support", flow="Support Inbound"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 1
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert "Support Inbound" in captured.err
        assert "channels/support.yaml:" in captured.err
        assert app.writes() == []  # not even the valid spec's pair


def test_an_inbound_call_flow_is_not_a_message_flow(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU", flow="Main IVR"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["plan"]) == 1
        err = capsys.readouterr().err
        assert "Main IVR" in err
        assert "channels/sales.yaml:" in err
        assert app.writes() == []


def test_import_writes_specs_that_validate_and_plan_clean_once_adopted(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with wd_sandbox(monkeypatch) as app:
        seed_pair(
            app,
            "Sales EU",
            configuration={
                "description": "Pre-sales",
                "languages": ["en-us", "de"],
                "defaultLanguage": "de",
                "messenger": {"enabled": True, "styles": {"primaryColor": "#0D6EFD"}},
                "cobrowse": {"enabled": True, "channels": ["Webmessaging"]},
            },
            deployment={
                "description": "Pre-sales",
                "allowAllDomains": False,
                "allowedDomains": ["shop.example.eu"],
                "flow": {"id": SALES_FLOW},
            },
            versions=2,
        )
        seed_pair(app, "Support", deployment={"flow": {"id": SUPPORT_FLOW}})
        # The web deployments only (the org's profiles and defaults are tests/messaging's).
        imported = ["import", "--out-dir", "channels", "--name", "Sales EU", "--name", "Support"]
        assert run(imported) == 0
        capsys.readouterr()
        written = sorted((workdir / "channels").rglob("*.yaml"))
        assert [p.relative_to(workdir).as_posix() for p in written] == [
            "channels/web/sales-eu.yaml",
            "channels/web/support.yaml",
        ]
        for path in written:
            text = path.read_text(encoding="utf-8")
            assert "kind: webDeployment" in text
            for server_field in (
                "x-managed-by",
                "snippet",
                "selfUri",
                "dateCreated",
                "futureFeature",
            ):
                assert server_field not in text, (path.name, server_field)

        # In the API's order, not the alphabet's.
        support = (workdir / "channels" / "web" / "support.yaml").read_text(encoding="utf-8")
        assert support.index("  messenger:") < support.index("  position:")
        assert support.index("    enabled: true\n    styles:") < support.index("    apps:")

        assert run(["validate"]) == 0, capsys.readouterr().out
        assert run(["plan"]) == 0
        assert "2 conflicts" in capsys.readouterr().out  # unmanaged until adopted

        assert run(["plan", "--adopt", "--detailed-exitcode"]) == 2
        plan = capsys.readouterr().out
        assert "2 to adopt" in plan
        assert "configuration.version" not in plan  # adopting publishes nothing
        assert run(["apply", "--adopt", "--yes"]) == 0
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
        assert [v["version"] for v in configuration_named(app, "Sales EU")["versions"]] == [
            "1",
            "2",
        ]


def test_webhooks_carry_the_kind_and_the_pairs_ids_and_served_version(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with (
        wd_sandbox(monkeypatch) as app,
        contextlib.contextmanager(serve)(Receiver(SECRET)) as receiver,
    ):
        monkeypatch.setenv("WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        assert run(["apply", "--yes"]) == 0
        write_spec(workdir, "sales.yaml", spec_text("Sales EU", colour="#FF5500"))
        assert run(["apply", "--yes"]) == 0
        deployment = deployment_named(app, "Sales EU")
        config_id = deployment["configuration"]["id"]
        (workdir / "channels" / "sales.yaml").unlink()
        write_spec(workdir, "other.yaml", spec_text("Other"))
        code = run(["apply", "--yes", "--prune", "--max-delete-pct", "100"])
        assert code == 0, capsys.readouterr()

        events = [json.loads(d.body) for d in receiver.accepted()]
        assert all(d.verified for d in receiver.deliveries)
        mine = {
            e["type"]: e["data"]
            for e in events
            if e["type"].startswith("channel.") and e["data"].get("channelName") == "Sales EU"
        }
        assert sorted(mine) == ["channel.deleted", "channel.provisioned", "channel.updated"]
        for data in mine.values():
            assert data["kind"] == "webDeployment"
            assert data["details"]["deploymentId"] == deployment["id"]
            assert data["details"]["configurationId"] == config_id
        assert mine["channel.provisioned"]["details"]["configurationVersion"] == "1"
        assert mine["channel.updated"]["details"]["configurationVersion"] == "2"


def test_a_deployment_moved_back_to_a_version_like_the_spec_is_still_drift(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        record = configuration_named(app, "Sales EU")
        messenger = dict(record["draft"]["messenger"], styles={"primaryColor": "#123456"})
        assert publish_directly(app, record["id"], messenger=messenger) == "2"
        assert run(["apply", "--yes"]) == 0  # back to the spec's content, as version "3"
        deployment = deployment_named(app, "Sales EU")
        assert deployment["configuration"]["version"] == "3"
        # Rolled back to "1" in the admin UI: the spec's content too, but not the latest
        # version, which the spec asks for; and the draft is the same as what is served.
        move_directly(app, deployment["id"], "1")
        capsys.readouterr()

        assert run(["drift"]) == 2
        report = capsys.readouterr().out
        assert 'deployment.configurationVersion: "1" -> "latest"' in report


def test_an_inactive_spec_applies_and_plans_clean_then_goes_active_again(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU", status="Inactive"))
    with wd_sandbox(monkeypatch) as app:
        if org_variant.get("inactive_deactivates") is False:
            # An org that ignores a written Inactive: the apply fails saying so, and the
            # plan keeps showing the difference rather than calling it done.
            assert run(["apply", "--yes"]) == 1
            assert "may not deactivate a deployment" in capsys.readouterr().out
            assert deployment_named(app, "Sales EU")["status"] == "Active"
            assert run(["plan", "--detailed-exitcode"]) == 2
            assert 'deployment.status: "Active" -> "Inactive"' in capsys.readouterr().out
            return
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().out
        assert deployment_named(app, "Sales EU")["status"] == "Inactive"
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out

        write_spec(workdir, "sales.yaml", spec_text("Sales EU", status="Active"))
        assert run(["plan", "--detailed-exitcode"]) == 2
        assert 'deployment.status: "Inactive" -> "Active"' in capsys.readouterr().out
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().out
        assert deployment_named(app, "Sales EU")["status"] == "Active"
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out


def test_an_unpublished_draft_edit_is_not_published_by_an_apply_of_another_field(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    org_variant: dict[str, object],
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        record = configuration_named(app, "Sales EU")
        # An admin edits a field the spec never names (the home screen) and does not publish.
        draft = {
            k: v
            for k, v in record["draft"].items()
            if k not in ("id", "version", "status", "selfUri", "dateCreated", "dateModified")
        }
        draft["messenger"] = dict(
            draft["messenger"], homeScreen={"enabled": True, "logoUrl": "https://x.example/l.png"}
        )
        put = app.direct("PUT", f"{CONFIGURATIONS}/{record['id']}/versions/draft", draft)
        assert put.status == 200, put.payload
        capsys.readouterr()

        # Nothing the spec says changed: no drift, but the report names the unpublished edit.
        assert run(["drift", "--format", "json"]) == 0
        (note,) = json.loads(capsys.readouterr().out)["actions"][0]["notes"]
        assert "unpublished changes to `messenger.homeScreen`" in note
        assert "this plan publishes nothing" in note

        # The spec changes another field: the apply publishes, and discards the draft's edit.
        write_spec(workdir, "sales.yaml", spec_text("Sales EU", side_space=40))
        discarded = "the unpublished draft's `messenger.homeScreen` will be discarded"
        assert run(["plan", "--detailed-exitcode"]) == 2
        assert discarded in capsys.readouterr().out
        for output_format in ("markdown", "json"):
            assert run(["plan", "--format", output_format]) == 0
            out = capsys.readouterr().out
            assert discarded in out.replace("\\`", "`"), output_format
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().out

        served = served_version(app, "Sales EU")
        assert served["version"] == "2"
        assert served["position"]["sideSpace"] == 40
        assert "homeScreen" not in served["messenger"]  # as version 1 had it: not at all
        assert "homeScreen" not in configuration_named(app, "Sales EU")["draft"]["messenger"]
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
