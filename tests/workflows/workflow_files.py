"""Loading the workflow files once, as the GitHub runner reads them (YAML 1.2: `on` is a key)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
EXAMPLE = ROOT / "examples" / "gitops-repo"
EXAMPLE_WORKFLOWS = EXAMPLE / ".github" / "workflows"
NAMES = ("ci", "plan", "apply", "drift")
EXAMPLE_NAMES = ("plan", "apply", "drift")


def load(name: str, folder: Path = WORKFLOWS) -> dict[str, Any]:
    data = YAML(typ="safe").load((folder / f"{name}.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{name}.yml is not a mapping"
    return data


def load_action() -> dict[str, Any]:
    data = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, scalar) pair of a loaded document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))
    else:
        yield path, node


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The one step whose name starts with ``prefix`` (case-insensitive)."""
    matches = [s for s in steps(job) if str(s.get("name", "")).lower().startswith(prefix.lower())]
    assert len(matches) == 1, f"expected one step named {prefix!r}..., got {len(matches)}"
    return matches[0]


def action_steps(job: dict[str, Any], command: str) -> list[dict[str, Any]]:
    """The steps of ``job`` that run the reconciler action with ``command``."""
    return [s for s in steps(job) if s.get("with", {}).get("command") == command]
