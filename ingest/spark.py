"""The dbt project on Apache Spark: ``etfflow build --target spark``.

Landing stays in DuckDB. A Spark build first exports the raw tables as Parquet
(``etfflow export raw``) under the Spark folder, where the profile's ``spark`` target
(dbt-spark, ``method: session``: an in-process local Spark) declares them as external
tables and keeps its own tables and metastore. See the README, "Running on Spark /
Databricks".
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from ingest.core.errors import EtfflowError
from ingest.raw_export import export_raw

TARGET = "spark"
SPARK_DIR_ENV = "ETFFLOW_SPARK_DIR"  # read by profiles.yml and macros/portability/spark_sources.sql
RAW_DIR = "raw"


def targets_spark(dbt_args: list[str]) -> bool:
    """Whether ``dbt_args`` select the spark target (``--target spark`` / ``-t spark``)."""
    return any(arg in ("--target", "-t") and value == TARGET
               for arg, value in zip(dbt_args, dbt_args[1:], strict=False)) \
        or f"--target={TARGET}" in dbt_args


def missing_requirement() -> str | None:
    """Why a local Spark build cannot run here (a missing package or Java), or None."""
    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return (f"the spark target needs {package}: pip install -e \".[spark]\" "
                    "(pyspark and dbt-spark)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "the spark target needs a Java 17 runtime (Debian: openjdk-17-jre-headless)"
    return None


def prepare(duckdb_path: Path, spark_dir: Path) -> dict[str, int]:
    """Check the requirements, export the raw tables to ``spark_dir/raw`` and point the
    profile at ``spark_dir``; returns the rows exported per table."""
    reason = missing_requirement()
    if reason:
        raise EtfflowError(reason)
    spark_dir = Path(spark_dir).resolve()
    rows = export_raw(duckdb_path, spark_dir / RAW_DIR)
    os.environ[SPARK_DIR_ENV] = str(spark_dir)
    return rows
