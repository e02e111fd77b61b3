"""What keeps one apply run in bounds: its lock, its signals and the checks before any write.

- ``apply_lock``: one writer per org, taken before planning and held to the end, so two
  applies on one machine cannot both execute plans made from the same live state; a refusal
  names the holder (``durable.exclusive_lock``, portable). The lock names the org, not the
  folder: its API host and port (however the URL is spelled) and the ``--env`` name, in a
  folder of the user's (``RECONCILER_LOCK_DIR``, else ``$XDG_STATE_HOME/reconciler/locks``,
  ``~/.local/state/reconciler/locks``, ``%LOCALAPPDATA%\reconciler\\locks``), so two clones of
  one repository share it. A ``--sandbox`` org is the folder's state file: its lock stays in
  the folder. Two machines share no lock: the org itself settles their races (the executor's
  twin rule, ``docs/reliability.md``).
- ``Signals``: SIGINT and SIGTERM stop starting actions (running ones finish; their waits for
  the rate limit or an activation are cut short, ``reconciler.waits``) and the run ends
  like any other: summary, audit ``run.end``, apply.json, then exit 130 (SIGINT) or 143
  (SIGTERM). A second signal also cancels the writes in flight; their intents stay open for
  the next run to settle.
- ``probe_writable``: the ``--out`` folder, audit log and outbox are tried before the first API
  write, so an unwritable path never leaves writes without their records.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import signal
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reconciler.audit import redact_argv
from reconciler.durable import LockHeld, exclusive_lock, holder_description
from reconciler.errors import ConfigError, PlanError

LOCK_DIR = Path(".reconciler") / "locks"

EXIT_FOR_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def apply_lock_path(key: str) -> Path:
    """The lock of a ``--sandbox`` org (the folder's state file), by its files' name."""
    return LOCK_DIR / f"apply-{key}.lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgLock:
    """Which org an apply writes to (``label``, for messages) and the file that locks it."""

    label: str
    path: Path


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in text) or "default"


def lock_folder(environ: Mapping[str, str]) -> Path:
    """Where org locks live: ``RECONCILER_LOCK_DIR``, else the user's state folder."""
    chosen = environ.get("RECONCILER_LOCK_DIR", "").strip()
    if chosen:
        return Path(chosen)
    if os.name == "nt" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "reconciler" / "locks"
    state = environ.get("XDG_STATE_HOME", "").strip()
    base = Path(state) if state else Path.home() / ".local" / "state"
    return base / "reconciler" / "locks"


def org_lock(
    api_url: str, env_name: str | None, environ: Mapping[str, str], *, local_key: str = ""
) -> OrgLock:
    """The lock of the org at ``api_url`` (with the ``--env`` name ``env_name``): one name for
    ``https://API.mypurecloud.ie/``, ``https://api.mypurecloud.ie:443`` and
    ``https://api.mypurecloud.ie``. With ``local_key`` (a ``--sandbox`` run) the folder's."""
    if local_key:
        return OrgLock(label=local_key, path=apply_lock_path(local_key))
    parts = urlsplit(api_url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower(), 0)
    except ValueError:
        port = 0
    label = f"{host}:{port}" + (f" --env {env_name}" if env_name else "")
    digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:12]
    name = f"apply-{_file_part(host)}-{port}-{_file_part(env_name or '')}-{digest}.lock"
    return OrgLock(label=label, path=lock_folder(environ) / name)


@contextlib.contextmanager
def apply_lock(key: str | OrgLock, argv: Sequence[str]) -> Iterator[None]:
    """Hold the apply lock of an org (``OrgLock``; a plain ``key`` is a ``--sandbox``
    folder's) or refuse at once."""
    lock = key if isinstance(key, OrgLock) else org_lock("", None, {}, local_key=key)
    what = "reconciler " + " ".join(redact_argv(argv)[:8]) if argv else "reconciler apply"
    try:
        with exclusive_lock(lock.path, who=holder_description(what)):
            yield
    except LockHeld as exc:
        raise PlanError(
            f"another apply to {lock.label!r} is running ({exc.describe()}); nothing was "
            "planned or applied: wait for it to end, then run apply again"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot take the apply lock {lock.path}: {exc.strerror or exc}") from exc


def probe_writable(path: Path, what: str, *, folder: bool = False) -> None:
    """ConfigError naming ``what`` unless ``path`` can be written: a file created in it (a
    folder) or opened for appending (a file). A folder that does not exist yet is judged by
    its nearest existing parent. Leaves nothing behind that was not there."""
    directory = path if folder else path.parent
    try:
        if not directory.exists():
            ancestor = next((p for p in directory.parents if p.exists()), Path("."))
            if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
                raise OSError(errno.EACCES, f"{ancestor} is not a writable folder")
            return
        if folder:
            fd, name = tempfile.mkstemp(prefix=".probe-", dir=path)
            os.close(fd)
            os.unlink(name)
            return
        existed = path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.close(fd)
        if not existed:
            os.unlink(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {what} {path}: {exc.strerror or exc}; nothing was applied"
        ) from exc


class Signals:
    """Which signal ended the run (``received``), and the events the executor watches."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.abort = asyncio.Event()
        self.received = ""
        #: Called at once on each signal with its name and whether it stops the run now (a
        #: second signal): the CLI prints its "stopping" line from here, not at the end.
        self.listeners: list[Callable[[str, bool], None]] = []

    @property
    def exit_code(self) -> int | None:
        return EXIT_FOR_SIGNAL.get(self.received)

    def handle(self, name: str) -> None:
        now = self.stop.is_set()
        if now:
            self.abort.set()  # the second signal: cancel the writes in flight too
        self.stop.set()
        if not self.received or name == "SIGTERM":
            self.received = name
        for listener in self.listeners:
            listener(name, now)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """SIGINT and SIGTERM handled on the running loop (where the platform allows)."""
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        previous: dict[signal.Signals, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.handle, sig.name)
            except NotImplementedError:  # Windows: no loop handlers; signal.signal instead
                previous[sig] = self._fallback(loop, sig)
                continue
            except (RuntimeError, ValueError):  # not the main thread: nothing to install
                continue
            installed.append(sig)
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _fallback(self, loop: asyncio.AbstractEventLoop, sig: signal.Signals) -> Any:
        """A plain signal handler that hands the signal to the loop (Windows), so the first
        Ctrl-C stops new actions there too instead of cancelling the run at once."""

        def on_signal(signum: int, frame: Any) -> None:
            loop.call_soon_threadsafe(self.handle, sig.name)

        try:
            return signal.signal(sig, on_signal)
        except (ValueError, OSError):  # not the main thread, or a signal the OS lacks
            return signal.getsignal(sig)
