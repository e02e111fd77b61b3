"""One module per command (or command group); each registers itself on ``cli`` when imported.

Modules are imported only when their command runs (``reconciler.cli.app.LazyGroup``), so
``reconciler validate`` never loads httpx, asyncio or the executor. Adding a command is adding
a module and its line here: the name, the module, and the first paragraph of the command's
help, which ``reconciler --help`` shortens as click does (a test checks it against the
command's own).
"""

from __future__ import annotations

_DEFAULT = "(default: channels/)."

#: Command name -> (module that defines it, first paragraph of its help).
COMMANDS: dict[str, tuple[str, str]] = {
    "apply": (
        "reconciler.cli.commands.apply",
        f"Make the org match the specs in PATH... {_DEFAULT}",
    ),
    "audit": ("reconciler.cli.commands.audit", "Inspect audit logs."),
    "doctor": (
        "reconciler.cli.commands.doctor",
        "Check one org before the first apply: credentials, permissions, limits, conflicts.",
    ),
    "drift": (
        "reconciler.cli.commands.plan",
        f"Report how the org differs from the specs in PATH... {_DEFAULT}",
    ),
    "import": (
        "reconciler.cli.commands.import_",
        "Write one spec file per live channel to --out-dir, to start managing an existing org.",
    ),
    "plan": (
        "reconciler.cli.commands.plan",
        f"Show what apply would change for the specs in PATH... {_DEFAULT}",
    ),
    "sandbox": (
        "reconciler.cli.commands.sandbox",
        "The sandbox emulator of the Genesys APIs this tool uses (no org or credentials needed).",
    ),
    "schema": (
        "reconciler.cli.commands.schema",
        "Print the JSON Schema of a spec kind (channel, webDeployment), environment, plan or "
        "event.",
    ),
    "show": (
        "reconciler.cli.commands.show",
        "Print a saved plan.json or drift.json as text, markdown or JSON.",
    ),
    "validate": (
        "reconciler.cli.commands.validate",
        "Check the channel specs in PATH... (files or folders; default: channels/).",
    ),
    "webhooks": ("reconciler.cli.commands.webhooks", "Manage webhook deliveries."),
}
