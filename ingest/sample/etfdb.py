"""Render the simulated world as etfdb.com pages, in the live markup's structure.

SAMPLE DATA. What a fund page holds and how it is laid out follows what public scrapers
of etfdb.com read (``div#etf-ticker-body``; ``h3.h4`` section headings "Vitals",
"ETF Database Themes", "FactSet Classifications", "Trading Data", "Historical Trading
Data" followed by ``div.ticker-assets`` rows of two spans, a two-column table or
``ul.list-unstyled`` items of two spans; a ``#fund-flows-collapse`` section with
"<window> Net Flows: <amount>" lines and a chart ``div`` whose ``data-series`` holds the
daily bars as ``[[epoch ms, $ billions], ...]``; category pages with a table whose cells
carry ``data-th`` labels). Amounts are printed the way the site prints them: AUM
"$630,914.2 M", shares "1,076.3 M", volumes "45,123,456", flows to three significant
figures ("-1.23 B").

etfdb's published flows are computed from the world's creations and redemptions the
way a second data vendor would, so they agree with ours only approximately:

* as of the trading day *before* the fetch (etfdb's own as-of date), with calendar
  windows counted inclusive of their start ([as_of - N months, as_of]) and "5 Day" as
  the last five trading days;
* each day's flow priced at the previous day's NAV (ours: that day's NAV);
* funds in ``MISSED_DAY_FUNDS`` lack their largest creation/redemption day of the last
  three months (a data gap of the vendor), so their longer windows disagree;
* windows reaching back before the simulated history (3, 5, 10 years) add a made-up
  earlier amount: we cannot check those;
* displayed to three significant figures.

Two fetches are archived per page (``FETCHES``): mid-2024 and the demo's last day. Between
them etfdb re-categorises one fund and a fee cut changes another's expense ratio
(``CHANGES``), so the fund dimension's history has something to record.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.core.archive import Archive
from ingest.core.plugin import PlanParams, Request
from ingest.core.robots import robots_request, robots_url
from ingest.plugins.etfdb.plugin import (
    BASE_URL,
    CATEGORIES,
    CATEGORY_URL,
    FUND_URL,
    EtfdbPlugin,
)
from ingest.sample.world import (
    DEMO_START,
    FETCHED_AT,
    FundPath,
    FundSpec,
    _rng,
    fetched_after_close,
)

SOURCE = "etfdb"
FETCHES = (fetched_after_close(dt.date(2024, 6, 28)), FETCHED_AT)
MISSED_DAY_FUNDS = ("XLE", "HYG", "VNQ", "SLV")
# (ticker, field) -> (value before the last fetch, value at the last fetch)
CHANGES: dict[tuple[str, str], tuple[Any, Any]] = {
    ("KRE", "category_slug"): ("financials-equities", "regional-banks-equities"),
    ("VOX", "expense_ratio"): (0.0010, 0.0009),
}
EXTRA_CATEGORIES = {"regional-banks-equities": ("Regional Banks Equities", "Equity")}
# Non-seed ETFs the category pages also list: what universe discovery finds. (ticker, name,
# category slug, total assets $ bn) - real funds, sample numbers.
DISCOVERABLE = (
    ("IJH", "iShares Core S&P Mid-Cap ETF", "mid-cap-blend-equities", 92.0),
    ("IJR", "iShares Core S&P Small-Cap ETF", "small-cap-blend-equities", 85.0),
    ("VUG", "Vanguard Growth ETF", "large-cap-growth-equities", 140.0),
    ("VWO", "Vanguard FTSE Emerging Markets ETF", "emerging-markets-equities", 82.0),
    ("IEMG", "iShares Core MSCI Emerging Markets ETF", "emerging-markets-equities", 78.0),
    ("SCHD", "Schwab U.S. Dividend Equity ETF", "large-cap-blend-equities", 64.0),
    ("GOVT", "iShares U.S. Treasury Bond ETF", "government-bonds", 30.0),
    ("GDX", "VanEck Gold Miners ETF", "precious-metals", 13.0),
    ("IAT", "iShares U.S. Regional Banks ETF", "regional-banks-equities", 0.6),
)

ISSUERS = {  # seed issuer -> (etfdb "Issuer", etfdb "Brand")
    "State Street": ("State Street", "SPDR"),
    "iShares": ("Blackrock Financial Management", "iShares"),
    "Vanguard": ("Vanguard", "Vanguard"),
    "Invesco": ("Invesco", "Invesco"),
    "VanEck": ("Van Eck", "VanEck"),
    "USCF": ("United States Commodity Funds", "USCF"),
    "abrdn": ("abrdn", "abrdn"),
}
STRUCTURES = {"open_end_fund": "ETF", "uit": "UIT", "grantor_trust": "Grantor Trust",
              "commodity_pool": "Commodity Pool"}
BY_CATEGORY = {
    "Large Blend": "large-cap-blend-equities", "Large Value": "large-cap-blend-equities",
    "Large Growth": "large-cap-growth-equities", "Small Blend": "small-cap-blend-equities",
    "Mid-Cap Blend": "mid-cap-blend-equities",
    "Foreign Large Blend": "foreign-large-cap-equities",
    "Diversified Emerging Mkts": "emerging-markets-equities",
    "Intermediate Core Bond": "total-bond-market", "Long Government": "government-bonds",
    "Short Government": "government-bonds", "Intermediate Government": "government-bonds",
    "Corporate Bond": "corporate-bonds", "High Yield Bond": "high-yield-bonds",
    "Global Bond-USD Hedged": "international-government-bonds",
    "Commodities Broad Basket": "commodities",
}
BY_SECTOR = {
    "Financials": "financials-equities", "Technology": "technology-equities",
    "Healthcare": "health-biotech-equities", "Energy": "energy-equities",
    "Industrials": "industrials-equities",
    "Consumer Discretionary": "consumer-discretionary-equities",
    "Consumer Staples": "consumer-staples-equities", "Utilities": "utilities-equities",
    "Real Estate": "real-estate", "Communications": "communications-equities",
}
SEGMENTS = {
    "large-cap-blend-equities": ("Equity: U.S. - Large Cap", "Size and Style", "Large Cap"),
    "large-cap-growth-equities": ("Equity: U.S. - Large Cap Growth", "Size and Style",
                                  "Large Cap"),
    "small-cap-blend-equities": ("Equity: U.S. - Small Cap", "Size and Style", "Small Cap"),
    "mid-cap-blend-equities": ("Equity: U.S. - Mid Cap", "Size and Style", "Mid Cap"),
    "foreign-large-cap-equities": ("Equity: Developed Markets Ex-U.S. - Total Market",
                                   "Size and Style", "Total Market"),
    "emerging-markets-equities": ("Equity: Emerging Markets - Total Market",
                                  "Size and Style", "Total Market"),
    "total-bond-market": ("Fixed Income: U.S. - Broad Market, Broad-based Investment Grade",
                          "Broad Market, Broad-based", "Investment Grade"),
    "government-bonds": ("Fixed Income: U.S. - Government, Treasury", "Government, Treasury",
                         "Treasury"),
    "corporate-bonds": ("Fixed Income: U.S. - Corporate, Broad-based Investment Grade",
                        "Corporate", "Investment Grade"),
    "high-yield-bonds": ("Fixed Income: U.S. - Corporate, High Yield", "Corporate",
                         "High Yield"),
    "international-government-bonds": ("Fixed Income: Global Ex-U.S. - Broad Market",
                                       "Broad Market, Broad-based", "Investment Grade"),
    "precious-metals": ("Commodities: Precious Metals", "Precious Metals", "Precious Metals"),
    "oil-gas": ("Commodities: Energy", "Energy", "Energy"),
    "commodities": ("Commodities: Broad Market", "Broad Market", "Broad Market"),
    "real-estate": ("Equity: U.S. Real Estate", "Sector", "Real Estate"),
}
WINDOWS = (("5 Day", "days", 5), ("1 Month", "months", 1), ("3 Month", "months", 3),
           ("6 Month", "months", 6), ("1 Year", "months", 12), ("3 Year", "months", 36),
           ("5 Year", "months", 60), ("10 Year", "months", 120))
CHART_DAYS = 252


@dataclass(frozen=True)
class EtfdbFund:
    """What etfdb shows about one fund on one fetch."""

    ticker: str
    name: str
    issuer: str
    brand: str
    structure: str
    expense_ratio: float
    inception: dt.date
    category_slug: str
    asset_class: str
    path: FundPath           # the world as known at the fetch (``FundPath.through``)


def category_slug(row: dict[str, str]) -> str:
    """The etfdb category of a seed row."""
    if row.get("seed_group") in ("sector", "sector_basket") and row.get("sector") in BY_SECTOR:
        return BY_SECTOR[row["sector"]]
    if row.get("category") == "Commodities Focused":
        return "oil-gas" if row.get("structure") == "commodity_pool" else "precious-metals"
    return BY_CATEGORY.get(row.get("category", ""), "large-cap-blend-equities")


def all_categories() -> dict[str, tuple[str, str]]:
    return {**CATEGORIES, **EXTRA_CATEGORIES}


def _changed(ticker: str, field: str, value: Any, final: bool) -> Any:
    """``value``, or what CHANGES says etfdb showed for this field at this fetch."""
    before_after = CHANGES.get((ticker, field))
    if before_after is None:
        return value
    return before_after[1] if final else before_after[0]


def fund_category(ticker: str, row: dict[str, str], final: bool) -> str:
    """The etfdb category slug of a fund at the mid-year (final=False) or last fetch."""
    return _changed(ticker, "category_slug", category_slug(row), final)


def etfdb_fund(spec: FundSpec, row: dict[str, str], path: FundPath, final: bool) -> EtfdbFund:
    issuer, brand = ISSUERS.get(spec.issuer, (spec.issuer, spec.issuer))
    slug = fund_category(spec.ticker, row, final)
    expense = _changed(spec.ticker, "expense_ratio", spec.expense_ratio, final)
    return EtfdbFund(
        ticker=spec.ticker, name=spec.name, issuer=issuer, brand=brand,
        structure=STRUCTURES.get(spec.structure, "ETF"), expense_ratio=expense,
        inception=spec.inception, category_slug=slug,
        asset_class=all_categories()[slug][1], path=path,
    )


# -- published flows -----------------------------------------------------------------------


def _etfdb_daily_flows(path: FundPath) -> np.ndarray:
    """etfdb's daily flow estimate: creations/redemptions in shares x the previous day's
    NAV (in that day's share units), with the vendor's data gap for MISSED_DAY_FUNDS."""
    shares_created = path.units * path.spec.creation_unit
    prev_nav = np.concatenate([[path.nav[0]], path.nav[:-1]])
    for k, split in path.split_days.items():
        if k:
            prev_nav[k] = path.nav[k - 1] / split.ratio
    flows = shares_created * prev_nav
    if path.spec.ticker in MISSED_DAY_FUNDS and len(flows) > 63:
        recent = np.abs(flows[-63:])
        flows = flows.copy()
        flows[len(flows) - 63 + int(np.argmax(recent))] = 0.0
    return flows


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def flows_as_of(path: FundPath, fetched_at: dt.datetime) -> int:
    """Index of etfdb's as-of day: the last trading day before the fetch day."""
    fetch_day = fetched_at.date()
    return max(i for i, d in enumerate(path.days) if d < fetch_day)


def published_flows(path: FundPath, fetched_at: dt.datetime) -> list[tuple[str, float]]:
    """(window label, USD) as etfdb would print them, before display rounding."""
    flows = _etfdb_daily_flows(path)
    k = flows_as_of(path, fetched_at)
    as_of = path.days[k]
    rng = _rng("etfdb-prehistory", path.spec.ticker)
    out = []
    for label, unit, n in WINDOWS:
        if unit == "days":
            total = float(flows[max(0, k - n + 1): k + 1].sum())
        else:
            start = _months_before(as_of, n)
            total = float(sum(f for d, f in zip(path.days[: k + 1], flows[: k + 1],
                                                  strict=True) if d >= start))
            if start < DEMO_START and path.spec.launch is None:
                years_before = (DEMO_START - start).days / 365.25
                aum = path.spec.start_aum_usd
                total += aum * 0.04 * years_before * float(rng.normal(0.5, 1.0))
        out.append((label, total))
    return out


def three_significant(value: float) -> str:
    """``-1234567890`` -> ``-1.23 B``: etfdb's display of a flow (3 significant figures)."""
    if value == 0:
        return "0.00 M"
    rounded = float(f"{value:.3g}")
    suffix, scale = next(((s, f) for s, f in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3))
                          if abs(rounded) >= f), ("", 1.0))
    scaled = rounded / scale
    digits = max(0, 2 - int(math.floor(math.log10(abs(scaled)))))
    return f"{scaled:.{digits}f} {suffix}".strip()


