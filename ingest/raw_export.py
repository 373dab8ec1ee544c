"""``etfflow export raw``: every ``raw.*`` table of the DuckDB warehouse as Parquet.

Landing stays in DuckDB; the Parquet is the interchange another engine reads, as a
lakehouse would take it. One folder per table (``<out>/<table>/data_0.parquet``), which
the dbt project's Spark target declares as external tables (macros/portability/spark_sources.sql).
The whole export is written to a temporary folder beside ``out`` and swapped in with a
rename, so a reader sees the previous export or the new one, never half of one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from ingest.core.landing import SCHEMA

DATA_FILE = "data_0.parquet"


def export_raw(duckdb_path: Path, out_dir: Path) -> dict[str, int]:
    """Write each table of the warehouse's raw schema to ``out_dir/<table>/``; returns the
    rows written per table."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.new")
    previous = out_dir.with_name(f".{out_dir.name}.old")
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    rows: dict[str, int] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [SCHEMA]).fetchall()]
        for table in tables:
            (staging / table).mkdir()
            target = str(staging / table / DATA_FILE).replace("'", "''")
            con.execute(f'copy {SCHEMA}."{table}" to \'{target}\' (format parquet)')
            rows[table] = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()[0]
    if out_dir.exists():
        out_dir.rename(previous)
    staging.rename(out_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return rows
