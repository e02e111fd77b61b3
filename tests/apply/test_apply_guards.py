"""One writer, files per environment, only plans are plans (issue 13, items 6, 9 and 10).

Every case drives the CLI on the embedded sandbox (``--sandbox``) in a fresh folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minimal_specs import CHANNEL, KINDS

from reconciler.cli import run
from reconciler.durable import exclusive_lock
from reconciler.genesys import factory
from reconciler.run_control import apply_lock_path

PLAN_KEY = "k3y-for-the-plan-signature-0123456789"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec(template: str, name: str = "Alpha", file: str = "a.yaml") -> None:
    folder = Path("channels")
    folder.mkdir(exist_ok=True)
    (folder / file).write_text(template.format(name=name), encoding="utf-8")


def _env(name: str) -> None:
    folder = Path("environments")
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text("region: sandbox\nowner: reconciler\n", encoding="utf-8")


# -- 6. one writer ---------------------------------------------------------------------------


def test_a_second_apply_is_refused_before_planning_naming_the_holder(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spec(CHANNEL)
    with exclusive_lock(apply_lock_path("sandbox"), who="pid 4242 on ci-runner-7 (apply)"):
        code = run(["--sandbox", "apply", "--yes"])
    err = capsys.readouterr().err
    assert code == 1
    assert "another apply to 'sandbox' is running (pid 4242 on ci-runner-7 (apply))" in err
    assert not Path("artifacts/apply.json").exists()
    assert not Path(".reconciler/sandbox.json").exists(), "it listed or wrote the org"
    assert run(["--sandbox", "apply", "--yes"]) == 0  # released: the next one runs


def test_a_sandbox_run_waits_for_no_other_and_never_saves_over_it(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factory, "SANDBOX_LOCK_WAIT", 0.2)
    _spec(CHANNEL)
    state = Path(".reconciler/sandbox.json")
    with exclusive_lock(state.with_name("sandbox.json.lock"), who="pid 77 on laptop (sandbox)"):
        code = run(["--sandbox", "plan"])
    assert code == 1
    assert "the sandbox state .reconciler/sandbox.json is in use by pid 77" in (
        capsys.readouterr().err
    )
    assert not state.exists()


# -- 9. files per environment -----------------------------------------------------------------


def test_default_files_follow_the_env_name_and_a_mismatch_is_named_as_one(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spec(CHANNEL)
    _env("blue")
    _env("green")
    assert run(["--sandbox", "plan", "--env", "blue"]) == 0
    assert Path("artifacts/blue/plan.json").is_file()
    assert json.loads(Path("artifacts/blue/plan.json").read_text())["env"] == "blue"
    assert run(["--sandbox", "apply", "--yes", "--env", "blue"]) == 0
    # A sandbox run keeps its log under .reconciler/ (git status stays clean), named by --env.
    assert Path(".reconciler/audit/blue.jsonl").is_file()
    assert Path("artifacts/blue/apply.json").is_file()
    assert not Path(".reconciler/audit/sandbox.jsonl").exists()
    assert not Path("audit").exists()

    _spec(CHANNEL, "Beta", "b.yaml")
    assert run(["--sandbox", "plan", "--env", "blue"]) == 0
    capsys.readouterr()
    code = run(
        ["--sandbox", "apply", "--yes", "--env", "green", "--plan", "artifacts/blue/plan.json"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "made for another environment (--env blue), and this apply has --env green" in err
    assert "specs changed" not in err


# -- 10. only plans are plans ------------------------------------------------------------------


def test_apply_refuses_a_drift_report_and_foreign_json(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spec(CHANNEL)
    assert run(["--sandbox", "drift"]) == 2
    capsys.readouterr()
    assert run(["--sandbox", "apply", "--yes", "--plan", "artifacts/drift.json"]) == 1
    assert "is a drift report, not a plan" in capsys.readouterr().err
    Path("other.json").write_text('{"name": "x", "actions": 3}', encoding="utf-8")
    assert run(["--sandbox", "apply", "--yes", "--plan", "other.json"]) == 1
    assert "is not a plan of this tool" in capsys.readouterr().err
    Path("deep.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert run(["--sandbox", "apply", "--yes", "--plan", "deep.json"]) == 1
    assert "deep.json" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flag", [["--owner", "team-x"], ["--max-update-pct", "90"], ["--safety-min-existing", "1"]]
)
def test_apply_plan_refuses_planning_flags_it_would_ignore(
    here: Path, capsys: pytest.CaptureFixture[str], flag: list[str]
) -> None:
    _spec(CHANNEL)
    assert run(["--sandbox", "plan"]) == 0
    capsys.readouterr()
    assert run(["--sandbox", "apply", "--yes", "--plan", "artifacts/plan.json", *flag]) == 64
    assert f"{flag[0]}: planning options a saved --plan would ignore" in capsys.readouterr().err


@KINDS
def test_with_a_plan_key_only_a_plan_signed_with_it_is_applied(
    template: str,
    kind: str,
    here: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler.artifacts import read_plan
    from reconciler.planner.plan import action_from_json, plan_digest

    _spec(template)
    assert run(["--sandbox", "plan"]) == 0  # unsigned: no key yet
    monkeypatch.setenv("RECONCILER_PLAN_KEY", PLAN_KEY)
    capsys.readouterr()
    assert run(["--sandbox", "apply", "--yes", "--plan", "artifacts/plan.json"]) == 1
    assert "is not signed, and RECONCILER_PLAN_KEY is set" in capsys.readouterr().err

    assert run(["--sandbox", "plan"]) == 0
    text = Path("artifacts/plan.json").read_text()
    assert PLAN_KEY not in text
    document = json.loads(text)
    assert document["signature"].startswith("hmac-sha256:")
    # An edit whose digest is recomputed still breaks the signature.
    document["actions"][0]["body"]["name"] = "Alpha Edited"
    document["digest"] = plan_digest([action_from_json(a) for a in document["actions"]])
    Path("edited.json").write_text(json.dumps(document), encoding="utf-8")
    assert read_plan(Path("edited.json")).digest == document["digest"]  # the digest holds
    capsys.readouterr()
    assert run(["--sandbox", "apply", "--yes", "--plan", "edited.json"]) == 1
    err = capsys.readouterr().err
    assert "signature does not match" in err
    assert PLAN_KEY not in err

    assert run(["--sandbox", "apply", "--yes", "--plan", "artifacts/plan.json"]) == 0
    out = capsys.readouterr()
    assert PLAN_KEY not in out.out + out.err
    for stored in (Path("artifacts/apply.json"), Path(".reconciler/audit/sandbox.jsonl")):
        assert PLAN_KEY not in stored.read_text()