def _chart_series(path: FundPath, fetched_at: dt.datetime) -> str:
    flows = _etfdb_daily_flows(path)
    k = flows_as_of(path, fetched_at)
    points = []
    for i in range(max(0, k - CHART_DAYS + 1), k + 1):
        ms = int(dt.datetime.combine(path.days[i], dt.time(), dt.UTC).timestamp()) * 1000
        points.append([ms, round(float(flows[i]) / 1e9, 6)])
    return json.dumps(points, separators=(",", ":"))


# -- pages --------------------------------------------------------------------------------

_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta content="SAMPLE DATA - generated by ingest/sample/etfdb.py, not etfdb.com" name="generator">
<title>{title}</title>
<meta content="Explore {ticker} for FREE on ETFdb.com: Price, Holdings, Charts, Technicals, \
Fact Sheet, News, and more." name="description">
<meta content="ETF Database" property="og:site_name">
<meta content="{og_title}" property="og:title">
<meta content="article" property="og:type">
<meta content="{og_url}" property="og:url">
<script type="text/javascript">
  window.user_member_id = undefined;
  window.cached = 'true';
  var _paq = _paq || []; _paq.push(['trackPageView']);
</script>
<link rel="stylesheet" media="screen" href="/assets/etfdb-sample.css">
</head>
<body class="etfdb">
<nav class="navbar navbar-default" id="mm-main-nav"><div class="container">
<a class="navbar-brand" href="/">ETF Database</a>
<ul class="nav navbar-nav"><li><a href="/screener/">ETF Screener</a></li>
<li><a href="/etfdb-categories/">ETF Categories</a></li>
<li><a href="/etf-fund-flows/">Fund Flows</a></li></ul>
</div></nav>
<div class="dfp-unit" data-dfp-unit="A1-1" id="div-gpt-ad-leaderboard"></div>
"""
_FOOT = """<footer class="footer"><div class="container"><p>SAMPLE DATA &mdash; synthetic page in
etfdb.com's layout, generated by etfflow's sample archive; not etfdb.com content.</p></div>
</footer>
<script type="text/javascript">defer(function() { Mitre.Analytics.trackPageview(); });</script>
</body>
</html>
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(
        f'<div class="row"><span class="col-md-6 col-sm-6 col-xs-6 pull-left">{_e(label)}</span>'
        f'<span class="col-md-6 col-sm-6 col-xs-6 text-right pull-right">{value}</span></div>'
        for label, value in pairs
    )


