"""Seed-compatible reports: read the marts (never recompute), print text, JSON or CSV.

Every report is one SQL query against a public mart plus a column list. Amounts in USD
are shown in millions (``*_usd`` columns become ``*_musd`` in JSON/CSV, and text headers
say "USD m"), as the seed script did. Reports on the demo warehouse carry its SAMPLE DATA
label.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from ingest.core.errors import EtfflowError

SAMPLE_MARKER = "raw.sample_data_notice"
FORMATS = ("text", "json", "csv")
WINDOWS = ("1d", "5d", "20d", "ytd")
CATEGORIES = ("all", "equity", "bond", "commodity", "sector")


@dataclass
class Report:
    """A query's rows (all columns go to JSON/CSV) and the few the text table shows."""

    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    text: dict[str, str]  # column -> short header for the text table
    notes: list[str] = field(default_factory=list)
    empty_reason: str = ""


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise EtfflowError(f"no warehouse at {path}; run `etfflow demo` or `etfflow daily`")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # This process already holds it read-write (dbt in-process, e.g. right after a demo).
        return duckdb.connect(str(path))


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.rpartition(".")
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_name = ? "
        "and table_schema = ?", [name, schema or "main"]).fetchone()[0])


def require(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    if not relation_exists(con, relation):
        raise EtfflowError(f"{relation} is not built yet; run `etfflow build`")


def sample_label(con: duckdb.DuckDBPyConnection) -> str | None:
    if not relation_exists(con, SAMPLE_MARKER):
        return None
    return con.execute(f"select label from {SAMPLE_MARKER}").fetchone()[0]


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
           ) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(sql, list(params))
    return [d[0] for d in cursor.description], cursor.fetchall()


def known_ticker(con: duckdb.DuckDBPyConnection, ticker: str) -> dict[str, Any]:
    cursor = con.execute(
        "select ticker, fund_name, structure, files_nport from dim_etf where ticker = ?",
        [ticker])
    row = cursor.fetchone()
    if row is None:
        raise EtfflowError(f"unknown ticker {ticker!r}: not in dim_etf (see `etfflow runs`)")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


# -- the reports ----------------------------------------------------------------------------


def flows(con: duckdb.DuckDBPyConnection, ticker: str, days: int) -> Report:
    """Daily creations/redemptions for one fund, most recent first (the seed's etf-flows)."""
    require(con, "fct_etf_flows_daily")
    fund = known_ticker(con, ticker)
    # share-count confidence (fct_etf_flows_dual_method), when the quality marts are built
    trust = relation_exists(con, DUAL_METHOD)
    columns, rows = _query(con, f"""
        select f.ticker, e.fund_name as name, f.as_of_date, f.close, f.nav, f.nav_source,
               f.shares_outstanding, f.shares_source,
               f.shares_outstanding_change, f.net_creation_units,
               f.creation_unit_size,
               {unit_size_source_sql(con, "fct_etf_flows_daily", "f")} as creation_unit_size_source,
               f.net_flow_usd,
               f.flow_pct_aum, f.aum_usd, f.premium_discount_bps, f.flow_status,
               {"q.confidence" if trust else "cast(null as varchar)"} as confidence
        from fct_etf_flows_daily f
        join dim_etf e using (ticker)
        {f"left join {DUAL_METHOD} q using (ticker, as_of_date)" if trust else ""}
        where f.ticker = ?
        order by f.as_of_date desc limit ?""", [ticker, days])
    text = {"as_of_date": "date", "close": "close", "nav": "NAV", "nav_source": "NAV src",
            "shares_source": "SO src", "shares_outstanding_change": "ΔSO",
            "net_creation_units": "units", "creation_unit_size_source": "CU src",
            "net_flow_usd": "flow $m", "flow_pct_aum": "flow %AUM", "aum_usd": "AUM $m",
            "premium_discount_bps": "prem bps", "confidence": "conf"}
    notes = ["net_flow = change in shares outstanding × NAV (creations − redemptions);"
             " NAV src 'close' marks days without the issuer's NAV; SO src names the plugin"
             " whose share count the day used (the fund's issuer first, else the vendor);"
             " units = ΔSO / the creation-unit size (JSON: creation_unit_size), which CU src"
             " says comes from the fund's N-CEN (ncen), configuration or the share history"
             " (configured, inferred), else the assumed default"]
    low = sum(1 for row in rows if row[-1] == "low")
    if trust:
        notes.append(f"conf: confidence in the day's share counts (high / medium / low); "
                     f"{low} low-confidence day(s) shown — `etfflow quality {ticker}` says why")
    return Report(f"{ticker} — {fund['fund_name']}: daily flows (last {days} trading days)",
                  columns, rows, text, notes=notes,
                  empty_reason=f"no flow rows for {ticker}")


