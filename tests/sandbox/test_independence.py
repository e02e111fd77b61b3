"""The emulator is the oracle: it never imports the client, the planner or the kinds registry,
so a shared mistake cannot make both sides agree."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler.sandbox

FORBIDDEN = ("reconciler.genesys", "reconciler.planner", "reconciler.kinds", "reconciler.spec")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_sandbox_module_imports_client_side_code() -> None:
    root = Path(reconciler.sandbox.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 15  # the walk found the package, subfolders included
    offenders = {
        f"{path.relative_to(root)}: {name}"
        for path in modules
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert offenders == set()
