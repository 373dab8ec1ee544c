"""``etfflow report --html PATH``: one self-contained HTML file of flow charts.

The charts read the marts (never recompute a flow) and are drawn with plotly: its
JavaScript is inlined once, with the first chart, so the file opens offline — no CDN,
no fonts or images fetched. Every axis title carries its unit, and on the demo warehouse
every chart's title carries the SAMPLE DATA label.

Charts (each a ``<div id="chart-…">``):

- ``chart-top-flows``: the largest inflows and outflows over a window on the latest day
  (agg_top_flows);
- ``chart-sector-flows``: sector baskets' net flow per window as stacked bars over the
  last windows, with each basket's price momentum below (agg_sector_flows_daily);
- ``chart-fund``: one fund's daily flows against its price, NAV and premium/discount
  (fct_etf_flows_daily);
- ``chart-reconciliation``: our monthly flow sums against the funds' own N-PORT figures,
  with the within-2% band (fct_nport_flow_reconciliation, agg_nport_reconciliation_summary);
- ``chart-quality``: the share of gross flow whose share count came from the issuer vs a
  vendor (fct_etf_flows_daily.shares_source) and the flagged fund-days per day by kind
  (dq_flow_quality_daily).

A chart whose mart (or column) is not built says so inside the chart instead of failing.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ingest.core.errors import EtfflowError
from ingest.reports import connect, known_ticker, relation_exists, require, sample_label

TOP_FUNDS = 10                # bars per side in the top inflows/outflows chart
FUND_DAYS = 250               # trading days drawn for the chosen fund (about a year)
SECTOR_WINDOWS = 26           # consecutive windows in the sector chart
WINDOW_DAYS = {"1d": 1, "5d": 5, "20d": 20}  # agg_sector_flows_daily's windows
WINDOW_NAMES = {"1d": "1 day", "5d": "5 trading days", "20d": "20 trading days",
                "ytd": "the year to date"}
BAND_PCT = 2.0                # the reconciliation band: |ours − N-PORT| ≤ 2 % × |N-PORT|
FLAG_KINDS = ("spike_revert", "stale", "not_unit_multiple", "split_unadjusted",
              "scale_error")  # dq_flow_quality_daily.<kind>_flags
# fct_etf_flows_daily.shares_source names the plugin whose count the day used: Yahoo is
# the vendor; every other plugin that supplies counts is a fund issuer (ishares, spdr, …).
INFLOW_COLOUR, OUTFLOW_COLOUR = "#1a9850", "#d73027"
SOURCE_COLOURS = {"issuer": "#1f77b4", "vendor": "#ff7f0e"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Chart:
    chart_id: str          # the div's id in the HTML
    heading: str
    note: str              # one line under the heading: what it reads, caveats
    figure: go.Figure


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    size_bytes: int
    chart_ids: tuple[str, ...]
    label: str | None
    as_of_date: dt.date | None


def write_report(duckdb_path: Path, path: Path, ticker: str | None = None,
                 window: str = "5d") -> WrittenReport:
    """Build every chart from the warehouse and write one self-contained HTML file
    (written to a temporary name, then renamed: never half-written)."""
    if window not in WINDOW_NAMES:
        raise EtfflowError(f"unknown window {window!r}: one of {', '.join(WINDOW_NAMES)}")
    with connect(duckdb_path) as con:
        label = sample_label(con)
        charts = build_charts(con, ticker, window, label)
        as_of_date = _latest_day(con)
    document = render_html(charts, label, as_of_date, window)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(document, encoding="utf-8")
    os.replace(partial, path)
    return WrittenReport(path, path.stat().st_size, tuple(c.chart_id for c in charts), label,
                         as_of_date)


def build_charts(con: duckdb.DuckDBPyConnection, ticker: str | None, window: str,
                 label: str | None) -> list[Chart]:
    for relation in ("fct_etf_flows_daily", "agg_top_flows", "agg_sector_flows_daily"):
        require(con, relation)
    ticker = ticker or _largest_fund(con)
    return [top_flows_chart(con, window, label), sector_flows_chart(con, window, label),
            fund_chart(con, ticker, label), reconciliation_chart(con, label),
            quality_chart(con, label)]


# -- the charts -------------------------------------------------------------------------------


def top_flows_chart(con: duckdb.DuckDBPyConnection, window: str, label: str | None) -> Chart:
    data = _columns(con, """
        with latest as (select max(as_of_date) as day from agg_top_flows
                        where flow_window = ?)
        select ticker, fund_name, as_of_date, flow_usd / 1e6 as flow_musd, flow_pct_aum,
               coalesce(confidence, 'unknown') as confidence
        from agg_top_flows, latest
        where as_of_date = latest.day and flow_window = ?
          and ((flow_usd > 0 and inflow_rank_overall <= ?)
               or (flow_usd < 0 and outflow_rank_overall <= ?))
        order by flow_usd, ticker""", [window, window, TOP_FUNDS, TOP_FUNDS])
    rows = list(zip(data["ticker"], data["fund_name"], data["flow_musd"],
                    data["flow_pct_aum"], data["confidence"], strict=True))
    figure = go.Figure()
    for name, colour, side in (("inflows", INFLOW_COLOUR, [r for r in rows if r[2] > 0]),
                               ("outflows", OUTFLOW_COLOUR, [r for r in rows if r[2] < 0])):
        figure.add_bar(
            name=f"largest {name}", orientation="h", marker_color=colour,
            x=[r[2] for r in side], y=[r[0] for r in side],
            customdata=[[r[1], r[3], r[4]] for r in side],
            hovertemplate="%{y} — %{customdata[0]}<br>flow %{x:,.1f} USD m"
                          "<br>%{customdata[1]:.2f}% of AUM · confidence %{customdata[2]}"
                          "<extra></extra>")
    day = data["as_of_date"][0] if rows else None
    title = f"Largest inflows and outflows over {WINDOW_NAMES[window]} to {day or 'n/a'}"
    figure.update_xaxes(title_text=f"Net flow over {WINDOW_NAMES[window]} (USD millions)",
                        zeroline=True, zerolinecolor="#444")
    figure.update_yaxes(title_text="Fund (ticker)", type="category",
                        categoryorder="array", categoryarray=[r[0] for r in rows])
    _style(figure, title, label, height=max(420, 24 * len(rows) + 160))
    if not rows:
        _unavailable(figure, f"no {window} flows in agg_top_flows")
    return Chart("chart-top-flows", "Top inflows and outflows",
                 f"agg_top_flows, window {window}: the {TOP_FUNDS} largest inflows and "
                 "outflows across the universe on the latest day; flow = ΔSO × NAV summed "
                 "over the window.", figure)


def sector_flows_chart(con: duckdb.DuckDBPyConnection, window: str, label: str | None
                       ) -> Chart:
    sector_window = window if window in WINDOW_DAYS else "20d"
    step = WINDOW_DAYS[sector_window]
    data = _columns(con, """
        with days as (
            select as_of_date, row_number() over (order by as_of_date desc) as recency
            from (select distinct as_of_date from agg_sector_flows_daily
                  where flow_window = ?)
        ),
        window_ends as (  -- consecutive, non-overlapping windows ending on the latest day
            select as_of_date from days where (recency - 1) % ? = 0 and recency <= ? * ?
        )
        select s.sector, s.as_of_date, s.net_flow_usd / 1e6 as net_flow_musd,
               s.price_momentum_pct, s.num_etfs
        from agg_sector_flows_daily s
        join window_ends using (as_of_date)
        where s.flow_window = ?
        order by s.sector, s.as_of_date""",
        [sector_window, step, step, SECTOR_WINDOWS, sector_window])
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35],
                           vertical_spacing=0.06)
    sectors = list(dict.fromkeys(data["sector"]))
    for i, sector in enumerate(sectors):
        mine = [j for j, s in enumerate(data["sector"]) if s == sector]
        colour = qualitative.Plotly[i % len(qualitative.Plotly)]
        days = [data["as_of_date"][j] for j in mine]
        figure.add_bar(
            row=1, col=1, name=sector, legendgroup=sector, marker_color=colour, x=days,
            y=[data["net_flow_musd"][j] for j in mine],
            customdata=[data["num_etfs"][j] for j in mine],
            hovertemplate=f"{sector}<br>%{{x|%Y-%m-%d}}: %{{y:,.1f}} USD m "
                          "(%{customdata} ETFs)<extra></extra>")
        figure.add_scatter(
            row=2, col=1, name=sector, legendgroup=sector, showlegend=False,
            mode="lines+markers", line_color=colour, marker_size=4, x=days,
            y=[data["price_momentum_pct"][j] for j in mine],
            hovertemplate=f"{sector}<br>%{{x|%Y-%m-%d}}: %{{y:.2f}}%<extra></extra>")
    figure.update_layout(barmode="relative")
    figure.update_yaxes(row=1, col=1,
                        title_text=f"Net flow per {sector_window} window (USD millions)")
    figure.update_yaxes(row=2, col=1, title_text="Price momentum (%)")
    figure.update_xaxes(row=2, col=1, title_text=f"Window ending (trading day; {step}-day "
                                                 "windows)")
    _style(figure, f"Sector basket flows over the last {SECTOR_WINDOWS} {sector_window} "
                   "windows, with price momentum", label, height=640)
    if not sectors:
        _unavailable(figure, "no sector basket flows in agg_sector_flows_daily")
    used = sector_window if sector_window == window else f"{sector_window} (no {window} " \
                                                         "sector window)"
    return Chart("chart-sector-flows", "Sector flows over time",
                 f"agg_sector_flows_daily, window {used}: stacked net flow of each sector "
                 "basket's members per window (inflows up, outflows down); below, the "
                 "start-AUM-weighted total return of the members over the same window.",
                 figure)


def fund_chart(con: duckdb.DuckDBPyConnection, ticker: str, label: str | None) -> Chart:
    fund = known_ticker(con, ticker)
    data = _columns(con, """
        select * from (
            select as_of_date, net_flow_usd / 1e6 as net_flow_musd, close,
                   case when nav_source = 'nav' then nav end as published_nav,
                   premium_discount_bps, flow_status
            from fct_etf_flows_daily where ticker = ?
            order by as_of_date desc limit ?
        ) order by as_of_date""", [ticker, FUND_DAYS])
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.4, 0.35, 0.25],
                           vertical_spacing=0.05)
    flows = data["net_flow_musd"]
    figure.add_bar(row=1, col=1, name="daily net flow", x=data["as_of_date"], y=flows,
                   marker_color=[OUTFLOW_COLOUR if (f or 0) < 0 else INFLOW_COLOUR
                                 for f in flows],
                   customdata=data["flow_status"],
                   hovertemplate="%{x|%Y-%m-%d}: %{y:,.1f} USD m (%{customdata})"
                                 "<extra></extra>")
    figure.add_scatter(row=2, col=1, name="close", mode="lines", x=data["as_of_date"],
                       y=data["close"], line_color="#333",
                       hovertemplate="%{x|%Y-%m-%d}: close %{y:,.2f} USD<extra></extra>")
    figure.add_scatter(row=2, col=1, name="NAV (published)", mode="lines",
                       x=data["as_of_date"], y=data["published_nav"],
                       line={"color": "#1f77b4", "dash": "dot"},
                       hovertemplate="%{x|%Y-%m-%d}: NAV %{y:,.2f} USD<extra></extra>")
    figure.add_scatter(row=3, col=1, name="premium / discount", mode="lines+markers",
                       x=data["as_of_date"], y=data["premium_discount_bps"],
                       marker_size=4, line_color="#9467bd",
                       hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} bps<extra></extra>")
    figure.update_yaxes(row=1, col=1, title_text="Daily net flow (USD millions)")
    figure.update_yaxes(row=2, col=1, title_text="Price (USD)")
    figure.update_yaxes(row=3, col=1, title_text="Premium / discount (bps)", zeroline=True)
    figure.update_xaxes(row=3, col=1, title_text="Trading day")
    _style(figure, f"{ticker} — {fund['fund_name']}: daily flows, price and premium/discount"
                   f" (last {len(flows)} trading days)", label, height=720)
    nav_days = sum(v is not None for v in data["premium_discount_bps"])
    if not flows:
        _unavailable(figure, f"no flow rows for {ticker}")
    elif not nav_days:
        _unavailable(figure, "no published NAV in these days: no premium/discount", row=3)
    return Chart("chart-fund", f"{ticker}: daily flows against price and premium/discount",
                 f"fct_etf_flows_daily: flow = ΔSO × NAV per day; the premium/discount "
                 f"(close vs NAV) exists on days with a published NAV ({nav_days} of "
                 f"{len(flows)} here).", figure)


def reconciliation_chart(con: duckdb.DuckDBPyConnection, label: str | None) -> Chart:
    heading = "Our monthly flows against the funds' own N-PORT figures"
    figure = go.Figure()
    figure.update_xaxes(title_text="N-PORT net flow, the fund's filing (USD millions)")
    figure.update_yaxes(title_text="Our monthly sum of daily flows (USD millions)")
    if not relation_exists(con, "fct_nport_flow_reconciliation"):
        _style(figure, heading, label, height=560)
        _unavailable(figure, "fct_nport_flow_reconciliation is not built (no N-PORT data)")
        return Chart("chart-reconciliation", heading, "N-PORT reconciliation: not built.",
                     figure)
    data = _columns(con, """
        select ticker, month_start, nport_net_flow_usd / 1e6 as nport_musd,
               our_net_flow_usd / 1e6 as ours_musd, error_pct,
               abs(difference_usd) <= ? / 100 * abs(nport_net_flow_usd) as is_within_band
        from fct_nport_flow_reconciliation
        where is_comparable
        order by month_start, ticker""", [BAND_PCT])
    xs = [x for x in data["nport_musd"] if x is not None]
    low, high = min([0.0, *xs]), max([0.0, *xs])
    below, above = 1 - BAND_PCT / 100, 1 + BAND_PCT / 100
    figure.add_scatter(  # |y − x| ≤ 2 % |x|: two wedges meeting at the origin
        name=f"within ±{BAND_PCT:g}% of N-PORT", mode="lines", fill="toself",
        x=[low, 0, high, high, 0, low, low],
        y=[low * below, 0, high * below, high * above, 0, low * above, low * below],
        line={"width": 0}, fillcolor="rgba(26,152,80,0.18)", hoverinfo="skip")
    figure.add_scatter(name="ours = N-PORT", mode="lines", x=[low, high], y=[low, high],
                       line={"color": "#555", "dash": "dash", "width": 1}, hoverinfo="skip")
    for within, name, colour in ((True, f"within {BAND_PCT:g}%", INFLOW_COLOUR),
                                 (False, f"outside {BAND_PCT:g}%", OUTFLOW_COLOUR)):
        picked = [i for i, w in enumerate(data["is_within_band"]) if bool(w) is within]
        figure.add_scatter(
            name=f"{name} ({len(picked)} fund-months)", mode="markers",
            marker={"color": colour, "size": 6, "opacity": 0.75},
            x=[data["nport_musd"][i] for i in picked],
            y=[data["ours_musd"][i] for i in picked],
            customdata=[[data["ticker"][i], str(data["month_start"][i])[:7],
                         data["error_pct"][i]] for i in picked],
            hovertemplate="%{customdata[0]} %{customdata[1]}<br>N-PORT %{x:,.1f} · ours "
                          "%{y:,.1f} USD m<br>error %{customdata[2]:.2f}%<extra></extra>")
    within = sum(bool(w) for w in data["is_within_band"])
    total = len(data["is_within_band"])
    share = f"{100 * within / total:.1f}%" if total else "n/a"
    _style(figure, f"{heading}: {within} of {total} comparable fund-months within "
                   f"{BAND_PCT:g}% ({share})", label, height=560)
    if not total:
        _unavailable(figure, "no comparable N-PORT fund-months")
    return Chart("chart-reconciliation", heading,
                 "fct_nport_flow_reconciliation (comparable fund-months: both figures, full "
                 "coverage, no other share classes): each point is one fund-month, our sum "
                 "of daily ΔSO × NAV against Part B.6 of the fund's N-PORT (sales + "
                 "reinvestments − redemptions); the band is |ours − N-PORT| ≤ "
                 f"{BAND_PCT:g}% of |N-PORT|, the definition agg_nport_reconciliation_summary "
                 "counts.", figure)


def quality_chart(con: duckdb.DuckDBPyConnection, label: str | None) -> Chart:
    figure = make_subplots(rows=2, cols=1, vertical_spacing=0.16,
                           subplot_titles=("Share of gross flow by share-count source",
                                           "Flagged share counts per day"))
    notes = []
    split = issuer_vendor_split(con)
    for kind in ("issuer", "vendor"):
        mine = [i for i, k in enumerate(split["count_source"]) if k == kind]
        figure.add_bar(
            row=1, col=1, name=f"{kind} share counts", marker_color=SOURCE_COLOURS[kind],
            x=[split["month"][i] for i in mine],
            y=[split["gross_flow_share_pct"][i] for i in mine],
            customdata=[split["fund_days"][i] for i in mine],
            hovertemplate=f"%{{x|%Y-%m}}: %{{y:.1f}}% of gross flow from {kind} counts "
                          "(%{customdata} fund-days)<extra></extra>")
    missing = sum(n for k, n in zip(split["count_source"], split["fund_days"], strict=True)
                  if k == "no share count")
    notes.append(f"{missing:,} fund-days had no share count (no flow)")
    figure.update_yaxes(row=1, col=1, title_text="Share of gross flow (%)", range=[0, 100])
    figure.update_xaxes(row=1, col=1, title_text="Month")
    if relation_exists(con, "dq_flow_quality_daily"):
        flags = _columns(con, f"""
            select as_of_date, {", ".join(f"{k}_flags" for k in FLAG_KINDS)}
            from dq_flow_quality_daily order by as_of_date""")
        for i, kind in enumerate(FLAG_KINDS):
            figure.add_bar(row=2, col=1, name=kind.replace("_", " "),
                           marker_color=qualitative.Safe[i % len(qualitative.Safe)],
                           x=flags["as_of_date"], y=flags[f"{kind}_flags"],
                           hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y}} {kind} flag(s)"
                                         "<extra></extra>")
        flagged = sum(sum(v or 0 for v in flags[f"{k}_flags"]) for k in FLAG_KINDS)
        notes.append(f"{flagged:,} flags over {len(flags['as_of_date'])} days "
                     "(dq_shares_outstanding_anomalies has each one with its rule)")
    else:
        _unavailable(figure, "dq_flow_quality_daily is not built", row=2)
    figure.update_yaxes(row=2, col=1, title_text="Flagged fund-days (count)")
    figure.update_xaxes(row=2, col=1, title_text="Trading day")
    figure.update_layout(barmode="stack")
    _style(figure, "Data quality at a glance: where share counts came from, and flagged days",
           label, height=720)
    return Chart("chart-quality", "Data quality at a glance",
                 "fct_etf_flows_daily.shares_source (issuer = a fund issuer's own file, "
                 "vendor = Yahoo) as a share of each month's gross flow Σ|ΔSO × NAV|; "
                 "dq_flow_quality_daily: fund-days whose share count a check flagged, by "
                 "kind. " + "; ".join(notes) + ".", figure)


def issuer_vendor_split(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """Per month and share-count source (issuer / vendor / no share count): fund-days and
    the share of the month's gross flow."""
    return _columns(con, """
        with classified as (
            select cast(date_trunc('month', as_of_date) as date) as month,
                   coalesce(shares_source_type, 'no share count') as count_source,
                   net_flow_usd
            from fct_etf_flows_daily
        )
        select month, count_source, count(*) as fund_days,
               sum(abs(net_flow_usd)) / 1e6 as gross_flow_musd,
               100 * sum(abs(net_flow_usd))
                   / nullif(sum(sum(abs(net_flow_usd))) over (partition by month), 0)
                   as gross_flow_share_pct
        from classified
        group by month, count_source
        order by month, count_source""")