def unit_size_source_sql(con: duckdb.DuckDBPyConnection, relation: str, alias: str) -> str:
    """The creation-unit size's source (ncen / configured / inferred / default); a mart
    built before N-CEN has only the assumed flag."""
    (present,) = con.execute(
        "select count(*) from information_schema.columns where table_name = ? "
        "and column_name = 'creation_unit_size_source'", [relation]).fetchone()
    if present:
        return f"{alias}.creation_unit_size_source"
    return f"case when {alias}.creation_unit_size_assumed then 'default' end"


def signals(con: duckdb.DuckDBPyConnection, tickers: Sequence[str]) -> Report:
    """The latest flow-momentum signal per fund (the seed's flow-signals)."""
    require(con, "sig_flow_momentum")
    for ticker in tickers:
        known_ticker(con, ticker)
    columns, rows = _query(con, """
        select ticker, fund_name as name, as_of_date, signal, signal_strength, flow_score,
               price_score,
               volume_score, reason, aum_usd, flow_1d_usd, flow_5d_usd, flow_20d_usd
        from sig_flow_momentum where list_contains(?, ticker)
        qualify as_of_date = max(as_of_date) over (partition by ticker)
        order by signal_strength desc, ticker""", [list(tickers)])
    text = {"ticker": "ticker", "as_of_date": "date", "signal": "signal",
            "signal_strength": "strength", "flow_score": "flow", "price_score": "price",
            "volume_score": "volume", "flow_5d_usd": "5d $m", "flow_20d_usd": "20d $m",
            "reason": "reason"}
    return Report("Flow momentum signals (latest day per fund)", columns, rows, text,
                  empty_reason="no signals for these tickers yet")


def top(con: duckdb.DuckDBPyConnection, category: str, limit: int, window: str,
        outflows: bool) -> Report:
    """The largest inflows (or outflows) over a window on the latest day (top-flows)."""
    require(con, "agg_top_flows")
    rank = "outflow_rank" if outflows else "inflow_rank"
    rank_col = f"{rank}_overall" if category == "all" else f"{rank}_in_category"
    columns, rows = _query(con, f"""
        with latest as (select max(as_of_date) as day from agg_top_flows
                        where flow_window = ?)
        select {rank_col} as rank, ticker, fund_name as name, category, as_of_date, flow_usd,
               flow_pct_aum, aum_usd, return_pct
        from agg_top_flows, latest
        where as_of_date = latest.day and flow_window = ?
          and (? = 'all' or category_group = ?) and {rank_col} <= ?
        order by {rank_col}, ticker""", [window, window, category, category, limit])
    direction = "outflows" if outflows else "inflows"
    text = {"rank": "#", "ticker": "ticker", "category": "category", "flow_usd": "flow $m",
            "flow_pct_aum": "flow %AUM", "aum_usd": "AUM $m", "return_pct": "return %"}
    return Report(f"Top {limit} {category} {direction} over {window}", columns, rows, text,
                  empty_reason=f"no {window} flows for category {category!r}")


def sectors(con: duckdb.DuckDBPyConnection, window: str) -> Report:
    """Net flow per sector basket over a window on the latest day (sector-flows)."""
    require(con, "agg_sector_flows_daily")
    columns, rows = _query(con, """
        with latest as (select max(as_of_date) as day from agg_sector_flows_daily
                        where flow_window = ?)
        select sector, as_of_date, net_flow_usd, num_etfs, avg_flow_pct_aum,
               aum_weighted_flow_pct, smart_money_flow_usd, price_momentum_pct,
               flow_momentum_usd
        from agg_sector_flows_daily, latest
        where as_of_date = latest.day and flow_window = ?
        order by net_flow_usd desc nulls last""", [window, window])
    text = {"sector": "sector", "net_flow_usd": "flow $m", "num_etfs": "ETFs",
            "aum_weighted_flow_pct": "flow %AUM", "smart_money_flow_usd": "smart $m",
            "price_momentum_pct": "price %", "flow_momentum_usd": "Δ vs prior $m"}
    return Report(f"Sector basket flows over {window}", columns, rows, text,
                  empty_reason=f"no {window} sector flows")


