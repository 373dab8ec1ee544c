"""End to end: `etfflow demo` builds the warehouse offline through the normal replay path,
`dbt build` passes, and the same inputs give the same marts.

The demo is the session's (tests/conftest.py `demo_build`, its sample archive from the
render cache when one is there). Determinism is proven step by step, each as cheaply as
it can be, instead of by a second demo: a small sample world's archive (every renderer)
is rendered again in another process (another hash seed) and compared byte for byte; the
small world is replayed twice, in different batch sizes, into the same raw rows; and the
one extra build is dbt's, on a copy of the session's raw tables, giving the same marts."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.sample.world import DEMO_END, DEMO_START, SNAPSHOT_HISTORY_DAYS, trading_days

MARTS = ("dim_etf", "fct_etf_daily", "dim_etf_history", "fct_flow_source_comparison",
         "agg_market_flows_quarterly", "fct_nport_monthly_flows", "fct_holdings_changes",
         "fct_holding_position_changes", "agg_holdings_allocation", "dim_etf_nport",
         "fct_etf_flows_dual_method", "dq_shares_outstanding_anomalies", "dq_fund_quality",
         "dq_flow_quality_daily", "dq_nport_reconciliation_repairs",
         # flow engine tables (its views are projections of these)
         "fct_etf_flows_daily", "fct_etf_flow_windows", "fct_aum_changes",
         "fct_smart_money_flows", "fct_basket_arbitrage", "agg_arbitrage_follow_through",
         "agg_sector_flows_daily", "agg_category_flows_daily", "fct_nport_flow_reconciliation",
         "agg_nport_reconciliation_summary")


def mart_digests(path: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(path)) as con:
        digests = {}
        for mart in MARTS:
            rows = con.execute(f"select * from {mart} order by all").fetchall()
            digests[mart] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digests


def archive_listing(archive: Path) -> dict[str, str]:
    """Every archive file by path: the blobs' names, the index files' content."""
    return {str(p.relative_to(archive)): p.read_text() if p.suffix == ".jsonl" else ""
            for p in archive.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def dbt_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))


def test_demo_builds_offline(demo_build) -> None:
    db = demo_build.duckdb_path
    with duckdb.connect(str(db)) as con:
        # The demo went through the plugin and the run log, not around them: one backfill
        # and one daily snapshot run per archived day.
        (runs,) = con.execute("select count(*) from raw.ingest_runs where status = 'success' "
                              "and plugin = 'yahoo'").fetchone()
        assert runs == 1 + SNAPSHOT_HISTORY_DAYS
        # NAVs are the issuers' (State Street's history, iShares' daily files), every day;
        # Yahoo's snapshots give none (navPrice is the previous close)
        (nav_days, vendor_navs) = con.execute(
            """select count(distinct as_of_date),
                      count(case when nav_source <> 'issuer' then 1 end)
               from fct_etf_daily where nav is not null""").fetchone()
        assert nav_days == len(trading_days(DEMO_START, DEMO_END)) and vendor_navs == 0
        for relation in ("raw.yahoo_prices", "stg_yahoo__prices", "fct_etf_daily", "dim_etf"):
            (n,) = con.execute(f"select count(*) from {relation}").fetchone()
            assert n > 0, relation
        (universe,) = con.execute("select count(*) from etf_universe").fetchone()
        (seed_dims,) = con.execute("select count(*) from dim_etf where in_seed_universe"
                                   ).fetchone()
        assert seed_dims == universe  # the seed is always in; discovered ETFs come on top
        # etfdb and FRED landed through their plugins and reach the cross-source marts
        for relation in ("raw.etfdb_fund_pages", "raw.fred_observations",
                         "fct_flow_source_comparison", "agg_market_flows_quarterly",
                         "dim_etf_history"):
            (n,) = con.execute(f"select count(*) from {relation}").fetchone()
            assert n > 0, relation
        (discovered,) = con.execute("select count(*) from dim_etf where not in_seed_universe"
                                    ).fetchone()
        assert discovered > 0
        # N-PORT: holdings changes and B.6 flows for the filers; the rest say why not
        for relation in ("fct_holdings_changes", "fct_nport_monthly_flows",
                         "fct_holding_position_changes", "agg_holdings_allocation"):
            (n,) = con.execute(f"select count(*) from {relation}").fetchone()
            assert n > 0, relation
        assert con.execute("select ticker, nport_status, reports_landed > 0 from dim_etf_nport "
                           "where ticker in ('GLD', 'SPY') order by ticker").fetchall() == [
            ("GLD", "not_required", None), ("SPY", "reports", True)]  # SPY: a UIT files
        (amended,) = con.execute("select count(*) from fct_holdings_changes "
                                 "where ticker = 'XLK' and is_amendment").fetchone()
        assert amended == 1



def test_the_demo_command_prints_the_sample_report(demo_build, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`etfflow demo` (its build is the session's) reports what it built, where the time
    went, and where to look next."""
    import ingest.demo

    monkeypatch.setattr(ingest.demo, "run_demo", lambda demo_dir, console: demo_build.result)
    shown = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo")])
    assert shown.exit_code == 0, shown.output
    assert "SAMPLE DATA" in shown.output and "Row counts per layer" in shown.output
    assert "error" not in shown.output.lower().replace("0 error", "")
    phases = demo_build.result.phase_seconds
    assert list(phases) == ["sample archive", "ingest replay", "dbt build", "HTML report",
                            "publish"]
    assert sum(phases.values()) <= demo_build.result.seconds
    assert all(f"{name} {seconds:.1f} s" in shown.output for name, seconds in phases.items())


