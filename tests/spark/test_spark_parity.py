"""The same dbt project builds on Apache Spark and gives DuckDB's marts.

The session's demo warehouse (tests/conftest.py `demo_build`) is the DuckDB side. Its raw
tables go to Spark as Parquet (`etfflow build --target spark` does the same), dbt-spark
builds the marts and everything they read on a local in-process Spark, with a few data tests
on the marts, and every mart (every model under dbt_project/models/marts, views included)
is compared with DuckDB's: the same columns, the same key set (the columns the mart's
unique test names), and per row the same values: strings, dates and booleans equal,
integers exactly (DuckDB sums them exactly: decimal(38, 0) / hugeint), other numbers
within 1e-9 relative.

Marked `spark`; skipped with the reason when pyspark, dbt-spark or Java is missing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingest import spark
from ingest.dbt import run_dbt
from ingest.serving import MARTS_DIR

pytestmark = pytest.mark.spark

MARTS = sorted({path.stem for path in MARTS_DIR.rglob("*.sql")})
# The marts and the models they read, with the data tests of the core marts' YAML (which
# use every generic test macro but accepted_values: unique, relationships, accepted_range,
# expression_is_true, unique_combination_of_columns, row_rules) and the singular ASOF-join
# test: that the tests' SQL runs on Spark. The other data tests ran on DuckDB's build of
# the same data, and the comparison below checks every mart row against it, so on Spark
# they would prove nothing more (they were half the Spark nodes).
TESTED_ON_DUCKDB_ONLY = ["staging", "intermediate", "marts/flows", "marts/issuers",
                         "marts/nport", "marts/quality", "marts/sec"]
SPARK_BUILD = ["build", "--target", spark.TARGET, "--select", "+marts",
               "--exclude", "resource_type:unit_test", "resource_type:test,path:dbt_project/seeds",
               "resource_type:test,path:dbt_project/snapshots",
               *(f"resource_type:test,path:dbt_project/models/{folder}"
                 for folder in TESTED_ON_DUCKDB_ONLY)]
RELATIVE_TOLERANCE = 1e-9
# Marts whose grain has no data test of its own, the grain from their description (the
# views that project one tested table do not re-test its key); the comparison still
# checks that it is unique on DuckDB's side.
UNTESTED_GRAINS = {
    "agg_top_flows": ["ticker", "as_of_date", "flow_window"],
    **dict.fromkeys(["fct_etf_daily", "fct_etf_creation_redemption",
                     "fct_flow_price_divergence", "sig_flow_momentum"],
                    ["ticker", "as_of_date"]),
}


@dataclass(frozen=True)
class SparkBuild:
    duckdb_path: Path
    session: object  # pyspark.sql.SparkSession
    keys: dict[str, list[str]]
    seconds: float


def mart_keys(manifest_path: Path) -> dict[str, list[str]]:
    """Each model's key: the column of its `unique` test or the columns of its
    `unique_combination_of_columns` test (the narrowest when it has several), else its
    grain from UNTESTED_GRAINS."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        if test.get("name") == "unique":
            columns = [node["column_name"]]
        elif test.get("name") == "unique_combination_of_columns":
            columns = list(test["kwargs"]["combination_of_columns"])
        else:
            continue
        if model not in keys or len(columns) < len(keys[model]):
            keys[model] = columns
    return {**UNTESTED_GRAINS, **keys}


@pytest.fixture(scope="module")
def spark_build(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkBuild]:
    reason = spark.missing_requirement()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("spark_build")
    db = root / demo_build.duckdb_path.name
    with duckdb.connect(str(demo_build.duckdb_path)) as con:  # flush the WAL into the file
        con.execute("checkpoint")
    shutil.copyfile(demo_build.duckdb_path, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(root / "target"))
        mp.setenv("DBT_LOG_PATH", str(root / "logs"))
        mp.setenv(spark.SPARK_DIR_ENV, str(root / "spark"))
        mp.setenv("ETFFLOW_SPARK_CATALOG", "in-memory")  # no Derby metastore: nothing to keep
        spark.prepare(db, root / "spark")
        started = time.monotonic()
        outcome = run_dbt(SPARK_BUILD, db, quiet=True)
        seconds = time.monotonic() - started
    assert outcome.success, outcome.failures
    from pyspark.sql import SparkSession

    session = SparkSession.builder.getOrCreate()  # dbt-spark's, with the profile's settings
    print(f"\nSpark build of the marts: {seconds:.0f} s ({outcome.summary()})")
    yield SparkBuild(db, session, mart_keys(root / "target" / "manifest.json"), seconds)
    session.stop()


def test_every_mart_has_a_key(spark_build: SparkBuild) -> None:
    assert MARTS and set(MARTS) <= set(spark_build.keys), \
        sorted(set(MARTS) - set(spark_build.keys))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as plain Python objects both engines' frames agree on: dates and timestamps
    as naive pandas timestamps, decimals as int (scale 0) or float, NaN/NaT as None."""
    return pd.DataFrame({column: [None if pd.isna(v) else _value(v) for v in frame[column]]
                         for column in frame.columns}, index=frame.index, dtype=object)


def _value(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, np.integer | np.bool_ | np.floating):
        return value.item()
    if isinstance(value, pd.Timestamp | dt.datetime):
        return pd.Timestamp(value).tz_localize(None) if pd.Timestamp(value).tzinfo else \
            pd.Timestamp(value)
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    return value


def _equal(duck: object, spark_value: object) -> bool:
    if duck is None or spark_value is None:
        return duck is None and spark_value is None
    if isinstance(duck, bool) or isinstance(spark_value, bool):
        return duck == spark_value
    if isinstance(duck, int) and isinstance(spark_value, int):
        return duck == spark_value
    if isinstance(duck, int | float) and isinstance(spark_value, int | float):
        if isinstance(duck, int) and float(spark_value).is_integer():
            return duck == int(spark_value)  # an exact integer sum stays exact
        return math.isclose(duck, spark_value, rel_tol=RELATIVE_TOLERANCE,
                            abs_tol=RELATIVE_TOLERANCE)
    return duck == spark_value


@pytest.mark.parametrize("mart", MARTS)
def test_mart_matches_duckdb(spark_build: SparkBuild, mart: str) -> None:
    with duckdb.connect(str(spark_build.duckdb_path), read_only=True) as con:
        duck = con.execute(f"select * from main.{mart}").df()
    on_spark = spark_build.session.table(f"main.{mart}").toPandas()
    assert sorted(on_spark.columns) == sorted(duck.columns)
    assert len(on_spark) == len(duck)
    key = spark_build.keys[mart]
    duck, on_spark = _comparable(duck), _comparable(on_spark[list(duck.columns)])
    duck_keys = set(map(tuple, duck[key].itertuples(index=False)))
    spark_keys = set(map(tuple, on_spark[key].itertuples(index=False)))
    assert spark_keys == duck_keys, (sorted(duck_keys - spark_keys, key=repr)[:5],
                                     sorted(spark_keys - duck_keys, key=repr)[:5])
    assert len(duck_keys) == len(duck)
    paired = duck.merge(on_spark, on=key, how="inner", suffixes=("", "__spark"))
    mismatches = {}
    for column in duck.columns:
        if column in key:
            continue
        differing = [(k, d, s) for k, d, s in zip(
            paired[key].itertuples(index=False), paired[column], paired[f"{column}__spark"],
            strict=True) if not _equal(d, s)]
        if differing:
            mismatches[column] = (len(differing), differing[:3])
    assert not mismatches, mismatches
