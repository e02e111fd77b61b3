"""Durable file I/O shared by artifacts, the audit log, the webhook outbox and sandbox state.

Nothing is lost: a reader sees a file's old content or its new content, never half of it
(``replace_atomically``), and an appended line is on disk before the call returns. Functions
raise ``OSError``; each caller translates it into its own area's error, naming its file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a short write is legal)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd: int, size: int, offset: int | None = None) -> bytes:
    """Up to ``size`` bytes from ``fd`` (from ``offset`` when given), fewer only at the end."""
    if offset is not None:
        os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def fsync_directory(directory: Path) -> None:
    """Make a create, rename or unlink in ``directory`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _ordinary_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path`` with the mode of any file a program creates (0666 less
    the umask: 0644 as usual), where ``mkstemp`` would give 0600."""
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(6)}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def replace_atomically(path: Path, data: bytes, *, private: bool = True) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, rename it over ``path``.

    ``private`` (the outbox, sandbox state): readable by the owner only (0600). Otherwise the
    file gets the ordinary mode under the umask (plans, reports, schemas: 0644 as usual).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    else:
        fd, tmp_name = _ordinary_temp(path)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_directory(path.parent)


class LockHeld(OSError):
    """``exclusive_lock`` could not take ``path``: ``holder`` says who has it (may be "")."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is locked")
        self.path = path
        self.holder = holder

    def describe(self) -> str:
        """``pid 123 on host-a since 2026-12-02T18:00:00Z (reconciler apply --yes)`` or a
        neutral phrase when the holder left no note."""
        return self.holder or "another process (it left no note of who it is)"


def _holder_note(path: Path) -> Path:
    return path.with_name(path.name + ".holder")


@contextlib.contextmanager
def exclusive_lock(path: Path, *, who: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a portable ``filelock``: flock on POSIX, msvcrt
    on Windows) for the ``with`` block; ``LockHeld`` naming the holder when another process
    keeps it past ``wait_seconds``. ``who`` is written beside the lock (``<path>.holder``) so
    a refused process can name the holder; it must hold no secret.

    The lock is the operating system's: a killed holder releases it, so it never goes stale.
    """
    import filelock  # here: only commands that lock pay for the import

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path), timeout=max(0.0, wait_seconds), thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        try:
            holder = _holder_note(path).read_text(encoding="utf-8").strip()[:300]
        except (OSError, UnicodeDecodeError):
            holder = ""
        raise LockHeld(path, holder) from None
    try:
        with contextlib.suppress(OSError):
            _holder_note(path).write_text(who + "\n", encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            _holder_note(path).unlink()
        lock.release()


def holder_description(action: str) -> str:
    """What a lock's holder note says: process, host, time and what it does."""
    import socket
    import time

    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"pid {os.getpid()} on {socket.gethostname()} since {moment} ({action})"
