"""The old script's JSON shapes ("ETF Flow Tracker"), filled from the marts.

The script printed a top-level JSON list of its dataclasses, amounts in USD millions.
Each function here returns such a list: every row starts with the old dataclass's fields,
in its order and units, and may carry extra fields after them (named with their units).
The values are this warehouse's figures (ΔSO × NAV, never volume × price); nothing is
recomputed — each field is a mart column, at most scaled (USD → USD millions,
bps → %). README's "Coming from the old script" table maps every field.

Old shapes (the script's dataclasses):

- ETFFlow: ticker, name, date, net_flow, aum, flow_as_pct_aum, price, volume,
  volume_avg_ratio, price_change_1d, flow_price_divergence
- FlowMomentumSignal: ticker, name, signal, signal_strength, flow_score, price_score,
  volume_score, reason, aum_millions, flow_1d, flow_5d, flow_20d
- top-flows rows: ticker, name, flow_5d_avg, flow_pct_aum, aum, price_change_5d
- SectorFlow: sector, date, net_flow_millions, num_etfs, avg_flow_pct_aum,
  smart_money_flow, price_momentum, flow_momentum
- ETFCreationRedemption: ticker, date, creation_units, redemption_units, net_creation,
  shares_outstanding_change, implied_flow_millions, nav_premium_discount
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

import duckdb
from rich.console import Console

from ingest.reports import Report, known_ticker, require, unit_size_source_sql

# Millions are rounded to 6 decimals (one dollar); every other value is the mart's own.
MUSD_DECIMALS = 6
TOP_FLOWS_WINDOW = "5d"  # the script's top-flows and sector-flows read 5 trading days
SECTOR_FLOWS_WINDOW = "5d"


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
             ) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [{name: _plain(value) for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _musd(column: str) -> str:
    """SQL for a USD column in millions, rounded to the dollar."""
    return f"round({column} / 1e6, {MUSD_DECIMALS})"


def etf_flows(con: duckdb.DuckDBPyConnection, ticker: str, days: int) -> list[dict[str, Any]]:
    """ETFFlow rows for the fund's last ``days`` trading days, oldest first (as the script)."""
    require(con, "fct_etf_flows_daily")
    known_ticker(con, ticker)
    return _records(con, f"""
        select * from (
            select f.ticker,
                   e.fund_name as name,
                   f.as_of_date as date,
                   {_musd('f.net_flow_usd')} as net_flow,
                   {_musd('f.aum_usd')} as aum,
                   f.flow_pct_aum as flow_as_pct_aum,
                   f.close as price,
                   f.volume,
                   f.volume_avg_ratio_30d as volume_avg_ratio,
                   f.price_change_1d_pct as price_change_1d,
                   f.flow_price_divergence,
                   -- extras
                   f.as_of_date,
                   f.nav,
                   f.nav_source,
                   f.shares_outstanding_change,
                   f.net_creation_units,
                   f.flow_status
            from fct_etf_flows_daily f
            join dim_etf e using (ticker)
            where f.ticker = ?
            order by f.as_of_date desc
            limit ?
        )
        order by as_of_date""", [ticker, days])


def flow_signals(con: duckdb.DuckDBPyConnection, tickers: Sequence[str]
                 ) -> list[dict[str, Any]]:
    """FlowMomentumSignal rows: each fund's latest signal, strongest first (as the script)."""
    require(con, "sig_flow_momentum")
    for ticker in tickers:
        known_ticker(con, ticker)
    return _records(con, f"""
        select ticker,
               fund_name as name,
               signal,
               signal_strength,
               flow_score,
               price_score,
               volume_score,
               reason,
               {_musd('aum_usd')} as aum_millions,
               {_musd('flow_1d_usd')} as flow_1d,
               {_musd('flow_5d_avg_usd')} as flow_5d,
               {_musd('flow_20d_avg_usd')} as flow_20d,
               -- extras
               as_of_date,
               as_of_date as date,
               confidence
        from sig_flow_momentum
        where list_contains(?, ticker)
        qualify as_of_date = max(as_of_date) over (partition by ticker)
        order by signal_strength desc, ticker""", [list(tickers)])


def top_flows(con: duckdb.DuckDBPyConnection, category: str, limit: int
              ) -> list[dict[str, Any]]:
    """top-flows rows: the latest 5-day window, largest |flow| first (as the script ranked)."""
    require(con, "agg_top_flows")
    return _records(con, f"""
        with latest as (
            select max(as_of_date) as day from agg_top_flows where flow_window = ?
        )
        select ticker,
               fund_name as name,
               {_musd('flow_avg_daily_usd')} as flow_5d_avg,
               flow_pct_aum,
               {_musd('aum_usd')} as aum,
               return_pct as price_change_5d,
               -- extras
               as_of_date,
               as_of_date as date,
               category,
               category_group,
               {_musd('flow_usd')} as flow_5d_musd,
               confidence
        from agg_top_flows, latest
        where as_of_date = latest.day and flow_window = ? and flow_usd is not null
          and (? = 'all' or category_group = ?)
        order by abs(flow_usd) desc, ticker
        limit ?""", [TOP_FLOWS_WINDOW, TOP_FLOWS_WINDOW, category, category, limit])


