"""docs/permissions.md lists, per command, exactly the permissions and OAuth scopes of the
requests that command is seen sending (issue 19, item 4).

Each command runs against the emulator over a real socket, with specs of both kinds that name
a flow and a supported content profile by name (so every listing is needed); the emulator
counts the requests by route, and ``reconciler.genesys.permissions`` (the table the session
explains a 403 with) says what each needs. A request the table does not list fails the test.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "doctor"))

from doctor_helpers import CHANNEL_SPEC, CREDENTIALS, served, web_spec, write

from reconciler.cli import run
from reconciler.genesys.permissions import Need, need_of_template

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
PERMISSION = re.compile(r"`([A-Za-z]+:[A-Za-z]+:[a-z]+)`")
SCOPE = re.compile(r"`([a-z-]+(?::readonly)?)`")


def needs_of(templates: set[str]) -> set[Need]:
    found = set()
    for key in templates:
        method, template = key.split(" ", 1)
        need = need_of_template(method, template)
        assert need is not None, f"{key} is not in reconciler/genesys/permissions.py"
        found.add(need)
    return found


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[Need]]:
    """The requests of each documented command, by the command's row name."""
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("permissions")
    monkeypatch.chdir(root)
    for name in list(__import__("os").environ):
        if name.startswith(("GENESYS_", "RECONCILER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "60000")
    profile = "  supportedContent: {name: Images only}\n"
    write(root / "channels/web.yaml", web_spec("Shop", extra=profile))
    write(root / "channels/support.yaml", CHANNEL_SPEC.format(name="Support"))
    runs: dict[str, list[list[str]]] = {
        "plan": [["plan"]],
        "drift": [["drift"]],
        "import": [["import", "--out-dir", "imported"]],
        "doctor": [["doctor"]],
        "doctor --write-probe": [["doctor", "--write-probe"]],
    }
    found: dict[str, set[Need]] = {}
    try:
        with served(monkeypatch) as app:
            for row, commands in runs.items():
                app.stats.reset()
                for args in commands:
                    assert run(args) in (0, 2), args
                found[row] = needs_of(app.templates())
            # apply: a create, an update and a delete of each kind
            app.stats.reset()
            assert run(["apply", "--yes"]) == 0
            write(root / "channels/web.yaml", web_spec("Shop", extra=profile + "description: x\n"))
            write(
                root / "channels/support.yaml",
                CHANNEL_SPEC.format(name="Support") + "description: x\n",
            )
            assert run(["apply", "--yes"]) == 0
            (root / "channels/web.yaml").unlink()
            (root / "channels/support.yaml").unlink()
            write(root / "channels/other.yaml", CHANNEL_SPEC.format(name="Other"))
            write(root / "environments/all.yaml", "kinds: [channel, webDeployment]\n")
            prune = ["apply", "--yes", "--prune", "--max-delete-pct", "100", "--env", "all"]
            assert run(prune) == 0
            found["apply"] = needs_of(app.templates())
    finally:
        monkeypatch.undo()
    return found


def rows() -> dict[str, tuple[set[str], set[str]]]:
    """The table of docs/permissions.md: command -> (permissions, scopes)."""
    table: dict[str, tuple[set[str], set[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        commands, permissions, scopes = (cell.strip() for cell in line.strip("|").split("|")[:3])
        for command in re.findall(r"`([^`]+)`", commands):
            table[command] = (set(PERMISSION.findall(permissions)), set(SCOPE.findall(scopes)))
    return table


def role(title: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return set(PERMISSION.findall(section))


def test_every_command_row_lists_exactly_what_the_command_requests(
    observed: dict[str, set[Need]],
) -> None:
    table = rows()
    assert set(table) == set(observed)
    for command, needs in observed.items():
        permissions = {p for need in needs for p in need.permissions}
        scopes = {need.scope for need in needs if need.scope}
        assert table[command][0] == permissions, command
        assert table[command][1] == scopes, command


def test_the_roles_are_the_union_of_their_commands(observed: dict[str, set[Need]]) -> None:
    def union(*commands: str) -> set[str]:
        return {p for c in commands for need in observed[c] for p in need.permissions}

    assert role("Read-only role") == union("plan", "drift", "import", "doctor")
    writing = union("apply", "doctor --write-probe")
    assert role("Writing role") == writing
    reads = {p for c in ("plan", "drift") for n in observed[c] for p in n.permissions}
    assert reads <= writing  # apply plans afresh first
    assert all(p.endswith(":view") for p in role("Read-only role"))
