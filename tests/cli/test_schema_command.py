"""``reconciler schema NAME`` and the ``yaml-language-server`` line that ``import`` writes:
a team repository gets the schemas its imported specs point at, and editors can follow it."""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from reconciler.cli import run
from reconciler.cli.commands.schema import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def shipped(resource: str) -> str:
    return resources.files("reconciler.schemas").joinpath(resource).read_text("utf-8")


def test_every_shipped_schema_is_offered_and_has_a_stable_unique_id() -> None:
    files = sorted(p.name for p in (ROOT / "reconciler" / "schemas").glob("*.schema.json"))
    assert sorted(SCHEMAS.values()) == files
    ids = []
    for resource in files:
        document = json.loads(shipped(resource))
        stem = resource.removesuffix(".schema.json")
        assert re.fullmatch(rf"urn:reconciler:schema:{stem}:v\d+", document["$id"]), resource
        ids.append(document["$id"])
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", ["channel", "webDeployment", "webdeployment", "plan"])
def test_schema_prints_the_packaged_file(name: str, capsys) -> None:
    assert run(["schema", name]) == 0
    resource = SCHEMAS["webDeployment" if name.lower() == "webdeployment" else name]
    assert capsys.readouterr().out == shipped(resource)


def test_schema_out_writes_the_file_and_its_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "schemas" / "channel.schema.json"
    assert run(["schema", "channel", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == shipped("channel.schema.json")
    assert capsys.readouterr().out == ""


def test_an_unknown_name_is_a_usage_error(capsys) -> None:
    assert run(["schema", "queue"]) == 64
    assert "Invalid value for 'NAME'" in capsys.readouterr().err


@pytest.fixture
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Path:
    """The team-repository route: apply the examples to the sandbox, import them into a
    nested folder, and write the spec schemas they use with 'reconciler schema'."""
    shutil.copytree(ROOT / "channels", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    assert run(["--sandbox", "apply", "--yes", "examples"]) == 0
    assert run(["--sandbox", "import", "--out-dir", "specs/imported"]) == 0
    for name in ("channel", "webDeployment", "supportedContent", "messagingDefaults"):
        assert run(["schema", name, "--out", f"schemas/{SCHEMAS[name]}"]) == 0
    capsys.readouterr()
    return tmp_path / "specs" / "imported"


def schema_of(path: Path) -> Path:
    """The schema the file's first line points at, resolved as an editor resolves it."""
    line = SCHEMA_LINE.match(path.read_text(encoding="utf-8"))
    assert line is not None, f"{path.name} has no schema line first"
    # specs/imported/x.yaml is two folders down, specs/imported/web/x.yaml three
    depth = len(path.relative_to(Path.cwd()).parent.parts)
    assert line.group(1).startswith("../" * depth + "schemas/"), line.group(1)
    return (path.parent / line.group(1)).resolve()


def test_every_imported_file_starts_with_its_kinds_schema_line(imported: Path) -> None:
    pointed = {
        path.relative_to(imported).as_posix(): schema_of(path).name
        for path in imported.rglob("*.yaml")
    }
    # 5 channels, 2 web deployments, 3 supported content profiles, the messaging defaults.
    assert len(pointed) == 11
    assert pointed["support-website.yaml"] == "channel.schema.json"
    assert pointed["web/support.yaml"] == "webdeployment.schema.json"  # web deployments: web/
    assert pointed["supported-content/images-only.yaml"] == "supportedcontent.schema.json"
    assert pointed["messaging/defaults.yaml"] == "messagingdefaults.schema.json"
    assert all(schema_of(path).is_file() for path in imported.rglob("*.yaml"))


@pytest.mark.parametrize(
    "kind",
    [
        "channel.schema.json",
        "webdeployment.schema.json",
        "supportedcontent.schema.json",
        "messagingdefaults.schema.json",
    ],
)
def test_imported_files_validate_against_the_schema_they_point_at(
    imported: Path, kind: str
) -> None:
    yaml = YAML(typ="safe", pure=True)  # YAML 1.2, as the spec loader reads
    files = [path for path in imported.rglob("*.yaml") if schema_of(path).name == kind]
    assert files
    for path in files:
        schema = json.loads(schema_of(path).read_text(encoding="utf-8"))
        document = yaml.load(path.read_text(encoding="utf-8"))
        assert list(Draft202012Validator(schema).iter_errors(document)) == [], path.name
        assert run(["validate", str(path)]) == 0
