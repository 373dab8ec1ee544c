"""``etfflow holdings TICKER``: the latest N-PORT holdings change of an ETF, read from the
marts (fct_holdings_changes, fct_holding_position_changes, agg_holdings_allocation,
dim_etf_nport).

The JSON shape is the old script's ETFHoldingsChange, its fields first and in its order,
then this warehouse's extra fields:

    ticker, filing_date, previous_filing_date,            # ISO dates
    total_positions, top_10_weight,                       # weight: a fraction (0.25 = 25 %)
    sector_allocation,                                    # {sector: weight}, largest first
    holdings_added, holdings_removed, turnover_rate,      # turnover: ½ Σ |Δ weight|
    largest_additions, largest_deletions,                 # up to 5 each: name, title,
        security_key, cusip, isin, value_usd, weight      # (value/weight now for
                                                          #  additions, before for deletions)
    -- extras --
    series_id, series_name, nport_status, nport_status_reason,
    accession_number, period_end, previous_period_end,    # the two reports compared
    net_assets_usd, holdings_increased, holdings_decreased, holdings_unchanged

A fund that files no N-PORT gets its status and reason and null figures, not zeros.
sector_allocation is null when agg_holdings_allocation is not built.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from ingest.core.errors import EtfflowError
from ingest.reports import connect

LARGEST = 5
COUNTS = ("total_positions", "holdings_added", "holdings_removed", "holdings_increased",
          "holdings_decreased", "holdings_unchanged")
# The old ETFHoldingsChange fields, in its order, then ours.
OLD_FIELDS = ("ticker", "filing_date", "previous_filing_date", "total_positions",
              "top_10_weight", "sector_allocation", "holdings_added", "holdings_removed",
              "turnover_rate", "largest_additions", "largest_deletions")
EXTRA_FIELDS = ("series_id", "series_name", "nport_status", "nport_status_reason",
                "accession_number", "period_end", "previous_period_end", "net_assets_usd",
                "holdings_increased", "holdings_decreased", "holdings_unchanged")
FIGURES = ("accession_number", "period_end", "filing_date", "previous_period_end",
           "previous_filing_date", "net_assets_usd", "total_positions", "top10_weight",
           "turnover_rate", "holdings_added", "holdings_removed", "holdings_increased",
           "holdings_decreased", "holdings_unchanged")
ALLOCATION = "agg_holdings_allocation"


def latest_holdings_change(duckdb_path: Path, ticker: str) -> dict[str, Any]:
    ticker = ticker.strip().upper()
    if not Path(duckdb_path).exists():
        raise EtfflowError(f"no warehouse at {duckdb_path}; run `etfflow demo` or "
                           "`etfflow ingest nport` and `etfflow build` first")
    with connect(duckdb_path) as con:  # read-only unless this process holds it (the demo)
        tables = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()}
        missing = {"dim_etf_nport", "fct_holdings_changes",
                   "fct_holding_position_changes"} - tables
        if missing:
            raise EtfflowError(f"the N-PORT marts are not built in {duckdb_path} "
                               f"(missing {', '.join(sorted(missing))}); run `etfflow build`")
        status = _one(con, "select * from dim_etf_nport where ticker = ?", [ticker])
        change = _one(con, """select * from fct_holdings_changes
                              where ticker = ? or list_contains(string_split(etf_tickers, ','), ?)
                              order by period_end desc limit 1""", [ticker, ticker])
        if status is None and change is None:
            raise EtfflowError(f"unknown ticker {ticker}: not in the ETF universe and no "
                               "N-PORT report landed for it")
        out: dict[str, Any] = {
            "ticker": ticker,
            "series_id": (change or status or {}).get("series_id"),
            "series_name": (change or {}).get("series_name") or (status or {}).get("fund_name"),
            "nport_status": status["nport_status"] if status else "reports",
            "nport_status_reason": (status["nport_status_reason"] if status
                                    else "public N-PORT reports landed for its series"),
        }
        out.update({name: _plain((change or {}).get(name)) for name in FIGURES})
        for name in COUNTS:
            out[name] = None if out[name] is None else int(out[name])
        out["top_10_weight"] = out.pop("top10_weight")  # the mart's column, the old name
        out["largest_additions"] = _movers(con, change, "added") if change else None
        out["largest_deletions"] = _movers(con, change, "removed") if change else None
        out["sector_allocation"] = (_sector_allocation(con, change)
                                    if change and ALLOCATION in tables else None)
    if change is None and out["nport_status"] == "reports":
        raise EtfflowError(f"{ticker}: no holdings report in fct_holdings_changes; "
                           "run `etfflow build`")
    return {name: out[name] for name in (*OLD_FIELDS, *EXTRA_FIELDS)}


def _sector_allocation(con: duckdb.DuckDBPyConnection, change: dict[str, Any]
                       ) -> dict[str, float]:
    """The report's weight per sector (fractions, largest first), as the old dict."""
    rows = con.execute(
        f"""select bucket_label, weight from {ALLOCATION}
            where series_id = ? and period_end = ? and dimension = 'sector'
            order by weight desc, bucket_label""",
        [change["series_id"], change["period_end"]]).fetchall()
    return {label: _plain(weight) for label, weight in rows}


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = con.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _movers(con: duckdb.DuckDBPyConnection, change: dict[str, Any], status: str
            ) -> list[dict[str, Any]] | None:
    if change.get("previous_accession_number") is None:
        return None
    side = "after" if status == "added" else "before"
    cursor = con.execute(
        f"""select coalesce(security_name, security_key) as name, security_title as title,
                   security_key, cusip, isin,
                   value_{side}_usd as value_usd, weight_{side} as weight
            from fct_holding_position_changes
            where series_id = ? and period_end = ? and status = ?
            order by value_{side}_usd desc, security_key
            limit {LARGEST}""",
        [change["series_id"], change["period_end"], status],
    )
    names = [d[0] for d in cursor.description]
    return [{k: _plain(v) for k, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 8)
    return value


def render_text(change: dict[str, Any]) -> str:
    ticker = change["ticker"]
    name = change.get("series_name") or ""
    if change["period_end"] is None:
        return (f"{ticker} {name}\n  no N-PORT holdings report: {change['nport_status']} — "
                f"{change['nport_status_reason']}")
    key = str(change["series_id"] or "")
    # a unit investment trust files without series, under its CIK ('CIK' + CIK)
    filer = f"filed under CIK {key[3:]}, no series" if key.startswith("CIK") else f"series {key}"
    lines = [
        f"{ticker} — {name} ({filer})",
        f"  N-PORT report as of {change['period_end']} (filed {change['filing_date'] or 'n/a'},"
        f" {change['accession_number']})",
    ]
    if change["previous_period_end"] is None:
        lines.append("  first report landed for this series: nothing to compare against")
    else:
        lines.append(f"  compared with the report as of {change['previous_period_end']} "
                     f"(filed {change['previous_filing_date'] or 'n/a'})")
    lines += [
        f"  net assets        {_money(change['net_assets_usd'])}",
        f"  positions         {change['total_positions']:,}   top-10 weight "
        f"{_pct(change['top_10_weight'])}",
    ]
    if change["previous_period_end"] is not None:
        lines += [
            f"  added / removed   {change['holdings_added']} / {change['holdings_removed']}"
            f"   increased {change['holdings_increased']}, decreased "
            f"{change['holdings_decreased']}, unchanged {change['holdings_unchanged']}",
            f"  turnover          {_pct(change['turnover_rate'])} (one-way: ½ Σ |Δ weight|)",
        ]
        for title, movers in (("largest additions", change["largest_additions"]),
                              ("largest deletions", change["largest_deletions"])):
            lines.append(f"  {title}" + ("" if movers else ": none"))
            for m in movers or []:
                lines.append(f"    {str(m['name'])[:44]:<44} {_money(m['value_usd']):>10} "
                             f"{_pct(m['weight']):>8}")
    return "\n".join(lines)


def _money(value: float | None) -> str:
    if value is None:
        return "n/a"
    for unit, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.1f}{unit}"
    return f"${value:,.0f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"
