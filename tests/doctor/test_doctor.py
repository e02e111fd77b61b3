"""``reconciler doctor`` against each emulator variant over a real socket (issue 19, item 5):
what it reports, what it settles, its exit code, and that --write-probe leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from doctor_helpers import CHANNEL_SPEC, INSTANT, RecordingApp, served, web_spec, write

from reconciler.cli import run
from reconciler.sandbox import WebDeploymentKnobs

PROBE = "reconciler-doctor-probe-"


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = run(["doctor", "--format", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


def blocks(report: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in report["findings"] if f["status"] == "block"]


def probe_objects(app: RecordingApp) -> list[str]:
    """Names of every web deployment object in the emulated org that a probe made."""
    records = app.state.objects("webDeploymentConfiguration").values()
    names = [r["draft"]["name"] for r in records]
    names += [d["name"] for d in app.state.objects("webDeployment").values()]
    return [n for n in names if n.startswith(PROBE)]


def test_doctor_on_the_default_emulator_settles_the_contract_defaults(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, rate_limit_per_minute=240) as app:
        code, report = doctor(capsys, "--write-probe")
        assert probe_objects(app) == []
    assert code == 0, blocks(report)
    assert report["ok"] is True
    settled = report["settled"]
    assert settled["announced rate limit (requests per minute)"] == 240
    assert settled["largest cursor page (pageSize)"] == 300
    assert settled["versions listing includes DRAFT"] is True
    assert settled["flows name filter"] == "substring, any case"
    assert settled["names unique"] is False
    assert settled["deployment follows a new version"] is False
    assert settled["Inactive deactivates"] is True
    assert settled["deleting a configuration in use"] == "refused (HTTP 409)"
    assert settled["success codes"] == {
        "create configuration": 200,
        "publish": 200,
        "delete configuration": 204,
        "create deployment": 200,
        "update deployment": 200,
        "delete deployment": 204,
    }
    assert settled["scratch pair"].endswith(": created and removed")
    checks = {(f["check"], f["status"]) for f in report["findings"]}
    assert ("permission", "ok") in checks
    assert ("plan", "ok") in checks


def test_doctor_on_the_other_variant_settles_each_alternative(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    knobs = INSTANT.replace(
        unique_names=True,
        delete_in_use="allow",
        follow_latest_on_publish=True,
        inactive_deactivates=False,
        max_page_size=100,
        versions_list_draft=False,
        flows_name_filter="exact",
    )
    with served(monkeypatch, knobs=knobs) as app:
        code, report = doctor(capsys, "--write-probe")
        assert probe_objects(app) == []
    assert code == 0, blocks(report)
    settled = report["settled"]
    assert settled["announced rate limit (requests per minute)"] == "none announced"
    assert settled["largest cursor page (pageSize)"] == 100
    assert settled["versions listing includes DRAFT"] is False
    assert settled["flows name filter"] == "exact"
    assert settled["names unique"] is True
    assert settled["deployment follows a new version"] is True
    assert settled["Inactive deactivates"] is False
    assert settled["deleting a configuration in use"] == "allowed"
    assert settled["its deployment then"] == "Error"


@pytest.mark.parametrize(("knob", "answer"), [("prefix", "prefix, any case")])
def test_doctor_tells_a_prefix_name_filter(
    knob: str,
    answer: str,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, knobs=INSTANT.replace(flows_name_filter=knob)):
        code, report = doctor(capsys)
    assert code == 0
    assert report["settled"]["flows name filter"] == answer


def test_a_missing_permission_blocks_with_what_to_do(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, denied=frozenset({"architect:flow:view"})) as app:
        code = run(["doctor"])
        text = capsys.readouterr().out
    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("BLOCK")]
    assert "architect:flow:view: missing, cannot list the inbound message flows" in line
    assert "-> grant architect:flow:view to the OAuth client's role" in line
    assert "or name the flow by id in the specs" in line
    assert text.rstrip().endswith("fix the BLOCK lines above and run doctor again.")
    # One cheap request for it; the supported content listing is not needed by these specs.
    flows = app.requests_to("/api/v2/flows")
    assert flows[0][2] == 403
    assert app.requests_to("/api/v2/conversations/messaging/supportedcontent") == []


def test_a_write_the_role_may_not_make_blocks_and_leaves_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, denied=frozenset({"webDeployments:deployment:add"})) as app:
        code, report = doctor(capsys, "--write-probe")
        assert probe_objects(app) == []
    assert code == 1
    (block,) = blocks(report)
    assert "webDeployments:deployment:add" in block["message"]
    assert "docs/permissions.md" in block["fix"]


def test_an_unmanaged_object_with_a_specs_name_is_a_blocking_conflict(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/ch.yaml", CHANNEL_SPEC.format(name="Support"))
    with served(monkeypatch) as app:
        app.seed_channels([json.loads(json.dumps(_channel_body("Support")))])
        code, report = doctor(capsys)
    assert code == 1
    (block,) = blocks(report)
    assert block["check"] == "conflict"
    assert "'Support'" in block["message"]
    assert "apply --adopt" in block["fix"]


def _channel_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "webMessagingWidgetConfiguration": {"widgetId": "w-1", "theme": "default"},
        "securityPolicy": {"enabled": False, "allowedOrigins": [], "requireConsent": False},
        "routingConfiguration": {"queueId": "q-1"},
    }


def test_refused_credentials_block_at_once(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", "not-the-secret")
    with served(monkeypatch) as app:
        code, report = doctor(capsys)
    assert code == 1
    (block,) = blocks(report)
    assert block["check"] == "credentials"
    assert "GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET" in block["fix"]
    assert "not-the-secret" not in json.dumps(report)
    assert [r for r in app.templates() if "/api/" in r] == []  # nothing but the token


def test_a_declared_kind_the_org_lacks_is_a_warning_and_never_read_otherwise(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, channels_api=False) as app:
        code, _ = doctor(capsys)
        assert app.requests_to("/api/v2/webmessaging/") == []
        write(workdir / "environments/prod.yaml", "kinds: [channel, webDeployment]\n")
        code_env, report_env = doctor(capsys, "--env", "prod")
    assert code == 0
    assert code_env == 0
    (warning,) = [f for f in report_env["findings"] if f["status"] == "warn"]
    assert "kinds: channel, but the org has no such API" in warning["message"]


def test_a_live_field_the_schema_does_not_know_is_named(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        (deployment,) = app.state.objects("webDeployment").values()
        deployment["newerField"] = {"enabled": True}  # a field of a newer API
        code, report = doctor(capsys)
    assert code == 0
    warnings = [f["message"] for f in report["findings"] if f["check"] == "schema"]
    assert {f["status"] for f in report["findings"] if f["check"] == "schema"} == {"warn"}
    assert any("live field deployment.newerField (1 web deployment(s))" in w for w in warnings)
    # The emulator serves one field newer than the schema on every configuration, as a real
    # org's newer API would: it is named too.
    assert any("configuration.messenger.apps.conversations.futureFeature" in w for w in warnings)


def test_a_scratch_pair_left_by_a_killed_probe_is_named_then_removed(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.doctor.probe import probe_description

    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch) as app:
        from datetime import datetime, timezone

        body = {
            "name": PROBE + "deadbeef",
            "description": probe_description(datetime.now(timezone.utc)),
            "languages": ["en-us"],
            "defaultLanguage": "en-us",
        }
        assert app.direct("POST", "/api/v2/webdeployments/configurations", body).status == 200
        code, report = doctor(capsys)
        assert probe_objects(app) == [PROBE + "deadbeef"]  # read-only: named, not removed
        (warning,) = [f for f in report["findings"] if f["check"] == "leftovers"]
        assert PROBE + "deadbeef" in warning["message"]
        code, report = doctor(capsys, "--write-probe")
        assert probe_objects(app) == []
    assert code == 0


def test_the_text_report_without_specs_checks_the_token_only(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(monkeypatch) as app:
        assert run(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "ok    token: a token from" in out
    assert "only the token was checked" in out
    assert out.rstrip().endswith("Nothing blocks an apply.")
    assert app.templates() == set()


def test_knobs_reject_bad_values() -> None:
    from reconciler.errors import ConfigError

    with pytest.raises(ConfigError, match="flows_name_filter"):
        WebDeploymentKnobs(flows_name_filter="fuzzy")
    with pytest.raises(ConfigError, match="max_page_size"):
        WebDeploymentKnobs(max_page_size=0)


def test_the_adapter_does_not_depend_on_what_a_read_settles(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Pages of two, no DRAFT in the versions listing, an exact-only flows name filter: three
    # pairs apply, and the next plan is clean.
    for name in ("Shop", "Help", "News"):
        write(workdir / f"channels/{name.lower()}.yaml", web_spec(name))
    knobs = INSTANT.replace(max_page_size=2, versions_list_draft=False, flows_name_filter="exact")
    with served(monkeypatch, knobs=knobs) as app:
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
        capsys.readouterr()
        code, report = doctor(capsys)
    assert len(app.state.objects("webDeployment")) == 3
    assert code == 0
    assert report["settled"]["largest cursor page (pageSize)"] == 2


def test_two_live_pairs_of_a_specs_name_block_as_ambiguous(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch) as app:
        for _ in range(2):  # names are not unique on this org: an admin made two
            made = app.direct(
                "POST",
                "/api/v2/webdeployments/configurations",
                {"name": "Shop", "languages": ["en-us"], "defaultLanguage": "en-us"},
            )
            assert made.status == 200, made.payload
        code, report = doctor(capsys)
    assert code == 1
    (block,) = blocks(report)
    assert block["check"] in ("plan", "conflict")
    assert "Shop" in block["message"]
    assert block["fix"]


def test_doctor_without_the_write_probe_never_writes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    write(workdir / "channels/ch.yaml", CHANNEL_SPEC.format(name="Support"))
    with served(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        app.log.clear()
        code, report = doctor(capsys)
    assert code == 0, blocks(report)
    writes = [e for e in app.log if e[0] != "GET" and e[1] != "/oauth/token"]
    assert writes == []
    assert "no conflicts; a plan now would be: 2 noop" in {f["message"] for f in report["findings"]}


PROFILE_SPEC = """\
kind: supportedContent
name: Pictures
mediaTypes:
  allow:
    inbound: [image/*]
    outbound: [image/*]
"""
DEFAULTS_SPEC = """\
kind: messagingDefaults
name: Org defaults
supportedContent: {name: Pictures}
"""


def test_a_profile_this_owner_applied_is_no_conflict_and_an_unset_default_is_no_missing_api(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A profile has no marker: doctor reads the audit log's ledger as plan does, so the profile
    # the last apply made is this owner's; and a GET of the default messaging setting answers
    # 404 while the org has none set, which is not an org without the API.
    write(workdir / "channels/pictures.yaml", PROFILE_SPEC)
    write(workdir / "channels/defaults.yaml", DEFAULTS_SPEC)
    with served(monkeypatch):
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        code, report = doctor(capsys)
    assert code == 0, blocks(report)
    assert [f for f in report["findings"] if f["check"] in ("conflict", "api")] == []
    (default_setting,) = [
        f for f in report["findings"] if "default messaging setting" in f["message"]
    ]
    assert default_setting["status"] == "ok"
    assert "none is set" in default_setting["message"]
