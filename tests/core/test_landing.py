"""DuckDB landing: idempotent upserts on the natural key, one transaction per batch, run log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from ingest.core.config import Settings
from ingest.core.landing import INGEST_RUNS, META_COLUMNS, QUARANTINE, BatchMeta, Warehouse
from ingest.core.plugin import RawTable

PRICES = RawTable(
    "t_prices",
    {"ticker": "VARCHAR", "as_of_date": "DATE", "close": "DOUBLE", "volume": "BIGINT"},
    ("ticker", "as_of_date"),
)
EVENTS = RawTable(
    "t_events",
    {"ticker": "VARCHAR", "as_of_date": "DATE", "kind": "VARCHAR", "amount": "DOUBLE"},
    ("ticker", "as_of_date", "kind"),
)

ROWS = [
    {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 9), "close": 473.88, "volume": 65_000_000},
    {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 10), "close": 476.56, "volume": 67_000_000},
    {"ticker": "QQQ", "as_of_date": dt.date(2024, 1, 10), "close": 409.12, "volume": None},
]


def meta(run: str, sha: str = "sha-a") -> BatchMeta:
    return BatchMeta(run_id=run, source_url=f"https://example.test/{run}", payload_sha256=sha)


@pytest.fixture
def wh(settings: Settings) -> Iterator[Warehouse]:
    with Warehouse(settings.duckdb_path) as warehouse:
        warehouse.ensure_tables([PRICES, EVENTS])
        yield warehouse


def table(wh: Warehouse, raw: RawTable) -> list[tuple]:
    cols = ", ".join([*raw.columns, *META_COLUMNS])
    order = ", ".join(raw.primary_key)
    return wh.con.execute(f"select {cols} from raw.{raw.name} order by {order}").fetchall()


def test_schema_has_declared_and_meta_columns(wh: Warehouse):
    described = {
        name: dtype for name, dtype, *_ in wh.con.execute("describe raw.t_prices").fetchall()
    }
    assert described == {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "close": "DOUBLE",
        "volume": "BIGINT",
        "_run_id": "VARCHAR",
        "_loaded_at": "TIMESTAMP",
        "_source_url": "VARCHAR",
        "_payload_sha256": "VARCHAR",
        "_fetched_at": "TIMESTAMP",
    }
    assert wh.con.execute("select count(*) from raw.quarantine").fetchone() == (0,)
    assert wh.con.execute("select count(*) from raw.ingest_runs").fetchone() == (0,)


def test_first_land_inserts_everything_with_meta(wh: Warehouse):
    assert wh.land({PRICES: ROWS}, meta("run-1")) == 3
    rows = table(wh, PRICES)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("QQQ", dt.date(2024, 1, 10), 409.12, None),
        ("SPY", dt.date(2024, 1, 9), 473.88, 65_000_000),
        ("SPY", dt.date(2024, 1, 10), 476.56, 67_000_000),
    ]
    assert {r[4] for r in rows} == {"run-1"}
    assert {r[6] for r in rows} == {"https://example.test/run-1"}
    assert {r[7] for r in rows} == {"sha-a"}
    assert all(isinstance(r[5], dt.datetime) for r in rows)


def test_landing_the_same_batch_twice_changes_nothing(wh: Warehouse):
    wh.land({PRICES: ROWS}, meta("run-1"))
    before = table(wh, PRICES)
    assert wh.land({PRICES: ROWS}, meta("run-2", sha="sha-b")) == 0
    after = table(wh, PRICES)
    assert after == before  # including _run_id, _loaded_at, _source_url of the first load
    assert {r[4] for r in after} == {"run-1"}


def test_a_dataframe_lands_like_records(wh: Warehouse):
    frame = pd.DataFrame.from_records(ROWS)
    assert wh.land({PRICES: frame}, meta("run-1")) == 3
    # NaN from pandas is a null; re-landing the records version is a no-op.
    assert wh.land({PRICES: ROWS}, meta("run-2")) == 0
    assert wh.con.execute("select volume from raw.t_prices where ticker = 'QQQ'").fetchone() == (
        None,
    )


def test_a_changed_value_replaces_the_row_with_the_new_run(wh: Warehouse):
    wh.land({PRICES: ROWS}, meta("run-1"))
    revised = [dict(ROWS[1], close=476.60), ROWS[0], ROWS[2]]
    assert wh.land({PRICES: revised}, meta("run-2", sha="sha-b")) == 1
    rows = {(r[0], r[1]): r for r in table(wh, PRICES)}
    changed = rows[("SPY", dt.date(2024, 1, 10))]
    assert changed[2] == 476.60
    assert (changed[4], changed[7]) == ("run-2", "sha-b")
    assert rows[("SPY", dt.date(2024, 1, 9))][4] == "run-1"
    assert len(rows) == 3


def test_null_to_value_and_value_to_null_are_changes(wh: Warehouse):
    wh.land({PRICES: ROWS}, meta("run-1"))
    assert wh.land({PRICES: [dict(ROWS[2], volume=1)]}, meta("run-2")) == 1
    assert wh.land({PRICES: [dict(ROWS[2], volume=None)]}, meta("run-3")) == 1
    assert wh.land({PRICES: [dict(ROWS[2], volume=None)]}, meta("run-4")) == 0
    assert wh.con.execute("select _run_id from raw.t_prices where ticker = 'QQQ'").fetchone() == (
        "run-3",
    )


def test_a_partial_batch_leaves_other_keys_alone(wh: Warehouse):
    wh.land({PRICES: ROWS}, meta("run-1"))
    new_day = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 11), "close": 476.35, "volume": 1}
    assert wh.land({PRICES: [new_day]}, meta("run-2")) == 1
    assert len(table(wh, PRICES)) == 4


def test_duplicate_keys_inside_one_batch_keep_one_row_the_last(wh: Warehouse):
    first = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 10), "close": 1.0, "volume": 1}
    last = dict(first, close=2.0)
    assert wh.land({PRICES: [first, last]}, meta("run-1")) == 1
    assert wh.con.execute("select close from raw.t_prices").fetchall() == [(2.0,)]
    # Same input again: the same row wins, so nothing changes.
    assert wh.land({PRICES: [first, last]}, meta("run-2")) == 0


def test_in_a_batch_of_payloads_the_last_payload_wins_and_stamps_its_row(wh: Warehouse):
    """Payloads given as frames and as records, the same key in several of them: the row
    of the last payload lands, with that payload's metadata."""
    first = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 10), "close": 1.0, "volume": 1}
    batches = [({PRICES: pd.DataFrame.from_records([first, ROWS[0]])}, meta("run", "sha-1")),
               ({PRICES: [dict(first, close=2.0)]}, meta("run", "sha-2")),
               ({PRICES: pd.DataFrame.from_records([dict(first, close=3.0)])},
                meta("run", "sha-3")),
               ({PRICES: [ROWS[2]]}, meta("run", "sha-4"))]
    assert wh.land_many(batches) == 3
    assert [(r[0], r[1], r[2], r[7]) for r in table(wh, PRICES)] == [
        ("QQQ", dt.date(2024, 1, 10), 409.12, "sha-4"),
        ("SPY", dt.date(2024, 1, 9), 473.88, "sha-1"),
        ("SPY", dt.date(2024, 1, 10), 3.0, "sha-3")]
    # the same batches with the records last: their row wins
    assert wh.land_many([*batches[::2], batches[1]]) == 1
    assert wh.con.execute("select close, _payload_sha256 from raw.t_prices where ticker = 'SPY' "
                          "and as_of_date = '2024-01-10'").fetchone() == (2.0, "sha-2")


