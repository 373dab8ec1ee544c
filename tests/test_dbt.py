"""ingest.dbt: the project is parsed once per process for each --vars, catalog and version."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("dbt.cli.main")

from ingest import dbt  # noqa: E402


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The `dbt parse` invocations made (dbt itself replaced by a recorder)."""
    made: list[list[str]] = []

    class RecordingRunner:
        def __init__(self, manifest: object = None) -> None:
            pass

        def invoke(self, args: list[str]) -> SimpleNamespace:
            made.append(args)
            return SimpleNamespace(success=True, result=object())

    monkeypatch.setattr("dbt.cli.main.dbtRunner", RecordingRunner)
    monkeypatch.setattr(dbt, "_parsed_manifests", {})
    monkeypatch.setattr(dbt, "_project_fingerprint", lambda: "version-1")
    return made


def test_runs_with_other_vars_in_between_parse_each_vars_once(
    parses: list[list[str]], tmp_path: Path
) -> None:
    warehouse, other_copy = tmp_path / "warehouse.duckdb", tmp_path / "b" / "warehouse.duckdb"
    plain = dbt._parsed_manifest(["build"], warehouse, [])
    with_vars = dbt._parsed_manifest(["run", "--vars", "{lookback: 2}"], warehouse, [])
    assert dbt._parsed_manifest(["build"], warehouse, []) is plain
    assert dbt._parsed_manifest(["run", "--vars", "{lookback: 2}"], other_copy, []) is with_vars
    assert [args[args.index("parse") + 1:] for args in parses] == [
        [], ["--vars", "{lookback: 2}"]]
    assert dbt._parsed_manifest(["run"], tmp_path / "other.duckdb", []) is not plain
    assert dbt._parsed_manifest(["debug"], warehouse, []) is None
    assert len(parses) == 3


def test_a_changed_project_is_parsed_again_and_the_old_parses_dropped(
    parses: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    old = dbt._parsed_manifest(["build"], warehouse, [])
    dbt._parsed_manifest(["run", "--vars", "{lookback: 2}"], warehouse, [])
    monkeypatch.setattr(dbt, "_project_fingerprint", lambda: "version-2")
    assert dbt._parsed_manifest(["build"], warehouse, []) is not old
    assert len(parses) == 3
    assert {key[0] for key in dbt._parsed_manifests} == {"version-2"}
