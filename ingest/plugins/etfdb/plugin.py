"""etfdb.com: fund profile pages and category listing pages, parsed with lxml.html.

A fund page (``/etf/<TICKER>/``) gives the fund's name, the "Vitals" block (issuer,
brand, structure, expense ratio, inception, index), the "ETF Database Themes" block
(category, asset class, ...), the "FactSet Classifications" table (segment, ...), the
"Trading Data" lists (AUM, shares) and "Historical Trading Data" (average volumes), and,
where the page shows it, the "Fund Flows" section: one "<window> Net Flows: <amount>"
line per window (live vocabulary: 5 Day, 1 Month, 3 Month, 6 Month, 1 Year, 3 Year,
5 Year, 10 Year; older pages: 1 Week, 4 Week, YTD, 1 Year) and a chart whose
``data-series`` holds the daily bars (we take the date of the last bar as the flows'
as-of date). A category page (``/etfdb-category/<slug>/``) lists the ETFs in it.

Markup changes are expected: a page whose expected blocks or fields are missing is
quarantined with the list of what is missing, never landed with nulls in their place. A
field the page shows as not available ("N/A", "--") is a legitimate null.

Polite by design: ``respect_robots_txt`` makes the runner check robots.txt first, the
core rate-limits etfdb.com to 1 request/s (ingest/core/config.py), and requests carry the
project's own User-Agent (no browser impersonation).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from lxml.etree import ParserError

from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    SourceError,
)

BASE_URL = "https://etfdb.com"
FUND_URL = BASE_URL + "/etf/{ticker}/"
CATEGORY_URL = BASE_URL + "/etfdb-category/{slug}/"
DATASETS = ("pages", "categories")
NY = ZoneInfo("America/New_York")

# ETF Database categories the plan walks by default: slug -> (name, etfdb asset class).
# Checked against the category index (https://etfdb.com/etfdb-categories/) when live;
# extend with PlanParams.extra["categories"]. The asset class is ours (a category page does
# not print it) and lands with each listing row.
CATEGORIES: dict[str, tuple[str, str]] = {
    "large-cap-blend-equities": ("Large Cap Blend Equities", "Equity"),
    "large-cap-growth-equities": ("Large Cap Growth Equities", "Equity"),
    "small-cap-blend-equities": ("Small Cap Blend Equities", "Equity"),
    "mid-cap-blend-equities": ("Mid Cap Blend Equities", "Equity"),
    "foreign-large-cap-equities": ("Foreign Large Cap Equities", "Equity"),
    "emerging-markets-equities": ("Emerging Markets Equities", "Equity"),
    "total-bond-market": ("Total Bond Market", "Bond"),
    "government-bonds": ("Government Bonds", "Bond"),
    "corporate-bonds": ("Corporate Bonds", "Bond"),
    "high-yield-bonds": ("High Yield Bonds", "Bond"),
    "international-government-bonds": ("International Government Bonds", "Bond"),
    "precious-metals": ("Precious Metals", "Commodity"),
    "oil-gas": ("Oil & Gas", "Commodity"),
    "commodities": ("Commodities", "Commodity"),
    "financials-equities": ("Financials Equities", "Equity"),
    "technology-equities": ("Technology Equities", "Equity"),
    "health-biotech-equities": ("Health & Biotech Equities", "Equity"),
    "energy-equities": ("Energy Equities", "Equity"),
    "industrials-equities": ("Industrials Equities", "Equity"),
    "consumer-discretionary-equities": ("Consumer Discretionary Equities", "Equity"),
    "consumer-staples-equities": ("Consumer Staples Equities", "Equity"),
    "utilities-equities": ("Utilities Equities", "Equity"),
    "real-estate": ("Real Estate", "Real Estate"),
    "communications-equities": ("Communications Equities", "Equity"),
}

# Fund-flow window labels as printed -> our window code. Both vocabularies seen live.
FLOW_WINDOWS: dict[str, str] = {
    "5 day": "5d", "1 week": "1w", "4 week": "4w", "1 month": "1m", "3 month": "3m",
    "13 week": "13w", "26 week": "26w", "6 month": "6m", "ytd": "ytd", "year to date": "ytd",
    "1 year": "1y", "3 year": "3y", "5 year": "5y", "10 year": "10y",
}

FUND_PAGES = RawTable(
    "etfdb_fund_pages",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",            # the day the page was fetched (America/New_York)
        "fund_name": "VARCHAR",
        "issuer": "VARCHAR",
        "brand": "VARCHAR",
        "structure": "VARCHAR",
        "expense_ratio": "DOUBLE",       # fraction: 0.0009 = 0.09 %
        "inception_date": "DATE",
        "index_tracked": "VARCHAR",
        "category": "VARCHAR",
        "asset_class": "VARCHAR",
        "themes": "JSON",                # every "ETF Database Themes" label -> value
        "segment": "VARCHAR",            # FactSet segment
        "factset_category": "VARCHAR",
        "factset_focus": "VARCHAR",
        "factset_niche": "VARCHAR",
        "factset_strategy": "VARCHAR",
        "factset_weighting_scheme": "VARCHAR",
        "aum_usd": "DOUBLE",
        "shares_outstanding": "DOUBLE",  # as printed ("768.1 M"): rounded
        "avg_volume_1m": "DOUBLE",
        "avg_volume_3m": "DOUBLE",
        "flows_shown": "BOOLEAN",
        "flows_as_of_date": "DATE",      # date of the last daily bar of the flows chart
    },
    ("ticker", "as_of_date"),
    "etfdb fund profile pages: one row per ticker per day fetched.",
)
FUND_FLOWS = RawTable(
    "etfdb_fund_flows",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "flow_window": "VARCHAR",        # 5d, 1w, 4w, 1m, 3m, 13w, 26w, 6m, ytd, 1y, 3y, 5y, 10y
        "window_label": "VARCHAR",       # as printed, e.g. "1 Month"
        "net_flows_usd": "DOUBLE",
        "net_flows_text": "VARCHAR",     # as printed, e.g. "-1.23 B"
        "flows_as_of_date": "DATE",
    },
    ("ticker", "as_of_date", "flow_window"),
    "Fund flows etfdb publishes on a fund page: one row per ticker, day fetched and window.",
)
CATEGORY_LISTINGS = RawTable(
    "etfdb_categories",
    {
        "category_slug": "VARCHAR",
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "category_name": "VARCHAR",
        "asset_class": "VARCHAR",        # from CATEGORIES (not printed on the page)
        "list_rank": "INTEGER",          # position in the listing (1 = first row)
        "fund_name": "VARCHAR",
        "total_assets_usd": "DOUBLE",
    },
    ("category_slug", "ticker", "as_of_date"),
    "ETFs listed on etfdb category pages: one row per category, ticker and day fetched.",
)

NOT_AVAILABLE = frozenset({"", "n/a", "na", "--", "-", "—", "none"})
_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_AMOUNT = re.compile(
    r"^\(?\s*(?P<sign>[-+−])?\s*\$?\s*(?P<sign2>[-+−])?\s*(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"\s*(?P<suffix>[KMBT])?\s*\)?$",
    re.IGNORECASE,
)
_FLOW_LINE = re.compile(
    r"(?P<label>\d+\s+(?:day|week|month|year)|ytd|year to date)\s+net\s+flows\s*:?\s*"
    r"(?P<value>\(?[-+−]?\s*\$?\s*[-+−]?\s*\d[\d,]*(?:\.\d+)?\s*[KMBT]?\)?|n/a|--)",
    re.IGNORECASE,
)


class EtfdbPlugin(Plugin):
    name: ClassVar[str] = "etfdb"
    description: ClassVar[str] = "etfdb.com fund pages (profile, AUM, published flows), categories"
    tables = (FUND_PAGES, FUND_FLOWS, CATEGORY_LISTINGS)
    respect_robots_txt: ClassVar[bool] = True

    def plan(self, params: PlanParams) -> Iterable[Request]:
        if params.extra.get("history_only"):
            return  # etfdb pages are point-in-time: a backfill has nothing to fetch
        datasets = _names(params.extra.get("datasets")) or DATASETS
        if "pages" in datasets:
            for ticker in params.tickers:
                yield Request.get(FUND_URL.format(ticker=ticker.upper()), f"{ticker} etfdb page")
        if "categories" in datasets:
            for slug in _names(params.extra.get("categories")) or tuple(CATEGORIES):
                yield Request.get(CATEGORY_URL.format(slug=slug), f"etfdb category {slug}")

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        path = urlsplit(payload.request.url).path
        if path.startswith("/etf/"):
            return parse_fund_page(payload)
        if path.startswith("/etfdb-category/"):
            return {CATEGORY_LISTINGS.name: parse_category_page(payload)}
        raise MalformedPayload(f"no parser for {payload.request.url}")


# -- shared helpers ------------------------------------------------------------------------


def _names(value: object) -> tuple[str, ...]:
    """A plan option as a tuple of names: one name may come as text (CLI: -o datasets=pages)."""
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _document(payload: Payload) -> lxml.html.HtmlElement:
    if payload.status == 404:
        raise SourceError("etfdb has no such page (HTTP 404)")
    if payload.status >= 400:
        raise SourceError(f"etfdb answered HTTP {payload.status}")
    try:
        return lxml.html.document_fromstring(payload.body)
    except (ParserError, ValueError) as exc:
        raise MalformedPayload(f"not an HTML document: {exc}") from exc


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _fetched_date(payload: Payload) -> dt.date:
    moment = payload.fetched_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(NY).date()


def _is_na(text: str | None) -> bool:
    return text is None or text.strip().lower() in NOT_AVAILABLE


def parse_amount(text: str | None) -> float | None:
    """``$630,914.2 M`` -> 630914200000.0; ``-1.23 B`` and ``($1.2 B)`` are negative;
    N/A -> None. Raises ValueError for anything else."""
    if _is_na(text):
        return None
    cleaned = text.strip().replace("\u2212", "-")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    value = float(match["num"].replace(",", "")) * _SUFFIX[(match["suffix"] or "").upper()]
    negative = "-" in (match["sign"] or "", match["sign2"] or "") or cleaned.startswith("(")
    return -value if negative else value


def parse_percent(text: str | None) -> float | None:
    """``0.09%`` -> 0.0009."""
    if _is_na(text):
        return None
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%\s*", text)
    if not match:
        raise ValueError(f"not a percentage: {text!r}")
    return round(float(match[1]) / 100, 10)


def parse_date(text: str | None) -> dt.date | None:
    """``Jan 22, 1993`` (also ``January 22, 1993``, ``1993-01-22``, ``01/22/1993``)."""
    if _is_na(text):
        return None
    cleaned = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    for fmt in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _heading(doc: lxml.html.HtmlElement, title: str) -> lxml.html.HtmlElement | None:
    for element in doc.iter("h2", "h3", "h4", "h5"):
        if _text(element).lower() == title.lower():
            return element
    return None


def _pairs(container: lxml.html.HtmlElement) -> dict[str, str]:
    """Label -> value pairs from ``div.row``/``li`` with two spans, or two-cell table rows."""
    pairs: dict[str, str] = {}
    for row in container.iter("div", "li", "tr"):
        if row.tag == "tr":
            cells = row.findall("td")
        else:
            classes = (row.get("class") or "").split()
            if row.tag == "div" and "row" not in classes:
                continue
            cells = row.findall("span")
        if len(cells) >= 2:
            label = _text(cells[0]).rstrip(":")
            if label and label not in pairs:
                pairs[label] = _text(cells[1])
    return pairs


def _block(doc: lxml.html.HtmlElement, title: str) -> dict[str, str] | None:
    """The label/value pairs under a section heading: its following siblings up to the next
    heading (etfdb puts a ``div.ticker-assets``, a table or ``ul`` lists there)."""
    heading = _heading(doc, title)
    if heading is None:
        return None
    pairs: dict[str, str] = {}
    for sibling in heading.itersiblings():
        if sibling.tag in ("h2", "h3", "h4", "h5"):
            break
        for label, value in _pairs(sibling).items():
            pairs.setdefault(label, value)
    return pairs


# -- fund pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """An expected fund-page field: which block, which label, how to read it."""

    column: str
    block: str
    label: str
    reader: str = "text"   # text | amount | percent | date
    required: bool = True


FUND_FIELDS: tuple[_Field, ...] = (
    _Field("issuer", "Vitals", "Issuer"),
    _Field("brand", "Vitals", "Brand", required=False),
    _Field("structure", "Vitals", "Structure", required=False),
    _Field("expense_ratio", "Vitals", "Expense Ratio", "percent"),
    _Field("inception_date", "Vitals", "Inception", "date"),
    _Field("index_tracked", "Vitals", "Index Tracked", required=False),
    _Field("category", "ETF Database Themes", "Category"),
    _Field("asset_class", "ETF Database Themes", "Asset Class"),
    _Field("segment", "FactSet Classifications", "Segment"),
    _Field("factset_category", "FactSet Classifications", "Category", required=False),
    _Field("factset_focus", "FactSet Classifications", "Focus", required=False),
    _Field("factset_niche", "FactSet Classifications", "Niche", required=False),
    _Field("factset_strategy", "FactSet Classifications", "Strategy", required=False),
    _Field("factset_weighting_scheme", "FactSet Classifications", "Weighting Scheme",
           required=False),
    _Field("aum_usd", "Trading Data", "AUM", "amount"),
    _Field("shares_outstanding", "Trading Data", "Shares", "amount", required=False),
    _Field("avg_volume_1m", "Historical Trading Data", "1 Month Avg. Volume", "amount",
           required=False),
    _Field("avg_volume_3m", "Historical Trading Data", "3 Month Avg. Volume", "amount"),
)
_READERS = {"text": lambda t: None if _is_na(t) else t, "amount": parse_amount,
            "percent": parse_percent, "date": parse_date}


def _page_ticker(payload: Payload) -> str:
    parts = [p for p in urlsplit(payload.request.url).path.split("/") if p]
    return parts[1].upper() if len(parts) >= 2 else ""


def _fund_name(doc: lxml.html.HtmlElement) -> str | None:
    for meta in doc.iter("meta"):
        if meta.get("property") == "og:title" and (meta.get("content") or "").strip():
            return " ".join(meta.get("content").split())
    body = doc.get_element_by_id("etf-ticker-body", None)
    if body is None:
        return None  # not a fund page (an interstitial's h1 is no fund name)
    for h1 in body.iter("h1"):
        spans = h1.findall("span")
        text = _text(spans[-1]) if len(spans) >= 2 else _text(h1)
        if text:
            return text
    return None


def _check_landed_on_fund(payload: Payload, ticker: str) -> None:
    """etfdb redirects an unknown or closed ticker to another page: say so, don't parse it."""
    final = urlsplit(payload.url).path.rstrip("/").upper()
    if payload.url and not final.endswith(f"/ETF/{ticker}"):
        raise SourceError(f"no etfdb page for {ticker} (redirected to {payload.url})")


