"""The entry points later commands use: ``validate_paths`` and ``load_valid_specs``."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_samples import channel

from reconciler.errors import ReconcilerError, SpecError
from reconciler.spec.validate import load_valid_specs, validate_paths

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_repository_channels_are_valid() -> None:
    specs = load_valid_specs([ROOT / "channels"])
    assert len(specs) >= 4
    assert len({(spec.kind, spec.key) for spec in specs}) == len(specs)  # unique per kind
    assert all(spec.source.file.startswith(f"{(ROOT / 'channels').as_posix()}/") for spec in specs)


def test_load_valid_specs_raises_with_every_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(channel("Same").replace("theme: default", "theme: x"))
    (tmp_path / "b.yaml").write_text(channel("same"))
    with pytest.raises(SpecError) as caught:
        load_valid_specs([tmp_path])
    error = caught.value
    assert isinstance(error, ReconcilerError)
    assert [d.rule for d in error.diagnostics] == ["schema.enum", "unique-name"]
    assert str(error).startswith("2 problems in the channel specs, the first at ")
    assert "a.yaml:5:3: webMessagingWidgetConfiguration.theme:" in str(error)


def test_result_keeps_the_specs_that_passed_the_schema(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(channel("Good") + "---\n" + channel("Also good"))
    (tmp_path / "b.yaml").write_text(channel("Broken").replace("queueId: queue-1", "queueId: ''"))
    result = validate_paths([tmp_path])
    assert [spec.name for spec in result.specs] == ["Good", "Also good"]
    assert result.channels == 3
    assert not result.ok
    assert [d.rule for d in result.diagnostics] == ["schema.minLength"]
