"""Where an environment's audit log lives by default.

A real org's log is ``audit/<env>.jsonl``: a record a team keeps (the GitOps workflow commits
it to its audit branch). The embedded sandbox's is ``.reconciler/audit/sandbox.jsonl``, beside
its state and outbox, so trying the tool in a clone never dirties ``git status``.
"""

from __future__ import annotations

from pathlib import Path

#: The environment label of the embedded sandbox (``--sandbox``; genesys/settings.py's too).
SANDBOX_LABEL = "sandbox"
AUDIT_DIR = Path("audit")
SANDBOX_AUDIT_DIR = Path(".reconciler") / "audit"


def default_audit_path(key: str, environment: str, *, sandbox: bool | None = None) -> Path:
    """The default audit log of a run whose files follow ``key`` (the ``--env`` name or the
    environment label), against ``environment`` (the backend's label); ``sandbox``: whether
    that is the embedded sandbox (by default: whether the label is the sandbox's; with
    ``--env`` the embedded sandbox is labelled with the environment's name)."""
    embedded = environment == SANDBOX_LABEL if sandbox is None else sandbox
    folder = SANDBOX_AUDIT_DIR if embedded else AUDIT_DIR
    return folder / f"{key}.jsonl"
