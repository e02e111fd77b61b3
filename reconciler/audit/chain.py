"""The line format shared by the writer and the verifier.

One JSON object per line, keys in this order, compact separators, UTF-8:

    {"seq": 7, "time": "2026-11-24T18:00:00.000Z", "runId": "...", "kind": "action",
     "prev": "sha256:<hex of the previous line's bytes>", "record": {...},
     "hash": "sha256:<hex of this line's bytes up to the ``,"hash"`` suffix, plus "}">"}

- ``seq`` is the 1-based line number in the file: one sequence (and one chain) across every
  run that appended to it.
- ``prev`` is the sha256 of the previous line's exact bytes (without its newline); the first
  line chains from ``GENESIS``.
- ``hash`` seals the line itself, so an edit of any line, the last one included, shows at that
  line; an edit that recomputes ``hash`` still breaks the next line's ``prev``. Only the last
  line has no successor: compare ``head`` (the sha256 of the last line) with one kept elsewhere
  (``audit verify --expect-head``, ``reconcile.completed``'s ``auditHead``) to cover it too.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from typing import Any

GENESIS = "sha256:" + "0" * 64
_SEAL = re.compile(rb',"hash":"(sha256:[0-9a-f]{64})"\}\Z')


class AuditKind(str, enum.Enum):
    RUN_START = "run.start"
    INTENT = "intent"  # a write about to be sent (fsynced before it is)
    STEP = "intent.step"  # a later write of the same action (its step, fsynced before it)
    ACTION = "action"
    RECOVERED = "action.recovered"  # the outcome of an earlier run's intent, found later
    WEBHOOK = "webhook"
    RUN_END = "run.end"
    REPAIRED = "log.repaired"  # a partial last line was moved aside when the log was opened


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def encode_line(*, seq: int, time: str, run_id: str, kind: str, prev: str, record: Any) -> bytes:
    """The sealed line (without newline). TypeError/ValueError if ``record`` is not JSON."""
    envelope = {
        "seq": seq,
        "time": time,
        "runId": run_id,
        "kind": kind,
        "prev": prev,
        "record": record,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    data = body.encode()
    return data[:-1] + b',"hash":"' + sha256(data).encode() + b'"}'


def seal_matches(line: bytes) -> bool:
    """True when the line ends with a ``hash`` that matches the rest of its bytes."""
    match = _SEAL.search(line)
    if match is None:
        return False
    return sha256(line[: match.start()] + b"}") == match.group(1).decode()
