"""What ``doctor`` found, as a value, and how it is shown. Pure: no I/O.

A finding is one line: ``ok``, ``info``, ``warn`` (worth knowing, does not stop an apply) or
``block`` (an apply would fail or do harm); a blocking finding always says what to do. What a
probe *settled* about the org (the questions the API's documentation leaves open) is kept
apart, as ``question -> answer``, for the bug report and for the adapter's maintainers.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The JSON document's version (``--format json``).
FORMAT_VERSION = 1


class Status(str, enum.Enum):
    OK = "ok"
    INFO = "info"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One check's outcome: ``check`` names it (``permission``, ``rate-limit``...)."""

    check: str
    status: Status
    message: str
    #: What to do about it (always set for ``block``).
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status is Status.BLOCK and not self.fix:
            raise ValueError(f"a blocking finding needs a fix: {self.message}")

    def as_json(self) -> dict[str, str]:
        item = {"check": self.check, "status": self.status.value, "message": self.message}
        if self.fix:
            item["fix"] = self.fix
        return item


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Everything one doctor run found about one org."""

    environment: str
    env_name: str | None = None
    findings: tuple[Finding, ...] = ()
    #: The open questions answered for this org: ``{question: answer}`` (answers are strings,
    #: numbers or booleans; ``undetermined: why`` when the org could not say).
    settled: Mapping[str, Any] = field(default_factory=dict)
    write_probe: bool = False

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.BLOCK)

    @property
    def exit_code(self) -> int:
        """0 when nothing blocks an apply, 1 when something does."""
        return 1 if self.blocking else 0


_MARK = {Status.OK: "ok   ", Status.INFO: "info ", Status.WARN: "WARN ", Status.BLOCK: "BLOCK"}


def render_text(report: Report) -> str:
    """The human report: one line per finding (a blocking one with its fix), what was
    settled, and a verdict line."""
    where = report.environment + (f" (--env {report.env_name})" if report.env_name else "")
    lines = [f"reconciler doctor: {where}" + (" with --write-probe" if report.write_probe else "")]
    for finding in report.findings:
        line = f"{_MARK[finding.status]} {finding.check}: {finding.message}"
        if finding.fix:
            line += f" -> {finding.fix}"
        lines.append(line)
    if report.settled:
        lines.append("Settled for this org:")
        lines.extend(
            f"  {question}: {_shown(answer)}" for question, answer in report.settled.items()
        )
    count = len(report.blocking)
    lines.append(
        f"{count} problem(s) block an apply; fix the BLOCK lines above and run doctor again."
        if count
        else "Nothing blocks an apply."
    )
    return "\n".join(lines) + "\n"


def _shown(answer: Any) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, Mapping):
        return ", ".join(f"{k} {v}" for k, v in answer.items())
    return str(answer)


def render_json(report: Report) -> str:
    document = {
        "format": FORMAT_VERSION,
        "environment": report.environment,
        "env": report.env_name,
        "write_probe": report.write_probe,
        "ok": not report.blocking,
        "findings": [finding.as_json() for finding in report.findings],
        "settled": dict(report.settled),
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