# -- the page ---------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; }}
h1 {{ margin-bottom: .2rem; }}
.meta, .note, footer {{ color: #555; font-size: .9rem; }}
.sample {{ background: #fff3cd; border: 1px solid #d39e00; padding: .5rem 1rem;
          font-weight: bold; }}
section {{ margin: 2.5rem 0; }}
nav a {{ margin-right: 1rem; }}
</style>
</head>
<body>
<h1>ETF flow report</h1>
<p class="meta">Data as of {as_of} · window {window} · flows are ΔSO × NAV (creations −
redemptions), read from the warehouse's marts; trading volume is never a flow.</p>
{banner}
<nav>{links}</nav>
{sections}
<footer>Made by <code>etfflow report --html</code>. One self-contained file: the charting
library (plotly.js) is inlined, nothing is fetched. Hover a chart for values; its toolbar
saves a PNG.</footer>
</body>
</html>
"""


def render_html(charts: Sequence[Chart], label: str | None, as_of_date: dt.date | None,
                window: str) -> str:
    sections = []
    for i, chart in enumerate(charts):
        body = pio.to_html(chart.figure, full_html=False, include_plotlyjs=i == 0,
                           div_id=chart.chart_id, config=PLOTLY_CONFIG,
                           default_height=f"{chart.figure.layout.height}px")
        sections.append(f'<section aria-labelledby="{chart.chart_id}-heading">\n'
                        f'<h2 id="{chart.chart_id}-heading">{html.escape(chart.heading)}</h2>\n'
                        f'<p class="note">{html.escape(chart.note)}</p>\n{body}\n</section>')
    links = " ".join(f'<a href="#{c.chart_id}-heading">{html.escape(c.heading)}</a>'
                     for c in charts)
    banner = f'<p class="sample">{html.escape(label)}</p>' if label else ""
    title = f"ETF flow report — {as_of_date or 'no data'}" + (" — SAMPLE DATA" if label else "")
    return PAGE.format(title=html.escape(title), as_of=as_of_date or "n/a", window=window,
                       banner=banner, links=links, sections="\n".join(sections))


# -- helpers ----------------------------------------------------------------------------------


def _style(figure: go.Figure, title: str, label: str | None, height: int) -> None:
    """Title (with the SAMPLE DATA label on the demo), size and a plain template."""
    text = html.escape(title)
    if label:
        text += f"<br><span style='color:#b35900;font-size:13px'>{html.escape(label)}</span>"
    figure.update_layout(template="plotly_white", height=height,
                         title={"text": text, "x": 0.01, "xanchor": "left"},
                         margin={"l": 80, "r": 30, "t": 100 if label else 70, "b": 60},
                         hovermode="closest")


def _unavailable(figure: go.Figure, reason: str, row: int | None = None) -> None:
    """Say inside the chart (or inside subplot ``row``) why it has no data. Paper
    coordinates: an axis-bound annotation would join that axis's autorange."""
    y = 0.5
    if row is not None:
        low, high = figure.layout[f"yaxis{row if row > 1 else ''}"].domain
        y = (low + high) / 2
    figure.add_annotation(text=html.escape(reason), x=0.5, y=y, xref="paper", yref="paper",
                          showarrow=False, font={"size": 14, "color": "#b35900"})


def _columns(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
             ) -> dict[str, list[Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _largest_fund(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("""
        select ticker from fct_etf_flows_daily
        where as_of_date = (select max(as_of_date) from fct_etf_flows_daily)
        order by aum_usd desc nulls last, ticker limit 1""").fetchone()
    if row is None:
        raise EtfflowError("fct_etf_flows_daily is empty; run `etfflow daily` or "
                           "`etfflow demo` first")
    return row[0]


def _latest_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return con.execute("select max(as_of_date) from fct_etf_flows_daily").fetchone()[0]
