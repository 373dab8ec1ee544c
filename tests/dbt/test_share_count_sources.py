"""Issuer truth on the demo: where each day's share count and NAV come from, the vendor's
real defects (no count in quoteSummary, navPrice = the previous close, a weeks-stale quote
count, frozen total assets) and what the warehouse makes of them.

Expectations come from the manifest and the simulated world, never from the marts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytest.importorskip("dbt.cli.main")

from click.testing import CliRunner  # noqa: E402

from ingest.cli import main  # noqa: E402
from ingest.sample import world  # noqa: E402


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    # not read_only: the session's in-process dbt may still hold the file read-write
    with duckdb.connect(str(db)) as con:
        return con.execute(sql, params or []).fetchall()


def issuer_funds(manifest: dict[str, Any]) -> dict[str, str]:
    """ticker -> the issuer plugin whose files the sample renders for it."""
    return {t: source for source, section in manifest["issuer_sources"].items()
            for t in section["funds"]}


def test_issuer_funds_take_the_issuers_count_and_nav(demo_build) -> None:
    db, manifest = demo_build.duckdb_path, demo_build.manifest
    issuers = issuer_funds(manifest)
    assert set(issuers.values()) == {"ishares", "spdr"} and len(issuers) >= 30
    sources = query(db, """
        select ticker, shares_source, shares_source_type, count(*),
               count(case when nav_source = 'issuer' then 1 end)
        from fct_etf_flows_daily where shares_source is not null group by all""")
    by_ticker: dict[str, list[tuple]] = {}
    for ticker, source, kind, days, nav_days in sources:
        by_ticker.setdefault(ticker, []).append((source, kind, days, nav_days))
    for ticker in manifest["tickers"]:
        ((source, kind, days, nav_days),) = by_ticker[ticker]  # one source for every day
        if ticker in issuers:
            assert (source, kind) == (issuers[ticker], "issuer"), ticker
            assert nav_days >= days - 5, ticker  # the issuer's NAV, but on no-file days
        else:
            assert (source, kind, nav_days) == ("yahoo", "vendor", 0), ticker


def test_the_issuers_nav_is_the_simulated_one(demo_build) -> None:
    paths = world.simulated_paths(["SPY", "IVV", "AGG"])
    for ticker, path in paths.items():
        rows = query(demo_build.duckdb_path, """
            select as_of_date, nav from fct_etf_flows_daily
            where ticker = ? and nav_source = 'issuer'""", [ticker])
        assert len(rows) > 400
        index = {d: k for k, d in enumerate(path.days)}
        for day, nav in rows:
            # State Street publishes it to the cent; iShares' holdings add up to it
            assert nav == pytest.approx(float(path.nav[index[day]]), abs=0.006), (ticker, day)


def test_yahoo_behaves_as_it_really_does(demo_build) -> None:
    db = demo_build.duckdb_path
    (snapshots, with_count) = query(db, """
        select count(*), count(shares_outstanding) from raw.yahoo_fund_snapshots""")[0]
    assert snapshots > 0 and with_count == 0  # an ETF's quoteSummary carries no count
    (compared, previous_close) = query(db, """
        with bars as (
            select ticker, as_of_date, close,
                   lag(close) over (partition by ticker order by as_of_date) as prev_close
            from raw.yahoo_prices where close is not null
        )
        select count(*), count(case when abs(s.nav_price - b.prev_close) < 0.005 then 1 end)
        from raw.yahoo_fund_snapshots s join bars b using (ticker, as_of_date)""")[0]
    assert compared == snapshots and previous_close == compared  # navPrice: the prior close


def test_the_vendors_quote_count_is_weeks_stale(demo_build) -> None:
    """The v7 quote's count is the true count of the vendor's last refresh (the manifest's
    refresh dates); dq_share_count_sources shows it against the issuer's."""
    db, manifest = demo_build.duckdb_path, demo_build.manifest
    refreshes = manifest["yahoo_defects"]["quote_shares_refresh_dates"]
    paths = world.simulated_paths(["XLK", "IWM"])
    for ticker, path in paths.items():
        index = {d: k for k, d in enumerate(path.days)}
        refreshed = [dt.date.fromisoformat(d) for d in refreshes[ticker]]
        quotes = query(db, """select as_of_date, shares_outstanding from raw.yahoo_quotes
                              where ticker = ?""", [ticker])
        assert len(quotes) == manifest["snapshot_history_days"]
        for day, count in quotes:
            last = max(d for d in refreshed if d <= day)
            assert count == path.shares[index[last]], (ticker, day)
        (stuck,) = query(db, """
            select max(quote_unchanged_while_issuer_moved_days) from dq_share_count_sources
            where ticker = ?""", [ticker])[0]
        assert stuck >= 10  # the fund created and redeemed on 10+ days it did not see
    (stale_funds, moved_funds) = query(db, """
        select count(distinct case when quote_stale_vendor_count then ticker end),
               count(distinct case when quote_unchanged_while_issuer_moved_days > 0
                                   then ticker end)
        from dq_share_count_sources""")[0]
    issuers = issuer_funds(manifest)
    assert stale_funds >= 3 and moved_funds == len(issuers)
    # the stale flag is the count against the vendor's own net assets, beyond 5 %
    assert query(db, """
        select count(*) from int_etf_vendor_counts
        where vendor_dataset = 'quote'
          and stale_vendor_count <> (abs(count_vs_net_assets_pct) > 5)""") == [(0,)]


def test_frozen_total_assets_give_no_aum_based_flow(demo_build) -> None:
    db = demo_build.duckdb_path
    frozen = demo_build.manifest["yahoo_defects"]["frozen_total_assets"]
    assert {f["ticker"] for f in frozen} >= {"VTI", "SMH"}
    for stretch in frozen:
        path = world.simulated_paths([stretch["ticker"]])[stretch["ticker"]]
        last = path.days.index(dt.date.fromisoformat(stretch["dates"][-1]))
        blind = [dt.date.fromisoformat(d) for d in stretch["dates"]] + [path.days[last + 1]]
        measured = {d for (d,) in query(db, """
            select as_of_date from int_etf_flows_aum_based where ticker = ?""",
                                        [stretch["ticker"]])}
        assert not measured & set(blind), stretch["ticker"]
        assert path.days[last + 2] in measured  # measured again once it moves


def test_reconciliation_is_split_by_share_source(demo_build, tmp_path) -> None:
    db = demo_build.duckdb_path
    segments = {segment: months for segment, months in query(db, """
        select segment, comparable_fund_months from agg_nport_reconciliation_summary
        where segment_kind = 'shares_source' and tolerance_pct = 2""")}
    assert segments.keys() >= {"issuer", "vendor"}
    assert min(segments["issuer"], segments["vendor"]) > 100
    (total,) = query(db, """select comparable_fund_months from agg_nport_reconciliation_summary
                            where segment_kind = 'all' and tolerance_pct = 2""")[0]
    assert sum(segments.values()) == total
    copy = tmp_path / db.name
    with duckdb.connect(str(db)) as con:
        con.execute("checkpoint")
    copy.write_bytes(db.read_bytes())
    result = CliRunner().invoke(main, ["--db", str(copy), "reconcile"])
    assert result.exit_code == 0, result.output
    assert "issuer-sourced:" in result.output and "vendor-sourced:" in result.output