def parse_fund_page(payload: Payload) -> dict[str, Rows]:
    ticker = _page_ticker(payload)
    _check_landed_on_fund(payload, ticker)
    doc = _document(payload)
    as_of = _fetched_date(payload)
    blocks = {title: _block(doc, title) for title in {f.block for f in FUND_FIELDS}}
    missing: list[str] = []
    row: dict[str, object] = {"ticker": ticker, "as_of_date": as_of}

    name = _fund_name(doc)
    if not name:
        missing.append("fund_name")
    row["fund_name"] = name

    bad: list[str] = []
    for spec in FUND_FIELDS:
        block = blocks[spec.block]
        if block is None or spec.label not in block:
            row[spec.column] = None
            if spec.required:
                missing.append(spec.column)
            continue
        try:
            row[spec.column] = _READERS[spec.reader](block[spec.label])
        except ValueError as exc:
            bad.append(f"{spec.column} ({exc})")
    if missing:
        absent = sorted(t for t, b in blocks.items() if b is None)
        hint = f"; blocks not found: {', '.join(absent)}" if absent else ""
        raise MalformedPayload(f"missing expected fields: {', '.join(missing)}{hint}")
    if bad:
        raise MalformedPayload(f"unreadable fields: {'; '.join(bad)}")
    themes = blocks["ETF Database Themes"] or {}
    row["themes"] = json.dumps(themes, sort_keys=True)

    flows, flows_as_of, shown = _fund_flows(doc, ticker, as_of)
    row["flows_shown"] = shown
    row["flows_as_of_date"] = flows_as_of
    return {FUND_PAGES.name: [row], FUND_FLOWS.name: flows}