def _items(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"<li><span>{_e(label)}</span><span>{_e(value)}</span></li>"
                     for label, value in pairs)


def _money_m(value: float) -> str:
    return f"${value / 1e6:,.1f} M"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


def fund_page(fund: EtfdbFund, fetched_at: dt.datetime) -> bytes:
    path = fund.path
    k = flows_as_of(path, fetched_at)
    nav, shares, close = float(path.nav[k]), float(path.shares[k]), float(path.close[k])
    # Yahoo-style closes are split-adjusted to the end of the world; undo for this day.
    ratio_after = math.prod(s.ratio for i, s in path.split_days.items() if i > k)
    close *= ratio_after
    volume = path.volume[: k + 1]
    window_1m, window_3m = volume[-21:], volume[-63:]
    avg_1m = int(window_1m.mean() / ratio_after) if len(window_1m) else 0
    avg_3m = int(window_3m.mean() / ratio_after) if len(window_3m) else 0
    year = path.close[max(0, k - 251): k + 1] * ratio_after
    category_name, _ = all_categories()[fund.category_slug]
    segment, factset_category, focus = SEGMENTS.get(
        fund.category_slug, (f"Equity: U.S. {category_name.replace(' Equities', '')}",
                             "Sector", category_name.replace(" Equities", "")))
    issuer_slug = fund.issuer.lower().replace(" ", "-")
    vitals = [
        ("Issuer", f'<a href="/issuer/{_e(issuer_slug)}/">{_e(fund.issuer)}</a>'),
        ("Brand", f'<a href="/issuer/{_e(fund.brand.lower())}/">{_e(fund.brand)}</a>'),
        ("Structure", _e(fund.structure)),
        ("Expense Ratio", _percent(fund.expense_ratio)),
        ("ETF Home Page", '<a href="https://example.com/sample-fund" rel="nofollow" '
                          'target="_blank">Home page</a>'),
        ("Inception", fund.inception.strftime("%b %d, %Y").replace(" 0", " ")),
        ("Index Tracked", f'<a href="/index/sample-{fund.ticker.lower()}-index/">'
                          f'{_e(fund.name.replace(" ETF", ""))} Index (sample)</a>'),
    ]
    themes = [
        ("Category", _e(category_name)),
        ("Asset Class", f'<a href="/etfs/{fund.asset_class.lower().replace(" ", "-")}/">'
                        f'{_e(fund.asset_class)}</a>'),
    ]
    if fund.asset_class == "Equity":
        themes += [("Asset Class Size", "Multi-Cap" if "Total" in segment else "Large-Cap"),
                   ("Region (General)", "North America" if "U.S." in segment else "Global")]
    factset = [("Segment", segment), ("Category", factset_category), ("Focus", focus),
               ("Niche", "Broad-based"), ("Strategy", "Vanilla"),
               ("Weighting Scheme", "Market Cap")]
    trading = [("Open", f"${close:,.2f}"), ("Volume", f"{int(volume[-1] / ratio_after):,}"),
               ("Day Lo", f"${close * 0.993:,.2f}"), ("Day Hi", f"${close * 1.006:,.2f}"),
               ("52 Week Lo", f"${float(year.min()):,.2f}"),
               ("52 Week Hi", f"${float(year.max()):,.2f}")]
    size = [("AUM", _money_m(shares * nav)), ("Shares", f"{shares / 1e6:,.1f} M")]
    history = [("1 Month Avg. Volume", f"{avg_1m:,}"), ("3 Month Avg. Volume", f"{avg_3m:,}")]
    flow_lines = "\n".join(
        f'<li><span class="flow-label">{label} Net Flows:</span> '
        f'<span class="flow-value">{three_significant(value)}</span></li>'
        for label, value in published_flows(path, fetched_at)
    )
    factset_rows = "\n".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td></tr>" for a, b in factset)
    body = f"""<div class="container" id="etf-ticker-body">
<div class="row"><div class="col-sm-12">
<h1 class="data-title"><span class="label-primary">{_e(fund.ticker)}</span>
<span>{_e(fund.name)}</span></h1>
<p class="price"><span class="stock-quote-data" data-field="price">${close:,.2f}</span></p>
</div></div>
<ul class="nav nav-tabs" id="etf-ticker-tabs">
<li class="active"><a href="#etf-ticker-profile" data-toggle="tab">Profile</a></li>
<li><a href="#fund-flows" id="fund-flows_tab" data-toggle="tab">Fund Flows</a></li>
</ul>
<div class="tab-content">
<div class="tab-pane active" id="etf-ticker-profile">
<div class="row">
<div class="col-md-6">
<h3 class="h4">Vitals</h3>
<div class="ticker-assets">
{_rows(vitals)}
</div>
<h3 class="h4">ETF Database Themes</h3>
<div class="ticker-assets">
{_rows(themes)}
</div>
<h3 class="h4">FactSet Classifications</h3>
<div class="table-responsive"><table class="table table-condensed"><tbody>
{factset_rows}
</tbody></table></div>
</div>
<div class="col-md-6">
<h3 class="h4">Trading Data</h3>
<ul class="list-unstyled">
{_items(trading)}
</ul>
<div class="dfp-unit" data-dfp-unit="A3-1" id="div-gpt-ad-box"></div>
<ul class="list-unstyled">
{_items(size)}
</ul>
<h3 class="h4">Historical Trading Data</h3>
<ul class="list-unstyled">
{_items(history)}
</ul>
</div>
</div>
</div>
<div class="tab-pane panel" id="fund-flows">
<h2 class="panel-title"><a data-toggle="collapse" href="#fund-flows-collapse">Fund Flows</a></h2>
<div class="collapse" id="fund-flows-collapse">
<div class="chart" data-chart-type="column" data-title="{_e(fund.ticker)} Fund Flow"
 id="fund-flow-chart" data-series="{_e(_chart_series(path, fetched_at))}"></div>
<ul class="list-unstyled fund-flows-summary">
{flow_lines}
</ul>
</div>
</div>
</div>
</div>
"""
    head = _HEAD.format(
        title=f"{_e(fund.ticker)} ETF Guide | Stock Quote, Holdings, Fact Sheet and More",
        ticker=_e(fund.ticker), og_title=_e(fund.name),
        og_url=FUND_URL.format(ticker=fund.ticker))
    return (head + body + _FOOT).encode("utf-8")


