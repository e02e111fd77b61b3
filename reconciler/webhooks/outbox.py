"""The outbox: a write-ahead journal of events that are not yet known to be delivered.

Format (JSON lines, default ``.reconciler/outbox/<environment>.jsonl``): each line is either

    {"op": "pending", "event": {"webhookId", "type", "timestamp", "data"},
     "attempts": n, "status": 503 | null, "error": "...", "updated": <unix seconds>}
    {"op": "delivered", "webhookId": "msg_..."}

and, for a Slack or Teams notice (``reconciler.notices``), the message exactly as it is posted,
with the name of the variable holding its URL (never the URL):

    {"op": "pending", "notice": {"id": "ntc_...", "service": "slack" | "teams",
     "urlEnv": "SLACK_WEBHOOK_URL", "topic": "drift.detected", "payload": {...}}, "attempts", ...}
    {"op": "delivered", "noticeId": "ntc_..."}

An event is pending when its last line is ``pending``. A sink writes ``pending`` before its first
attempt, so a crash at any point loses nothing (the event is redelivered, at least once), and
``delivered`` when the receiver answered 2xx. ``compact()`` rewrites the file atomically with
the pending entries only (and removes it when none are left).

Every line is appended with write + fsync under an exclusive lock on ``<file>.lock``
(``filelock``: every platform), and the file is opened per operation, so a concurrent
``compact()`` in another process cannot strand an append. A partial last line (a crash
mid-append) is dropped before the next append and ignored when reading. The file holds the
unsigned events only: no URL, signature or secret.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.durable import (
    LockHeld,
    exclusive_lock,
    fsync_directory,
    holder_description,
    read_exactly,
    replace_atomically,
    write_all,
)
from reconciler.errors import WebhookError
from reconciler.events import Event

CORRUPT_SUFFIX = ".corrupt"
LOCK_WAIT_SECONDS = 30.0  # one append holds the lock for a write and an fsync


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """One pending event and what happened on its attempts so far (across runs)."""

    event: Event
    attempts: int = 0
    status: int | None = None
    error: str = ""
    updated: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingNotice:
    """A Slack or Teams notice not yet known to be delivered: the payload as posted, the
    variable that holds its URL, and its attempts so far."""

    notice_id: str
    service: str
    url_env: str
    topic: str
    payload: dict[str, Any]
    attempts: int = 0
    status: int | None = None
    error: str = ""
    updated: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.notice_id,
            "service": self.service,
            "urlEnv": self.url_env,
            "topic": self.topic,
            "payload": self.payload,
        }


class Outbox:
    """The journal at ``path``; every method raises only WebhookError."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []  # corrupt lines moved aside

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r})"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with exclusive_lock(
                self.path.with_name(self.path.name + ".lock"),
                who=holder_description(f"writing outbox {self.path.name}"),
                wait_seconds=LOCK_WAIT_SECONDS,
            ):
                yield
        except LockHeld as exc:
            raise WebhookError(
                f"outbox {self.path} stayed locked for {LOCK_WAIT_SECONDS:.0f} s by "
                f"{exc.describe()}"
            ) from None
        except OSError as exc:
            raise WebhookError(f"cannot use outbox {self.path}: {exc.strerror or exc}") from exc

    def _append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        with self._locked():
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise WebhookError(f"cannot write outbox {self.path}: {exc.strerror}") from exc
            try:
                size = os.lseek(fd, 0, os.SEEK_END)
                if size:
                    os.lseek(fd, size - 1, os.SEEK_SET)
                    if read_exactly(fd, 1) != b"\n":  # a crash mid-append: drop the fragment
                        os.lseek(fd, 0, os.SEEK_SET)
                        os.ftruncate(fd, read_exactly(fd, size).rfind(b"\n") + 1)
                    os.lseek(fd, 0, os.SEEK_END)
                write_all(fd, line)
                os.fsync(fd)
            except OSError as exc:
                raise WebhookError(f"cannot write outbox {self.path}: {exc.strerror}") from exc
            finally:
                os.close(fd)
            if size == 0:
                fsync_directory(self.path.parent)

    def record_pending(
        self, event: Event, *, attempts: int, status: int | None, error: str, now: float
    ) -> None:
        self._append(
            {
                "op": "pending",
                "event": event.to_json(),
                "attempts": attempts,
                "status": status,
                "error": error,
                "updated": now,
            }
        )

    def record_delivered(self, webhook_id: str) -> None:
        self._append({"op": "delivered", "webhookId": webhook_id})

    def record_notice_pending(
        self, notice: PendingNotice, *, attempts: int, status: int | None, error: str, now: float
    ) -> None:
        self._append(
            {
                "op": "pending",
                "notice": notice.to_json(),
                "attempts": attempts,
                "status": status,
                "error": error,
                "updated": now,
            }
        )

    def record_notice_delivered(self, notice_id: str) -> None:
        self._append({"op": "delivered", "noticeId": notice_id})

    def pending_notices(self) -> list[PendingNotice]:
        """The notices still pending, in the order they first entered the outbox."""
        with self._locked():
            _entries, notices, bad = self._read_all()
            if bad:
                self._move_aside(bad)
            return notices

    def pending(self) -> list[OutboxEntry]:
        """The pending entries in the order they first entered the outbox. A line that is not
        an outbox record is moved to ``<file>.corrupt`` with a warning (``warnings``), and the
        rest is still read."""
        with self._locked():
            entries, bad = self._read()
            if bad:
                self._move_aside(bad)
            return entries

    def _read(self) -> tuple[list[OutboxEntry], list[tuple[int, bytes, str]]]:
        entries, _notices, bad = self._read_all()
        return entries, bad

    def _read_all(
        self,
    ) -> tuple[list[OutboxEntry], list[PendingNotice], list[tuple[int, bytes, str]]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], [], []
        except OSError as exc:
            raise WebhookError(f"cannot read outbox {self.path}: {exc.strerror}") from exc
        entries: dict[str, OutboxEntry | None] = {}
        notices: dict[str, PendingNotice | None] = {}
        bad: list[tuple[int, bytes, str]] = []
        lines = data.split(b"\n")
        for number, raw in enumerate(lines[:-1], start=1):  # lines[-1]: "" or a partial line
            if not raw.strip():
                continue
            try:
                notice = _parse_notice_line(raw)
                if notice is not None:
                    notices[notice[0]] = notice[1]
                    continue
                webhook_id, entry = _parse_line(raw)
            except WebhookError as exc:
                bad.append((number, raw, str(exc)))
                continue
            entries[webhook_id] = entry
        return (
            [entry for entry in entries.values() if entry is not None],
            [notice for notice in notices.values() if notice is not None],
            bad,
        )

    def _move_aside(self, bad: list[tuple[int, bytes, str]]) -> None:
        """Append the bad lines to ``<file>.corrupt`` (fsynced), then drop them here."""
        aside = self.path.with_name(self.path.name + CORRUPT_SUFFIX)
        drop = {number for number, _raw, _why in bad}
        try:
            with open(aside, "ab") as handle:
                handle.write(b"".join(raw + b"\n" for _n, raw, _why in bad))
                handle.flush()
                os.fsync(handle.fileno())
            data = self.path.read_bytes()
            lines = data.split(b"\n")
            kept = [raw for n, raw in enumerate(lines[:-1], start=1) if n not in drop]
            replace_atomically(self.path, b"".join(raw + b"\n" for raw in kept))
        except OSError as exc:
            raise WebhookError(
                f"outbox {self.path} has {len(bad)} unreadable line(s) and they cannot be moved "
                f"to {aside.name}: {exc.strerror or exc}"
            ) from exc
        for number, _raw, why in bad:
            self.warnings.append(
                f"outbox {self.path} line {number} {why}; moved to {aside.name}, the other "
                "events are still delivered"
            )

    def compact(self) -> int:
        """Rewrite the file atomically with only pending entries; return how many remain."""
        with self._locked():
            entries, notices, bad = self._read_all()
            if bad:
                self._move_aside(bad)
            try:
                if not entries and not notices:
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()
                    fsync_directory(self.path.parent)
                    return 0
                lines = b"".join(
                    json.dumps(
                        {
                            "op": "pending",
                            "event": entry.event.to_json(),
                            "attempts": entry.attempts,
                            "status": entry.status,
                            "error": entry.error,
                            "updated": entry.updated,
                        },
                        separators=(",", ":"),
                        ensure_ascii=False,
                    ).encode()
                    + b"\n"
                    for entry in entries
                )
                lines += b"".join(
                    json.dumps(
                        {
                            "op": "pending",
                            "notice": notice.to_json(),
                            "attempts": notice.attempts,
                            "status": notice.status,
                            "error": notice.error,
                            "updated": notice.updated,
                        },
                        separators=(",", ":"),
                        ensure_ascii=False,
                    ).encode()
                    + b"\n"
                    for notice in notices
                )
                replace_atomically(self.path, lines)
            except OSError as exc:
                raise WebhookError(f"cannot rewrite outbox {self.path}: {exc.strerror}") from exc
            return len(entries) + len(notices)


