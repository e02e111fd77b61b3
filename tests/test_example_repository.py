"""examples/gitops-repo/ is a team's repository of the real kinds (issue 23, item 3): web
deployments in a dev and a prod org with their own variables; validate and plan (and apply) on
the sandbox for each environment, and a plan leaves ``git status`` clean."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from reconciler.cli import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"
ENVIRONMENTS = ("dev", "prod")


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of the example as a team would have it: a git repository, everything committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "channels-repo"
    shutil.copytree(EXAMPLE, repo)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init", cwd=repo)
    monkeypatch.chdir(repo)
    return repo


def specs() -> list[Path]:
    return sorted((EXAMPLE / "channels").rglob("*.yaml"))


def test_the_example_holds_web_deployments_only_never_the_tutorial_channel_kind() -> None:
    assert specs(), "the example has no specs"
    for path in specs():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert document["kind"] == "webDeployment", path
    for env in ENVIRONMENTS:
        assert (EXAMPLE / "environments" / f"{env}.yaml").is_file()
    ignored = (EXAMPLE / ".gitignore").read_text(encoding="utf-8").split()
    assert {"artifacts/", ".reconciler/", "audit/"} <= set(ignored)


def test_each_environment_validates_and_plans_on_its_own_sandbox_org_with_its_own_values(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    domains = {}
    for env in ENVIRONMENTS:
        assert run(["validate", "--env", env]) == 0, capsys.readouterr().out
        assert run(["--sandbox", "plan", "--env", env, "--detailed-exitcode"]) == 2
        out = capsys.readouterr().out
        assert f'Plan for environment "{env}"' in out
        assert '+ create web deployment "Support"' in out
        plan = json.loads((checkout / "artifacts" / env / "plan.json").read_text())
        assert {a["kind"] for a in plan["actions"]} == {"webDeployment"}
        domains[env] = {
            a["name"]: a["body"]["deployment"]["allowedDomains"] for a in plan["actions"]
        }
    assert domains["dev"]["Support"] == ["help.dev.example.com"]
    assert domains["prod"]["Support"] == ["help.example.com"]
    assert sorted(domains["prod"]["Sales EU"]) == ["shop.example.de", "shop.example.eu"]
    # Nothing the runs wrote shows in git status: .gitignore covers it.
    assert git("status", "--porcelain", "--untracked-files=all", cwd=checkout) == ""


def test_without_an_environment_the_specs_say_to_pass_one(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ${var.X} needs --env: the reason the pre-commit hook validates every environment.
    assert run(["validate"]) == 1
    assert "--env" in capsys.readouterr().out


@pytest.mark.slow
def test_dev_applies_then_prod_and_each_plan_is_empty_after(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for env in ENVIRONMENTS:
        assert run(["--sandbox", "apply", "--env", env, "--yes"]) == 0, capsys.readouterr()
        assert run(["--sandbox", "plan", "--env", env, "--detailed-exitcode"]) == 0
    capsys.readouterr()
    assert git("status", "--porcelain", "--untracked-files=all", cwd=checkout) == ""
