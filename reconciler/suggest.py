"""Close names for a word a person mistyped: a kind, a command, an environment, a flow.

Pure (``difflib``): no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """The choices closest to ``word`` (letter case ignored), best first; none that are not
    close (``difflib``'s 0.6 cut-off)."""
    options = list(dict.fromkeys(choices))
    by_folded: dict[str, str] = {}
    for option in options:
        by_folded.setdefault(option.casefold(), option)
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=limit, cutoff=0.6)
    return [by_folded[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``did you mean 'webDeployment'?`` (or ``'a' or 'b'``), or "" when nothing is close."""
    found = close_names(word, choices, limit=2)
    if not found:
        return ""
    return "did you mean " + " or ".join(repr(name) for name in found) + "?"


def listing(choices: Iterable[str], *, limit: int = 5) -> str:
    """Up to ``limit`` names, quoted, and how many more: ``'a', 'b' and 3 more``."""
    names = sorted(dict.fromkeys(choices))
    shown = ", ".join(repr(name) for name in names[:limit])
    more = len(names) - limit
    return f"{shown} and {more} more" if more > 0 else shown
