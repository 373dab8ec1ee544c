"""Yahoo Finance: daily OHLCV with dividends and splits, fund snapshots, shares outstanding.

Yahoo is the vendor fallback, never the primary share count or NAV (real payloads in
../shared/data/yahoo): an ETF's quoteSummary carries no ``sharesOutstanding``, the v7
quote's ``sharesOutstanding`` can be months stale (QQQ 2025-02-19: 393.1 M while its own
``netAssets / price`` is 608.7 M), and ``navPrice`` is the previous session's close, not a
NAV. They are landed as served; the dbt models decide what to trust.

Requests are the ones yfinance makes (chart, quoteSummary, fundamentals-timeseries) and are
sent through yfinance's ``YfData`` with the core's session, so yfinance handles Yahoo's
cookie/crumb handshake while our session rate-limits, retries and archives. Parsing is ours:
Yahoo is an unofficial API, so every field is optional and missing values land as nulls.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pandas as pd
import requests

from ingest.core.errors import EtfflowError, FetchError
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    SourceError,
    Transport,
)

BASE_URL = "https://query2.finance.yahoo.com"
CHART_URL = BASE_URL + "/v8/finance/chart/{ticker}"
QUOTE_SUMMARY_URL = BASE_URL + "/v10/finance/quoteSummary/{ticker}"
TIMESERIES_URL = BASE_URL + "/ws/fundamentals-timeseries/v1/finance/timeseries/{ticker}"
QUOTE_URL = BASE_URL + "/v7/finance/quote"
QUOTE_BATCH = 50  # symbols per v7 quote request
QUOTE_SUMMARY_MODULES = (
    "quoteType,price,summaryDetail,defaultKeyStatistics,fundProfile,topHoldings"
)
DATASETS = ("prices", "snapshot", "shares")
DEFAULT_TZ = "America/New_York"

PRICES = RawTable(
    "yahoo_prices",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "open": "DOUBLE",
        "high": "DOUBLE",
        "low": "DOUBLE",
        "close": "DOUBLE",
        "adj_close": "DOUBLE",
        "volume": "BIGINT",
        "dividend": "DOUBLE",
        "split_ratio": "DOUBLE",
        "currency": "VARCHAR",
    },
    ("ticker", "as_of_date"),
    "Daily bars from the chart endpoint; dividend per share and split ratio on event days.",
)
SNAPSHOTS = RawTable(
    "yahoo_fund_snapshots",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "long_name": "VARCHAR",
        "quote_type": "VARCHAR",
        "category": "VARCHAR",
        "fund_family": "VARCHAR",
        "legal_type": "VARCHAR",
        "exchange": "VARCHAR",
        "currency": "VARCHAR",
        "total_assets": "DOUBLE",
        "nav_price": "DOUBLE",  # as served; Yahoo's navPrice is the previous close
        "regular_market_price": "DOUBLE",
        "shares_outstanding": "DOUBLE",
        "expense_ratio": "DOUBLE",
        "inception_date": "DATE",
    },
    ("ticker", "as_of_date"),
    "Fund snapshot from quoteSummary, one row per ticker per market date it describes.",
)
QUOTES = RawTable(
    "yahoo_quotes",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "quote_type": "VARCHAR",
        "currency": "VARCHAR",
        "regular_market_price": "DOUBLE",
        "regular_market_previous_close": "DOUBLE",
        "shares_outstanding": "DOUBLE",
        "net_assets": "DOUBLE",
        "market_cap": "DOUBLE",
    },
    ("ticker", "as_of_date"),
    "The v7 quote, one row per ticker per market date: sharesOutstanding (often stale for an "
    "ETF), netAssets and marketCap (= that count x price).",
)
SHARES = RawTable(
    "yahoo_shares_outstanding",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "reported_at": "TIMESTAMP",
        "shares_outstanding": "DOUBLE",
    },
    ("ticker", "as_of_date"),
    "Shares-outstanding history (fundamentals-timeseries shares_out); last report per day.",
)
SECTOR_WEIGHTS = RawTable(
    "yahoo_fund_sector_weights",
    {"ticker": "VARCHAR", "as_of_date": "DATE", "sector": "VARCHAR", "weight": "DOUBLE"},
    ("ticker", "as_of_date", "sector"),
    "Fund sector weightings (fraction of assets) from quoteSummary topHoldings.",
)
TOP_HOLDINGS = RawTable(
    "yahoo_fund_top_holdings",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "rank": "INTEGER",
        "holding_symbol": "VARCHAR",
        "holding_name": "VARCHAR",
        "weight": "DOUBLE",
    },
    ("ticker", "as_of_date", "rank"),
    "Fund top holdings (fraction of assets) from quoteSummary topHoldings.",
)


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def _raw(value: Any) -> Any:
    """quoteSummary values are plain with formatted=false, {"raw": ..., "fmt": ...} otherwise."""
    if isinstance(value, dict):
        return value.get("raw")
    return value if value not in ("", {}, "N/A") else None


def _json(payload: Payload) -> dict[str, Any]:
    try:
        data = json.loads(payload.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedPayload("JSON root is not an object")
    return data


def _result(data: dict[str, Any], root: str, payload: Payload) -> dict[str, Any]:
    """The first result under ``root``; Yahoo's error description becomes a SourceError."""
    if root not in data and not (root == "timeseries" and "finance" in data):
        raise MalformedPayload(f"missing top-level {root!r}")
    block = data.get(root) or data.get("finance") or {}
    error = block.get("error")
    results = block.get("result")
    if error or payload.status >= 400:
        description = (error or {}).get("description") or f"HTTP {payload.status}"
        raise SourceError(description)
    if not results:
        raise SourceError("no data returned (symbol may be delisted)")
    return results[0]


