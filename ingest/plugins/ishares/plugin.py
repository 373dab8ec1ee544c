"""iShares: the product screener (fund list) and each fund's daily holdings download, whose
header carries the fund's own **shares outstanding** for the date.

Two kinds of request:

``SCREENER_URL``   the product screener JSON: an object keyed by portfolio id, each value
                   a fund: ``localExchangeTicker``, ``fundName``, ``productPageUrl``
                   (relative), ``portfolioId``, ``inceptionDate`` / ``totalNetAssets`` as
                   ``{"d": display text, "r": raw value}``, ``productView`` (["etf", ...]).
                   Every field is optional except the ticker and the product page; products
                   that are not ETFs are ignored. -> raw.issuer_funds
holdings           ``{product page}/1467271812596.ajax?fileType=csv&fileName={TICKER}_holdings
                   &dataType=fund&asOfDate=YYYYMMDD``, one per fund per weekday, planned by
                   ``follow_up()`` from the screener (wanted tickers only, from the fund's
                   inception on). Dated files never change: requests for days before today
                   are ``immutable`` (a re-run or resumed backfill reuses the archived file).
                   -> raw.issuer_fund_days (the file's own as-of date, shares outstanding,
                   the sum of the holdings' market values; no NAV or total net assets: the
                   file publishes neither) and raw.issuer_holdings (every line).

iShares answers bot checks with an HTML page served as ``text/csv`` and some clients with
HTTP 403: both are a SourceError naming the fallback (download the file in a browser, then
``etfflow ingest ishares --file PATH``). A file whose as-of date is ``-`` has no holdings
for the date: a SourceError ("no holdings published"). A request for a market holiday may
answer the previous trading day's file; it lands under that file's own date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from ingest.core.errors import EtfflowError
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    Request,
    Rows,
    SourceError,
    local_files,
)
from ingest.plugins.ishares.holdings_csv import (
    HoldingsFileError,
    NoHoldingsPublished,
    decode,
    parse_holdings_csv,
)
from ingest.plugins.issuer_files import (
    ISSUER_FUND_DAYS,
    ISSUER_FUNDS,
    ISSUER_HOLDINGS,
    ISSUER_TABLES,
    holding_rows,
    holdings_market_value,
    looks_like_html,
    parse_number,
    text_or_none,
)

SOURCE = "ishares"
BASE_URL = "https://www.ishares.com"
SCREENER_URL = (
    BASE_URL + "/us/product-screener/product-screener-v3.1.jsn?dcrPath=/templatedata/config/"
    "product-screener-v3/data/en/us-ishares/ishares-product-screener-backend-config"
    "&siteEntryPassthrough=true"
)
HOLDINGS_AJAX = "1467271812596.ajax"
DEFAULT_DAYS = 5            # without --start: the last five calendar days' weekdays
# the fund in a file name: the word before "_holdings" (IVV_holdings.csv as iShares names
# its downloads, or e.g. ishares_IVV_holdings_2022-12-30.csv)
FILE_TICKER = re.compile(r"([A-Za-z0-9.]+)_holdings", re.IGNORECASE)
FALLBACK = ("download the holdings file in a browser from the fund's page and run "
            "`etfflow ingest ishares --file PATH`")


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def holdings_request(product_url: str, ticker: str, as_of_date: dt.date,
                     today: dt.date) -> Request:
    return Request.get(
        f"{product_url.rstrip('/')}/{HOLDINGS_AJAX}", f"{ticker} holdings {as_of_date}",
        immutable=as_of_date < today, fileType="csv", fileName=f"{ticker}_holdings",
        dataType="fund", asOfDate=as_of_date.strftime("%Y%m%d"),
    )


class IsharesPlugin(Plugin):
    name: ClassVar[str] = SOURCE
    description: ClassVar[str] = ("iShares: fund list and daily holdings files with the "
                                  "fund's shares outstanding")
    tables = ISSUER_TABLES
    issuer: ClassVar[str | None] = "iShares"
    local_file_suffixes: ClassVar[tuple[str, ...]] = (".csv",)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        yield Request.get(SCREENER_URL, "iShares product screener")

    def follow_up(self, payload: Payload, rows: Mapping[str, Rows],
                  params: PlanParams) -> Iterator[Request]:
        """One holdings request per wanted fund per weekday in [start, end] (from the
        fund's inception); wanted = ``params.tickers``, or every ETF when none are given."""
        if not _is_screener(payload.request):
            return
        funds = {f["ticker"]: f for f in rows.get(ISSUER_FUNDS.name, ())}
        today = dt.date.today()
        end = params.end or today
        start = params.start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        wanted = [t.upper() for t in params.tickers] or list(funds)
        days = weekdays(start, end)
        for ticker in dict.fromkeys(wanted):
            fund = funds.get(ticker)
            if fund is None:
                continue
            inception = fund.get("inception_date")
            for day in days:
                if inception is None or day >= inception:
                    yield holdings_request(fund["product_url"], ticker, day, today)
        missing = [t for t in dict.fromkeys(wanted) if t not in funds]
        if missing:
            raise SourceError(f"not in the iShares product screener (not an iShares ETF?): "
                              f"{', '.join(missing)}")

    def local_requests(self, paths: Sequence[Path | str], params: PlanParams) -> list[Request]:
        """Downloaded holdings files; each file's fund ticker comes from ``-o ticker=IVV``
        or its name, the word before ``_holdings`` (``IVV_holdings.csv``, as iShares names
        its downloads)."""
        given = params.extra.get("ticker")
        requests = []
        for path in local_files(paths, self.local_file_suffixes):
            match = FILE_TICKER.search(path.name)
            ticker = str(given).strip().upper() if given else (
                match.group(1).upper() if match else None)
            if not ticker:
                raise EtfflowError(f"cannot tell the fund of {path.name}: name the file "
                                   f"…TICKER_holdings….csv or pass -o ticker=TICKER")
            requests.append(Request.get(path.as_uri(), f"{ticker} {path.name}", ticker=ticker))
        return requests

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        what = "product screener" if _is_screener(payload.request) else (
            f"{_file_ticker(payload.request) or '?'} holdings")
        _check_answer(payload, what)
        if _is_screener(payload.request):
            return {ISSUER_FUNDS.name: parse_screener(payload.body)}
        return _parse_holdings(payload)


def _is_screener(request: Request) -> bool:
    return urlsplit(request.url).path.endswith(".jsn")


def _file_ticker(request: Request) -> str | None:
    params = dict(request.params)
    if params.get("ticker"):
        return params["ticker"].upper()
    match = FILE_TICKER.search(params.get("fileName", ""))
    return match.group(1).upper() if match else None


def _check_answer(payload: Payload, what: str) -> None:
    """Refusals, bot checks and HTTP errors as one SourceError each."""
    if payload.status == 403:
        raise SourceError(f"{what}: iShares refused the request (HTTP 403); {FALLBACK}")
    if looks_like_html(payload.body):
        if urlsplit(payload.request.url).scheme == "file":
            raise SourceError(f"{what}: the file is an HTML page, not the CSV (a bot check "
                              "saved under the file's name?); download it again in a browser")
        raise SourceError(f"{what}: iShares answered an HTML page (HTTP {payload.status}), "
                          f"not the file (a bot check?); {FALLBACK}")
    if payload.status >= 400:
        raise SourceError(f"{what}: HTTP {payload.status}")
    if not payload.body.strip():
        raise SourceError(f"{what}: empty answer")


def _parse_holdings(payload: Payload) -> dict[str, Rows]:
    ticker = _file_ticker(payload.request)
    if ticker is None:
        raise MalformedPayload("cannot tell the fund: the request names no fileName or ticker")
    try:
        holdings = parse_holdings_csv(payload.body)
    except NoHoldingsPublished:
        asked = dict(payload.request.params).get("asOfDate", "the date asked")
        raise SourceError(f"no holdings published for {ticker} as of {asked} "
                          f"(the file's as-of date is '-')") from None
    except HoldingsFileError as exc:
        raise MalformedPayload(f"{ticker} holdings: {exc}") from None
    fund_day = {
        "ticker": ticker, "as_of_date": holdings.as_of_date, "source": SOURCE,
        "shares_outstanding": holdings.shares_outstanding, "nav": None,
        "total_net_assets": None,
        "holdings_market_value": (holdings_market_value(holdings.records)
                                  if "market_value" in holdings.columns else None),
    }
    return {
        ISSUER_FUND_DAYS.name: [fund_day],
        ISSUER_HOLDINGS.name: holding_rows(ticker, holdings.as_of_date, SOURCE,
                                           holdings.records),
    }


# -- the product screener ---------------------------------------------------------------------


def _raw(cell: object) -> object:
    """A screener cell's value: ``{"d": "May 15, 2000", "r": 20000515}`` -> 20000515."""
    if isinstance(cell, dict):
        return cell.get("r", cell.get("d"))
    return cell


def _screener_date(cell: object) -> dt.date | None:
    value = _raw(cell)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.strptime(str(int(value)), "%Y%m%d").date()
        except ValueError:
            return None
    text = text_or_none(value)
    if text is None:
        return None
    for fmt in ("%Y%m%d", "%b %d, %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _screener_number(cell: object) -> float | None:
    try:
        return parse_number(_raw(cell))
    except ValueError:
        return None


def _is_etf(fund: Mapping[str, Any]) -> bool:
    view = fund.get("productView")
    if view is None:
        return True  # optional field: without it, a listed product is taken as an ETF
    views = view if isinstance(view, list) else [view]
    return any(str(v).strip().lower() == "etf" for v in views)


def parse_screener(body: bytes) -> list[dict[str, Any]]:
    """raw.issuer_funds rows for the screener's ETFs (first listing of a ticker wins)."""
    try:
        data = json.loads(decode(body))
    except ValueError as exc:
        raise MalformedPayload(f"product screener is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedPayload(f"product screener is a JSON {type(data).__name__}, "
                               "not an object keyed by portfolio id")
    out: dict[str, dict[str, Any]] = {}
    for key, fund in data.items():
        if not isinstance(fund, dict):
            continue
        ticker = text_or_none(_raw(fund.get("localExchangeTicker")))
        page = text_or_none(_raw(fund.get("productPageUrl")))
        if not ticker or not page or not _is_etf(fund):
            continue
        ticker = ticker.upper()
        if ticker in out:
            continue
        fund_id = text_or_none(_raw(fund.get("portfolioId"))) or str(key)
        out[ticker] = {
            "source": SOURCE,
            "ticker": ticker,
            "fund_id": fund_id.removesuffix(".0"),
            "fund_name": text_or_none(_raw(fund.get("fundName"))),
            "product_url": urljoin(BASE_URL + "/", page),
            "inception_date": _screener_date(fund.get("inceptionDate")),
            "net_assets_usd": _screener_number(fund.get("totalNetAssets")),
        }
    if not out:
        raise MalformedPayload("product screener lists no ETF with a ticker and a product page")
    return list(out.values())
