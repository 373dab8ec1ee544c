"""DuckDB landing writer for the ``raw`` schema.

Each batch (the rows parsed from one or more payloads) is upserted on the declared
primary key in one transaction: its rows are typed into a staging table (the last row of
a repeated key kept), then merged. A row whose content is unchanged is left alone,
keeping its original ``_run_id`` and ``_loaded_at``, so re-running the same inputs
changes nothing.

A table given as a ``RowStream`` (a payload too large for one frame: a quarter of the
SEC's N-PORT data sets) goes the same way, except that its staging table lives in the
``_landing`` schema of the warehouse file and is filled before the transaction, one
committed insert per chunk: neither Python nor DuckDB then holds more than a chunk (in
one open transaction DuckDB keeps every appended chunk in memory: measured 2.6 GB for
1.5M rows of 17 text columns, against 0.5 GB committed chunk by chunk). The merge is
set-based, so DuckDB spills what exceeds its buffer pool, capped like dbt's
(ETFFLOW_DUCKDB_MEMORY_LIMIT, 7GB). The raw table still changes all or nothing: an error
while staging drops the staging table and leaves the raw table as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.core.plugin import RawTable, Rows, RowStream

SCHEMA = "raw"
STAGING_SCHEMA = "_landing"  # streamed tables wait here until their batch commits
MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT = "ETFFLOW_DUCKDB_MEMORY_LIMIT", "7GB"
META_COLUMNS = {
    "_run_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "_source_url": "VARCHAR",
    "_payload_sha256": "VARCHAR",
    "_fetched_at": "TIMESTAMP",  # when the source served the payload (UTC), live or replayed
}

QUARANTINE = RawTable(
    "quarantine",
    {
        "run_id": "VARCHAR",
        "plugin": "VARCHAR",
        "request_label": "VARCHAR",
        "source_url": "VARCHAR",
        "payload_sha256": "VARCHAR",
        "reason": "VARCHAR",
        "quarantined_at": "TIMESTAMP",
    },
    ("plugin", "payload_sha256", "request_label"),
    "Payloads that could not be parsed, with the reason; the body stays in the archive.",
)

INGEST_RUNS = RawTable(
    "ingest_runs",
    {
        "run_id": "VARCHAR",
        "plugin": "VARCHAR",
        "params": "JSON",
        "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP",
        "status": "VARCHAR",  # running | success | partial | failed | interrupted
        "rows_landed": "BIGINT",
        "requests_made": "INTEGER",
        "payloads": "INTEGER",
        "errors": "JSON",
        # the process that ran it, so a later start can tell a dead run from a live one
        "pid": "INTEGER",
        "host": "VARCHAR",
    },
    ("run_id",),
    "One row per ingest run: what ran, when, how it ended, what failed.",
)
RUN_LOG_TABLES = (QUARANTINE, INGEST_RUNS)


@dataclass(frozen=True)
class BatchMeta:
    run_id: str
    source_url: str
    payload_sha256: str
    fetched_at: dt.datetime | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _check_columns(table: RawTable, columns: Iterable[str]) -> None:
    unknown = set(columns) - table.columns.keys()
    if unknown:
        raise ValueError(f"{table.name}: undeclared columns {sorted(unknown)}")


def _numbered(table: RawTable, stream: RowStream, payload: int) -> Iterator[pd.DataFrame]:
    for chunk in stream:
        _check_columns(table, chunk.columns)
        yield chunk.assign(_payload=payload)


def _one_frame(parts: Sequence[tuple[int, Rows]]) -> pd.DataFrame:
    """One payload-numbered frame (``_payload``: the payload's index in the batch) from
    several payloads' rows (frames or records), in payload order. Numbering whole columns
    at once keeps the per-payload cost out of pandas: the demo lands ~10,000 small issuer
    files, and stamping each with its metadata was a third of its landing time."""
    frames = [(i, rows) for i, rows in parts if isinstance(rows, pd.DataFrame)]
    records = [(i, rows) for i, rows in parts if not isinstance(rows, pd.DataFrame)]
    pieces = []
    if frames:
        pieces.append(_payload_numbered(
            pd.concat([rows for _, rows in frames], ignore_index=True), frames))
    if records:
        pieces.append(_payload_numbered(
            pd.DataFrame.from_records([row for _, rows in records for row in rows]), records))
    if len(pieces) == 1:
        return pieces[0]
    return pd.concat(pieces, ignore_index=True).sort_values("_payload", kind="stable",
                                                           ignore_index=True)


def _payload_numbered(frame: pd.DataFrame, parts: Sequence[tuple[int, Rows]]) -> pd.DataFrame:
    """``frame`` (the parts' rows, in order) with each row's payload index."""
    return frame.assign(_payload=np.repeat([i for i, _ in parts], [len(rows) for _, rows in parts]))


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table for DuckDB to scan. DuckDB reads a pandas column of
    Python objects (text, dates, nulls) one object at a time, and sniffs its type first:
    that was a third of the demo's landing time; Arrow converts each column in one call.
    A column mixing text and numbers goes as text (as DuckDB reads such a column), so the
    staging ``try_cast`` still decides its values; NaN is null either way."""
    return pa.table({str(name): _arrow_column(column) for name, column in frame.items()})


def _arrow_column(column: pd.Series) -> pa.Array:
    try:
        return pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if pd.isna(value) else str(value) for value in column])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Warehouse:
    """A DuckDB connection that knows how to create raw tables and land batches into them."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        # a setting, not connect() config: another connection of this process to the file
        # (dbt, a report, the serving copy) would be refused for a different configuration
        self.con.execute("set memory_limit = ?",
                         [os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT])
        self.con.execute(f"create schema if not exists {SCHEMA}")
        # tables this connection created or found: the demo's 80 runs through one
        # connection each ask for theirs, and every statement here is a commit
        self._ensured: set[RawTable] = set()
        self.ensure_tables(RUN_LOG_TABLES)
        self._add_missing_columns(RUN_LOG_TABLES)  # run logs written by older versions
        self.mark_interrupted_runs()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_tables(self, tables: Iterable[RawTable]) -> None:
        for table in tables:
            if table in self._ensured:
                continue
            meta = {} if table in RUN_LOG_TABLES else META_COLUMNS
            cols = ", ".join(f"{_q(c)} {t}" for c, t in {**table.columns, **meta}.items())
            self.con.execute(f"create table if not exists {SCHEMA}.{_q(table.name)} ({cols})")
            self._ensured.add(table)

    def _add_missing_columns(self, tables: Iterable[RawTable]) -> None:
        for table in tables:
            present = {name for (name,) in self.con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?", [SCHEMA, table.name]).fetchall()}
            for column, type_ in table.columns.items():
                if column not in present:
                    self.con.execute(f"alter table {SCHEMA}.{_q(table.name)} "
                                     f"add column if not exists {_q(column)} {type_}")

    def land(self, batch: Mapping[RawTable, Rows], meta: BatchMeta) -> int:
        """Upsert one payload's rows in one transaction; returns rows inserted or changed."""
        return self.land_many([(batch, meta)])

    def land_many(self, batches: Sequence[tuple[Mapping[RawTable, Rows], BatchMeta]]) -> int:
        """Upsert several payloads' rows as one batch: one transaction, all or nothing.

        Returns the rows inserted or changed. A key repeated within the batch keeps its
        last row (in payload order; streamed tables are merged after the others, a later
        chunk's row winning), so re-runs agree.
        """
        if not batches:
            return 0
        payloads = pd.DataFrame({
            "_payload": range(len(batches)),
            "_run_id": [meta.run_id for _, meta in batches],
            "_source_url": [meta.source_url for _, meta in batches],
            "_payload_sha256": [meta.payload_sha256 for _, meta in batches],
            "_fetched_at": [_utc(meta.fetched_at) for _, meta in batches],
            "_loaded_at": _now(),
        })
        parts: dict[RawTable, list[tuple[int, Rows]]] = {}
        streams: list[tuple[RawTable, Iterator[pd.DataFrame]]] = []
        for index, (batch, _) in enumerate(batches):
            for table, rows in batch.items():
                if isinstance(rows, RowStream):
                    streams.append((table, _numbered(table, rows, index)))
                    continue
                if isinstance(rows, pd.DataFrame):
                    _check_columns(table, rows.columns)
                else:
                    for row in rows:
                        _check_columns(table, row)
                parts.setdefault(table, []).append((index, rows))
        staged: list[tuple[RawTable, str]] = []
        self.con.register("_payloads", _arrow(payloads))
        try:
            # streams are staged before the transaction, one committed insert per chunk
            for index, (table, chunks) in enumerate(streams):
                staging = f"{STAGING_SCHEMA}.{_q(f'{table.name}_{index}')}"
                staged.append((table, staging))
                self.con.execute(f"create schema if not exists {STAGING_SCHEMA}")
                self._stage(table, chunks, staging)
            changed = 0
            self.con.begin()
            try:
                for table, table_parts in parts.items():
                    changed += self._upsert(table, _one_frame(table_parts))
                for table, staging in staged:
                    changed += self._merge(table, staging)
                self.con.commit()
            except BaseException:
                self.con.rollback()
                raise
        finally:
            for _, staging in staged:
                self.con.execute(f"drop table if exists {staging}")
            self.con.unregister("_payloads")
        return changed

    def _upsert(self, table: RawTable, frame: pd.DataFrame) -> int:
        """Upsert one in-memory, payload-numbered frame."""
        if frame.empty:
            return 0
        self._stage(table, [frame], "_incoming", temporary=True)
        return self._merge(table, "_incoming")

    def _stage(self, table: RawTable, chunks: Iterable[pd.DataFrame], staging: str, *,
               temporary: bool = False) -> None:
        """(Re)create ``staging`` and fill it with the chunks' rows, typed as declared,
        stamped with their payload's metadata (``_payload`` indexes the registered
        ``_payloads`` frame) and numbered in arrival order (``_row``); then keep only the
        last row of a repeated key. Outside a transaction each statement commits on its
        own, so neither Python nor DuckDB holds more than a chunk."""
        columns = {**table.columns, **META_COLUMNS, "_row": "BIGINT"}
        self.con.execute(f"create or replace {'temp ' if temporary else ''}table {staging} ("
                         + ", ".join(f"{_q(c)} {t}" for c, t in columns.items()) + ")")
        first_row = 0
        for chunk in chunks:
            if chunk.empty:
                continue
            typed = ", ".join(
                f"try_cast(f.{_q(c)} as {t}) as {_q(c)}" if c in chunk.columns
                else f"cast(null as {t}) as {_q(c)}"
                for c, t in table.columns.items())
            self.con.register("_incoming_frame", _arrow(chunk.assign(
                _row=range(first_row, first_row + len(chunk)))))
            try:
                self.con.execute(f"insert into {staging} by name select {typed}, "
                                 + ", ".join(f"cast(p.{_q(c)} as {t}) as {_q(c)}"
                                             for c, t in META_COLUMNS.items())
                                 + ", f._row from _incoming_frame f join _payloads p "
                                   "using (_payload)")
            finally:
                self.con.unregister("_incoming_frame")
            first_row += len(chunk)
        pk = ", ".join(_q(c) for c in table.primary_key)
        same_key = " and ".join(f"s.{_q(c)} is not distinct from d.{_q(c)}"
                                for c in table.primary_key)
        self.con.execute(
            f"""delete from {staging} s
                using (select {pk}, max(_row) as _last from {staging}
                       group by {pk} having count(*) > 1) d
                where {same_key} and s._row < d._last""")

    def _merge(self, table: RawTable, staging: str) -> int:
        """Upsert the staged rows (one per key) into the raw table: rows whose content
        changed are replaced, new keys inserted, unchanged rows left alone (keeping their
        ``_run_id`` and ``_loaded_at``). Set-based, so DuckDB spills what exceeds its
        memory limit. Returns the rows inserted."""
        target = f"{SCHEMA}.{_q(table.name)}"
        key_match = " and ".join(f"t.{_q(c)} = i.{_q(c)}" for c in table.primary_key)
        differs = " or ".join(
            f"t.{_q(c)} is distinct from i.{_q(c)}"
            for c in table.columns
            if c not in table.primary_key
        ) or "false"
        self.con.execute(
            f"delete from {target} t using {staging} i where {key_match} and ({differs})"
        )
        columns = ", ".join(_q(c) for c in {**table.columns, **META_COLUMNS})
        (inserted,) = self.con.execute(
            f"""insert into {target} ({columns}) select {columns} from {staging} i
                where not exists (select 1 from {target} t where {key_match})"""
        ).fetchone()
        return int(inserted)

    # -- quarantine and run log ------------------------------------------------------------

    def quarantine(self, run_id: str, plugin: str, label: str, source_url: str,
                   payload_sha256: str, reason: str) -> None:
        self.con.execute(
            f"""insert into {SCHEMA}.quarantine
                select ?, ?, ?, ?, ?, ?, ?
                where not exists (select 1 from {SCHEMA}.quarantine
                                  where plugin = ? and payload_sha256 = ? and request_label = ?)""",
            [run_id, plugin, label, source_url, payload_sha256, reason, _now(),
             plugin, payload_sha256, label],
        )

    def start_run(self, run_id: str, plugin: str, params: Mapping[str, object]) -> None:
        self.con.execute(
            f"insert into {SCHEMA}.ingest_runs "
            "(run_id, plugin, params, started_at, status, pid, host) "
            "values (?, ?, ?, ?, 'running', ?, ?)",
            [run_id, plugin, json.dumps(params, default=str, sort_keys=True), _now(),
             os.getpid(), socket.gethostname()],
        )

    def mark_interrupted_runs(self) -> int:
        """Runs still ``running`` whose process is gone become ``interrupted``, with the
        moment this noticed it as ``finished_at``; returns how many.

        This connection writes the file, and DuckDB lets one process do that, so a run
        logged by another process cannot still be going: it was killed (SIGKILL, power
        loss) before it could log its end. Runs of this process are left alone.
        """
        noticed = _now()
        (marked,) = self.con.execute(
            f"""update {SCHEMA}.ingest_runs
                set status = 'interrupted', finished_at = ?,
                    errors = to_json(list_concat(
                        coalesce(errors::varchar[], []),
                        ['interrupted: '
                         || coalesce('process ' || pid::varchar || coalesce(' on ' || host, ''),
                                     'its process')
                         || ' ended without logging its end; '
                         || 'noticed at ' || strftime(?::timestamp, '%Y-%m-%d %H:%M:%S')
                         || ' UTC']))
                where status = 'running'
                  and (pid is distinct from ? or host is distinct from ?)""",
            [noticed, noticed, os.getpid(), socket.gethostname()],
        ).fetchone()
        return int(marked)

    def succeeded_chunks(self, plugin: str, options: Mapping[str, object] | None = None
                         ) -> set[tuple[tuple[str, ...], dt.date, dt.date]]:
        """(tickers, start, end) of this plugin's successful runs: what a backfill can skip
        (only runs made with the same plugin ``options``, when given)."""
        done = set()
        wanted = json.loads(json.dumps(dict(options or {}), default=str))
        for (params,) in self.con.execute(
            f"select params from {SCHEMA}.ingest_runs where plugin = ? and status = 'success'",
            [plugin],
        ).fetchall():
            p = json.loads(params)
            if any(p.get(key) != value for key, value in wanted.items()):
                continue
            if p.get("start") and p.get("end"):
                done.add((tuple(p.get("tickers") or ()), dt.date.fromisoformat(p["start"]),
                          dt.date.fromisoformat(p["end"])))
        return done

    def recent_runs(self, limit: int) -> list[dict[str, object]]:
        cursor = self.con.execute(
            f"select * from {SCHEMA}.ingest_runs order by started_at desc limit ?", [limit]
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def finish_run(self, run_id: str, status: str, rows_landed: int, requests_made: int,
                   payloads: int, errors: list[str]) -> None:
        self.con.execute(
            f"""update {SCHEMA}.ingest_runs
                set finished_at = ?, status = ?, rows_landed = ?, requests_made = ?,
                    payloads = ?, errors = ?
                where run_id = ?""",
            [_now(), status, rows_landed, requests_made, payloads, json.dumps(errors), run_id],
        )