def test_the_sample_archive_renders_the_same_bytes_again(small_world, tmp_path: Path) -> None:
    """The small world (tests/conftest.py: every renderer and source) rendered afresh in
    another process (another hash seed): the same payloads (blobs are named by their
    content's hash) and the same index as this process rendered."""
    again = tmp_path / "archive"
    rendered = subprocess.run(
        [sys.executable, "-c", "import sys; from ingest.sample import build_sample_archive; "
         "build_sample_archive(sys.argv[1], sys.argv[2:])", str(again), *small_world.tickers],
        capture_output=True, text=True, timeout=1800)
    assert rendered.returncode == 0, rendered.stderr
    assert archive_listing(again) == archive_listing(small_world.archive_dir)


RUN_COLUMNS = ("_run_id", "_loaded_at", "run_id", "quarantined_at")


def raw_rows(path: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows but the run that landed them (its id and clock)."""
    with duckdb.connect(str(path)) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name <> 'ingest_runs' "
                "order by table_name, ordinal_position").fetchall():
            if column not in RUN_COLUMNS:
                columns.setdefault(table, []).append(f'"{column}"')
        return {table: con.execute(f"select {', '.join(kept)} from raw.{table} order by all"
                                   ).fetchall() for table, kept in columns.items()}


def test_a_sample_world_replayed_twice_lands_the_same_raw_rows(small_world,
                                                               tmp_path: Path) -> None:
    """The small world (tests/conftest.py) replayed through every plugin twice, in batches
    of 500 and of 200 payloads: the same rows. Of the daily Yahoo snapshot runs, all alike,
    three are replayed."""
    from ingest.demo import replay_sample
    from ingest.sample import demo_runs

    runs = demo_runs(small_world.tickers)
    snapshots = [r for r in runs if r.plugin == "yahoo" and r.params.start == r.params.end]
    assert len(snapshots) == SNAPSHOT_HISTORY_DAYS
    runs = [r for r in runs if r not in snapshots[3:]]
    for name, batch in (("a", 500), ("b", 200)):
        replay_sample(small_world.archive_dir, tmp_path / name / "warehouse.duckdb", runs,
                      land_batch_payloads=batch)
    first = raw_rows(tmp_path / "a" / "warehouse.duckdb")
    assert {"yahoo_prices", "yahoo_fund_snapshots", "issuer_fund_days", "nport_holdings"} <= {
        table for table, rows in first.items() if rows}
    assert raw_rows(tmp_path / "b" / "warehouse.duckdb") == first


def test_dbt_builds_the_same_marts_from_the_same_raw_rows(demo_build, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The suite's one extra build: every model rebuilt from scratch on a copy of the
    session's warehouse gives every mart row for row."""
    from ingest.dbt import run_dbt

    copy = tmp_path / demo_build.duckdb_path.name  # same file name: same catalog
    with duckdb.connect(str(demo_build.duckdb_path)) as con:  # flush the WAL into the file
        con.execute("checkpoint")
    shutil.copyfile(demo_build.duckdb_path, copy)
    rebuilt = run_dbt(["run", "--full-refresh"], copy, quiet=True)
    assert rebuilt.success, rebuilt.failures
    assert mart_digests(copy) == mart_digests(demo_build.duckdb_path)


def test_reingest_is_idempotent(demo_build, tmp_path: Path) -> None:
    """Replaying the demo archive into the demo warehouse again changes no raw row."""
    db, archive = tmp_path / demo_build.duckdb_path.name, demo_build.archive_dir
    with duckdb.connect(str(demo_build.duckdb_path)) as con:  # flush the WAL into the file
        con.execute("checkpoint")
    shutil.copyfile(demo_build.duckdb_path, db)  # a replay only reads the archive
    tables = ("yahoo_prices", "yahoo_shares_outstanding", "yahoo_fund_snapshots")

    def raw_digest() -> dict[str, str]:
        with duckdb.connect(str(db)) as con:
            return {t: hashlib.sha256(repr(con.execute(
                f"select * from raw.{t} order by all").fetchall()).encode()).hexdigest()
                for t in tables}

    before = raw_digest()
    import ingest.sample.world as gen

    again = CliRunner().invoke(main, ["--db", str(db), "--archive", str(archive), "ingest",
                                      "yahoo", "--start", str(gen.DEMO_START),
                                      "--end", str(gen.DEMO_END), "--offline"])
    assert again.exit_code == 0, again.output
    assert "0 rows landed" in again.output
    assert raw_digest() == before
