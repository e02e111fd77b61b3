"""The tamper-evident audit log: a hash-chained JSON-lines file per environment.

``AuditLog`` appends (the executor supplies the records, this package owns the envelope),
``verify_file`` checks; the line format is described in ``reconciler.audit.chain``.
"""

from __future__ import annotations

from reconciler.audit.chain import GENESIS, AuditKind
from reconciler.audit.context import actor, git_commit, redact_argv
from reconciler.audit.log import PARTIAL_SUFFIX, AuditLog, Repair
from reconciler.audit.verify import VerifyResult, verify_file

__all__ = [
    "GENESIS",
    "PARTIAL_SUFFIX",
    "AuditKind",
    "AuditLog",
    "Repair",
    "VerifyResult",
    "actor",
    "git_commit",
    "redact_argv",
    "verify_file",
]
