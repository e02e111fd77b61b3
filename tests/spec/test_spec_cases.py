"""The data-driven corpus: every folder of tests/cases is one run of ``reconciler validate``.

Each case holds its input under ``channels/`` and ``expected.txt``, the exact diagnostic lines
(paths relative to the case folder); an empty ``expected.txt`` means the specs are valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run

CASES = Path(__file__).resolve().parent.parent / "cases"
ALL_CASES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


def expected_lines(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return text.splitlines()


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
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
