"""Reporters for spec diagnostics: text for people, JSON for machines, GitHub annotations.

Pure: each takes the same value (the diagnostics and what was checked) and returns the text to
print, so the three formats cannot disagree about what was found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.model import Diagnostic

#: Version of the JSON document's shape; bumped on any incompatible change.
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """What a validation looked at, for the summary."""

    files: int
    channels: int


def ordered(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics by file, line, column, path, message (rule last, to break ties)."""
    return sorted(diagnostics, key=lambda d: (*d.sort_key(), d.rule))


def summary(diagnostics: Sequence[Diagnostic], checked: Checked) -> str:
    scope = f"{_count(checked.files, 'file')}, {_count(checked.channels, 'channel')} checked"
    if not diagnostics:
        return f"no problems ({scope})"
    return f"{_count(len(diagnostics), 'problem')} found ({scope})"


def render_text(diagnostics: Sequence[Diagnostic], checked: Checked) -> str:
    """One ``file:line:col: path: message`` line per problem, then the summary."""
    lines = [str(diagnostic) for diagnostic in ordered(diagnostics)]
    lines.append(summary(diagnostics, checked))
    return "\n".join(lines)


def render_json(diagnostics: Sequence[Diagnostic], checked: Checked) -> str:
    """A stable JSON document: format version, validity, counts and the diagnostics."""
    document = {
        "version": JSON_FORMAT_VERSION,
        "valid": not diagnostics,
        "counts": {
            "files": checked.files,
            "channels": checked.channels,
            "problems": len(diagnostics),
        },
        "diagnostics": [
            {
                "file": d.file,
                "line": d.line,
                "col": d.col,
                "path": d.path,
                "rule": d.rule,
                "message": d.message,
            }
            for d in ordered(diagnostics)
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_github(diagnostics: Sequence[Diagnostic], checked: Checked) -> str:
    """GitHub Actions ``::error`` workflow commands (inline annotations), then the summary."""
    lines = []
    for d in ordered(diagnostics):
        properties = ",".join(
            f"{name}={_escape_property(str(value))}"
            for name, value in (
                ("file", d.file),
                ("line", d.line),
                ("col", d.col),
                ("title", d.rule),
            )
        )
        lines.append(f"::error {properties}::{_escape_data(f'{d.path}: {d.message}')}")
    lines.append(summary(diagnostics, checked))
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Sequence[Diagnostic], Checked], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}


def _escape_data(text: str) -> str:
    # As @actions/core escapeData: % first, so that the escapes themselves survive.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
