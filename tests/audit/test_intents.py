"""Which intents are open: those with no settled outcome in the audit log."""

from __future__ import annotations

from pathlib import Path

from reconciler.audit import AuditKind, AuditLog
from reconciler.audit.intents import open_intents


def _intent(intent_id: str) -> dict[str, object]:
    return {"intentId": intent_id, "resourceKind": "channel", "action": "create", "name": "A"}


def test_an_intent_is_open_until_a_settled_outcome_names_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog.open(path, run_id="r1") as log:
        for intent_id in ("done", "unsettled", "recovered", "open"):
            log.append(AuditKind.INTENT, _intent(intent_id))
        log.action({"intentId": "done", "status": "succeeded"})
        log.action({"intentId": "unsettled", "status": "failed", "unsettled": True})
        log.append(AuditKind.RECOVERED, {"intentId": "recovered", "status": "succeeded"})
    with path.open("ab") as handle:
        handle.write(b'{"partial line of a killed wri')  # skipped, never a crash
    assert [i["intentId"] for i in open_intents(path)] == ["unsettled", "open"]
    assert {i["runId"] for i in open_intents(path)} == {"r1"}
    assert open_intents(tmp_path / "absent.jsonl") == []
