"""``etfflow publish``: the read-only serving layer BI tools query while the build runs.

DuckDB lets one process write a file or many read it, never both, so BI tools (Metabase,
Superset, DBeaver, notebooks) must not hold the warehouse the daily build writes. After
every successful build this module publishes the public relations into a serving folder
(``Settings.serving_root``, default ``data/serving/``):

- ``warehouse.duckdb``: every public relation as a table, written into a new file
  (``warehouse.duckdb.tmp-<build id>``) and renamed over the old one with ``os.replace``.
  A reader that has the old file open keeps reading the old inode, a consistent snapshot
  (POSIX keeps it alive until the last handle closes); a new connection sees the new
  build. A failed or killed publish leaves the previous file as it was.
- ``parquet/<relation>/``: the same relations as Parquet, the ticker x day facts (relations
  with ``ticker`` and ``as_of_date`` columns) partitioned Hive-style by ``year=YYYY/``;
  a partition whose content did not change (same columns, rows and content fingerprint)
  is not rewritten. ``parquet/manifest.json`` lists per relation its columns and types,
  row count, data as-of date, the build that published it and each file's checksum.

Public relations are derived, not listed: the dbt models under
``dbt_project/models/marts/`` (fct_/dim_/agg_/sig_/dq_ models, whatever is added there)
plus the ETF universe seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ingest.core.config import PROJECT_ROOT
from ingest.core.errors import EtfflowError

MARTS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"
PUBLIC_SEEDS = ("etf_universe",)
SERVING_FILE = "warehouse.duckdb"
PARQUET_DIR = "parquet"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
# Relations with both columns are ticker x day facts, partitioned by the year of the date.
DAILY_GRAIN = ("ticker", "as_of_date")
PARTITION_COLUMN = "as_of_date"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Hive's name for a null partition value
DATA_FILE = "data_0.parquet"
SAMPLE_MARKER = ("raw", "sample_data_notice")  # reports.SAMPLE_MARKER: the demo's label
METADATA_SCHEMA = "etfflow"  # the serving file's own table etfflow.publish: build, as-of
# DuckDB's buffer pool while publishing: the cap profiles/profiles.yml gives dbt (larger
# copies and sorts spill to a temporary folder in the serving dir, removed afterwards).
MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT = "ETFFLOW_DUCKDB_MEMORY_LIMIT", "7GB"
SPILL_DIR = ".publish-spill"
SERVED_DB = "serving"  # the new serving file, attached to the build warehouse's connection
SERVED = f"{SERVED_DB}.main"


class PublishError(EtfflowError):
    """The serving layer could not be published; the previous one is untouched."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Relation:
    name: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def by_year(self) -> bool:
        types = {c.name: c.type.upper() for c in self.columns}
        return (all(name in types for name in DAILY_GRAIN)
                and types[PARTITION_COLUMN].startswith(("DATE", "TIMESTAMP")))


@dataclass(frozen=True)
class Partition:
    """One Parquet file of a relation: the whole relation, or one year of it."""

    path: str  # relative to the relation's folder, e.g. "year=2024/data_0.parquet"
    year: int | None
    rows: int
    fingerprint: str


@dataclass
class PublishResult:
    serving_file: Path
    parquet_dir: Path
    manifest_path: Path
    build_id: str
    relations: int = 0
    rows: int = 0
    files_written: int = 0
    files_kept: int = 0
    bytes_written: int = 0
    serving_bytes: int = 0
    seconds: float = 0.0
    as_of_date: dt.date | None = None
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"published {self.relations} relations ({self.rows:,} rows) as of "
                f"{self.as_of_date or 'n/a'} in {self.seconds:.1f} s: {self.serving_file} "
                f"({self.serving_bytes / 1e6:,.1f} MB); Parquet in {self.parquet_dir} "
                f"({self.files_written} files written, {self.files_kept} unchanged)")


def public_relation_names(marts_dir: Path = MARTS_DIR) -> tuple[str, ...]:
    """The dbt models under the marts folder, then the public seeds."""
    marts = sorted({path.stem for path in marts_dir.rglob("*.sql")})
    return (*marts, *PUBLIC_SEEDS)


