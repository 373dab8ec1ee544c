"""`etfflow export raw` and `etfflow build --target spark` without Spark itself: the
Parquet hand-off, its atomic swap, and the one-line error when Spark cannot run here.
The Spark build is tests/spark/test_spark_parity.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ingest import spark
from ingest.cli import main


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.yahoo_prices as select 'SPY' as ticker, "
                    "date '2024-01-02' as as_of_date, 470.5 as close")
        con.execute("create table raw.quarantine (payload varchar)")  # empty: still exported
        con.execute("create view raw.not_a_table as select 1 as x")
        con.execute("create table main.fct_other as select 1 as x")
    return db


def test_export_raw_writes_each_raw_table_and_swaps_the_folder(warehouse: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "raw_parquet"
    (out / "stale_table").mkdir(parents=True)  # a previous export's table that is gone now
    result = CliRunner().invoke(main, ["--db", str(warehouse), "export", "raw",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 tables, 1 rows" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["quarantine", "yahoo_prices"]
    prices = pq.read_table(out / "yahoo_prices").to_pylist()
    assert prices == [{"ticker": "SPY", "as_of_date": prices[0]["as_of_date"], "close": 470.5}]
    assert str(prices[0]["as_of_date"]) == "2024-01-02"
    assert pq.read_table(out / "quarantine").num_rows == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".raw_parquet")] == []


def test_export_raw_defaults_to_the_spark_folder(warehouse: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(warehouse), "export", "raw"])
    assert result.exit_code == 0, result.output
    assert (warehouse.parent / "spark" / "raw" / "yahoo_prices").is_dir()


def test_build_on_spark_without_spark_is_one_error_line(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark.importlib.util, "find_spec",
                        lambda name: None if name == "pyspark" else object())
    result = CliRunner().invoke(main, ["--db", str(warehouse), "build", "--target", "spark"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        'error: the spark target needs pyspark: pip install -e ".[spark]" (pyspark and '
        "dbt-spark)"]
    assert not (warehouse.parent / "spark").exists()  # nothing exported, nothing built


@pytest.mark.parametrize(("args", "expected"), [
    (["--target", "spark"], True), (["-t", "spark", "--select", "marts"], True),
    (["--target=spark"], True), (["--target", "dev"], False), (["--select", "spark"], False),
])
def test_targets_spark(args: list[str], expected: bool) -> None:
    assert spark.targets_spark(args) is expected
