"""The reconciler invocations the README and docs/*.md show, found the way a reader finds them:
inline code spans and the lines of sh/bash/console code blocks that start with ``reconciler``."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
SPAN = re.compile(r"`([^`\n]+)`")
#: A synopsis rather than a command: placeholders, optional parts, repetition.
SYNOPSIS = re.compile(r"[\[\]<>]|\.\.\.|\b(PATH|FILE|NAME|PLAN|GLOB|KIND)\b")


@dataclass(frozen=True, slots=True)
class Example:
    doc: str  # README.md or docs/x.md
    line: int
    text: str  # as written, one invocation (split at && and ;)

    @property
    def args(self) -> list[str]:
        return shlex.split(self.text)[1:]

    @property
    def synopsis(self) -> bool:
        return bool(SYNOPSIS.search(self.text))

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


def _invocations(text: str) -> list[str]:
    """The reconciler commands in one span or line: split at && and ;, comments dropped."""
    text = re.sub(r"\s#.*$", "", text).strip()
    found = []
    for part in re.split(r"&&|;|\|", text):
        words = part.strip().split()
        if words and words[0] in ("reconciler", ".venv/bin/reconciler"):
            found.append(" ".join(["reconciler", *words[1:]]))
    return found


def examples() -> list[Example]:
    found: list[Example] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        doc = path.relative_to(ROOT).as_posix()
        fenced = [(m.start(), m.end()) for m in FENCE.finditer(text)]
        for match in FENCE.finditer(text):
            if match.group(1) not in ("", "sh", "bash", "console", "shell"):
                continue
            first = text.count("\n", 0, match.start(2)) + 1
            for offset, line in enumerate(match.group(2).splitlines()):
                line = line.removeprefix("$ ")
                for invocation in _invocations(line):
                    found.append(Example(doc, first + offset, invocation))
        for match in SPAN.finditer(text):
            if any(start <= match.start() < end for start, end in fenced):
                continue
            line = text.count("\n", 0, match.start()) + 1
            for invocation in _invocations(match.group(1)):
                found.append(Example(doc, line, invocation))
    return found