def _flows_section(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for element_id in ("fund-flows-collapse", "fund-flows"):
        element = doc.get_element_by_id(element_id, None)
        if element is not None:
            return element
    heading = _heading(doc, "Fund Flows")
    return heading.getparent() if heading is not None else None


def _series_last_date(section: lxml.html.HtmlElement) -> dt.date | None:
    """Date of the last bar in the flows chart's ``data-series`` ([[epoch ms, value], ...])."""
    for element in section.iter():
        raw = element.get("data-series")
        if not raw:
            continue
        try:
            points = json.loads(raw)
            stamps = [p[0] for p in points if isinstance(p, list) and p and p[0] is not None]
        except (json.JSONDecodeError, TypeError) as exc:
            raise MalformedPayload(f"fund flows chart data-series is not JSON: {exc}") from exc
        if stamps:
            return dt.datetime.fromtimestamp(max(stamps) / 1000, dt.UTC).date()
    return None


def _fund_flows(
    doc: lxml.html.HtmlElement, ticker: str, as_of: dt.date
) -> tuple[list[dict[str, object]], dt.date | None, bool]:
    """(flow rows, flows as-of date, whether the page shows a flows section).

    A page without the section lands no flow rows (flows_shown = false); a section that is
    there but has no readable "Net Flows" line is a markup change and is quarantined.
    """
    section = _flows_section(doc)
    if section is None:
        return [], None, False
    flows_as_of = _series_last_date(section)
    rows, seen = [], set()
    for match in _FLOW_LINE.finditer(_text(section)):
        label = " ".join(match["label"].split())
        window = FLOW_WINDOWS.get(label.lower())
        if window is None or window in seen:
            continue
        seen.add(window)
        try:
            value = parse_amount(match["value"])
        except ValueError as exc:
            raise MalformedPayload(f"unreadable fund flow {label!r}: {exc}") from exc
        rows.append({
            "ticker": ticker, "as_of_date": as_of, "flow_window": window,
            "window_label": label, "net_flows_usd": value,
            "net_flows_text": " ".join(match["value"].split()),
            "flows_as_of_date": flows_as_of,
        })
    if not rows:
        raise MalformedPayload("missing expected fields: fund flows (section shown, no "
                               "'<window> Net Flows: <amount>' lines found)")
    return rows, flows_as_of, True


# -- category pages ------------------------------------------------------------------------


def _listing_table(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for table in doc.iter("table"):
        headers = [_text(th).lower() for th in table.iter("th")]
        cells = [(td.get("data-th") or "").lower() for td in table.iter("td")]
        if "symbol" in headers + cells and "etf name" in headers + cells:
            return table
    return None


def _listing_assets(cell: lxml.html.HtmlElement | None) -> float | None:
    """Total assets in USD; a "Total Assets ($MM)" column prints millions without a suffix."""
    if cell is None:
        return None
    text = _text(cell)
    value = parse_amount(text)
    in_millions = "$mm" in (cell.get("data-th") or "").lower()
    if value is not None and in_millions and not re.search(r"[KMBT]\s*\)?$", text, re.I):
        value *= 1e6
    return value


def parse_category_page(payload: Payload) -> list[dict[str, object]]:
    doc = _document(payload)
    slug = [p for p in urlsplit(payload.request.url).path.split("/") if p][-1]
    table = _listing_table(doc)
    if table is None:
        raise MalformedPayload("missing expected fields: ETF listing table "
                               "(a table with Symbol and ETF Name columns)")
    headers = [_text(th) for th in table.iter("th")]
    heading = next(iter(doc.iter("h1")), None)
    name = _text(heading) if heading is not None else ""
    catalog_name, asset_class = CATEGORIES.get(slug, (None, None))
    name = re.sub(r"\s+ETF(s| List)?$", "", name).strip() or catalog_name
    as_of = _fetched_date(payload)
    rows, problems = [], []
    body_rows = table.xpath("./tbody/tr") or table.xpath(".//tr[td]")
    for rank, tr in enumerate(body_rows, start=1):
        cells = tr.findall("td")
        by_name = {
            (td.get("data-th") or (headers[i] if i < len(headers) else "")).strip(): td
            for i, td in enumerate(cells)
        }
        symbol = by_name.get("Symbol")
        if symbol is None or not _text(symbol):
            problems.append(f"row {rank}: no Symbol cell")
            continue
        assets_cell = next((td for label, td in by_name.items()
                            if label.lower().startswith("total assets")), None)
        try:
            assets = _listing_assets(assets_cell)
        except ValueError as exc:
            problems.append(f"row {rank}: {exc}")
            continue
        rows.append({
            "category_slug": slug, "ticker": _text(symbol).upper(), "as_of_date": as_of,
            "category_name": name, "asset_class": asset_class, "list_rank": rank,
            "fund_name": _text(by_name["ETF Name"]) if "ETF Name" in by_name else None,
            "total_assets_usd": assets,
        })
    if problems:
        raise MalformedPayload("unreadable listing rows: " + "; ".join(problems[:5]))
    if not rows:
        raise MalformedPayload("ETF listing table has no rows")
    return rows
