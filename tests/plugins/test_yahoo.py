"""Yahoo plugin: plan() and parse() against recorded payloads, then an offline end-to-end run.

Payloads live in tests/fixtures/yahoo/ (hand-written in Yahoo's wire formats; see its
README for what each one exercises and what its timestamps mean).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.yahoo.plugin import (
    CHART_URL,
    PRICES,
    QUOTE_SUMMARY_MODULES,
    QUOTE_SUMMARY_URL,
    QUOTE_URL,
    QUOTES,
    SECTOR_WEIGHTS,
    SHARES,
    SNAPSHOTS,
    TIMESERIES_URL,
    TOP_HOLDINGS,
    YahooPlugin,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "yahoo"
SHARED_YAHOO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "yahoo"
FETCHED_AT = dt.datetime(2023, 12, 27, 1, 0, tzinfo=dt.UTC)
D = dt.date


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(name))


def payload(url: str, body: bytes | dict, status: int = 200) -> Payload:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    request = Request.get(url, url.rsplit("/", 1)[-1])
    return Payload(request, raw, status, url, hashlib.sha256(raw).hexdigest(), FETCHED_AT)


def chart(ticker: str, body: bytes | dict, status: int = 200) -> Payload:
    return payload(CHART_URL.format(ticker=ticker), body, status)


def summary(ticker: str, body: bytes | dict, status: int = 200) -> Payload:
    return payload(QUOTE_SUMMARY_URL.format(ticker=ticker), body, status)


def shares(ticker: str, body: bytes | dict, status: int = 200) -> Payload:
    return payload(TIMESERIES_URL.format(ticker=ticker), body, status)


def frame(rows) -> pd.DataFrame:
    return rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows)


def by_date(rows) -> dict[dt.date, dict[str, Any]]:
    return {r["as_of_date"]: r for r in frame(rows).to_dict("records")}


def is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@pytest.fixture
def plugin() -> YahooPlugin:
    return YahooPlugin()


# -- plan -----------------------------------------------------------------------------------------

JAN_2 = 1704153600  # 2024-01-02 00:00 UTC (2024-01-01 is 1704067200)
FEB_1 = 1706745600  # 2024-02-01 00:00 UTC: period2 is the day after `end`


def test_plan_makes_three_requests_per_ticker_and_one_quote_batch(plugin: YahooPlugin):
    params = PlanParams(tickers=("SPY", "QQQ"), start=D(2024, 1, 2), end=D(2024, 1, 31))
    planned = list(plugin.plan(params))
    assert [r.label for r in planned] == [
        "SPY chart", "SPY quoteSummary", "SPY shares",
        "QQQ chart", "QQQ quoteSummary", "QQQ shares",
        "quote SPY..QQQ (2)",
    ]  # fmt: skip
    assert planned[-1].url == QUOTE_URL
    assert dict(planned[-1].params) == {"symbols": "SPY,QQQ"}
    spy_chart, spy_summary, spy_shares = (dict(r.params) for r in planned[:3])
    assert planned[0].url == "https://query2.finance.yahoo.com/v8/finance/chart/SPY"
    assert spy_chart == {
        "interval": "1d",
        "events": "div,splits,capitalGains",
        "includePrePost": "false",
        "period1": str(JAN_2),
        "period2": str(FEB_1),
    }
    assert planned[1].url == "https://query2.finance.yahoo.com/v10/finance/quoteSummary/SPY"
    assert spy_summary == {
        "modules": QUOTE_SUMMARY_MODULES,
        "formatted": "false",
        "symbol": "SPY",
    }
    assert set(QUOTE_SUMMARY_MODULES.split(",")) >= {
        "quoteType", "price", "summaryDetail", "defaultKeyStatistics", "fundProfile", "topHoldings"
    }  # fmt: skip
    assert planned[2].url == (
        "https://query2.finance.yahoo.com/ws/fundamentals-timeseries/v1/finance/timeseries/SPY"
    )
    assert spy_shares == {"symbol": "SPY", "period1": str(JAN_2), "period2": str(FEB_1)}
    assert planned[3].url.endswith("/chart/QQQ")


def test_plan_respects_datasets_and_history_only(plugin: YahooPlugin):
    base = PlanParams(tickers=("SPY",), start=D(2024, 1, 2), end=D(2024, 1, 31))
    only_prices = dataclasses.replace(base, extra={"datasets": ("prices",)})
    assert [r.label for r in plugin.plan(only_prices)] == ["SPY chart"]
    snapshot_and_shares = dataclasses.replace(base, extra={"datasets": ("snapshot", "shares")})
    assert [r.label for r in plugin.plan(snapshot_and_shares)] == [
        "SPY quoteSummary", "SPY shares", "quote SPY"]
    backfill = dataclasses.replace(base, extra={"history_only": True})
    assert [r.label for r in plugin.plan(backfill)] == ["SPY chart", "SPY shares"]
    assert list(plugin.plan(dataclasses.replace(base, tickers=()))) == []


def test_quotes_are_batched(plugin: YahooPlugin):
    tickers = tuple(f"T{i:03d}" for i in range(120))
    quotes = [r for r in plugin.plan(PlanParams(tickers, extra={"datasets": ("snapshot",)}))
              if r.url == QUOTE_URL]
    symbols = [dict(r.params)["symbols"].split(",") for r in quotes]
    assert [len(s) for s in symbols] == [50, 50, 20]
    assert [t for batch in symbols for t in batch] == list(tickers)


def test_plan_defaults_to_the_last_30_days(plugin: YahooPlugin):
    end = D(2024, 3, 1)
    (request,) = plugin.plan(PlanParams(("SPY",), end=end, extra={"datasets": ("prices",)}))
    params = dict(request.params)
    assert int(params["period2"]) - int(params["period1"]) == 31 * 86400


def test_parse_rejects_an_unknown_endpoint(plugin: YahooPlugin):
    with pytest.raises(MalformedPayload, match="no parser"):
        plugin.parse(payload("https://query2.finance.yahoo.com/v7/finance/options/SPY", {}))


# -- chart ----------------------------------------------------------------------------------------


def test_chart_rows_dates_and_values(plugin: YahooPlugin):
    rows = frame(plugin.parse(chart("SPY", fixture_bytes("chart_SPY.json")))[PRICES.name])
    raw = fixture_json("chart_SPY.json")["chart"]["result"][0]
    quote = raw["indicators"]["quote"][0]

    # Bars are stamped 09:30 New York; Christmas (all nulls) is dropped.
    assert list(rows["as_of_date"]) == [
        D(2023, 12, 14), D(2023, 12, 15), D(2023, 12, 18), D(2023, 12, 19),
        D(2023, 12, 20), D(2023, 12, 21), D(2023, 12, 22), D(2023, 12, 26),
    ]  # fmt: skip
    assert set(rows.columns) <= set(PRICES.columns)
    assert set(rows["ticker"]) == {"SPY"}
    assert set(rows["currency"]) == {"USD"}
    days = by_date(rows)
    first = days[D(2023, 12, 14)]
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        quote["open"][0], quote["high"][0], quote["low"][0], quote["close"][0]
    )  # fmt: skip
    assert first["volume"] == quote["volume"][0]
    assert first["adj_close"] == raw["indicators"]["adjclose"][0]["adjclose"][0]
    # A null inside an array stays a null on a row that has a close.
    assert days[D(2023, 12, 26)]["close"] == 475.65
    assert is_null(days[D(2023, 12, 26)]["volume"])


def test_chart_dividend_lands_on_its_ex_date(plugin: YahooPlugin):
    days = by_date(plugin.parse(chart("SPY", fixture_bytes("chart_SPY.json")))[PRICES.name])
    assert days[D(2023, 12, 15)]["dividend"] == 1.906
    others = [r["dividend"] for day, r in days.items() if day != D(2023, 12, 15)]
    assert all(is_null(v) for v in others)
    assert all(is_null(r["split_ratio"]) for r in days.values())


def test_chart_split_ratio_is_numerator_over_denominator(plugin: YahooPlugin):
    body = fixture_bytes("chart_SQQQ_split.json")
    days = by_date(plugin.parse(chart("SQQQ", body))[PRICES.name])
    assert len(days) == 5
    assert days[D(2024, 1, 11)]["split_ratio"] == pytest.approx(1 / 5)  # a 1-for-5 reverse split
    assert all(is_null(r["split_ratio"]) for d, r in days.items() if d != D(2024, 1, 11))
    assert all(is_null(r["dividend"]) for r in days.values())


def _mini_chart(timestamps: list[int], closes: list[float | None], tz: str | None) -> dict:
    body = copy.deepcopy(fixture_json("chart_SPY.json"))
    result = body["chart"]["result"][0]
    if tz is None:
        del result["meta"]["exchangeTimezoneName"]
    else:
        result["meta"]["exchangeTimezoneName"] = tz
    result["timestamp"] = timestamps
    n = len(timestamps)
    result["indicators"]["quote"] = [
        {"open": closes, "high": closes, "low": closes, "close": closes, "volume": [1] * n}
    ]
    result["indicators"]["adjclose"] = [{"adjclose": closes}]
    result["events"] = {}
    return body


NY_0930_JAN_10 = 1704897000  # 2024-01-10 09:30 EST = 14:30 UTC
UTC_0400_JAN_10 = 1704859200  # 2024-01-10 04:00 UTC = 2024-01-09 23:00 EST


def test_chart_dates_are_taken_in_the_exchange_timezone(plugin: YahooPlugin):
    body = _mini_chart([UTC_0400_JAN_10, NY_0930_JAN_10], [1.0, 2.0], "America/New_York")
    days = by_date(plugin.parse(chart("SPY", body))[PRICES.name])
    assert days[D(2024, 1, 10)]["close"] == 2.0
    assert days[D(2024, 1, 9)]["close"] == 1.0  # 04:00 UTC is still the 9th in New York


def test_chart_timezone_comes_from_meta_and_defaults_to_new_york(plugin: YahooPlugin):
    tokyo = _mini_chart([UTC_0400_JAN_10], [5.0], "Asia/Tokyo")  # 13:00 JST on the 10th
    assert list(frame(plugin.parse(chart("X", tokyo))[PRICES.name])["as_of_date"]) == [
        D(2024, 1, 10)
    ]
    unnamed = _mini_chart([UTC_0400_JAN_10], [5.0], None)
    assert list(frame(plugin.parse(chart("X", unnamed))[PRICES.name])["as_of_date"]) == [
        D(2024, 1, 9)
    ]


def test_chart_event_on_a_day_without_a_bar_is_kept(plugin: YahooPlugin):
    body = _mini_chart([NY_0930_JAN_10], [2.0], "America/New_York")
    jan_11 = NY_0930_JAN_10 + 86400
    body["chart"]["result"][0]["events"] = {
        "dividends": {str(jan_11): {"amount": 0.5, "date": jan_11}}
    }
    days = by_date(plugin.parse(chart("SPY", body))[PRICES.name])
    assert days[D(2024, 1, 11)]["dividend"] == 0.5
    assert is_null(days[D(2024, 1, 11)]["close"])


def test_chart_without_bars_yields_no_rows(plugin: YahooPlugin):
    body = fixture_json("chart_SPY.json")
    result = body["chart"]["result"][0]
    del result["timestamp"]
    result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    result["events"] = {}
    assert frame(plugin.parse(chart("SPY", body))[PRICES.name]).empty


@pytest.mark.parametrize("series", ["close", "volume", "adjclose"])
def test_chart_arrays_of_the_wrong_length_are_malformed(plugin: YahooPlugin, series: str):
    body = fixture_json("chart_SPY.json")
    indicators = body["chart"]["result"][0]["indicators"]
    if series == "adjclose":
        indicators["adjclose"][0]["adjclose"].append(1.0)
    else:
        indicators["quote"][0][series] = indicators["quote"][0][series][:-2]
    with pytest.raises(MalformedPayload, match=series):
        plugin.parse(chart("SPY", body))


def test_truncated_chart_is_malformed(plugin: YahooPlugin):
    with pytest.raises(MalformedPayload, match="not JSON"):
        plugin.parse(chart("SPY", fixture_bytes("chart_SPY_truncated.json")))


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"<html>Will be right back</html>", "not JSON"),
        (b"[]", "not an object"),
        (b'{"finance": {"result": null}}', "chart"),
    ],
)
def test_other_malformed_charts(plugin: YahooPlugin, body: bytes, message: str):
    with pytest.raises(MalformedPayload, match=message):
        plugin.parse(chart("SPY", body))


def test_chart_404_is_a_source_error_with_yahoos_description(plugin: YahooPlugin):
    with pytest.raises(SourceError, match="^No data found, symbol may be delisted$"):
        plugin.parse(chart("ZZZZ", fixture_bytes("chart_ZZZZ_404.json"), status=404))


def test_chart_error_without_description_or_result(plugin: YahooPlugin):
    with pytest.raises(SourceError, match="HTTP 404"):
        plugin.parse(chart("ZZZZ", {"chart": {"result": None, "error": None}}, status=404))
    with pytest.raises(SourceError, match="no data"):
        plugin.parse(chart("ZZZZ", {"chart": {"result": [], "error": None}}))


# -- quoteSummary -----------------------------------------------------------------------------


def test_quote_summary_snapshot(plugin: YahooPlugin):
    parsed = plugin.parse(summary("SPY", fixture_bytes("quoteSummary_SPY.json")))
    (snapshot,) = frame(parsed[SNAPSHOTS.name]).to_dict("records")
    assert set(snapshot) <= set(SNAPSHOTS.columns)
    assert snapshot == {
        "ticker": "SPY",
        "as_of_date": D(2023, 12, 22),  # regularMarketTime 16:00 EST on the 22nd
        "long_name": "SPDR S&P 500 ETF Trust",
        "quote_type": "ETF",
        "category": "Large Blend",
        "fund_family": "SPDR State Street Global Advisors",
        "legal_type": "Exchange Traded Fund",
        "exchange": "NYSEArca",
        "currency": "USD",
        "total_assets": 495012345678,
        "nav_price": 473.55,
        "regular_market_price": 473.65,
        "shares_outstanding": 917232016,
        "expense_ratio": 0.000945,
        "inception_date": D(1993, 1, 22),  # 727660800 = 1993-01-22 00:00 UTC, fmt "1993-01-22"
    }


def test_quote_summary_sectors_and_holdings(plugin: YahooPlugin):
    parsed = plugin.parse(summary("SPY", fixture_bytes("quoteSummary_SPY.json")))
    top = fixture_json("quoteSummary_SPY.json")["quoteSummary"]["result"][0]["topHoldings"]
    sectors = frame(parsed[SECTOR_WEIGHTS.name])
    expected = {k: v for entry in top["sectorWeightings"] for k, v in entry.items()}
    assert dict(zip(sectors["sector"], sectors["weight"], strict=True)) == expected
    assert set(sectors["as_of_date"]) == {D(2023, 12, 22)}
    holdings = frame(parsed[TOP_HOLDINGS.name])
    assert list(holdings["rank"]) == [1, 2, 3]
    assert list(holdings["holding_symbol"]) == ["AAPL", "MSFT", "AMZN"]
    assert list(holdings["holding_name"]) == ["Apple Inc", "Microsoft Corp", "Amazon.com Inc"]
    assert list(holdings["weight"]) == [h["holdingPercent"] for h in top["holdings"]]


def test_formatted_true_parses_to_the_same_rows(plugin: YahooPlugin):
    plain = plugin.parse(summary("SPY", fixture_bytes("quoteSummary_SPY.json")))
    formatted = plugin.parse(summary("SPY", fixture_bytes("quoteSummary_SPY_formatted.json")))
    for table in (SNAPSHOTS, SECTOR_WEIGHTS, TOP_HOLDINGS):
        pd.testing.assert_frame_equal(frame(formatted[table.name]), frame(plain[table.name]))


def test_quote_summary_with_only_quote_type_still_parses(plugin: YahooPlugin):
    body = {"quoteSummary": {"result": [{"quoteType": {"symbol": "GLD", "quoteType": "ETF"}}],
                             "error": None}}  # fmt: skip
    parsed = plugin.parse(summary("GLD", body))
    (snapshot,) = frame(parsed[SNAPSHOTS.name]).to_dict("records")
    assert snapshot["ticker"] == "GLD"
    assert snapshot["quote_type"] == "ETF"
    assert snapshot["as_of_date"] == FETCHED_AT.date()  # no market time: the fetch date
    assert all(
        is_null(v) for k, v in snapshot.items() if k not in {"ticker", "quote_type", "as_of_date"}
    )
    assert list(parsed[SECTOR_WEIGHTS.name]) == []
    assert list(parsed[TOP_HOLDINGS.name]) == []


def test_quote_summary_with_null_modules_and_empty_values(plugin: YahooPlugin):
    body = {"quoteSummary": {"result": [{
        "quoteType": None, "price": {"regularMarketPrice": {}, "currency": ""},
        "summaryDetail": {"navPrice": "N/A", "totalAssets": None},
        "defaultKeyStatistics": None, "fundProfile": {"feesExpensesInvestment": None},
        "topHoldings": {"holdings": None, "sectorWeightings": None},
    }], "error": None}}  # fmt: skip
    parsed = plugin.parse(summary("IAU", body))
    (snapshot,) = frame(parsed[SNAPSHOTS.name]).to_dict("records")
    assert snapshot["ticker"] == "IAU"  # from the URL when the payload does not say
    for column in ("regular_market_price", "nav_price", "total_assets", "currency", "quote_type"):
        assert is_null(snapshot[column]), column


def test_quote_summary_uses_the_quote_type_timezone(plugin: YahooPlugin):
    body = fixture_json("quoteSummary_SPY.json")
    result = body["quoteSummary"]["result"][0]
    result["quoteType"]["timeZoneFullName"] = "Asia/Tokyo"
    result["price"]["regularMarketTime"] = UTC_0400_JAN_10 - 6 * 3600  # 22:00 UTC on the 9th
    (snapshot,) = frame(plugin.parse(summary("SPY", body))[SNAPSHOTS.name]).to_dict("records")
    assert snapshot["as_of_date"] == D(2024, 1, 10)  # 07:00 on the 10th in Tokyo


def test_quote_summary_404_is_a_source_error(plugin: YahooPlugin):
    with pytest.raises(SourceError, match="^Quote not found for symbol: ZZZZ$"):
        plugin.parse(summary("ZZZZ", fixture_bytes("quoteSummary_ZZZZ_404.json"), status=404))


def test_malformed_quote_summary(plugin: YahooPlugin):
    body = fixture_bytes("quoteSummary_SPY.json")
    with pytest.raises(MalformedPayload):
        plugin.parse(summary("SPY", body[: len(body) // 2]))


# -- fundamentals-timeseries shares_out ------------------------------------------------------


def test_shares_history_last_report_per_day(plugin: YahooPlugin):
    rows = frame(plugin.parse(shares("SPY", fixture_bytes("shares_SPY.json")))[SHARES.name])
    assert set(rows.columns) <= set(SHARES.columns)
    assert set(rows["ticker"]) == {"SPY"}
    # Yahoo stamps shares_out with a date at 00:00 UTC (yfinance's get_shares_full reads the
    # UTC calendar date); reading it in New York time would move every value a day back.
    days = by_date(rows)
    assert list(days) == [D(2023, 12, 14), D(2023, 12, 15), D(2023, 12, 18), D(2023, 12, 20)]
    assert days[D(2023, 12, 14)]["shares_outstanding"] == 913532016
    assert days[D(2023, 12, 15)]["shares_outstanding"] == 921432016  # the later of two reports
    assert days[D(2023, 12, 20)]["reported_at"] == pd.Timestamp("2023-12-20 00:00:00")


def test_shares_for_an_unknown_symbol_are_empty(plugin: YahooPlugin):
    assert frame(plugin.parse(shares("ZZZZ", fixture_bytes("shares_ZZZZ.json")))[SHARES.name]).empty


def test_shares_bad_request_is_a_source_error(plugin: YahooPlugin):
    error = {"code": "Bad Request", "description": "Invalid Period"}
    body = {"finance": {"result": None, "error": error}}
    with pytest.raises(SourceError, match="Invalid Period"):
        plugin.parse(shares("SPY", body, status=400))


def test_shares_of_the_wrong_length_are_malformed(plugin: YahooPlugin):
    body = fixture_json("shares_SPY.json")
    body["timeseries"]["result"][0]["shares_out"].pop()
    with pytest.raises(MalformedPayload, match="shares_out"):
        plugin.parse(shares("SPY", body))


# -- v7 quote -----------------------------------------------------------------------------------


def quote(body: bytes | dict, status: int = 200) -> Payload:
    return payload(QUOTE_URL, body, status)


def test_quote_rows_one_per_symbol(plugin: YahooPlugin):
    body = {"quoteResponse": {"error": None, "result": [
        {"symbol": "SPY", "quoteType": "ETF", "currency": "USD", "regularMarketPrice": 470.5,
         "regularMarketPreviousClose": 469.0, "regularMarketTime": 1703278800,
         "exchangeTimezoneName": "America/New_York", "sharesOutstanding": 917232016,
         "netAssets": 4.9e11, "marketCap": 431557000000},
        {"symbol": "gld", "quoteType": "ETF"},
    ]}}
    rows = by_date_and_ticker(plugin.parse(quote(body))[QUOTES.name])
    spy = rows[("SPY", D(2023, 12, 22))]  # 16:00 New York on the 22nd
    assert (spy["shares_outstanding"], spy["net_assets"], spy["market_cap"]) == (
        917232016, 4.9e11, 431557000000)
    assert spy["regular_market_previous_close"] == 469.0
    gld = rows[("GLD", FETCHED_AT.date())]  # no market time: the fetch date
    assert is_null(gld["shares_outstanding"]) and is_null(gld["net_assets"])


def by_date_and_ticker(rows) -> dict[tuple[str, dt.date], dict[str, Any]]:
    return {(r["ticker"], r["as_of_date"]): r for r in frame(rows).to_dict("records")}


def test_quote_errors(plugin: YahooPlugin):
    with pytest.raises(SourceError, match="Invalid"):
        plugin.parse(quote({"quoteResponse": {"result": None,
                                              "error": {"description": "Invalid Crumb"}}}))
    with pytest.raises(MalformedPayload, match="quoteResponse"):
        plugin.parse(quote({"finance": {}}))
    with pytest.raises(MalformedPayload, match="symbol"):
        plugin.parse(quote({"quoteResponse": {"result": [{"quoteType": "ETF"}]}}))


# -- real payloads, when present ---------------------------------------------------------------


def _real(name: str) -> bytes:
    path = SHARED_YAHOO / name
    if not path.is_file():
        pytest.skip(f"no real Yahoo payload at {path}")
    return path.read_bytes()


def test_real_qqq_quote_summary_has_no_share_count_and_navprice_is_the_previous_close(
    plugin: YahooPlugin,
):
    body = _real("real_QQQ_quoteSummary_2025-02-19.json")
    detail = json.loads(body)["quoteSummary"]["result"][0]["summaryDetail"]
    (snapshot,) = frame(plugin.parse(summary("QQQ", body))[SNAPSHOTS.name]).to_dict("records")
    assert snapshot["ticker"] == "QQQ"
    assert is_null(snapshot["shares_outstanding"])  # an ETF's quote summary carries none
    assert snapshot["total_assets"] == 328_302_690_304
    assert snapshot["nav_price"] == 538.15 == detail["previousClose"]
    assert snapshot["category"] == "Large Growth"


def test_real_qqq_v7_quote_count_is_stale_against_its_own_net_assets(plugin: YahooPlugin):
    (row,) = frame(plugin.parse(quote(_real("real_QQQ_v7_quote_2025-02-19.json")))[QUOTES.name]
                   ).to_dict("records")
    assert (row["ticker"], row["as_of_date"]) == ("QQQ", D(2025, 2, 18))  # the market date
    assert row["shares_outstanding"] == 393_100_000
    assert row["net_assets"] == 328_302_690_000
    assert row["market_cap"] == 212_026_343_424
    assert row["regular_market_price"] == 539.37
    implied = row["net_assets"] / row["regular_market_price"]
    assert round(implied / 1e6, 1) == 608.7
    assert 1 - row["shares_outstanding"] / implied > 0.35  # ~35% stale: far beyond 5%
    assert row["market_cap"] == pytest.approx(row["shares_outstanding"] * 539.37, rel=1e-6)



def _endpoint_for(data: dict[str, Any]) -> str | None:
    if "chart" in data:
        return CHART_URL
    if "quoteSummary" in data:
        return QUOTE_SUMMARY_URL
    if "quoteResponse" in data:
        return QUOTE_URL
    if "timeseries" in data or "finance" in data:
        return TIMESERIES_URL
    return None


def test_real_yahoo_payloads_parse_when_present(plugin: YahooPlugin):
    if not SHARED_YAHOO.is_dir():
        pytest.skip(f"no real Yahoo payloads at {SHARED_YAHOO}")
    files = sorted(SHARED_YAHOO.rglob("*.json"))
    if not files:
        pytest.skip(f"no *.json payloads under {SHARED_YAHOO}")
    parsed_any = False
    for path in files:
        data = json.loads(path.read_bytes())
        url = _endpoint_for(data)
        if url is None:
            continue
        try:
            tables = plugin.parse(payload(url.format(ticker=path.stem.upper()), path.read_bytes()))
        except SourceError:
            continue
        parsed_any = True
        for name, rows in tables.items():
            assert set(frame(rows).columns) <= set(plugin.table(name).columns), path
    assert parsed_any, "no real payload parsed to rows"


# -- end to end, offline -------------------------------------------------------------------------


def _archive_fixtures(archive: Archive, plugin: YahooPlugin, params: PlanParams) -> None:
    bodies = {
        "SPY chart": ("chart_SPY.json", 200),
        "SPY quoteSummary": ("quoteSummary_SPY.json", 200),
        "SPY shares": ("shares_SPY.json", 200),
        "ZZZZ chart": ("chart_ZZZZ_404.json", 404),
        "ZZZZ quoteSummary": ("quoteSummary_ZZZZ_404.json", 404),
        "ZZZZ shares": ("shares_ZZZZ.json", 200),
        "quote SPY..ZZZZ (2)": ("quote_SPY_ZZZZ.json", 200),
    }
    for request in plugin.plan(params):
        name, status = bodies[request.label]
        archive.put("yahoo", request, fixture_bytes(name), status, request.url, FETCHED_AT)


def test_offline_run_from_an_archive(settings: Settings, archive: Archive, plugin: YahooPlugin):
    params = PlanParams(tickers=("SPY", "ZZZZ"), start=D(2023, 12, 14), end=D(2023, 12, 26))
    _archive_fixtures(archive, plugin, params)
    offline = dataclasses.replace(settings, offline=True)

    result = run_plugin(plugin, params, offline)

    assert result.status == "partial"
    assert result.requests_made == 0
    assert result.payloads == 7
    assert result.quarantined == 0
    assert sorted(result.errors) == [
        "ZZZZ chart: No data found, symbol may be delisted",
        "ZZZZ quoteSummary: Quote not found for symbol: ZZZZ",
    ]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        prices = con.execute(
            "select as_of_date, close, dividend, volume from raw.yahoo_prices "
            "where ticker = 'SPY' order by as_of_date"
        ).fetchall()
        assert len(prices) == 8
        assert (D(2023, 12, 15), 469.33, 1.906) == prices[1][:3]
        assert prices[-1] == (D(2023, 12, 26), 475.65, None, None)
        zzzz = con.execute("select count(*) from raw.yahoo_prices where ticker = 'ZZZZ'")
        assert zzzz.fetchone() == (0,)
        assert con.execute(
            "select as_of_date, nav_price, inception_date from raw.yahoo_fund_snapshots"
        ).fetchall() == [(D(2023, 12, 22), 473.55, D(1993, 1, 22))]
        assert con.execute("select count(*) from raw.yahoo_shares_outstanding").fetchone() == (4,)
        assert con.execute(
            "select ticker, as_of_date, shares_outstanding, net_assets from raw.yahoo_quotes"
        ).fetchall() == [("SPY", D(2023, 12, 22), 889232016, 495012345678.0)]
        assert con.execute("select count(*) from raw.yahoo_fund_sector_weights").fetchone() == (11,)
        assert con.execute("select count(*) from raw.yahoo_fund_top_holdings").fetchone() == (3,)
        ((status, errors),) = con.execute("select status, errors from raw.ingest_runs").fetchall()
    assert status == "partial"
    assert any("ZZZZ" in e for e in json.loads(errors))
    assert result.rows_landed == 8 + 1 + 1 + 4 + 11 + 3

    again = run_plugin(plugin, params, offline)
    assert (again.status, again.rows_landed) == ("partial", 0)
