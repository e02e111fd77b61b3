"""Appending to the hash-chained audit log.

Each line is written with one write, a flush to the OS and ``os.fsync`` before ``append``
returns, so a killed process leaves at most one partial last line. ``AuditLog.open`` repairs
that: the fragment after the last newline is appended to ``<log>.partial`` (fsynced), the log is
truncated to its last complete line, and a ``log.repaired`` line records the fragment's size and
sha256; the chain then continues from the last complete line, so ``audit verify`` passes.

While open, the log holds an exclusive lock on ``<log>.lock`` (``filelock``: every platform),
so two runs cannot interleave their lines; a second opener gets an AuditError at once, naming
the holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from reconciler.audit.chain import GENESIS, AuditKind, encode_line, sha256
from reconciler.audit.context import actor, git_commit, redact_argv, unreviewed_reason
from reconciler.durable import (
    LockHeld,
    exclusive_lock,
    fsync_directory,
    holder_description,
    read_exactly,
    write_all,
)
from reconciler.errors import AuditError
from reconciler.events import success_rate
from reconciler.webhooks.delivery import DeliveryOutcome

PARTIAL_SUFFIX = ".partial"
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Repair:
    """A partial last line found at open and moved to ``moved_to``."""

    size: int
    digest: str
    moved_to: Path


def _timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _last_newline_before(fd: int, end: int) -> int:
    """Offset of the last b"\\n" before ``end``, or -1."""
    while end > 0:
        start = max(0, end - _CHUNK)
        found = read_exactly(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found
        end = start
    return -1


class AuditLog:
    """An open audit log for one run. Use ``AuditLog.open``; close it (or use ``with``)."""

    def __init__(
        self, *, path: Path, fd: int, run_id: str, clock: Callable[[], float], seq: int, head: str
    ) -> None:
        self.path = path
        self.run_id = run_id
        self._fd: int | None = fd
        self._clock = clock
        self._seq = seq
        self._head = head
        self._lock = threading.Lock()
        self._broken = ""
        self.repair: Repair | None = None
        self._holding = contextlib.ExitStack()

    @property
    def head(self) -> str:
        """sha256 of the last line written: keep it elsewhere to anchor the log's end."""
        return self._head

    @property
    def lines(self) -> int:
        return self._seq

    @classmethod
    def open(
        cls, path: Path | str, *, run_id: str, clock: Callable[[], float] = time.time
    ) -> AuditLog:
        """Open (or create) ``path`` for appending, repairing a partial last line."""
        path = Path(path)
        holding = contextlib.ExitStack()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            holding.enter_context(
                exclusive_lock(
                    path.with_name(path.name + ".lock"),
                    who=holder_description(f"writing audit log {path.name}"),
                )
            )
        except LockHeld as exc:
            raise AuditError(
                f"audit log {path} is in use by another reconciler process: {exc.describe()}"
            ) from None
        except OSError as exc:
            raise AuditError(f"cannot open audit log {path}: {exc.strerror or exc}") from exc
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            holding.close()
            raise AuditError(f"cannot open audit log {path}: {exc.strerror}") from exc
        try:
            log = cls._resume(path, fd, run_id, clock, holding)
        except OSError as exc:
            os.close(fd)
            holding.close()
            raise AuditError(f"cannot read audit log {path}: {exc.strerror}") from exc
        except BaseException:
            os.close(fd)
            holding.close()
            raise
        return log

    @classmethod
    def _resume(
        cls,
        path: Path,
        fd: int,
        run_id: str,
        clock: Callable[[], float],
        holding: contextlib.ExitStack,
    ) -> AuditLog:
        size = os.fstat(fd).st_size
        repair: Repair | None = None
        end = size
        if size:
            cut = _last_newline_before(fd, size) + 1
            if cut < size:
                fragment = read_exactly(fd, size - cut, cut)
                moved_to = path.with_name(path.name + PARTIAL_SUFFIX)
                side = os.open(moved_to, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    write_all(side, fragment + b"\n")
                    os.fsync(side)
                finally:
                    os.close(side)
                os.ftruncate(fd, cut)
                os.fsync(fd)
                fsync_directory(path.parent)
                repair = Repair(size=len(fragment), digest=sha256(fragment), moved_to=moved_to)
                end = cut
        seq, head = 0, GENESIS
        if end:
            start = _last_newline_before(fd, end - 1) + 1
            last = read_exactly(fd, end - 1 - start, start)
            seq = _seq_of(last, path)
            head = sha256(last)
        log = cls(path=path, fd=fd, run_id=run_id, clock=clock, seq=seq, head=head)
        log._holding = holding
        if size == 0:
            fsync_directory(path.parent)
        if repair is not None:
            log.repair = repair
            log.append(
                AuditKind.REPAIRED,
                {
                    "partialBytes": repair.size,
                    "partialSha256": repair.digest,
                    "movedTo": repair.moved_to.name,
                },
            )
        return log

    def append(self, kind: AuditKind, record: Mapping[str, Any]) -> str:
        """Write one line and fsync it; return its sha256 (the new head)."""
        with self._lock:
            if self._fd is None:
                raise AuditError(f"audit log {self.path} is closed")
            if self._broken:
                raise AuditError(f"audit log {self.path} failed earlier: {self._broken}")
            try:
                line = encode_line(
                    seq=self._seq + 1,
                    time=_timestamp(self._clock()),
                    run_id=self.run_id,
                    kind=kind.value,
                    prev=self._head,
                    record=dict(record),
                )
            except (TypeError, ValueError) as exc:
                raise AuditError(f"audit record for {kind.value} is not JSON: {exc}") from None
            try:
                write_all(self._fd, line + b"\n")
                os.fsync(self._fd)
            except OSError as exc:
                self._broken = exc.strerror or type(exc).__name__
                raise AuditError(f"cannot write audit log {self.path}: {self._broken}") from exc
            self._seq += 1
            self._head = sha256(line)
            return self._head

    def run_start(
        self,
        *,
        environment: str,
        argv: Sequence[str],
        plan_digest: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The first line of a run: environment, git commit, actor, argv without secrets, and
        ``unreviewedReason`` when the run applies a plan no pull request reviewed."""
        env = os.environ if env is None else env
        record: dict[str, Any] = {
            "environment": environment,
            "gitCommit": git_commit(env, cwd),
            "actor": actor(env),
            "argv": redact_argv(argv),
            "planDigest": plan_digest,
        }
        reason = unreviewed_reason(env)
        if reason is not None:
            record["unreviewedReason"] = reason
        record.update(extra or {})
        return self.append(AuditKind.RUN_START, record)

    def action(self, record: Mapping[str, Any]) -> str:
        """One action result, as the executor describes it."""
        return self.append(AuditKind.ACTION, record)

    def webhook(self, outcome: DeliveryOutcome) -> str:
        """One webhook delivery outcome (no URL, signature or secret)."""
        return self.append(AuditKind.WEBHOOK, outcome.to_record())

    def run_end(
        self,
        *,
        status: str,
        attempted: int,
        succeeded: int,
        failed: int,
        counts: Mapping[str, int],
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The last line of a run; ``successRate`` = succeeded / attempted actions, or null
        when no action was attempted."""
        record: dict[str, Any] = {
            "status": status,
            "attempted": attempted,
            "succeeded": succeeded,
            "failed": failed,
            "successRate": success_rate(succeeded, attempted),
            "counts": dict(counts),
        }
        record.update(extra or {})
        return self.append(AuditKind.RUN_END, record)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
                self._holding.close()  # releases the lock

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r}, run_id={self.run_id!r}, lines={self._seq})"


def _seq_of(line: bytes, path: Path) -> int:
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        value = None
    seq = value.get("seq") if isinstance(value, dict) else None
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise AuditError(
            f"cannot continue audit log {path}: its last line is not an audit line; "
            f"run 'reconciler audit verify {path}'"
        )
    return seq
