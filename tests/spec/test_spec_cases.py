"""The data-driven corpus: every folder of tests/cases is one run of ``reconciler validate``.

Each case holds its input under ``channels/`` and ``expected.txt``, the exact diagnostic lines
(paths relative to the case folder); an empty ``expected.txt`` means the specs are valid.

Every case runs twice: with libyaml's fast path on (when libyaml is installed) and with the
reference pure-Python parser alone. The expected lines are the same for both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.spec import fastyaml
from reconciler.spec.loader import MAX_DEPTH, MAX_NODES

CASES = Path(__file__).resolve().parent.parent / "cases"
ALL_CASES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


def expected_lines(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return text.splitlines()


@pytest.fixture(params=["libyaml", "pure"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "libyaml" and fastyaml._CParser is None:
        pytest.skip("PyYAML is installed without libyaml here; only the pure parser runs")
    monkeypatch.setattr(fastyaml, "ENABLED", request.param == "libyaml")
    return str(request.param)


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(
    case: str,
    yaml_parser: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(CASES / case)
    code = run(["validate"])
    out = capsys.readouterr().out.splitlines()
    expected = expected_lines(case)
    assert out[:-1] == expected
    assert code == (1 if expected else 0)


def test_corpus_is_big_enough() -> None:
    invalid = [case for case in ALL_CASES if expected_lines(case)]
    valid = [case for case in ALL_CASES if not expected_lines(case)]
    assert len(invalid) >= 40
    assert len(valid) >= 8
    # Every valid case is named so, and no invalid one is: the corpus says what it means.
    assert all(case.startswith("valid-") for case in valid)
    assert not any(case.startswith("valid-") for case in invalid)


def test_every_rule_is_exercised_by_some_case() -> None:
    from reconciler.spec.validate import validate_paths

    rules: set[str] = set()
    for case in ALL_CASES:
        result = validate_paths([CASES / case / "channels"])
        rules.update(d.rule for d in result.diagnostics)
    expected = {
        "file.encoding",
        "yaml.syntax",
        "yaml.tag",
        "yaml.duplicate-key",
        "yaml.alias-limit",
        "yaml.undefined-alias",
        "yaml.merge-key",
        "yaml.key-type",
        "yaml.empty-document",
        "yaml.not-mapping",
        "yaml.nesting",
        "schema.required",
        "schema.additionalProperties",
        "schema.type",
        "schema.minLength",
        "schema.maxLength",
        "schema.enum",
        "schema.maxItems",
        "schema.maxProperties",
        "schema.attribute-key",
        "schema.origin",
        "schema.require-consent",
        "unique-name",
        "reserved-key",
        "name.characters",
    }
    assert expected <= rules


@pytest.mark.skipif(fastyaml._CParser is None, reason="PyYAML is installed without libyaml")
def test_valid_cases_are_read_by_the_fast_path() -> None:
    # Otherwise the "libyaml" runs above could pass by always falling back.
    fast = slow = 0
    for case in ALL_CASES:
        if expected_lines(case):
            continue
        for path in sorted((CASES / case / "channels").rglob("*.y*ml")):
            text = path.read_text(encoding="utf-8")
            documents = fastyaml.load_documents(text, max_nodes=MAX_NODES, max_depth=MAX_DEPTH)
            if documents is None:
                slow += 1
            else:
                fast += 1
    assert fast >= 10
    assert slow <= 1  # valid-small-alias: anchors and aliases are the reference parser's
