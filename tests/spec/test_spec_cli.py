"""``reconciler validate`` as a user runs it: formats, exit codes, paths as given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spec_samples import channel

from reconciler.cli import run

ROOT = Path(__file__).resolve().parent.parent.parent

BAD = channel("Support").replace("theme: default", "theme: dark")


def test_repository_channels_validate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert run(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no problems (")
    assert out.count("\n") == 1


def test_text_format_lists_problems_then_a_summary(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "channels" / "a.yaml").write_text(BAD)
    (workdir / "channels" / "b.yaml").write_text(channel("Other"))
    assert run(["validate"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "channels/a.yaml:5:3: webMessagingWidgetConfiguration.theme: must be one of default, "
        "compact, custom, not the string 'dark'",
        "1 problem found (2 files, 2 channels checked)",
    ]
    assert captured.err == ""


def test_json_format(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "channels" / "a.yaml").write_text(BAD)
    assert run(["validate", "--format", "json", "channels/a.yaml"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "version": 1,
        "valid": False,
        "counts": {"files": 1, "channels": 1, "problems": 1},
        "diagnostics": [
            {
                "file": "channels/a.yaml",
                "line": 5,
                "col": 3,
                "path": "webMessagingWidgetConfiguration.theme",
                "rule": "schema.enum",
                "message": "must be one of default, compact, custom, not the string 'dark'",
            }
        ],
    }


def test_json_format_when_valid(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "channels" / "a.yaml").write_text(channel())
    assert run(["validate", "--format=json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is True
    assert document["diagnostics"] == []


def test_github_format_writes_workflow_commands(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "channels" / "a,b.yaml").write_text(BAD)
    assert run(["validate", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "::error file=channels/a%2Cb.yaml,line=5,col=3,title=schema.enum::"
        "webMessagingWidgetConfiguration.theme: must be one of default, compact, custom, "
        "not the string 'dark'",
        "1 problem found (1 file, 1 channel checked)",
    ]


def test_absolute_paths_stay_absolute(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workdir / "channels" / "a.yaml"
    path.write_text(BAD)
    assert run(["validate", str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path.as_posix()}:5:3: ")


def test_a_missing_path_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "nope.yaml"]) == 64
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "'nope.yaml' does not exist" in captured.err


def test_no_channels_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["validate"]) == 64
    assert "no channels/ folder" in capsys.readouterr().err


def test_an_unknown_format_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["validate", "--format", "xml"]) == 64
    assert "xml" in capsys.readouterr().err


def test_an_empty_folder_is_invalid(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "channels:1:1: no .yaml or .yml files in this folder"
    )


def test_binary_garbage_is_reported_not_raised(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "channels" / "a.yaml").write_bytes(bytes(range(256)) * 4)
    assert run(["validate"]) == 1
    captured = capsys.readouterr()
    # Byte 10 is a line break, so byte 128 (the first that is not UTF-8) is on line 2.
    assert captured.out.splitlines()[0] == (
        "channels/a.yaml:2:118: not valid UTF-8: byte 0x80 at offset 128"
    )
    assert "Traceback" not in captured.err