def _parse_line(raw: bytes) -> tuple[str, OutboxEntry | None]:
    """One line: (webhook id, its pending entry, or None once delivered); WebhookError saying
    why it is not an outbox record (hostile nesting included)."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookError("is not valid JSON") from None
    except RecursionError:
        raise WebhookError("is nested too deeply to be an outbox record") from None
    if not isinstance(record, dict):
        raise WebhookError("is not a JSON object")
    if record.get("op") == "delivered" and isinstance(record.get("webhookId"), str):
        return record["webhookId"], None
    if record.get("op") != "pending":
        raise WebhookError("has no known 'op'")
    try:
        event = Event.from_json(record.get("event"))
    except WebhookError as exc:
        raise WebhookError(f"is not an event: {exc}") from None
    updated = record.get("updated")
    return event.webhook_id, OutboxEntry(
        event=event,
        attempts=_int(record.get("attempts")),
        status=_int(record.get("status")) or None,
        error=str(record.get("error") or ""),
        updated=float(updated) if isinstance(updated, (int, float)) else 0.0,
    )


def _parse_notice_line(raw: bytes) -> tuple[str, PendingNotice | None] | None:
    """A notice line: (notice id, its pending record, or None once delivered); None when the
    line is not about a notice (an event line, or not a record at all: ``_parse_line`` says
    which)."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("op") == "delivered" and isinstance(record.get("noticeId"), str):
        return record["noticeId"], None
    notice = record.get("notice")
    if record.get("op") != "pending" or notice is None:
        return None
    if not (
        isinstance(notice, dict)
        and all(isinstance(notice.get(k), str) for k in ("id", "service", "urlEnv", "topic"))
        and isinstance(notice.get("payload"), dict)
    ):
        raise WebhookError("is not a notice record")
    updated = record.get("updated")
    return notice["id"], PendingNotice(
        notice_id=notice["id"],
        service=notice["service"],
        url_env=notice["urlEnv"],
        topic=notice["topic"],
        payload=notice["payload"],
        attempts=_int(record.get("attempts")),
        status=_int(record.get("status")) or None,
        error=str(record.get("error") or ""),
        updated=float(updated) if isinstance(updated, (int, float)) else 0.0,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
