"""Policies in environments/<name>.yaml: the rule format (its schema and its errors at
file:line:col), and each rule's breaches as diagnostics at the spec's file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.environments import load_environment, spec_context
from reconciler.errors import SpecError
from reconciler.spec.validate import validate_paths

PROD = """\
region: sandbox
policies:
  - name: no-open-deployments
    kind: webDeployment
    forbid: {field: deployment.allowAllDomains, value: true}
    message: production deployments list their websites
  - require: {field: configuration.messenger.sessionPersistenceType}
    kind: webDeployment
  - allowDomains: {suffixes: [example.com]}
  - approve: {impacts: [deployment-deleted, messaging-off]}
"""

OPEN = """\
kind: webDeployment
name: Open
configuration:
  messenger:
    sessionPersistenceType: AcrossSubdomains
deployment:
  allowAllDomains: true
"""

LISTED = """\
kind: webDeployment
name: Listed
deployment:
  allowedDomains:
    - shop.example.com
    - example.com
    - evil-example.com
"""


def project(tmp_path: Path, env_text: str, **specs: str) -> Path:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "prod.yaml").write_text(env_text, encoding="utf-8")
    (tmp_path / "channels").mkdir()
    for name, text in specs.items():
        (tmp_path / "channels" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def diagnostics(root: Path) -> list[str]:
    environment = load_environment("prod", root / "environments")
    result = validate_paths([root / "channels"], spec_context(environment, {}))
    return [str(d) for d in result.diagnostics]


def test_each_rule_breach_names_the_spec_line(tmp_path: Path) -> None:
    root = project(tmp_path, PROD, open=OPEN, listed=LISTED)
    found = diagnostics(root)
    channels = (root / "channels").as_posix()
    assert any(
        line.startswith(f"{channels}/open.yaml:7:")
        and "deployment.allowAllDomains: must not be true" in line
        and "'no-open-deployments'" in line
        and "production deployments list their websites" in line
        for line in found
    ), found
    # allowDomains refuses allowAllDomains too, at the same line
    assert any("open.yaml:7:" in line and "allows every domain" in line for line in found)
    # require: the spec without the field, at its document
    assert any(
        "listed.yaml:1:" in line
        and "must set configuration.messenger.sessionPersistenceType" in line
        for line in found
    ), found
    # allowDomains: the one domain outside the suffixes, at its item's line
    outside = [line for line in found if "is not under example.com" in line]
    assert len(outside) == 1
    assert "listed.yaml:7:" in outside[0]
    assert "evil-example.com" in outside[0]


def test_a_spec_that_keeps_the_rules_passes(tmp_path: Path) -> None:
    good = LISTED.replace("    - evil-example.com\n", "") + (
        "configuration:\n  messenger:\n    sessionPersistenceType: AcrossSubdomains\n"
    )
    root = project(tmp_path, PROD, listed=good)
    assert diagnostics(root) == []


@pytest.mark.parametrize(
    ("policy", "where", "says"),
    [
        ("  - forbid: {field: a}\n    require: {field: b}\n", "3:5", "exactly one rule"),
        ("  - forbid: {value: true}\n", "3:5", "'field' is a required property"),
        ("  - approve: {impacts: [no-such-code]}\n", "3:25", "unknown impact code 'no-such-code'"),
        ("  - kind: webDeploymnet\n    require: {field: a}\n", "3:5", "unknown kind"),
        ("  - forbid: {field: 'a..b'}\n", "3:14", "'a..b' is not a field path"),
        ("  - allowDomains: {suffixes: []}\n", "3:20", "should be non-empty"),
    ],
)
def test_a_bad_rule_is_refused_at_its_place(
    tmp_path: Path, policy: str, where: str, says: str
) -> None:
    root = project(tmp_path, "region: sandbox\npolicies:\n" + policy)
    with pytest.raises(SpecError) as caught:
        load_environment("prod", root / "environments")
    shown = [str(d) for d in caught.value.diagnostics]
    env_file = (root / "environments" / "prod.yaml").as_posix()
    assert any(line.startswith(f"{env_file}:{where}") and says in line for line in shown), shown
