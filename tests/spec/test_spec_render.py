"""The diagnostic reporters are renderings of one value; GitHub's escaping is exact."""

from __future__ import annotations

import json

from reconciler.model import Diagnostic
from reconciler.render.diagnostics import Checked, render_github, render_json, render_text

CHECKED = Checked(files=2, channels=3)


def diagnostic(file: str, line: int, message: str = "bad", path: str = "name") -> Diagnostic:
    return Diagnostic(file=file, line=line, col=1, path=path, message=message, rule="r.x")


def test_text_is_sorted_by_place() -> None:
    found = [diagnostic("b.yaml", 1), diagnostic("a.yaml", 10), diagnostic("a.yaml", 2)]
    assert render_text(found, CHECKED).splitlines() == [
        "a.yaml:2:1: name: bad",
        "a.yaml:10:1: name: bad",
        "b.yaml:1:1: name: bad",
        "3 problems found (2 files, 3 channels checked)",
    ]


def test_summary_counts_in_the_singular() -> None:
    assert (
        render_text([], Checked(files=1, channels=1)) == "no problems (1 file, 1 channel checked)"
    )


def test_json_order_does_not_depend_on_input_order() -> None:
    found = [diagnostic("b.yaml", 1), diagnostic("a.yaml", 2)]
    assert render_json(found, CHECKED) == render_json(list(reversed(found)), CHECKED)
    assert [d["file"] for d in json.loads(render_json(found, CHECKED))["diagnostics"]] == [
        "a.yaml",
        "b.yaml",
    ]


def test_github_escapes_data_and_properties() -> None:
    found = [diagnostic("dir:x/a,b%.yaml", 3, message="50% off\r\nnext: line", path="a.b")]
    [line, _] = render_github(found, CHECKED).splitlines()
    assert line == (
        "::error file=dir%3Ax/a%2Cb%25.yaml,line=3,col=1,title=r.x::a.b: 50%25 off%0D%0Anext: line"
    )
