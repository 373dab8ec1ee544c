"""Warehouse-level check: the dbt project builds against an empty raw schema.

One ``dbt build`` (seeds, models, data tests, unit tests) runs in-process per module
(``ingest.dbt.run_dbt``, so it shares the session's parsed project) against a temporary
DuckDB holding only the empty raw tables; target and log paths are temporary too, so
nothing is written into the repository. The tests then check that
each mart exists with exactly the columns and types its contract declares.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

pytest.importorskip("dbt.cli.main")

from ingest.core.landing import Warehouse  # noqa: E402
from ingest.core.plugin import discover_plugins  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
MARTS_YAML = REPO_ROOT / "dbt_project" / "models" / "marts" / "_marts__models.yml"
UNIVERSE_SEED = REPO_ROOT / "dbt_project" / "seeds" / "etf_universe.csv"


@dataclass(frozen=True)
class Build:
    success: bool
    statuses: dict[str, str]  # node unique_id -> status
    failures: list[str]
    duckdb_path: Path
    materialized: dict[str, str]  # model name -> materialization


@pytest.fixture(scope="module")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    from ingest.dbt import run_dbt

    tmp = tmp_path_factory.mktemp("dbt")
    duckdb_path = tmp / "warehouse.duckdb"  # the demo's file name: the session's parse
    with Warehouse(duckdb_path) as warehouse:
        for plugin in discover_plugins().values():  # every installed source's raw tables
            warehouse.ensure_tables(plugin.tables)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(tmp / "target"))
        mp.setenv("DBT_LOG_PATH", str(tmp / "logs"))
        outcome = run_dbt(["build"], duckdb_path, quiet=True)  # the unit tests too
    statuses = {n.node.unique_id: str(getattr(n.status, "value", n.status))
                for n in outcome.nodes}
    materialized = {n.node.name: n.node.config.materialized for n in outcome.nodes
                    if n.node.resource_type == "model"}
    yield Build(outcome.success, statuses, outcome.failures, duckdb_path, materialized)


# Contracts say `string` (Spark has no length-less varchar), which DuckDB names varchar.
DUCKDB_TYPE_NAMES = {"string": "varchar"}


def _contracts() -> dict[str, dict[str, str]]:
    """Mart name -> {column: declared data_type, as DuckDB names it}, for every
    contract-enforced mart."""
    models = yaml.safe_load(MARTS_YAML.read_text())["models"]
    return {
        m["name"]: {c["name"]: DUCKDB_TYPE_NAMES.get(c["data_type"].lower(),
                                                     c["data_type"].lower())
                    for c in m["columns"]}
        for m in models
        if m.get("config", {}).get("contract", {}).get("enforced")
    }


def test_build_succeeds_against_empty_raw_schema(dbt_build: Build) -> None:
    assert dbt_build.success, "\n".join(dbt_build.failures)
    assert dbt_build.failures == []
    kinds = {uid.split(".")[0] for uid in dbt_build.statuses}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    assert not [  # exposures (models/_exposures.yml) are listed and skipped as no-op
        uid for uid, status in dbt_build.statuses.items() if status not in {"success", "pass"}
        and not (uid.startswith("exposure.") and status == "no-op")
    ]


def test_marts_have_enforced_contracts() -> None:
    contracts = _contracts()
    assert {"dim_etf", "fct_etf_daily"} <= set(contracts)


@pytest.mark.parametrize("mart", sorted(_contracts()))
def test_mart_columns_match_contract(dbt_build: Build, mart: str) -> None:
    assert dbt_build.success, "\n".join(dbt_build.failures)
    with duckdb.connect(str(dbt_build.duckdb_path)) as con:
        rows = con.execute(
            """select column_name, lower(data_type)
               from information_schema.columns
               where table_schema = 'main' and table_name = ?
               order by ordinal_position""",
            [mart],
        ).fetchall()
        (table_type,) = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = 'main' and table_name = ?",
            [mart],
        ).fetchone()
    assert table_type == ("VIEW" if dbt_build.materialized[mart] == "view" else "BASE TABLE")
    assert rows == list(_contracts()[mart].items())


def test_dim_etf_has_one_row_per_seed_ticker(dbt_build: Build) -> None:
    assert dbt_build.success, "\n".join(dbt_build.failures)
    with UNIVERSE_SEED.open(newline="") as f:
        seed_tickers = sorted(row["ticker"] for row in csv.DictReader(f))
    with duckdb.connect(str(dbt_build.duckdb_path)) as con:
        dim_rows = con.execute("select ticker from dim_etf order by ticker").fetchall()
        (priced,) = con.execute("select count(*) from fct_etf_daily").fetchone()
    assert [ticker for (ticker,) in dim_rows] == seed_tickers
    assert priced == 0