def category_page(slug: str, listed: Sequence[tuple[str, str, float]]) -> bytes:
    """A category listing: ``listed`` is (ticker, fund name, total assets USD), any order."""
    name = all_categories()[slug][0]
    rows = []
    for ticker, fund_name, assets in sorted(listed, key=lambda r: (-r[2], r[0])):
        rows.append(
            "<tr>"
            f'<td data-th="Symbol"><a href="/etf/{_e(ticker)}/">{_e(ticker)}</a></td>'
            f'<td data-th="ETF Name"><a href="/etf/{_e(ticker)}/">{_e(fund_name)}</a></td>'
            f'<td data-th="Total Assets ($MM)">${assets / 1e6:,.2f}</td>'
            '<td data-th="YTD Price Change">--</td>'
            '<td data-th="Avg. Daily Share Volume (3mo)">--</td>'
            '<td data-th="Previous Closing Price">--</td>'
            '<td data-th="ETFdb Rating"><span class="rating">N/A</span></td>'
            "</tr>")
    table = "\n".join(rows)
    body = f"""<div class="container" id="etfdb-category">
<h1 class="h1">{_e(name)} ETF List</h1>
<p>{_e(name)} ETFs, ranked by total assets. SAMPLE DATA.</p>
<table class="table table-striped mm-mobile-table" data-toggle="table" id="etfs">
<thead><tr><th data-field="symbol">Symbol</th><th data-field="name">ETF Name</th>
<th data-field="assets">Total Assets ($MM)</th><th>YTD Price Change</th>
<th>Avg. Daily Share Volume (3mo)</th><th>Previous Closing Price</th><th>ETFdb Rating</th></tr>
</thead>
<tbody>
{table}
</tbody>
</table>
</div>
"""
    head = _HEAD.format(title=f"{_e(name)} ETF List", ticker=_e(name),
                        og_title=f"{_e(name)} ETF List", og_url=CATEGORY_URL.format(slug=slug))
    return (head + body + _FOOT).encode("utf-8")