def arbitrage(con: duckdb.DuckDBPyConnection, limit: int) -> Report:
    """Per fund: how often premiums beyond the cost band were followed by creations."""
    require(con, "agg_arbitrage_follow_through")
    columns, rows = _query(con, """
        select ticker, nav_days, avg_abs_premium_discount_bps, cost_band_bps,
               premium_days, premium_follow_through_pct, base_creation_pct,
               discount_days, discount_follow_through_pct, base_redemption_pct
        from agg_arbitrage_follow_through
        order by premium_days + discount_days desc, ticker limit ?""", [limit])
    text = {"ticker": "ticker", "nav_days": "NAV days",
            "avg_abs_premium_discount_bps": "avg |prem| bps", "cost_band_bps": "band bps",
            "premium_days": "prem days", "premium_follow_through_pct": "→create %",
            "base_creation_pct": "base %", "discount_days": "disc days",
            "discount_follow_through_pct": "→redeem %", "base_redemption_pct": "base %"}
    return Report("Basket arbitrage follow-through (premium → creation, discount → "
                  "redemption within 1–3 days)", columns, rows, text,
                  notes=["follow-through % vs the base rate on all measured days"],
                  empty_reason="no NAV history yet (NAV comes from daily snapshots)")


DUAL_METHOD = "fct_etf_flows_dual_method"
FUND_QUALITY = "dq_fund_quality"
RECONCILIATION_REPAIRS = "dq_nport_reconciliation_repairs"


def quality(con: duckdb.DuckDBPyConnection, ticker: str | None, days: int) -> Report:
    """Share-count checks: per fund (no ticker), or one fund's flagged days and its last
    ``days`` days with the count as reported, the count used and both flow methods."""
    for relation in (FUND_QUALITY, DUAL_METHOD):
        require(con, relation)
    if ticker is None:
        return _quality_summary(con)
    fund = known_ticker(con, ticker)
    columns, rows = _query(con, f"""
        with recent as (
            select as_of_date from {DUAL_METHOD} where ticker = ?
            order by as_of_date desc limit ?
        )
        select as_of_date, shares_outstanding_raw, shares_outstanding, anomaly_reasons,
               repair_rule, shares_flow_raw_usd, shares_flow_usd, aum_flow_usd,
               methods_concordant, best_estimate_flow_usd, method, quality_score, confidence
        from {DUAL_METHOD}
        where ticker = ? and (count_flagged or count_repaired
                              or as_of_date in (select as_of_date from recent))
        order by as_of_date desc""", [ticker, days, ticker])
    text = {"as_of_date": "date", "shares_outstanding_raw": "SO reported",
            "shares_outstanding": "SO used", "anomaly_reasons": "flags",
            "repair_rule": "repair", "aum_flow_usd": "AUM $m",
            "best_estimate_flow_usd": "flow $m", "method": "method", "confidence": "conf"}
    (fund_row,) = _query(con, f"""
        select quality_score, confidence, anomaly_days, repaired_days, shares_report_lag_days,
               lag_source, creation_unit_size, creation_unit_size_source, concordance_pct,
               issuer_source, issuer_count_pct, median_abs_quote_vs_issuer_pct,
               max_quote_unchanged_while_issuer_moved_days
        from {FUND_QUALITY} where ticker = ?""", [ticker])[1] or [(None,) * 13]
    (score, conf, anomalies, repaired, lag, lag_source, unit, unit_source, concord,
     issuer, issuer_pct, quote_gap, quote_run) = fund_row
    sources = (f"share counts from the issuer ({issuer}) on {_text('issuer_count_pct', issuer_pct)}"
               f"% of the days; the vendor's quote count was {_text('pct', quote_gap)}% off "
               f"the issuer's (median) and sat still for up to {quote_run} day(s) while the "
               "fund's count moved" if issuer else
               "no issuer publishes this fund's share count: the vendor's (Yahoo) is used, "
               "each day's confidence one level lower")
    notes = [
        f"quality score {_text('quality_score', score)} ({conf}); {anomalies} flagged and "
        f"{repaired} repaired day(s); share-report lag {lag} trading day(s) ({lag_source}); "
        f"creation unit {_text('creation_unit_size', unit)} ({unit_source}); methods agree "
        f"on {_text('concordance_pct', concord)}% of the days with both",
        sources,
        "SO reported = the count as published; SO used = repaired and lag-adjusted (raw "
        "values are never overwritten; every repair's rule is in dq_shares_outstanding_anomalies)",
    ]
    return Report(f"{ticker} — {fund['fund_name']}: share-count checks (flagged days and "
                  f"the last {days} trading days)", columns, rows, text, notes=notes,
                  empty_reason=f"no share counts for {ticker}")