def _dates(timestamps: Iterable[int], tz: str) -> list[dt.date]:
    """Market dates of instants (bar opens, quote times), in the exchange's timezone."""
    zone = ZoneInfo(tz)
    return [dt.datetime.fromtimestamp(ts, zone).date() for ts in timestamps]


def _calendar_dates(timestamps: Iterable[int]) -> list[dt.date]:
    """Yahoo stamps calendar dates (share reports, inception) as 00:00 UTC of that date."""
    return [dt.datetime.fromtimestamp(ts, dt.UTC).date() for ts in timestamps]


class YahooPlugin(Plugin):
    name: ClassVar[str] = "yahoo"
    description: ClassVar[str] = "Yahoo Finance prices, fund snapshots, shares outstanding"
    tables = (PRICES, SNAPSHOTS, QUOTES, SHARES, SECTOR_WEIGHTS, TOP_HOLDINGS)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        end = params.end or dt.date.today()
        start = params.start or end - dt.timedelta(days=30)
        period = {"period1": _epoch(start), "period2": _epoch(end + dt.timedelta(days=1))}
        # A backfill asks for history only: the quote summary is a point-in-time snapshot.
        datasets = (
            ("prices", "shares")
            if params.extra.get("history_only")
            else params.extra.get("datasets", DATASETS)
        )
        for ticker in params.tickers:
            if "prices" in datasets:
                yield Request.get(
                    CHART_URL.format(ticker=ticker), f"{ticker} chart",
                    interval="1d", events="div,splits,capitalGains", includePrePost="false",
                    **period,
                )
            if "snapshot" in datasets:
                yield Request.get(
                    QUOTE_SUMMARY_URL.format(ticker=ticker), f"{ticker} quoteSummary",
                    modules=QUOTE_SUMMARY_MODULES, formatted="false", symbol=ticker,
                )
            if "shares" in datasets:
                yield Request.get(
                    TIMESERIES_URL.format(ticker=ticker), f"{ticker} shares",
                    symbol=ticker, **period,
                )
        if "snapshot" in datasets:
            yield from quote_requests(params.tickers)

    def transport(self, session: requests.Session) -> Transport:
        # yfinance performs Yahoo's cookie + crumb handshake on top of our session, whose
        # curl_cffi transport gives yahoo.com hosts Chrome's TLS fingerprint (Settings.
        # impersonate_hosts). yfinance >= 1.4 accepts a requests.Session whichever backend
        # it picked, so YF_DISABLE_CURL_CFFI is not needed (0.2.58-1.3 refused one either
        # way). Yahoo answers browser User-Agents only: we send the one yfinance uses.
        from yfinance._http import _FALLBACK_USER_AGENT
        from yfinance.data import YfData

        session.headers["User-Agent"] = _FALLBACK_USER_AGENT
        data = YfData(session=session)

        def get(url: str, params: Mapping[str, str]) -> requests.Response:
            try:
                return data.get(url, params=dict(params))
            except EtfflowError:
                raise
            except Exception as exc:  # yfinance re-wraps (or trips over) network failures
                cause = exc.__context__ if isinstance(exc.__context__, EtfflowError) else exc
                raise FetchError(f"GET {url}: {cause}") from exc

        return get

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        path = payload.request.url
        if "/v8/finance/chart/" in path:
            return {PRICES.name: self._parse_chart(payload)}
        if "/quoteSummary/" in path:
            return self._parse_quote_summary(payload)
        if "/fundamentals-timeseries/" in path:
            return {SHARES.name: self._parse_shares(payload)}
        if path.endswith("/v7/finance/quote"):
            return {QUOTES.name: self._parse_quotes(payload)}
        raise MalformedPayload(f"no parser for {path}")

    # -- chart -----------------------------------------------------------------------------

    def _parse_chart(self, payload: Payload) -> pd.DataFrame:
        result = _result(_json(payload), "chart", payload)
        meta = result.get("meta") or {}
        ticker = meta.get("symbol") or _ticker_of(payload)
        tz = meta.get("exchangeTimezoneName") or DEFAULT_TZ
        timestamps = result.get("timestamp") or []
        indicators = result.get("indicators") or {}
        quote = (indicators.get("quote") or [{}])[0] or {}
        adj = ((indicators.get("adjclose") or [{}])[0] or {}).get("adjclose")
        n = len(timestamps)
        for name, series in [*quote.items(), ("adjclose", adj)]:
            if series is not None and len(series) != n:
                raise MalformedPayload(f"chart {name} has {len(series)} values for {n} timestamps")
        frame = pd.DataFrame(
            {
                "as_of_date": _dates(timestamps, tz),
                "open": quote.get("open"),
                "high": quote.get("high"),
                "low": quote.get("low"),
                "close": quote.get("close"),
                "adj_close": adj,
                "volume": quote.get("volume"),
            },
            index=range(n),
        )
        events = result.get("events") or {}
        dividends = _event_series(events.get("dividends"), tz, lambda e: e.get("amount"))
        splits = _event_series(
            events.get("splits"), tz,
            lambda e: e["numerator"] / e["denominator"] if e.get("denominator") else None,
        )
        frame = frame.merge(
            pd.DataFrame({"as_of_date": list(dividends), "dividend": list(dividends.values())}),
            on="as_of_date", how="outer",
        ).merge(
            pd.DataFrame({"as_of_date": list(splits), "split_ratio": list(splits.values())}),
            on="as_of_date", how="outer",
        )
        frame = frame.dropna(subset=["close", "dividend", "split_ratio"], how="all")
        frame = frame.drop_duplicates("as_of_date", keep="last")
        frame.insert(0, "ticker", ticker)
        frame["currency"] = meta.get("currency")
        return frame

    # -- quoteSummary ---------------------------------------------------------------------

    def _parse_quote_summary(self, payload: Payload) -> dict[str, Rows]:
        result = _result(_json(payload), "quoteSummary", payload)
        qtype = result.get("quoteType") or {}
        price = result.get("price") or {}
        detail = result.get("summaryDetail") or {}
        stats = result.get("defaultKeyStatistics") or {}
        profile = result.get("fundProfile") or {}
        fees = profile.get("feesExpensesInvestment") or {}
        ticker = qtype.get("symbol") or price.get("symbol") or _ticker_of(payload)
        tz = qtype.get("timeZoneFullName") or qtype.get("exchangeTimezoneName") or DEFAULT_TZ
        market_time = _raw(price.get("regularMarketTime"))
        as_of = (
            _dates([market_time], tz)[0] if market_time else payload.fetched_at.date()
        )
        inception = _raw(stats.get("fundInceptionDate"))
        snapshot = {
            "ticker": ticker,
            "as_of_date": as_of,
            "long_name": qtype.get("longName") or price.get("longName"),
            "quote_type": qtype.get("quoteType"),
            "category": profile.get("categoryName") or stats.get("category"),
            "fund_family": profile.get("family") or stats.get("fundFamily"),
            "legal_type": profile.get("legalType") or stats.get("legalType"),
            "exchange": price.get("exchangeName") or qtype.get("exchange"),
            "currency": price.get("currency") or detail.get("currency"),
            "total_assets": _raw(detail.get("totalAssets")) or _raw(stats.get("totalAssets")),
            "nav_price": _raw(detail.get("navPrice")),
            "regular_market_price": _raw(price.get("regularMarketPrice")),
            "shares_outstanding": _raw(stats.get("sharesOutstanding")),
            "expense_ratio": _raw(fees.get("annualReportExpenseRatio"))
            or _raw(stats.get("annualReportExpenseRatio")),
            "inception_date": _calendar_dates([inception])[0] if inception else None,
        }
        top = result.get("topHoldings") or {}
        sectors = [
            {"ticker": ticker, "as_of_date": as_of, "sector": sector, "weight": _raw(weight)}
            for entry in top.get("sectorWeightings") or []
            for sector, weight in entry.items()
        ]
        holdings = [
            {
                "ticker": ticker,
                "as_of_date": as_of,
                "rank": rank,
                "holding_symbol": h.get("symbol"),
                "holding_name": h.get("holdingName"),
                "weight": _raw(h.get("holdingPercent")),
            }
            for rank, h in enumerate(top.get("holdings") or [], start=1)
        ]
        return {
            SNAPSHOTS.name: [snapshot],
            SECTOR_WEIGHTS.name: sectors,
            TOP_HOLDINGS.name: holdings,
        }

    # -- v7 quote -----------------------------------------------------------------------

    def _parse_quotes(self, payload: Payload) -> list[dict[str, Any]]:
        data = _json(payload)
        if "quoteResponse" not in data:
            raise MalformedPayload("missing top-level 'quoteResponse'")
        block = data["quoteResponse"] or {}
        if block.get("error") or payload.status >= 400:
            raise SourceError((block.get("error") or {}).get("description")
                              or f"HTTP {payload.status}")
        rows = []
        for quote in block.get("result") or []:
            if not isinstance(quote, dict) or not quote.get("symbol"):
                raise MalformedPayload(f"quote without a symbol: {quote!r:.80}")
            market_time = _raw(quote.get("regularMarketTime"))
            tz = quote.get("exchangeTimezoneName") or DEFAULT_TZ
            rows.append({
                "ticker": str(quote["symbol"]).upper(),
                "as_of_date": (_dates([market_time], tz)[0] if market_time
                               else payload.fetched_at.date()),
                "quote_type": quote.get("quoteType"),
                "currency": quote.get("currency"),
                "regular_market_price": _raw(quote.get("regularMarketPrice")),
                "regular_market_previous_close": _raw(quote.get("regularMarketPreviousClose")),
                "shares_outstanding": _raw(quote.get("sharesOutstanding")),
                "net_assets": _raw(quote.get("netAssets")),
                "market_cap": _raw(quote.get("marketCap")),
            })
        return rows

    # -- fundamentals-timeseries (shares_out) --------------------------------------------

    def _parse_shares(self, payload: Payload) -> pd.DataFrame:
        result = _result(_json(payload), "timeseries", payload)
        ticker = _ticker_of(payload)
        timestamps = result.get("timestamp") or []
        values = result.get("shares_out") or []
        if len(values) != len(timestamps):
            raise MalformedPayload(
                f"shares_out has {len(values)} values for {len(timestamps)} timestamps"
            )
        reported = pd.to_datetime(timestamps, unit="s", utc=True)
        frame = pd.DataFrame(
            {
                "ticker": ticker,
                "as_of_date": _calendar_dates(timestamps),
                "reported_at": reported.tz_localize(None),
                "shares_outstanding": values,
            }
        )
        frame = frame.sort_values("reported_at", kind="stable")
        return frame.drop_duplicates("as_of_date", keep="last")


def quote_requests(tickers: Iterable[str]) -> Iterable[Request]:
    """The v7 quote for ``tickers``, QUOTE_BATCH symbols per request, in the given order."""
    tickers = list(tickers)
    for first in range(0, len(tickers), QUOTE_BATCH):
        batch = tickers[first:first + QUOTE_BATCH]
        label = f"quote {batch[0]}" + (f"..{batch[-1]} ({len(batch)})" if len(batch) > 1 else "")
        yield Request.get(QUOTE_URL, label, symbols=",".join(batch))


def _ticker_of(payload: Payload) -> str:
    return payload.request.url.rstrip("/").rsplit("/", 1)[-1].upper()


def _event_series(events: Mapping[str, Any] | None, tz: str, value) -> dict[dt.date, float]:
    out: dict[dt.date, float] = {}
    for event in (events or {}).values():
        if isinstance(event, dict) and event.get("date") is not None:
            out[_dates([event["date"]], tz)[0]] = value(event)
    return out
