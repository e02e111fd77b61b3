"""plan, drift and apply declare their shared inputs once: the same flags, envvars, defaults
and help text on each, and --adopt only where adopting makes sense."""

from __future__ import annotations

import click

from reconciler.cli import cli

SHARED = [
    "sandbox",
    "paths",
    "env_name",
    "targets",
    "out_dir",
    "owner",
    "prune",
    "max_update_pct",
    "max_delete_pct",
    "safety_min_existing",
]


def declared(command_name: str) -> dict[str, tuple[object, ...]]:
    command = cli.commands[command_name]
    assert isinstance(command, click.Command)
    return {
        str(param.name): (
            tuple(param.opts),
            getattr(param, "envvar", None),
            param.default,
            getattr(param, "help", None),
        )
        for param in command.params
    }


def test_plan_drift_and_apply_show_the_same_shared_options_first() -> None:
    shapes = {name: declared(name) for name in ("plan", "drift", "apply")}
    for name, params in shapes.items():
        assert list(params)[: len(SHARED)] == SHARED, name
        assert {k: params[k] for k in SHARED} == {k: shapes["plan"][k] for k in SHARED}, name


def test_adopt_is_offered_by_plan_and_apply_but_not_drift() -> None:
    assert "adopt" in declared("plan")
    assert "adopt" in declared("apply")
    assert "adopt" not in declared("drift")