def serving_paths(serving_dir: Path) -> tuple[Path, Path, Path]:
    """(serving DuckDB file, Parquet folder, manifest) under a serving folder."""
    parquet = Path(serving_dir) / PARQUET_DIR
    return Path(serving_dir) / SERVING_FILE, parquet, parquet / MANIFEST


def publish(warehouse_path: Path, serving_dir: Path) -> PublishResult:
    """Publish the public relations of ``warehouse_path`` into ``serving_dir``.

    Everything new is written under temporary names first; only when all of it is written
    are the files renamed into place (the DuckDB file first, then Parquet, then the
    manifest), so a failure leaves the previous serving layer as it was. The caller holds
    the warehouse's writer lock (ingest.core.lock), so no other publish runs meanwhile.
    """
    started = time.perf_counter()
    warehouse_path, serving_dir = Path(warehouse_path), Path(serving_dir)
    if not warehouse_path.exists():
        raise PublishError(f"no warehouse at {warehouse_path}; run `etfflow build` first")
    serving_file, parquet_dir, manifest_path = serving_paths(serving_dir)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(serving_dir)
    build_id = uuid.uuid4().hex
    result = PublishResult(serving_file, parquet_dir, manifest_path, build_id)
    previous = _read_manifest(manifest_path)
    staged: list[tuple[Path, Path]] = []  # (temporary file, final path), renamed at commit
    tmp_db = serving_dir / f"{SERVING_FILE}.tmp-{build_id}"
    try:
        with _source(warehouse_path, serving_dir / SPILL_DIR) as con:
            relations, result.missing = _public_relations(con)
            if not relations:
                raise PublishError(f"nothing to publish: {warehouse_path} has none of the "
                                   f"marts; run `etfflow build` first")
            label = _sample_label(con)
            published_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
            con.execute(f"attach {_literal(tmp_db)} as {SERVED_DB} (read_only false)")
            try:
                # copy first, then read the copies: each view of the build runs once
                result.rows = sum(_copy_relation(con, r) for r in relations)
                as_of_dates = {r.name: _as_of_date(con, r) for r in relations}
                known = [d for d in as_of_dates.values() if d is not None]
                result.as_of_date = max(known) if known else None
                _write_metadata(con, relations, build_id, published_at, warehouse_path,
                                label, result)
                con.execute(f"checkpoint {SERVED_DB}")
                entries = {}
                for relation in relations:
                    entry = _stage_parquet(con, relation, parquet_dir / relation.name,
                                           previous, build_id, staged, result)
                    entry["as_of_date"] = _iso(as_of_dates[relation.name] or result.as_of_date)
                    entry["as_of_date_source"] = ("column" if as_of_dates[relation.name]
                                                  else "build")
                    entries[relation.name] = entry
            finally:
                con.execute(f"detach {SERVED_DB}")
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "build_id": build_id,
            "published_at": published_at.isoformat(),
            "as_of_date": _iso(result.as_of_date),
            "source_warehouse": str(warehouse_path.resolve()),
            "serving_file": SERVING_FILE,
            "sample_data": label,
            "partitioning": {"style": "hive", "key": "year", "column": PARTITION_COLUMN,
                             "applies_to": "relations with ticker and as_of_date columns"},
            "relations": entries,
        }
        staged_manifest = manifest_path.with_name(f".{MANIFEST}.tmp-{build_id}")
        staged_manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
        staged.append((staged_manifest, manifest_path))
    except BaseException:
        for tmp in [tmp_db, tmp_db.with_name(tmp_db.name + ".wal"), *(t for t, _ in staged)]:
            with suppress(FileNotFoundError):
                tmp.unlink()
        raise
    # commit: every rename is atomic; the manifest goes last
    os.replace(tmp_db, serving_file)
    for tmp, final in staged:
        os.replace(tmp, final)
    _prune(parquet_dir, previous, entries)
    result.relations = len(relations)
    result.serving_bytes = serving_file.stat().st_size
    result.seconds = time.perf_counter() - started
    return result


