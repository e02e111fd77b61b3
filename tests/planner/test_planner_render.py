"""What a person reads: the terminal plan and the pull-request markdown."""

from __future__ import annotations

import dataclasses
import re

from planner_factories import live, plan, spec

from reconciler.planner import ReportKind, Thresholds, any_paths
from reconciler.render.plan_markdown import MAX_CHARS, render_plan_markdown
from reconciler.render.plan_text import render_plan_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mixed(**options):
    specs = [
        spec("New one", line=3),
        spec("Changed", line=7, description="after", origins=["https://b.example.com"]),
        spec("Same"),
        spec("Theirs"),
        spec("Free"),
    ]
    lives = [
        live("Changed", id="c1", description="before", origins=["https://a.example.com"]),
        live("Same"),
        live("Theirs", owner="team-b"),
        live("Free", owner=None),
        live("Orphan", id="o1"),
    ]
    return plan(specs, lives, **options)


def test_text_shows_terraform_like_lines_and_one_summary() -> None:
    text = render_plan_text(mixed(prune=True), color=False)
    lines = text.splitlines()
    assert '+ create "New one"  (channels/c.yaml:3)' in lines
    assert '~ update "Changed" [id c1]  (channels/c.yaml:7)' in lines
    assert '    description: "before" -> "after"' in lines
    assert (
        '    securityPolicy.allowedOrigins: + "https://b.example.com", - "https://a.example.com"'
        in lines
    )
    assert '- delete "Orphan" [id o1]' in lines
    assert any(line.startswith('! conflict "Theirs"') and "team-b" in line for line in lines)
    assert any(line.startswith('! conflict "Free"') and "--adopt" in line for line in lines)
    assert (
        "Plan: 1 to create, 1 to update, 1 to delete, 0 to adopt, 2 conflicts, 1 unchanged."
        in lines
    )
    assert not ANSI.search(text)


def test_adopt_is_marked_distinctly() -> None:
    text = render_plan_text(mixed(adopt=True), color=False)
    assert '> adopt "Free" [id id-free]: takes over an unmanaged channel' in text
    assert "0 to delete, 1 to adopt, 1 conflict, 1 unchanged." in text


def test_colour_only_when_asked() -> None:
    coloured = render_plan_text(mixed(), color=True)
    assert "\x1b[32m+ create" in coloured
    assert ANSI.sub("", coloured) == render_plan_text(mixed(), color=False)


def test_no_changes_says_so() -> None:
    text = render_plan_text(plan([spec("Same")], [live("Same")]), color=False)
    assert "No changes" in text
    assert (
        "Plan: 0 to create, 0 to update, 0 to delete, 0 to adopt, 0 conflicts, 1 unchanged." in text
    )


def test_unsafe_warning_in_text_and_markdown() -> None:
    lives = [live(f"ch{i}", description="old") for i in range(10)]
    result = plan(
        [spec(ch.name, description="new") for ch in lives], lives, thresholds=Thresholds()
    )
    assert result.unsafe
    assert "Warning: this plan is unsafe: 10 updates touch 100% of the 10 managed channels" in (
        render_plan_text(result, color=False)
    )
    markdown = render_plan_markdown(result)
    assert "> [!WARNING]" in markdown
    assert "without `--force`" in markdown


def test_names_cannot_drive_the_terminal() -> None:
    text = render_plan_text(plan([spec("evil\x1b[2J")], []), color=False)
    assert "\x1b" not in text
    assert "\\u001b[2J" in text


def test_markdown_has_table_digest_environment_and_a_details_block_per_change() -> None:
    result = mixed(prune=True)
    markdown = render_plan_markdown(result)
    assert "| 1 | 1 | 1 | 0 | 2 | 1 |" in markdown
    assert f"`{result.digest}`" in markdown
    assert "**Environment:** test-org" in markdown
    assert markdown.count("<details>") == markdown.count("</details>") == 5
    assert '- description: "before"\n+ description: "after"' in markdown


def test_markdown_escapes_channel_values() -> None:
    name = "a|b <script>alert(1)</script> ``` x"
    result = plan(
        [spec(name, description="<img src=x onerror=alert(1)>\n```")], [live(name, description="x")]
    )
    markdown = render_plan_markdown(result)
    assert "<script>" not in markdown
    assert "<img" not in markdown.split("````diff")[0]
    assert "&lt;script&gt;" in markdown
    # the diff fence is longer than any backtick run inside it
    assert "````diff" in markdown
    summary = re.search(r"<summary>(.*)</summary>", markdown)
    assert summary is not None
    assert "|" in summary.group(1)
    assert "<script" not in summary.group(1)


def test_markdown_stays_under_the_limit_and_says_what_was_cut() -> None:
    long = "x" * 400
    lives = [live(f"channel {i:04}", description=long) for i in range(5000)]
    specs = [spec(f"channel {i:04}", description=long[::-1] + "y") for i in range(5000)]
    result = plan(specs, lives)
    markdown = render_plan_markdown(result, full_plan="artifacts/plan.json")
    assert len(markdown) < MAX_CHARS
    shown = markdown.count("<details>")
    assert 0 < shown < 5000
    assert f"_{5000 - shown} of 5000 changed channels omitted" in markdown
    assert "the full plan is in artifacts/plan.json" in markdown


def test_drift_markdown_is_titled_and_classifies_channels() -> None:
    specs = [spec("Edited", description="spec"), spec("Gone"), spec("Taken")]
    lives = [live("Edited", description="ui"), live("Taken", owner=None), live("Extra")]
    result = plan(specs, lives, prune=True, report=ReportKind.DRIFT)
    markdown = render_plan_markdown(result)
    assert markdown.startswith("## Drift report")
    for label in (
        "differs from git (its spec changed since this tool last wrote it)",
        "missing (deleted out of band or never created)",
        "new conflict",
        "extra managed channel with no spec",
    ):
        assert f": {label}" in markdown
        assert f"| {label} | 1 |" in markdown
    text = render_plan_text(result, color=False)
    assert (
        "Drift: 4 channels drifted (1 differs from git, 0 edited out of band, 1 missing, "
        "1 new conflict, 1 extra managed channel with no spec); 0 in sync." in text
    )
    # Once the audit log shows the live revision moved since this tool wrote it:
    edited = dataclasses.replace(result, edited_out_of_band=frozenset({lives[0].id}))
    assert "[edited out of band (changed since this tool last wrote it)]" in render_plan_text(
        edited, color=False
    )


def test_write_only_values_never_reach_text_or_markdown() -> None:
    result = plan(
        [spec("A", description="new-secret")],
        [live("A", description="old-secret")],
        write_only=any_paths(["description"]),
    )
    for output in (render_plan_text(result, color=False), render_plan_markdown(result)):
        assert "secret" not in output
        assert "(redacted)" in output
