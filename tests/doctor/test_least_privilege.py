"""Plan reads only what the specs need (issue 19, item 4): which kinds and listings a plan
asks the org for, counted at the emulator over a real socket, and what a 403 says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doctor_helpers import CHANNEL_SPEC, CHANNELS_PATH, served, web_spec, write

from reconciler.cli import run
from reconciler.sandbox.webdeployments.flows import flow_object

FLOWS = "/api/v2/flows"
PROFILES = "/api/v2/conversations/messaging/supportedcontent"
SALES_FLOW_ID = flow_object("Sales Inbound Message")["id"]


def test_a_real_org_shaped_emulator_is_never_sent_a_channels_request(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, channels_api=False) as app:
        assert run(["plan"]) == 0, capsys.readouterr().err
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        assert run(["drift"]) == 0, capsys.readouterr().err
        assert run(["plan", "--prune"]) == 0, capsys.readouterr().err
    assert app.requests_to(CHANNELS_PATH) == []
    assert app.requests_to("/api/v2/webdeployments/")  # the kind in use was read


def test_an_environment_that_declares_channels_reads_them_without_a_spec(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The last channel spec was deleted; the environment still manages the kind, so prune
    # sees the channel it left behind.
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    write(workdir / "environments/dev.yaml", "kinds: [channel, webDeployment]\n")
    with served(monkeypatch) as app:
        write(workdir / "old/support.yaml", CHANNEL_SPEC.format(name="Support"))
        assert run(["apply", "--yes", "old"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        app.log.clear()
        assert run(["plan", "--prune", "--env", "dev", "--format", "json"]) == 0
        plan = json.loads(capsys.readouterr().out)
        assert [(a["kind"], a["action"]) for a in plan["actions"] if a["kind"] == "channel"] == [
            ("channel", "delete")
        ]
        assert app.requests_to(CHANNELS_PATH)
        app.log.clear()
        assert run(["plan", "--prune"]) == 0  # without the environment: not read
        assert app.requests_to(CHANNELS_PATH) == []


def test_a_plan_of_ids_only_succeeds_with_a_client_that_may_not_list_flows(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop", flow=f"{{id: {SALES_FLOW_ID}}}"))
    denied = frozenset({"architect:flow:view", "messaging:supportedContent:view"})
    with served(monkeypatch, denied=denied, channels_api=False) as app:
        assert run(["plan", "--detailed-exitcode"]) == 2, capsys.readouterr().err
        assert "+ create" in capsys.readouterr().out
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
    assert app.requests_to(FLOWS) == []
    assert app.requests_to(PROFILES) == []
    assert all(status != 403 for _, _, status in app.log)


def test_a_flow_named_by_name_is_one_line_naming_the_permission_and_the_spec(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, denied=frozenset({"architect:flow:view"})) as app:
        assert run(["plan"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    line = err[0]
    assert "architect:flow:view" in line
    assert "GET /api/v2/flows was refused (HTTP 403)" in line
    assert "channels/web.yaml:1:1 (web deployment 'Shop' names its inbound message flow" in line
    assert "docs/permissions.md" in line
    assert [(m, s) for m, p, s in app.log if p == FLOWS] == [("GET", 403)]
    assert app.requests_to(PROFILES) == []  # no spec names a profile


def test_a_refused_kind_listing_names_the_permission_and_the_spec(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    write(workdir / "channels/two.yaml", web_spec("Second"))
    with served(monkeypatch, denied=frozenset({"webDeployments:deployment:view"})):
        assert run(["plan"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "webDeployments:deployment:view" in line
    assert "to list the web deployments" in line
    assert "channels/two.yaml:1:1 (web deployment 'Second') and 1 more spec(s)" in line


def test_a_declared_kind_refused_names_the_environment(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/ch.yaml", CHANNEL_SPEC.format(name="Support"))
    write(workdir / "environments/dev.yaml", "kinds: [channel, webDeployment]\n")
    with served(monkeypatch, denied=frozenset({"webDeployments:configuration:view"})):
        assert run(["plan", "--env", "dev"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "webDeployments:configuration:view" in line
    assert "needed by environments/dev.yaml (kinds: webDeployment)" in line


def test_an_unknown_kind_in_an_environment_is_a_file_line_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/ch.yaml", CHANNEL_SPEC.format(name="Support"))
    write(
        workdir / "environments/dev.yaml", "region: sandbox\nkinds:\n  - channel\n  - webDeploy\n"
    )
    assert run(["plan", "--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert "environments/dev.yaml:4:5: kinds[1]: unknown kind 'webDeploy'; known kinds:" in err


def test_a_write_refused_in_apply_names_the_permission_and_the_spec(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    with served(monkeypatch, denied=frozenset({"webDeployments:deployment:add"})):
        assert run(["apply", "--yes"]) == 1
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert "create web deployment Shop" in line
    assert "POST /api/v2/webdeployments/deployments was refused (HTTP 403)" in line
    assert "lacks webDeployments:deployment:add (to create a web deployment" in line


def test_a_spec_limited_to_another_environment_does_not_make_its_kind_read(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir / "channels/web.yaml", web_spec("Shop"))
    write(
        workdir / "channels/prod-only.yaml",
        CHANNEL_SPEC.format(name="Support") + "x-environments: [prod]\n",
    )
    write(workdir / "environments/dev.yaml", "owner: reconciler\n")
    write(workdir / "environments/prod.yaml", "owner: reconciler\n")
    with served(monkeypatch, channels_api=False) as app:
        assert run(["plan", "--env", "dev"]) == 0, capsys.readouterr().err
        assert app.requests_to(CHANNELS_PATH) == []
        assert run(["plan", "--env", "prod"]) == 1  # prod has the channel spec: it needs the API
    assert "404" in capsys.readouterr().err
    assert app.requests_to(CHANNELS_PATH)


def test_the_spec_files_kinds_are_listed_while_the_specs_are_checked(tmp_path: Path) -> None:
    from reconciler.planning import likely_kinds

    write(tmp_path / "a.yaml", "kind: webDeployment\nname: A\n---\nname: B\n")
    write(tmp_path / "b.yaml", "name: C\nx-environments: [prod]\n---\n{kind: channel, name: D}\n")
    assert likely_kinds([tmp_path / "a.yaml"]) == {"webDeployment", "channel"}
    assert likely_kinds([tmp_path / "b.yaml"]) == set()  # left to the check


def test_a_kind_listed_early_that_no_spec_uses_is_dropped_before_planning() -> None:
    import asyncio

    from reconciler.model import LiveResource, SourceRef, Spec
    from reconciler.planning import Listing, read_live

    class Adapter:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        async def list(self) -> list[LiveResource]:
            return [LiveResource(kind=self.kind, id=f"{self.kind}-1", revision="1", body={})]

        async def catalog(self, targets: object) -> dict[str, list[tuple[str, str]]]:
            return {}

    class Backend:
        environment = "test"

        def adapter(self, kind: str) -> Adapter:
            return Adapter(kind)

    spec = Spec(
        name="Shop",
        body={"name": "Shop", "deployment": {"flow": {"id": "f-1"}}},
        source=SourceRef(file="channels/web.yaml", line=1, col=1),
        kind="webDeployment",
    )
    early = Listing(
        live=[LiveResource(kind="channel", id="c-1", revision="1", body={"name": "Old"})],
        unserved={},
        listed=frozenset({"channel"}),
    )
    live, catalog = asyncio.run(read_live(Backend(), [spec], early))  # type: ignore[arg-type]
    assert [(r.kind, r.id) for r in live] == [("webDeployment", "webDeployment-1")]
    assert catalog == {}
