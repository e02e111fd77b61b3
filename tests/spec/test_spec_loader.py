"""The loader: positions, file discovery, and refusing what is not plain data."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from spec_samples import VALID_CHANNEL, channel

from reconciler.model import SourceRef
from reconciler.spec.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    load_bytes,
    load_specs,
    load_text,
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_body_is_the_document_as_plain_data() -> None:
    specs, diagnostics = load_text(VALID_CHANNEL, "a.yaml")
    assert diagnostics == []
    [spec] = specs
    assert spec.name == "Support"
    assert spec.body == {
        "name": "Support",
        "description": "Customer support chat",
        "webMessagingWidgetConfiguration": {
            "widgetId": "widget-1",
            "theme": "default",
            "customAttributes": {"team": "support"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com", "http://localhost:8080"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": "queue-1"},
    }
    assert spec.source == SourceRef(file="a.yaml", line=1, col=1)


def test_positions_cover_every_path_with_keys_and_items() -> None:
    [spec], _ = load_text(VALID_CHANNEL, "a.yaml")
    where = {path: (ref.line, ref.col) for path, ref in spec.positions.items()}
    assert where == {
        "$": (1, 1),
        "name": (1, 1),
        "description": (2, 1),
        "webMessagingWidgetConfiguration": (3, 1),
        "webMessagingWidgetConfiguration.widgetId": (4, 3),
        "webMessagingWidgetConfiguration.theme": (5, 3),
        "webMessagingWidgetConfiguration.customAttributes": (6, 3),
        "webMessagingWidgetConfiguration.customAttributes.team": (7, 5),
        "securityPolicy": (8, 1),
        "securityPolicy.enabled": (9, 3),
        "securityPolicy.allowedOrigins": (10, 3),
        "securityPolicy.allowedOrigins[0]": (11, 7),
        "securityPolicy.allowedOrigins[1]": (12, 7),
        "securityPolicy.requireConsent": (13, 3),
        "routingConfiguration": (14, 1),
        "routingConfiguration.queueId": (15, 3),
    }
    assert {ref.file for ref in spec.positions.values()} == {"a.yaml"}


def test_keys_that_are_not_identifiers_are_quoted_in_paths() -> None:
    text = VALID_CHANNEL.replace("    team: support", '    team: support\n    "a.b c": x')
    [spec], _ = load_text(text, "a.yaml")
    assert spec.positions['webMessagingWidgetConfiguration.customAttributes["a.b c"]'].line == 8


def test_each_document_of_a_file_is_a_spec_with_its_own_lines() -> None:
    text = channel("One") + "---\n" + channel("Two")
    specs, diagnostics = load_text(text, "a.yaml")
    assert diagnostics == []
    assert [(s.name, s.source.line) for s in specs] == [("One", 1), ("Two", 17)]
    assert specs[1].positions["routingConfiguration.queueId"].line == 31


def test_plain_scalars_follow_yaml_1_2_core_schema() -> None:
    text = "a: yes\nb: on\nc: true\nd: 0o17\ne: 0x1F\nf: 1.5e3\ng: ~\nh: '1'\ni: 012\nj: .inf\n"
    [spec], _ = load_text(text, "a.yaml")
    assert spec.body == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": 15,
        "e": 31,
        "f": 1500.0,
        "g": None,
        "h": "1",
        "i": 12,
        "j": float("inf"),
    }


def test_a_small_alias_is_expanded() -> None:
    text = "a: &x {k: v}\nb: *x\n"
    [spec], diagnostics = load_text(text, "a.yaml")
    assert diagnostics == []
    assert spec.body == {"a": {"k": "v"}, "b": {"k": "v"}}
    assert spec.body["a"] is not spec.body["b"]


def test_billion_laughs_fails_fast_with_little_memory() -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "\n".join(lines) + "\n"
    tracemalloc.start()
    started = time.perf_counter()
    try:
        specs, diagnostics = load_text(text, "lol.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 10 * 1024 * 1024
    assert specs == []
    [diagnostic] = diagnostics
    assert diagnostic.rule == "yaml.alias-limit"
    assert (diagnostic.file, diagnostic.line) == ("lol.yaml", 4)


def test_problems_in_one_document_do_not_hide_the_next() -> None:
    text = "name: !!str x\nname: y\n---\n" + channel("Fine") + "---\n[a, b]\n"
    specs, diagnostics = load_text(text, "a.yaml")
    assert [s.name for s in specs] == ["Fine"]
    assert [(d.line, d.rule) for d in diagnostics] == [
        (1, "yaml.tag"),
        (2, "yaml.duplicate-key"),
        (20, "yaml.not-mapping"),
    ]


def test_non_utf8_bytes_are_a_diagnostic_at_the_byte() -> None:
    specs, diagnostics = load_bytes(b"name: ok\ndescription: caf\xe9\n", "a.yaml")
    assert specs == []
    [d] = diagnostics
    assert (d.rule, d.line, d.col) == ("file.encoding", 2, 17)
    assert "0xe9" in d.message


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    specs, diagnostics = load_bytes(b"\xef\xbb\xbf" + channel().encode(), "a.yaml")
    assert diagnostics == []
    assert specs[0].positions["name"] == SourceRef(file="a.yaml", line=1, col=1)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:  # sparse: 64 MiB that would be slow to read and parse
        stream.truncate(64 * MAX_FILE_BYTES)
    result = load_specs([big])
    [d] = result.diagnostics
    assert (d.rule, d.file, d.line, d.col) == ("file.too-large", big.as_posix(), 1, 1)


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    text = channel()
    padding = MAX_FILE_BYTES - len(text.encode())
    path = write(tmp_path / "a.yaml", text + "#" * (padding - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    result = load_specs([path])
    assert result.diagnostics == ()
    assert [s.name for s in result.specs] == ["Support"]


def test_bytes_over_the_limit_are_refused() -> None:
    _, diagnostics = load_bytes(b"a: b\n" + b"#" * MAX_FILE_BYTES, "a.yaml")
    assert [d.rule for d in diagnostics] == ["file.too-large"]


def test_folders_are_searched_in_sorted_order_with_paths_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(Path("specs/b.yaml"), channel("B"))
    write(Path("specs/a/z.yml"), channel("AZ"))
    write(Path("specs/a.yaml"), channel("A"))
    write(Path("specs/notes.txt"), "not a spec")
    write(Path("specs/c.YAML.bak"), "not a spec")
    result = load_specs(["./specs/"])
    assert result.files == ("specs/a.yaml", "specs/a/z.yml", "specs/b.yaml")
    assert [s.name for s in result.specs] == ["A", "AZ", "B"]
    assert result.diagnostics == ()


def test_a_file_named_twice_is_loaded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(Path("specs/a.yaml"), channel())
    result = load_specs(["specs", "specs/a.yaml"])
    assert result.files == ("specs/a.yaml",)
    assert len(result.specs) == 1


def test_an_explicit_file_is_loaded_whatever_its_name(tmp_path: Path) -> None:
    path = write(tmp_path / "channel.txt", channel())
    assert [s.name for s in load_specs([path]).specs] == ["Support"]


def test_missing_paths_and_empty_folders_are_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("empty").mkdir()
    result = load_specs(["nowhere.yaml", "empty"])
    assert [(d.file, d.rule) for d in result.diagnostics] == [
        ("nowhere.yaml", "file.not-found"),
        ("empty", "file.no-specs"),
    ]
    assert result.specs == ()


def test_deep_flow_nesting_stops_reading_at_the_limit() -> None:
    # ruamel's pure-Python scanner is quadratic in flow depth; the loader must not wait for it.
    text = "a: " + "[" * 200_000 + "]" * 200_000 + "\n---\nb: [[1]]\n"
    started = time.perf_counter()
    specs, diagnostics = load_text(text, "deep.yaml")
    assert time.perf_counter() - started < 5
    assert specs == []
    [d] = diagnostics
    assert (d.rule, d.line, d.col) == ("yaml.nesting", 1, 4 + MAX_DEPTH - 1)
    assert (
        d.message == f"nesting is deeper than {MAX_DEPTH} levels; the rest of the file is not read"
    )


def test_the_node_limit_counts_the_whole_file() -> None:
    per_document = 50
    documents = MAX_NODES // per_document + 1
    item = "- x\n" * (per_document - 1)
    text = "---\n".join(item for _ in range(documents))
    specs, diagnostics = load_text(text, "many.yaml")
    assert [d.rule for d in diagnostics][-1] == "yaml.too-many-nodes"
    # Every document before the limit was read (each is a list, so not a channel).
    assert [d.rule for d in diagnostics][:-1] == ["yaml.not-mapping"] * (documents - 1)
    assert specs == []


def test_nan_scalars_load_as_numbers_that_the_schema_refuses(tmp_path: Path) -> None:
    # YAML 1.2 core schema: .nan/.NaN/.NAN are floats (they used to crash the loader).
    from reconciler.spec.validate import validate_paths

    (tmp_path / "a.yaml").write_text("name: .nan\ndescription: .NaN\nx: .NAN\n")
    messages = [f"{d.line}: {d.message}" for d in validate_paths([tmp_path]).diagnostics]
    assert "1: must be a string, not the number nan" in messages
    assert "2: must be a string, not the number nan" in messages