def test_missing_declared_columns_land_as_null(wh: Warehouse):
    assert wh.land({PRICES: [{"ticker": "SPY", "as_of_date": "2024-01-10"}]}, meta("r")) == 1
    assert wh.con.execute("select as_of_date, close, volume from raw.t_prices").fetchall() == [
        (dt.date(2024, 1, 10), None, None)
    ]


def test_empty_batches_land_nothing(wh: Warehouse):
    assert wh.land({PRICES: [], EVENTS: pd.DataFrame()}, meta("r")) == 0
    assert table(wh, PRICES) == []


def test_undeclared_column_raises_and_writes_nothing(wh: Warehouse):
    bad = [dict(ROWS[0], surprise=1)]
    with pytest.raises(ValueError, match="surprise"):
        wh.land({PRICES: bad}, meta("run-1"))
    assert table(wh, PRICES) == []


def test_a_failing_table_rolls_back_the_whole_batch(wh: Warehouse):
    wh.land({PRICES: ROWS}, meta("run-1"))
    before = table(wh, PRICES)
    revised = [dict(r, close=(r["close"] or 0) + 1) for r in ROWS]
    extra_day = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 11), "close": 1.0, "volume": 1}
    event = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 10), "kind": "div", "oops": 1}
    with pytest.raises(ValueError, match="undeclared"):
        wh.land({PRICES: [*revised, extra_day], EVENTS: [event]}, meta("run-2"))
    assert table(wh, PRICES) == before
    assert table(wh, EVENTS) == []
    # The connection is usable afterwards (the transaction was closed, not left open).
    assert wh.land({PRICES: [extra_day]}, meta("run-3")) == 1


