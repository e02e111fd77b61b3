"""What an apply of web deployments asks of the org, end to end (the CLI against the emulator
on 127.0.0.1): a content change is three writes plus shared polls, and a no-op apply writes
nothing and reads only listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from wd_e2e_helpers import (
    CONFIGURATIONS,
    DEPLOYMENTS,
    LoggingApp,
    configuration_named,
    served_version,
    spec_text,
    wd_sandbox,
    write_spec,
)

from reconciler.cli import run

pytestmark = [pytest.mark.socket, pytest.mark.usefixtures("short_waits")]
NAMES = [f"Store {i:02d}" for i in range(6)]
LISTINGS = {
    CONFIGURATIONS,
    DEPLOYMENTS,
    "/api/v2/flows",
    "/api/v2/conversations/messaging/supportedcontent",
    "/api/v2/webmessaging/channels",
}


def write_all(root: Path, colour: str) -> None:
    for i, name in enumerate(NAMES):
        write_spec(root, f"store-{i}.yaml", spec_text(name, colour=colour))


def reads_by_id(app: LoggingApp) -> list[str]:
    return [p for m, p, _ in app.log if m == "GET" and p.startswith("/api/") and p not in LISTINGS]


def test_a_content_change_is_three_writes_each_and_a_no_op_reads_only_listings(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with wd_sandbox(monkeypatch) as app:
        write_all(workdir, "#111111")
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err

        write_all(workdir, "#222222")
        app.clear_log()
        assert run(["apply", "--yes", "--force"]) == 0, capsys.readouterr().err
        writes = [
            (m, p.replace(configuration_named(app, n)["id"], "{c}"))
            for n in NAMES
            for m, p, _ in app.writes()
            if configuration_named(app, n)["id"] in p
        ]
        assert len(app.writes()) == 3 * len(NAMES)
        assert sorted(set(writes)) == [
            ("POST", f"{CONFIGURATIONS}/{{c}}/versions/draft/publish"),
            ("PUT", f"{CONFIGURATIONS}/{{c}}/versions/draft"),
        ]
        assert sum(1 for m, p, _ in app.writes() if m == "PUT" and p.startswith(DEPLOYMENTS)) == 6
        for name in NAMES:
            assert served_version(app, name)["messenger"]["styles"]["primaryColor"] == "#222222"
        # The re-reads before the writes and the waits were answered by listings: a read by
        # id only for a lone waiter.
        assert len(reads_by_id(app)) <= 3, reads_by_id(app)

        app.clear_log()
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
        assert app.writes() == []
        assert reads_by_id(app) == []