ROBOTS_TXT = b"""# SAMPLE robots.txt for the demo archive (generated by ingest/sample/etfdb.py).
# It is not etfdb.com's: check the live file; the plugin obeys whatever it says.
User-agent: *
Disallow: /admin/
Disallow: /members/
Disallow: /screener/
Crawl-delay: 1

Sitemap: https://etfdb.com/sitemap.xml
"""


def write_archive(archive: Archive, paths: dict[str, FundPath],
                  universe: dict[str, dict[str, str]]) -> int:
    """Store robots.txt, every fund's page at each fetch in ``FETCHES`` and the category
    pages at each fetch, as a live run would have; return the number of payloads."""
    plugin = EtfdbPlugin()
    tickers = tuple(paths)
    chosen = {t: universe.get(t, {}) for t in tickers}
    payloads = 0
    for fetched_at in FETCHES:
        archive.put(SOURCE, robots_request(FUND_URL.format(ticker="SPY")), body=ROBOTS_TXT,
                    status=200, url=robots_url(BASE_URL + "/"), fetched_at=fetched_at)
        payloads += 1
        final = fetched_at == FETCHES[-1]
        listed: dict[str, list[tuple[str, str, float]]] = {slug: [] for slug in all_categories()}
        for ticker, full in paths.items():
            known = [i for i, d in enumerate(full.days) if d <= fetched_at.date()]
            if not known:
                continue  # not launched yet
            path = full.through(known[-1])
            fund = etfdb_fund(full.spec, universe.get(ticker, {}), path, final)
            request = Request.get(FUND_URL.format(ticker=ticker), f"{ticker} etfdb page")
            archive.put(SOURCE, request, body=fund_page(fund, fetched_at), status=200,
                        url=request.url, fetched_at=fetched_at)
            payloads += 1
            k = flows_as_of(path, fetched_at)
            listed[fund.category_slug].append(
                (ticker, fund.name, float(path.shares[k] * path.nav[k])))
        for ticker, name, slug, assets_bn in DISCOVERABLE:
            listed[slug].append((ticker, name, assets_bn * 1e9))
        slugs = demo_categories(chosen, final)
        for request in plugin.plan(PlanParams(tickers, extra={"datasets": ("categories",),
                                                                "categories": slugs})):
            slug = request.url.rstrip("/").rsplit("/", 1)[-1]
            archive.put(SOURCE, request, body=category_page(slug, listed[slug]), status=200,
                        url=request.url, fetched_at=fetched_at)
            payloads += 1
    return payloads


def demo_categories(universe: dict[str, dict[str, str]], final: bool = True) -> list[str]:
    """The category slugs the sample archive holds pages for at a fetch: those listing at
    least one fund then (an empty listing would be quarantined)."""
    slugs = {fund_category(ticker, row, final) for ticker, row in universe.items()}
    slugs |= {slug for (_, _, slug, _) in DISCOVERABLE}
    return sorted(slugs)


def run_params(tickers: tuple[str, ...],
               universe: dict[str, dict[str, str]]) -> list[tuple[PlanParams, dt.datetime]]:
    """The etfdb runs the demo replays: every page, and the categories listed, at each fetch."""
    chosen = {t: universe.get(t, {}) for t in tickers}
    return [
        (PlanParams(tickers, extra={"categories": demo_categories(chosen, at == FETCHES[-1])}),
         at)
        for at in FETCHES
    ]
