"""Durable file I/O shared by artifacts, the audit log, the webhook outbox and sandbox state.

Nothing is lost: a reader sees a file's old content or its new content, never half of it
(``replace_atomically``), and an appended line is on disk before the call returns. Functions
raise ``OSError``; each caller translates it into its own area's error, naming its file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
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


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
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