# -- reading the build warehouse -----------------------------------------------------------


@contextmanager
def _source(warehouse_path: Path, spill_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the build warehouse, read-only unless this process has it open."""
    settings = {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
                "preserve_insertion_order": False,  # copies stream instead of buffering
                "temp_directory": str(spill_dir)}
    try:
        con = duckdb.connect(str(warehouse_path), read_only=True, config=settings)
    except duckdb.ConnectionException:
        # this process already holds it read-write (another connection still open)
        con = duckdb.connect(str(warehouse_path))
        for name, value in settings.items():
            con.execute(f"set {name} = {_literal(value) if isinstance(value, str) else value}")
    try:
        con.execute("set enable_progress_bar = false")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill_dir, ignore_errors=True)


def _public_relations(con: duckdb.DuckDBPyConnection) -> tuple[list[Relation], list[str]]:
    rows = con.execute(
        """select table_name, column_name, data_type from information_schema.columns
           where table_schema = 'main' and table_catalog = current_database()
           order by table_name, ordinal_position"""
    ).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, column, type_ in rows:
        columns.setdefault(table, []).append(Column(column, type_))
    wanted = public_relation_names()
    found = [Relation(name, tuple(columns[name])) for name in wanted if name in columns]
    return found, [name for name in wanted if name not in columns]


def _as_of_date(con: duckdb.DuckDBPyConnection, relation: Relation) -> dt.date | None:
    if PARTITION_COLUMN not in relation.column_names:
        return None
    (latest,) = con.execute(
        f"select max({_q(PARTITION_COLUMN)}) from {SERVED}.{_q(relation.name)}").fetchone()
    return latest.date() if isinstance(latest, dt.datetime) else latest


def _sample_label(con: duckdb.DuckDBPyConnection) -> str | None:
    schema, name = SAMPLE_MARKER
    try:
        row = con.execute(f"select label from {schema}.{name}").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


# -- the serving DuckDB file ---------------------------------------------------------------


def _write_metadata(con: duckdb.DuckDBPyConnection, relations: Sequence[Relation],
                    build_id: str, published_at: dt.datetime, warehouse_path: Path,
                    label: str | None, result: PublishResult) -> None:
    """The serving file's own tables: etfflow.publish (what and when), and the demo's
    SAMPLE DATA marker so reports on the serving file keep their label."""
    if label is not None:
        marker_schema, marker = SAMPLE_MARKER
        con.execute(f"create schema {SERVED_DB}.{marker_schema}")
        con.execute(f"create table {SERVED_DB}.{marker_schema}.{marker} as "
                    f"select ?::varchar as label", [label])
    con.execute(f"create schema {SERVED_DB}.{METADATA_SCHEMA}")
    con.execute(
        f"""create table {SERVED_DB}.{METADATA_SCHEMA}.publish as
            select ?::varchar as build_id, ?::timestamp as published_at,
                   ?::date as as_of_date, ?::varchar as source_warehouse,
                   ?::varchar[] as relations""",
        [build_id, published_at.replace(tzinfo=None), result.as_of_date,
         str(warehouse_path.resolve()), [r.name for r in relations]],
    )


def _copy_relation(con: duckdb.DuckDBPyConnection, relation: Relation) -> int:
    name = _q(relation.name)
    con.execute(f"create table {SERVED}.{name} as select * from main.{name}")
    (rows,) = con.execute(f"select count(*) from {SERVED}.{name}").fetchone()
    return int(rows)


# -- Parquet -------------------------------------------------------------------------------


def _partitions(con: duckdb.DuckDBPyConnection, relation: Relation) -> list[Partition]:
    """The relation's files and a fingerprint of each one's content: the column list and an
    order-independent sum of row hashes, so an unchanged year is recognised without
    reading its Parquet file."""
    signature = hashlib.sha256(
        json.dumps([[c.name, c.type] for c in relation.columns]).encode()).hexdigest()[:16]
    row_hash = f"hash({', '.join(_q(c) for c in relation.column_names)})"
    year = f"year({_q(PARTITION_COLUMN)})" if relation.by_year else "null::integer"
    rows = con.execute(
        f"""select {year} as year, count(*) as n, sum({row_hash}::hugeint)::varchar as h
            from {SERVED}.{_q(relation.name)} group by all order by all"""
    ).fetchall()
    if not rows:  # an empty relation still gets a (empty) file, so readers find its schema
        rows = [(None, 0, "0")]
    partitions = []
    for year_value, count, row_hashes in rows:
        path = (f"year={NULL_PARTITION if year_value is None else year_value}/{DATA_FILE}"
                if relation.by_year else DATA_FILE)
        partitions.append(Partition(path, year_value, int(count),
                                    f"{signature}:{count}:{row_hashes}"))
    return partitions


def _stage_parquet(con: duckdb.DuckDBPyConnection, relation: Relation, folder: Path,
                   previous: dict[str, Any], build_id: str, staged: list[tuple[Path, Path]],
                   result: PublishResult) -> dict[str, Any]:
    """Write the relation's changed partitions under temporary names; its manifest entry."""
    before = {f["path"]: f for f in
              previous.get("relations", {}).get(relation.name, {}).get("files", [])}
    files = []
    for part in _partitions(con, relation):
        final = folder / part.path
        old = before.get(part.path)
        if (old and old.get("fingerprint") == part.fingerprint and final.exists()
                and final.stat().st_size == old.get("bytes")):
            files.append(old)
            result.files_kept += 1
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp-{build_id}")
        staged.append((tmp, final))  # registered first: removed if the write fails
        _write_parquet(con, relation, part, tmp)
        size = tmp.stat().st_size
        files.append({"path": part.path, "year": part.year, "rows": part.rows,
                      "bytes": size, "sha256": _sha256(tmp), "fingerprint": part.fingerprint,
                      "build_id": build_id})
        result.files_written += 1
        result.bytes_written += size
    return {
        "path": relation.name,
        "columns": [{"name": c.name, "type": c.type} for c in relation.columns],
        "row_count": sum(f["rows"] for f in files),
        "partitioned_by": "year" if relation.by_year else None,
        "build_id": build_id,
        "files": files,
    }


def _write_parquet(con: duckdb.DuckDBPyConnection, relation: Relation, part: Partition,
                   path: Path) -> None:
    select = f"select * from {SERVED}.{_q(relation.name)}"
    if relation.by_year:
        year = "is null" if part.year is None else f"= {int(part.year)}"
        order = ", ".join(_q(c) for c in DAILY_GRAIN)
        select += f" where year({_q(PARTITION_COLUMN)}) {year} order by {order}"
    con.execute(f"copy ({select}) to {_literal(path)} (format parquet, compression zstd)")


def _prune(parquet_dir: Path, previous: dict[str, Any], entries: dict[str, Any]) -> None:
    """Remove Parquet files the new manifest does not list: years that are gone, relations
    no longer public (only those an earlier manifest published), stray files."""
    for name in previous.get("relations", {}):
        if name not in entries:
            shutil.rmtree(parquet_dir / name, ignore_errors=True)
    for name, entry in entries.items():
        folder = parquet_dir / name
        listed = {folder / f["path"] for f in entry["files"]}
        for path in folder.rglob("*.parquet"):
            if path not in listed:
                path.unlink()
        for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
            with suppress(OSError):
                sub.rmdir()  # only succeeds when empty


def _remove_leftovers(serving_dir: Path) -> None:
    """Temporary files of a publish that was killed (the writer lock says none is running)."""
    for tmp in serving_dir.glob(f"{SERVING_FILE}.tmp-*"):
        tmp.unlink()
    for tmp in (serving_dir / PARQUET_DIR).rglob(".*.tmp-*"):
        tmp.unlink()


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if manifest.get("manifest_version") == MANIFEST_VERSION else {}


def read_manifest(serving_dir: Path) -> dict[str, Any]:
    """The published manifest (empty if nothing was published yet)."""
    return _read_manifest(serving_paths(serving_dir)[2])


# -- small helpers -------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