def test_batch_across_two_tables_commits_both(wh: Warehouse):
    event = {"ticker": "SPY", "as_of_date": dt.date(2024, 1, 10), "kind": "div", "amount": 1.9}
    assert wh.land({PRICES: ROWS, EVENTS: [event]}, meta("run-1")) == 4
    assert len(table(wh, EVENTS)) == 1


def test_data_survives_reopening(settings: Settings):
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables([PRICES])
        wh.land({PRICES: ROWS}, meta("run-1"))
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables([PRICES])  # idempotent
        assert len(table(wh, PRICES)) == 3


def test_quarantine_records_reason_once(wh: Warehouse):
    for run in ("run-1", "run-2"):
        wh.quarantine(run, "yahoo", "SPY chart", "https://x/chart/SPY", "sha-bad", "not JSON: x")
    wh.quarantine("run-2", "yahoo", "QQQ chart", "https://x/chart/QQQ", "sha-bad", "not JSON: y")
    rows = wh.con.execute(
        "select run_id, plugin, request_label, source_url, payload_sha256, reason "
        "from raw.quarantine order by request_label"
    ).fetchall()
    assert rows == [
        ("run-2", "yahoo", "QQQ chart", "https://x/chart/QQQ", "sha-bad", "not JSON: y"),
        ("run-1", "yahoo", "SPY chart", "https://x/chart/SPY", "sha-bad", "not JSON: x"),
    ]
    assert list(QUARANTINE.columns) == [
        r[0] for r in wh.con.execute("describe raw.quarantine").fetchall()
    ]


def test_run_log_start_and_finish(wh: Warehouse):
    wh.start_run("run-1", "yahoo", {"tickers": ["SPY"], "start": dt.date(2024, 1, 2)})
    status, params, finished = wh.con.execute(
        "select status, params, finished_at from raw.ingest_runs where run_id = 'run-1'"
    ).fetchone()
    assert status == "running"
    assert finished is None
    assert json.loads(params) == {"start": "2024-01-02", "tickers": ["SPY"]}

    wh.finish_run(
        "run-1",
        "partial",
        rows_landed=7,
        requests_made=3,
        payloads=3,
        errors=["QQQ chart: HTTP 404"],
    )
    row = wh.con.execute(
        "select status, rows_landed, requests_made, payloads, errors, started_at, finished_at "
        "from raw.ingest_runs where run_id = 'run-1'"
    ).fetchone()
    assert row[:4] == ("partial", 7, 3, 3)
    assert json.loads(row[4]) == ["QQQ chart: HTTP 404"]
    assert row[5] <= row[6]
    assert set(INGEST_RUNS.columns) == {
        r[0] for r in wh.con.execute("describe raw.ingest_runs").fetchall()
    }


def test_the_memory_limit_leaves_other_connections_of_the_process_possible(
        settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """DuckDB caps its buffer pool at ETFFLOW_DUCKDB_MEMORY_LIMIT, set as a setting: a
    connect() config would refuse this process's other connections to the file (dbt, the
    serving copy, a report) for a different configuration."""
    monkeypatch.setenv("ETFFLOW_DUCKDB_MEMORY_LIMIT", "1GB")
    with duckdb.connect() as reference:
        reference.execute("set memory_limit = '1GB'")
        (one_gb,) = reference.execute("select current_setting('memory_limit')").fetchone()
    with Warehouse(settings.duckdb_path) as wh:
        assert wh.con.execute("select current_setting('memory_limit')").fetchone() == (one_gb,)
        with duckdb.connect(str(settings.duckdb_path)) as other:
            assert other.execute("select count(*) from raw.ingest_runs").fetchone() == (0,)
