"""environments/<name>.yaml: loading, file:line diagnostics, precedence of explicit settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from env_samples import DEV, PROD, write_env
from jsonschema import Draft202012Validator

from reconciler.environments import (
    Environment,
    available,
    connection_env,
    load_environment,
    resolve_owner,
)
from reconciler.errors import ConfigError, SpecError

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_valid_file_loads(tmp_path: Path) -> None:
    write_env(tmp_path, "dev", DEV)
    env = load_environment("dev", tmp_path / "environments")
    assert env == Environment(
        name="dev",
        file=(tmp_path / "environments" / "dev.yaml").as_posix(),
        region="sandbox",
        owner="team-dev",
        variables={"queue": "dev-queue-1", "origin": "https://dev.example.com"},
    )


def test_unknown_environment_names_the_file_and_the_ones_found(tmp_path: Path) -> None:
    write_env(tmp_path, "dev", DEV)
    write_env(tmp_path, "prod", PROD)
    root = tmp_path / "environments"
    with pytest.raises(ConfigError) as caught:
        load_environment("staging", root)
    assert str(caught.value) == (
        f"unknown environment 'staging': no {root.as_posix()}/staging.yaml "
        "(environments found: dev, prod)"
    )
    assert caught.value.exit_code == 1
    with pytest.raises(ConfigError, match=r"holds no \.yaml file"):
        load_environment("dev", tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="an environment name is letters"):
        load_environment("../dev", root)


def test_every_problem_of_a_bad_file_has_its_line(tmp_path: Path) -> None:
    write_env(
        tmp_path,
        "dev",
        "region: mars-1\n"  # 1
        "owner: ' spaced'\n"  # 2
        "variabels: {}\n"  # 3
        "variables:\n"  # 4
        "  queue: 5\n"  # 5
        "  bad-name: x\n",  # 6
    )
    with pytest.raises(SpecError) as caught:
        load_environment("dev", tmp_path / "environments")
    shown = (tmp_path / "environments" / "dev.yaml").as_posix()
    lines = [str(d).removeprefix(shown) for d in caught.value.diagnostics]
    assert lines == [
        ":1:1: region: unknown region or domain 'mars-1' (expected a region code such as "
        "eu-west-1, a domain such as mypurecloud.ie, or sandbox)",
        ":2:1: owner: must not start or end with spaces",
        ":3:1: variabels: unknown field 'variabels'; allowed fields: description, kinds, "
        "notices, owner, policies, region, variables",
        ":5:3: variables.queue: must be a string (quote numbers and booleans: '5', 'true')",
        ":6:3: variables.bad-name: variable name 'bad-name' is not allowed: use letters, "
        "digits and '_'",
    ]
    assert str(caught.value).startswith("environment 'dev' is invalid: 5 problems in ")


def test_yaml_problems_and_extra_documents(tmp_path: Path) -> None:
    write_env(tmp_path, "a", "region: sandbox\nregion: eu-west-1\n")
    write_env(tmp_path, "b", "region: sandbox\n---\nregion: eu-west-1\n")
    write_env(tmp_path, "c", "- just\n- a list\n")
    root = tmp_path / "environments"
    rules = {}
    for name in ("a", "b", "c"):
        with pytest.raises(SpecError) as caught:
            load_environment(name, root)
        rules[name] = [(d.line, d.rule) for d in caught.value.diagnostics]
    assert rules == {
        "a": [(2, "yaml.duplicate-key")],
        "b": [(3, "environment.documents")],
        "c": [(1, "yaml.not-mapping")],
    }


def test_available_lists_names(tmp_path: Path) -> None:
    write_env(tmp_path, "prod", PROD)
    write_env(tmp_path, "dev", DEV)
    (tmp_path / "environments" / "notes.txt").write_text("x")
    assert available(tmp_path / "environments") == ["dev", "prod"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "eu-west-1"),
        ({"GENESYS_ENVIRONMENT": "mypurecloud.de"}, "mypurecloud.de"),
        ({"GENESYS_API_URL": "http://127.0.0.1:9"}, None),
        ({"GENESYS_LOGIN_URL": "http://127.0.0.1:9"}, None),
    ],
)
def test_explicit_connection_variables_win_over_the_region(
    env: dict[str, str], expected: str | None
) -> None:
    prod = Environment(name="prod", file="environments/prod.yaml", region="eu-west-1")
    result = connection_env(env, prod)
    assert result.get("GENESYS_ENVIRONMENT") == (expected or env.get("GENESYS_ENVIRONMENT"))
    assert connection_env(env, None) == env


def test_owner_precedence() -> None:
    prod = Environment(name="prod", file="f", owner="team-prod")
    assert resolve_owner("cli-owner", prod, "reconciler") == "cli-owner"
    assert resolve_owner(None, prod, "reconciler") == "team-prod"
    assert resolve_owner(None, Environment(name="x", file="f"), "reconciler") == "reconciler"
    assert resolve_owner(None, None, "reconciler") == "reconciler"


def test_shipped_environment_files_are_valid_and_match_the_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "environment.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    names = available(ROOT / "environments")
    assert {"dev", "prod"} <= set(names)
    loaded = {name: load_environment(name, ROOT / "environments") for name in names}
    assert loaded["dev"].variables.keys() == loaded["prod"].variables.keys()
    assert loaded["dev"].variables != loaded["prod"].variables


def test_the_shipped_channels_validate_in_every_environment() -> None:
    from reconciler.environments import spec_context
    from reconciler.spec.validate import validate_paths

    names = {}
    for env_name in available(ROOT / "environments"):
        environment = load_environment(env_name, ROOT / "environments")
        result = validate_paths([ROOT / "channels"], spec_context(environment, {}))
        assert result.diagnostics == (), env_name
        names[env_name] = {spec.name for spec in result.specs}
    assert "Staging (developers)" in names["dev"]
    assert "Staging (developers)" not in names["prod"]  # x-environments: [dev]
