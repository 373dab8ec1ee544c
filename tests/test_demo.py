"""End to end: `etfflow demo` builds the warehouse offline through the normal replay path,
`dbt build` passes, and a second demo gives identical marts.

The first demo is the session's (tests/conftest.py `demo_build`, its sample archive from
the render cache when one is there); the second is the one extra build the suite makes to
prove determinism: the `etfflow demo` command with the cache off, so its archive is
rendered afresh and every step from the world to the marts runs again."""

from __future__ import annotations

import hashlib
import shutil
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


def test_demo_builds_offline_and_is_deterministic(
    demo_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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

    monkeypatch.setenv("ETFFLOW_SAMPLE_CACHE", "off")  # render the archive again
    second = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    assert "SAMPLE DATA" in second.output
    assert "error" not in second.output.lower().replace("0 error", "")
    # the same payloads (blobs are named by their content's hash) and the same index
    assert archive_listing(tmp_path / "b" / "archive") == archive_listing(demo_build.archive_dir)
    assert mart_digests(db) == mart_digests(tmp_path / "b" / "warehouse.duckdb")


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