def sector_flows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """SectorFlow rows: each sector basket's latest 5-day window, largest |flow| first."""
    require(con, "agg_sector_flows_daily")
    return _records(con, f"""
        with latest as (
            select max(as_of_date) as day from agg_sector_flows_daily where flow_window = ?
        )
        select sector,
               as_of_date as date,
               {_musd('net_flow_usd')} as net_flow_millions,
               num_etfs,
               avg_flow_pct_aum,
               {_musd('smart_money_flow_usd')} as smart_money_flow,
               price_momentum_pct as price_momentum,
               {_musd('flow_momentum_usd')} as flow_momentum,
               -- extras
               as_of_date,
               flow_window,
               aum_weighted_flow_pct,
               {_musd('aum_usd')} as aum_musd
        from agg_sector_flows_daily, latest
        where as_of_date = latest.day and flow_window = ?
        order by abs(net_flow_usd) desc nulls last, sector""",
        [SECTOR_FLOWS_WINDOW, SECTOR_FLOWS_WINDOW])


def creations(con: duckdb.DuckDBPyConnection, ticker: str, days: int
              ) -> list[dict[str, Any]]:
    """ETFCreationRedemption rows over the fund's last ``days`` trading days, oldest first;
    days without a measured share change (no count, the first day) have no row."""
    for relation in ("fct_etf_creation_redemption", "fct_etf_flows_daily"):
        require(con, relation)
    fund = known_ticker(con, ticker)
    rows = _records(con, f"""
        with recent_days as (
            select as_of_date from fct_etf_flows_daily where ticker = ?
            order by as_of_date desc limit ?
        )
        select ticker,
               as_of_date as date,
               creation_units,
               redemption_units,
               net_creation_units as net_creation,
               shares_outstanding_change,
               {_musd('implied_flow_usd')} as implied_flow_millions,
               premium_discount_bps / 100 as nav_premium_discount,
               -- extras
               as_of_date,
               creation_unit_size,
               creation_unit_size_assumed,
               {unit_size_source_sql(con, "fct_etf_creation_redemption", "c")}
                   as creation_unit_size_source,
               nav,
               nav_source,
               premium_discount_bps,
               flow_status
        from fct_etf_creation_redemption c
        where ticker = ? and as_of_date in (select as_of_date from recent_days)
        order by as_of_date""", [ticker, days, ticker])
    for row in rows:  # the fund's name among the extras, as every report row carries it
        row["name"] = fund["fund_name"]
    return rows


def top_flows_report(rows: list[dict[str, Any]], category: str) -> Report:
    """The text table of ``top-flows``: the same rows and order as its JSON."""
    columns = list(rows[0]) if rows else ["ticker"]
    text = {"ticker": "ticker", "name": "name", "flow_5d_avg": "5d avg $m/day",
            "flow_pct_aum": "5d flow %AUM", "aum": "AUM $m", "price_change_5d": "5d return %",
            "confidence": "conf"}
    return Report(f"Top {category} flows over the latest 5 trading days, largest |flow| "
                  "first", columns, [tuple(row.values()) for row in rows], text,
                  empty_reason=f"no 5d flows for category {category!r}")


def creations_report(rows: list[dict[str, Any]], ticker: str, days: int) -> Report:
    """The text table of ``creations`` (latest day first), from the same rows as its JSON."""
    columns = list(rows[0]) if rows else ["date"]
    name = rows[0]["name"] if rows else ""
    text = {"date": "date", "creation_units": "created", "redemption_units": "redeemed",
            "net_creation": "net units", "shares_outstanding_change": "ΔSO",
            "implied_flow_millions": "flow $m", "nav_premium_discount": "prem %",
            "nav_source": "NAV src", "creation_unit_size": "CU",
            "creation_unit_size_source": "CU src"}
    notes = ["units = ΔSO / creation-unit size CU (only net activity is observable); CU src"
             " says where the size comes from: ncen (the fund's latest N-CEN on or before the"
             " day), configured, inferred (the share history), or default (assumed, also"
             " flagged in creation_unit_size_assumed); flow = ΔSO × NAV"]
    return Report(f"{ticker} — {name}: creations and redemptions (last {days} trading days)",
                  columns, [tuple(row.values()) for row in reversed(rows)], text, notes=notes,
                  empty_reason=f"no measured share changes for {ticker}")


# -- rendering --------------------------------------------------------------------------------


def render(rows: list[dict[str, Any]], fmt: str, console: Console) -> None:
    """A top-level JSON list (the script's output) or CSV with the same keys."""
    if fmt == "json":
        console.out(json.dumps(rows, indent=2), highlight=False)
        return
    if fmt != "csv":
        raise ValueError(f"old shapes render as json or csv, not {fmt!r}")
    buffer = io.StringIO()
    keys = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(buffer, keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    console.out(buffer.getvalue(), end="", highlight=False)
