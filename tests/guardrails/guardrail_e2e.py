"""Spec texts and readers of the emulated org for the guardrail end-to-end tests (a uniquely
named module, so test modules import it by name)."""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox import SandboxApp


def spec_text(name: str, *, domains: str = "[shop.example.com]", extra: str = "") -> str:
    return (
        f"kind: webDeployment\nname: {name}\n"
        "configuration:\n  languages: [en-us]\n  defaultLanguage: en-us\n"
        f"deployment:\n  allowedDomains: {domains}\n"
        "  flow: {name: Sales Inbound Message}\n" + extra
    )


OPEN_SPEC = (
    "kind: webDeployment\nname: Open\n"
    "deployment:\n"
    "  allowAllDomains: true\n"
    "  flow: {name: Sales Inbound Message}\n"
)


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def deployments(app: SandboxApp) -> list[str]:
    return sorted(d["name"] for d in app.state.objects("webDeployment").values())