def _quality_summary(con: duckdb.DuckDBPyConnection) -> Report:
    columns, rows = _query(con, f"""
        select ticker, quality_score, confidence, anomaly_days, spike_revert_days,
               stale_days, not_unit_multiple_days, split_unadjusted_days, scale_error_days,
               repaired_days, shares_report_lag_days, lag_source, creation_unit_size,
               creation_unit_size_source, concordance_pct, clean_days_pct,
               coalesce(issuer_source, 'vendor only') as share_count_source, issuer_count_pct,
               median_abs_quote_vs_issuer_pct, stale_vendor_count_days,
               max_quote_unchanged_while_issuer_moved_days
        from {FUND_QUALITY}
        order by quality_score nulls first, anomaly_days desc, ticker""")
    text = {"ticker": "ticker", "quality_score": "score", "confidence": "conf",
            "anomaly_days": "flagged", "repaired_days": "repaired",
            "shares_report_lag_days": "lag", "lag_source": "lag src",
            "concordance_pct": "agree %", "share_count_source": "SO src",
            "median_abs_quote_vs_issuer_pct": "vendor off %",
            "max_quote_unchanged_while_issuer_moved_days": "vendor still"}
    notes = ["score: share of the last days with a trustworthy flow (counts unflagged, "
             "shares- and AUM-based flows agreeing where both exist); `etfflow quality "
             "TICKER` shows a fund's flags and repaired series",
             "SO src: the issuer plugin whose counts the fund's flows use ('vendor only': "
             "Yahoo's, a confidence level lower); vendor off %: the median gap between "
             "Yahoo's quote count and the issuer's; vendor still: the most trading days "
             "Yahoo's count sat unchanged while the issuer's moved (dq_share_count_sources)"]
    if relation_exists(con, RECONCILIATION_REPAIRS):
        (n, off2, on2, off5, on5) = con.execute(f"""
            select count(*),
                   100 * avg((abs(difference_raw_usd) <= 0.02 * abs(nport_net_flow_usd))::int),
                   100 * avg((abs(difference_usd) <= 0.02 * abs(nport_net_flow_usd))::int),
                   100 * avg((abs(difference_raw_usd) <= 0.05 * abs(nport_net_flow_usd))::int),
                   100 * avg((abs(difference_usd) <= 0.05 * abs(nport_net_flow_usd))::int)
            from {RECONCILIATION_REPAIRS} where is_comparable""").fetchone()
        if n:
            notes.append(f"N-PORT reconciliation, {n} comparable fund-months within 2% / 5%: "
                         f"repairs off {off2:.1f}% / {off5:.1f}%, on {on2:.1f}% / {on5:.1f}%")
    return Report("Share-count quality per fund (worst first)", columns, rows, text,
                  notes=notes, empty_reason="no funds checked yet")


RECONCILIATION = "fct_nport_flow_reconciliation"
RECONCILIATION_SUMMARY = "agg_nport_reconciliation_summary"


