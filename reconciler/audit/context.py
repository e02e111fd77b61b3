"""Who ran what, where: the facts of a run start, with secrets removed from argv."""

from __future__ import annotations

import getpass
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.webhooks.url import REDACTED, redact_url

SECRET_WORDS = ("secret", "token", "password")
#: Set by the GitOps workflow on a manual run that applies a plan nobody reviewed in a pull
#: request (``allow_unreviewed``): the reason given, recorded in the run's first audit line.
UNREVIEWED_REASON_VARIABLE = "RECONCILER_UNREVIEWED_REASON"


def _is_secret_option(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("-") and any(word in lowered for word in SECRET_WORDS)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """argv with the value of every ``--*secret*``/``*token*``/``*password*`` option replaced
    (``--x=v`` and ``--x v`` forms) and credentials removed from any URL."""
    result: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            result.append(REDACTED)
            hide_next = False
        elif arg.startswith("-") and "=" in arg and _is_secret_option(arg.split("=", 1)[0]):
            result.append(arg.split("=", 1)[0] + "=" + REDACTED)
        elif _is_secret_option(arg) and "=" not in arg:
            result.append(arg)
            hide_next = True
        elif "://" in arg:
            prefix, sep, url = arg.partition("=") if arg.startswith("-") else ("", "", arg)
            result.append(prefix + sep + redact_url(url))
        else:
            result.append(arg)
    return result


def git_commit(env: Mapping[str, str], cwd: Path | None = None) -> str | None:
    """GITHUB_SHA, else ``git rev-parse HEAD`` in ``cwd``; None outside a repository."""
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"]
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607  (git from PATH, as a user runs it)
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def actor(env: Mapping[str, str]) -> str:
    """GITHUB_ACTOR in CI, else the OS user name."""
    if env.get("GITHUB_ACTOR"):
        return env["GITHUB_ACTOR"]
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def unreviewed_reason(env: Mapping[str, str]) -> str | None:
    """Why this run applies an unreviewed plan (RECONCILER_UNREVIEWED_REASON), or None."""
    reason = " ".join(env.get(UNREVIEWED_REASON_VARIABLE, "").split())
    return reason[:500] or None