def reconcile(con: duckdb.DuckDBPyConnection, ticker: str | None) -> Report:
    """Our monthly flow sums against the funds' own N-PORT filings (Part B.6)."""
    if ticker:
        fund = known_ticker(con, ticker)
        if not fund["files_nport"]:
            raise EtfflowError(
                f"{ticker} is a {fund['structure'].replace('_', ' ')}: it files no N-PORT, "
                "so there is nothing to reconcile against")
    require(con, RECONCILIATION)
    columns, rows = _query(con, f"""
        select ticker, month_start, our_net_flow_usd, nport_net_flow_usd, difference_usd,
               error_pct, coverage_pct, shares_source_type
        from {RECONCILIATION} where ? is null or ticker = ?
        order by ticker, month_start""", [ticker, ticker])
    text = {"ticker": "ticker", "month_start": "month", "our_net_flow_usd": "ours $m",
            "nport_net_flow_usd": "N-PORT $m", "difference_usd": "diff $m",
            "error_pct": "error %", "coverage_pct": "coverage %",
            "shares_source_type": "SO src"}
    notes = ["SO src: whose share counts our monthly sum used — issuer (the fund's own, "
             "every day), vendor (Yahoo's) or mixed"]
    if relation_exists(con, RECONCILIATION_SUMMARY):
        notes += [f"{segment}-sourced: {within:,} of {months:,} comparable fund-months "
                  f"within {tolerance:g}% ({_text('pct', share)}%)"
                  for segment, tolerance, months, within, share in con.execute(f"""
                      select segment, tolerance_pct, comparable_fund_months,
                             fund_months_within, share_within_pct
                      from {RECONCILIATION_SUMMARY} where segment_kind = 'shares_source'
                      order by segment, tolerance_pct""").fetchall()]
    return Report("Daily flow estimates vs N-PORT monthly flows (Part B.6)", columns, rows,
                  text, notes=notes, empty_reason="no N-PORT months to reconcile")


def reconcile_summary(con: duckdb.DuckDBPyConnection) -> Report:
    """How often our monthly sums land within 2% and 5% of the funds' own N-PORT figures."""
    require(con, RECONCILIATION_SUMMARY)
    columns, rows = _query(con, f"""
        select segment_kind, segment, tolerance_pct, comparable_fund_months,
               fund_months_within, share_within_pct, first_month, last_month
        from {RECONCILIATION_SUMMARY}
        order by segment_kind = 'all' desc, segment_kind, segment, tolerance_pct""")
    text = {"segment_kind": "by", "segment": "segment", "tolerance_pct": "within ±%",
            "comparable_fund_months": "fund-months", "fund_months_within": "within",
            "share_within_pct": "share %", "first_month": "from", "last_month": "to"}
    return Report("Our monthly flows vs the funds' own N-PORT figures", columns, rows, text,
                  notes=["by shares_source: issuer = every day's share count from the "
                         "fund's issuer, vendor = from Yahoo (the gain from issuer counts)"],
                  empty_reason="no N-PORT months to reconcile")


# -- rendering --------------------------------------------------------------------------------


def _in_millions(column: str) -> str:
    return column.removesuffix("_usd") + "_musd" if column.endswith("_usd") else column


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column.endswith("_usd"):
        return round(float(value) / 1e6, 3)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def render(report: Report, fmt: str, console: Console, label: str | None) -> None:
    columns = [_in_millions(c) for c in report.columns]
    rows = [[_value(c, v) for c, v in zip(report.columns, row, strict=True)]
            for row in report.rows]
    if fmt == "json":
        console.print_json(json.dumps({
            "report": report.title, "sample_data": label is not None,
            "units": "amounts ending _musd are USD millions", "rows": [
                _with_date(dict(zip(columns, row, strict=True))) for row in rows]}))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        console.out(buffer.getvalue(), end="", highlight=False)
        return
    if label:
        console.print(f"[bold yellow]{label}[/]", highlight=False)
    if not rows:
        console.print(f"{report.title}: {report.empty_reason}.", highlight=False)
        return
    shown = [i for i, c in enumerate(report.columns) if c in report.text]
    table = Table(*[report.text[report.columns[i]] for i in shown], title=report.title)
    for row in report.rows:
        table.add_row(*[_text(report.columns[i], row[i]) for i in shown])
    console.print(table)
    for note in report.notes:
        console.print(f"[dim]{note}[/]", highlight=False)


def _with_date(row: dict[str, Any]) -> dict[str, Any]:
    """A JSON row with ``date`` (the old script's name) right after ``as_of_date``."""
    if "as_of_date" not in row:
        return row
    out: dict[str, Any] = {}
    for key, value in row.items():
        out[key] = value
        if key == "as_of_date":
            out["date"] = value
    return out


def _text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column.endswith("_usd"):
        return f"{value / 1e6:,.1f}"
    if isinstance(value, float):
        whole = value.is_integer() or abs(value) >= 1e5
        return f"{value:,.0f}" if whole else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
