"""Render simulated fund paths as Yahoo Finance payloads, in the exact wire formats.

SAMPLE DATA. See ``ingest/sample/world.py`` for the dynamics; the wire notes below say
what Yahoo really sends, so parsers meet the real thing.

Yahoo's real defects for ETFs (the real QQQ payloads in ../shared/data/yahoo), rendered
here and listed in the manifest's ``yahoo_defects``:
  * quoteSummary carries no ``sharesOutstanding`` for an ETF;
  * ``navPrice`` is the previous session's close, not a NAV;
  * the v7 quote's ``sharesOutstanding`` is refreshed only every few weeks
    (``QUOTE_COUNT_REFRESH_DAYS``), so it is weeks to months stale, and ``marketCap`` is
    that stale count x price, while ``netAssets`` follows the fund;
  * ``totalAssets`` (quoteSummary) and ``netAssets`` (quote) freeze for a stretch on
    some funds (``FROZEN_TOTAL_ASSETS``): the value of the day before, repeated.
The shares history (fundamentals-timeseries) keeps the defects ``world.SHARE_ERRORS``
and ``LAGGED_SHARE_REPORTS`` put into the reported counts.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from typing import Any
from urllib.parse import urlencode

import numpy as np

from ingest.core.plugin import Request
from ingest.sample.world import (
    EXCHANGES,
    FUND_FAMILY,
    NY,
    TRADING_DAYS_PER_YEAR,
    FundPath,
    FundSpec,
    _epoch_at,
    _epoch_midnight_utc,
    _rng,
)

YAHOO_SECTORS = ("realestate", "consumer_cyclical", "basic_materials", "consumer_defensive",
                 "technology", "communication_services", "financial_services", "utilities",
                 "industrials", "energy", "healthcare")
SEED_SECTOR_TO_YAHOO = {
    "Technology": "technology", "Financials": "financial_services", "Healthcare": "healthcare",
    "Energy": "energy", "Industrials": "industrials",
    "Consumer Discretionary": "consumer_cyclical", "Consumer Staples": "consumer_defensive",
    "Utilities": "utilities", "Real Estate": "realestate",
    "Communications": "communication_services",
}
BROAD_US_WEIGHTS = (0.023, 0.104, 0.021, 0.058, 0.318, 0.092, 0.132, 0.024, 0.072, 0.033, 0.123)
FOREIGN_WEIGHTS = (0.030, 0.105, 0.075, 0.085, 0.090, 0.045, 0.210, 0.032, 0.160, 0.050, 0.118)
EMERGING_WEIGHTS = (0.018, 0.130, 0.065, 0.050, 0.240, 0.095, 0.225, 0.028, 0.068, 0.048, 0.033)
HOLDINGS_POOLS: dict[str, tuple[str, ...]] = {
    "broad": ("AAPL:Apple Inc", "MSFT:Microsoft Corp", "NVDA:NVIDIA Corp",
              "AMZN:Amazon.com Inc", "META:Meta Platforms Inc Class A",
              "GOOGL:Alphabet Inc Class A", "BRK-B:Berkshire Hathaway Inc Class B",
              "GOOG:Alphabet Inc Class C", "AVGO:Broadcom Inc", "LLY:Eli Lilly and Co"),
    "dow": ("UNH:UnitedHealth Group Inc", "GS:Goldman Sachs Group Inc", "MSFT:Microsoft Corp",
            "HD:Home Depot Inc", "CAT:Caterpillar Inc", "AMGN:Amgen Inc", "V:Visa Inc Class A",
            "MCD:McDonald's Corp", "CRM:Salesforce Inc", "TRV:Travelers Companies Inc"),
    "small": ("SFM:Sprouts Farmers Market Inc", "FTAI:FTAI Aviation Ltd",
              "INSM:Insmed Inc", "CRS:Carpenter Technology Corp", "FN:Fabrinet",
              "PCVX:Vaxcyte Inc", "ENSG:Ensign Group Inc", "CVLT:Commvault Systems Inc",
              "HQY:HealthEquity Inc", "AIT:Applied Industrial Technologies Inc"),
    "mid": ("EME:EMCOR Group Inc", "CSL:Carlisle Companies Inc", "WSM:Williams-Sonoma Inc",
            "RS:Reliance Inc", "ILMN:Illumina Inc", "LII:Lennox International Inc",
            "PSTG:Pure Storage Inc Class A", "BURL:Burlington Stores Inc",
            "RPM:RPM International Inc", "GGG:Graco Inc"),
    "foreign": ("NOVO-B.CO:Novo Nordisk A/S Class B", "ASML.AS:ASML Holding NV",
                "NESN.SW:Nestle SA", "SAP.DE:SAP SE", "AZN.L:AstraZeneca PLC",
                "SHEL.L:Shell PLC", "7203.T:Toyota Motor Corp", "ROG.SW:Roche Holding AG",
                "NOVN.SW:Novartis AG Registered Shares",
                "MC.PA:LVMH Moet Hennessy Louis Vuitton SE"),
    "emerging": ("2330.TW:Taiwan Semiconductor Manufacturing Co Ltd",
                 "0700.HK:Tencent Holdings Ltd", "005930.KS:Samsung Electronics Co Ltd",
                 "9988.HK:Alibaba Group Holding Ltd Ordinary Shares",
                 "RELIANCE.NS:Reliance Industries Ltd", "INFY.NS:Infosys Ltd",
                 "HDFCBANK.NS:HDFC Bank Ltd", "3690.HK:Meituan Class B",
                 "0939.HK:China Construction Bank Corp Class H", "PDD:PDD Holdings Inc ADR"),
    "technology": ("AAPL:Apple Inc", "MSFT:Microsoft Corp", "NVDA:NVIDIA Corp",
                   "AVGO:Broadcom Inc", "ORCL:Oracle Corp", "CRM:Salesforce Inc",
                   "AMD:Advanced Micro Devices Inc", "ADBE:Adobe Inc", "CSCO:Cisco Systems Inc",
                   "ACN:Accenture PLC Class A"),
    "financial_services": ("BRK-B:Berkshire Hathaway Inc Class B", "JPM:JPMorgan Chase & Co",
                           "V:Visa Inc Class A", "MA:Mastercard Inc Class A",
                           "BAC:Bank of America Corp", "WFC:Wells Fargo & Co",
                           "GS:Goldman Sachs Group Inc", "SPGI:S&P Global Inc",
                           "MS:Morgan Stanley", "PGR:Progressive Corp"),
    "healthcare": ("LLY:Eli Lilly and Co", "UNH:UnitedHealth Group Inc",
                   "JNJ:Johnson & Johnson", "ABBV:AbbVie Inc", "MRK:Merck & Co Inc",
                   "TMO:Thermo Fisher Scientific Inc", "ABT:Abbott Laboratories",
                   "ISRG:Intuitive Surgical Inc", "AMGN:Amgen Inc", "DHR:Danaher Corp"),
    "energy": ("XOM:Exxon Mobil Corp", "CVX:Chevron Corp", "COP:ConocoPhillips",
               "EOG:EOG Resources Inc", "SLB:Schlumberger Ltd", "MPC:Marathon Petroleum Corp",
               "PSX:Phillips 66", "WMB:Williams Companies Inc", "OXY:Occidental Petroleum Corp",
               "OKE:ONEOK Inc"),
    "industrials": ("GE:GE Aerospace", "CAT:Caterpillar Inc", "RTX:RTX Corp",
                    "UNP:Union Pacific Corp", "HON:Honeywell International Inc",
                    "ETN:Eaton Corp PLC", "UBER:Uber Technologies Inc", "DE:Deere & Co",
                    "LMT:Lockheed Martin Corp", "UPS:United Parcel Service Inc Class B"),
    "consumer_cyclical": ("AMZN:Amazon.com Inc", "TSLA:Tesla Inc", "HD:Home Depot Inc",
                          "MCD:McDonald's Corp", "LOW:Lowe's Companies Inc",
                          "BKNG:Booking Holdings Inc", "TJX:TJX Companies Inc",
                          "NKE:Nike Inc Class B", "SBUX:Starbucks Corp",
                          "CMG:Chipotle Mexican Grill Inc"),
    "consumer_defensive": ("COST:Costco Wholesale Corp", "WMT:Walmart Inc",
                           "PG:Procter & Gamble Co", "KO:Coca-Cola Co", "PEP:PepsiCo Inc",
                           "PM:Philip Morris International Inc",
                           "MDLZ:Mondelez International Inc Class A",
                           "MO:Altria Group Inc", "CL:Colgate-Palmolive Co", "TGT:Target Corp"),
    "utilities": ("NEE:NextEra Energy Inc", "SO:Southern Co", "DUK:Duke Energy Corp",
                  "CEG:Constellation Energy Corp", "SRE:Sempra",
                  "AEP:American Electric Power Co Inc",
                  "D:Dominion Energy Inc", "VST:Vistra Corp", "EXC:Exelon Corp", "PCG:PG&E Corp"),
    "realestate": ("PLD:Prologis Inc", "AMT:American Tower Corp", "EQIX:Equinix Inc",
                   "WELL:Welltower Inc", "SPG:Simon Property Group Inc",
                   "PSA:Public Storage", "O:Realty Income Corp", "DLR:Digital Realty Trust Inc",
                   "CCI:Crown Castle Inc", "VICI:VICI Properties Inc"),
    "communication_services": ("META:Meta Platforms Inc Class A", "GOOGL:Alphabet Inc Class A",
                               "GOOG:Alphabet Inc Class C", "NFLX:Netflix Inc",
                               "TMUS:T-Mobile US Inc", "DIS:Walt Disney Co",
                               "CMCSA:Comcast Corp Class A", "VZ:Verizon Communications Inc",
                               "T:AT&T Inc", "CHTR:Charter Communications Inc Class A"),
}

VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]

# The v7 quote's share count is the true count of the vendor's last refresh: every
# N trading days, N drawn per fund from this range (and a random phase).
QUOTE_COUNT_REFRESH_DAYS = (20, 65)
# (ticker, first frozen day, trading days): totalAssets / netAssets repeat the value of
# the trading day before the stretch (inside the snapshot window, away from the stale
# share-count runs the AUM-based flows must reveal).
FROZEN_TOTAL_ASSETS = (
    ("VTI", dt.date(2024, 11, 11), 8),
    ("SMH", dt.date(2024, 12, 2), 10),
    ("XLK", dt.date(2024, 10, 28), 6),
)

def _f32(values: np.ndarray) -> list[float]:
    """Yahoo serves prices as float32: 586.08 arrives as 586.0800170898438."""
    return np.asarray(values, dtype=np.float32).tolist()


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def chart_body(path: FundPath) -> bytes:
    spec, days = path.spec, path.days
    stamps = [_epoch_at(d, 9, 30) for d in days]
    end = days[-1]
    last_year = path.close[-TRADING_DAYS_PER_YEAR:]
    exchange_name, full_name = EXCHANGES[spec.exchange]
    gmtoffset = int(dt.datetime.combine(end, dt.time(16), NY).utcoffset().total_seconds())
    tz_short = dt.datetime.combine(end, dt.time(16), NY).tzname()

    def period(h0: int, m0: int, h1: int, m1: int) -> dict[str, Any]:
        return {"timezone": tz_short, "start": _epoch_at(end, h0, m0),
                "end": _epoch_at(end, h1, m1), "gmtoffset": gmtoffset}

    meta = {
        "currency": "USD",
        "symbol": spec.ticker,
        "exchangeName": spec.exchange,
        "fullExchangeName": full_name,
        "instrumentType": "ETF",
        "firstTradeDate": _epoch_at(_first_trade_date(spec), 9, 30),
        "regularMarketTime": _epoch_at(end, 16),
        "hasPrePostMarketData": True,
        "gmtoffset": gmtoffset,
        "timezone": tz_short,
        "exchangeTimezoneName": "America/New_York",
        "regularMarketPrice": float(path.close[-1]),
        "fiftyTwoWeekHigh": float(last_year.max()),
        "fiftyTwoWeekLow": float(last_year.min()),
        "regularMarketDayHigh": float(path.high[-1]),
        "regularMarketDayLow": float(path.low[-1]),
        "regularMarketVolume": int(path.volume[-1]),
        "longName": spec.name,
        "shortName": _short_name(spec.name),
        "chartPreviousClose": path.previous_close,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": period(4, 0, 9, 30),
            "regular": period(9, 30, 16, 0),
            "post": period(16, 0, 20, 0),
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": VALID_RANGES,
    }
    events: dict[str, Any] = {}
    if path.dividends:
        events["dividends"] = {
            str(stamps[k]): {"amount": amount, "date": stamps[k]}
            for k, amount in sorted(path.dividends.items())
        }
    if path.split_days:
        events["splits"] = {
            str(stamps[k]): {
                "date": stamps[k], "numerator": float(s.numerator),
                "denominator": float(s.denominator),
                "splitRatio": f"{s.numerator}:{s.denominator}",
            }
            for k, s in sorted(path.split_days.items())
        }
    result: dict[str, Any] = {"meta": meta, "timestamp": stamps}
    if events:
        result["events"] = events
    result["indicators"] = {
        "quote": [{
            "open": _f32(path.open),
            "high": _f32(path.high),
            "low": _f32(path.low),
            "close": _f32(path.close),
            "volume": path.volume.tolist(),
        }],
        "adjclose": [{"adjclose": _f32(path.adjclose)}],
    }
    return _dumps({"chart": {"result": [result], "error": None}})


def _first_trade_date(spec: FundSpec) -> dt.date:
    if spec.launch:
        return spec.launch
    day = spec.inception + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _short_name(name: str) -> str:
    for suffix in (" ETF Trust", " ETF", " Fund", " Trust", " Shares"):
        name = name.removesuffix(suffix)
    return name[:32].rstrip()


def _total_assets(path: FundPath, k: int) -> int:
    return int(round(float(path.shares[k]) * float(path.nav[k]), -3))


def frozen_total_assets_days(path: FundPath) -> dict[int, int]:
    """Day index -> the stale day index whose total assets the vendor still shows."""
    out: dict[int, int] = {}
    for ticker, first, length in FROZEN_TOTAL_ASSETS:
        if ticker != path.spec.ticker or first > path.days[-1]:
            continue
        start = next(k for k, d in enumerate(path.days) if d >= first)
        out.update({k: start - 1 for k in range(start, min(start + length, len(path.days)))})
    return out


def vendor_total_assets(path: FundPath) -> int:
    """The total assets Yahoo shows on the path's last day (frozen stretches repeat)."""
    k = len(path.days) - 1
    return _total_assets(path, frozen_total_assets_days(path).get(k, k))


def quote_count_refresh_days(path: FundPath) -> list[int]:
    """Indices of the days the vendor refreshed the v7 quote's share count."""
    rng = _rng("quote_count_refresh", path.spec.ticker)
    every = int(rng.integers(*QUOTE_COUNT_REFRESH_DAYS))
    return list(range(int(rng.integers(0, every)), len(path.days), every))


def vendor_quote_shares(path: FundPath) -> int:
    """The v7 quote's share count on the path's last day: the last refresh's true count."""
    k = len(path.days) - 1
    refreshed = [i for i in quote_count_refresh_days(path) if i <= k]
    return int(path.shares[refreshed[-1] if refreshed else 0])


def quote_body(paths: list[FundPath]) -> bytes:
    """The v7 quote for several funds, each as known at its path's last day."""
    results = []
    for path in paths:
        spec, end = path.spec, path.days[-1]
        close, prev = float(path.close[-1]), float(path.close[-2])
        shares = vendor_quote_shares(path)
        exchange_name, _ = EXCHANGES[spec.exchange]
        zone = dt.datetime.combine(end, dt.time(16), NY)
        results.append({
            "language": "en-US", "region": "US", "quoteType": "ETF", "typeDisp": "ETF",
            "quoteSourceName": "Delayed Quote", "triggerable": True, "currency": "USD",
            "tradeable": False, "cryptoTradeable": False,
            "gmtOffSetMilliseconds": int(zone.utcoffset().total_seconds()) * 1000,
            "market": "us_market", "esgPopulated": False, "marketState": "POST",
            "regularMarketChange": round(close - prev, 4),
            "regularMarketDayHigh": float(path.high[-1]),
            "regularMarketDayLow": float(path.low[-1]),
            "regularMarketVolume": int(path.volume[-1]),
            "regularMarketPreviousClose": prev,
            "fullExchangeName": exchange_name, "financialCurrency": "USD",
            "regularMarketOpen": float(path.open[-1]),
            "netAssets": float(round(vendor_total_assets(path), -4)),
            "regularMarketChangePercent": round(100 * (close - prev) / prev, 6),
            "shortName": _short_name(spec.name), "longName": spec.name,
            "regularMarketTime": _epoch_at(end, 16), "exchange": spec.exchange,
            "exchangeTimezoneName": "America/New_York",
            "exchangeTimezoneShortName": zone.tzname(),
            "regularMarketPrice": close,
            "sharesOutstanding": shares,
            "netExpenseRatio": round(spec.expense_ratio * 100, 4),
            "marketCap": int(round(shares * close)),
            "firstTradeDateMilliseconds": _epoch_at(_first_trade_date(spec), 9, 30) * 1000,
            "priceHint": 2,
            "symbol": spec.ticker,
        })
    return _dumps({"quoteResponse": {"result": results, "error": None}})


def quote_summary_body(path: FundPath) -> bytes:
    spec = path.spec
    end = path.days[-1]
    total_assets = vendor_total_assets(path)
    close, prev = float(path.close[-1]), float(path.close[-2])
    year_ago = end - dt.timedelta(days=365)
    trailing_div = round(sum(a for k, a in path.dividends.items() if path.days[k] > year_ago), 4)
    ytd_base = next((i for i, d in enumerate(path.days) if d.year == end.year), 0)
    ytd_return = round(float(path.adjclose[-1] / path.adjclose[max(ytd_base - 1, 0)] - 1), 4)
    exchange_name, _ = EXCHANGES[spec.exchange]
    family = FUND_FAMILY.get(spec.issuer, spec.issuer)
    category = spec.category
    legal_type = "Exchange Traded Fund"
    avg_volume = int(path.volume[-63:].mean())
    avg_volume_10 = int(path.volume[-10:].mean())
    market_time = _epoch_at(end, 16)
    gmt_ms = int(dt.datetime.combine(end, dt.time(16), NY).utcoffset().total_seconds()) * 1000

    stats: dict[str, Any] = {
        "maxAge": 1,
        "priceHint": 2,
        "category": category,
        "ytdReturn": ytd_return,
        "totalAssets": total_assets,
        "yield": round(trailing_div / close, 4) if close else 0,
        "fundFamily": family,
        "fundInceptionDate": _epoch_midnight_utc(spec.inception),
        "legalType": legal_type,
    }
    if spec.splits:
        last = spec.splits[-1]
        stats["lastSplitFactor"] = f"{last.numerator}:{last.denominator}"
        stats["lastSplitDate"] = _epoch_midnight_utc(last.date)

    result = {
        "quoteType": {
            "exchange": spec.exchange,
            "quoteType": "ETF",
            "symbol": spec.ticker,
            "underlyingSymbol": spec.ticker,
            "shortName": _short_name(spec.name),
            "longName": spec.name,
            "firstTradeDateEpochUtc": _epoch_at(_first_trade_date(spec), 9, 30),
            "timeZoneFullName": "America/New_York",
            "timeZoneShortName": dt.datetime.combine(end, dt.time(16), NY).tzname(),
            "messageBoardId": f"finmb_{zlib.crc32(spec.ticker.encode()) % 10**8}",
            "gmtOffSetMilliseconds": gmt_ms,
            "maxAge": 1,
        },
        "price": {
            "maxAge": 1,
            "regularMarketChangePercent": round((close - prev) / prev, 6),
            "regularMarketChange": round(close - prev, 4),
            "regularMarketTime": market_time,
            "priceHint": 2,
            "regularMarketPrice": close,
            "regularMarketDayHigh": float(path.high[-1]),
            "regularMarketDayLow": float(path.low[-1]),
            "regularMarketVolume": int(path.volume[-1]),
            "regularMarketPreviousClose": prev,
            "regularMarketSource": "FREE_REALTIME",
            "regularMarketOpen": float(path.open[-1]),
            "exchange": spec.exchange,
            "exchangeName": exchange_name,
            "exchangeDataDelayedBy": 0,
            "marketState": "POST",
            "quoteType": "ETF",
            "symbol": spec.ticker,
            "underlyingSymbol": None,
            "shortName": _short_name(spec.name),
            "longName": spec.name,
            "currency": "USD",
            "quoteSourceName": "Delayed Quote",
            "currencySymbol": "$",
        },
        "summaryDetail": {
            "maxAge": 1,
            "priceHint": 2,
            "previousClose": prev,
            "open": float(path.open[-1]),
            "dayLow": float(path.low[-1]),
            "dayHigh": float(path.high[-1]),
            "regularMarketPreviousClose": prev,
            "regularMarketOpen": float(path.open[-1]),
            "regularMarketDayLow": float(path.low[-1]),
            "regularMarketDayHigh": float(path.high[-1]),
            "trailingAnnualDividendRate": trailing_div,
            "trailingAnnualDividendYield": round(trailing_div / prev, 4) if prev else 0,
            "volume": int(path.volume[-1]),
            "regularMarketVolume": int(path.volume[-1]),
            "averageVolume": avg_volume,
            "averageVolume10days": avg_volume_10,
            "averageDailyVolume10Day": avg_volume_10,
            "yield": round(trailing_div / close, 4) if close else 0,
            "totalAssets": total_assets,
            "navPrice": prev,  # Yahoo's navPrice is the previous session's close
            "fiftyTwoWeekLow": float(path.close[-TRADING_DAYS_PER_YEAR:].min()),
            "fiftyTwoWeekHigh": float(path.close[-TRADING_DAYS_PER_YEAR:].max()),
            "fiftyDayAverage": round(float(path.close[-50:].mean()), 4),
            "twoHundredDayAverage": round(float(path.close[-200:].mean()), 4),
            "currency": "USD",
            "fromCurrency": None,
            "toCurrency": None,
            "lastMarket": None,
            "coinMarketCapLink": None,
            "algorithm": None,
            "tradeable": False,
        },
        "defaultKeyStatistics": stats,
        "fundProfile": {
            "maxAge": 86400,
            "family": family,
            "categoryName": category,
            "legalType": legal_type,
            "feesExpensesInvestment": {
                "annualReportExpenseRatio": spec.expense_ratio,
                "annualHoldingsTurnover": 0.04 if spec.asset_class == "equity" else 0.2,
                "totalNetAssets": round(total_assets / 1e6, 2),
            },
            "brokerages": [],
        },
        "topHoldings": _top_holdings(spec),
    }
    return _dumps({"quoteSummary": {"result": [result], "error": None}})


def _top_holdings(spec: FundSpec) -> dict[str, Any]:
    base: dict[str, Any] = {"maxAge": 1}
    if spec.asset_class != "equity":
        bond = 0.98 if spec.asset_class == "bond" else 0.0
        return {**base, "cashPosition": round(1 - bond, 4) if bond else 1.0,
                "stockPosition": 0.0, "bondPosition": bond, "otherPosition": 0.0,
                "holdings": [], "bondRatings": [], "sectorWeightings": []}
    rng = _rng("holdings", spec.ticker)
    category = spec.category.lower()
    in_sector = SEED_SECTOR_TO_YAHOO.get(spec.sector)
    if "emerging" in category:
        pool, weights = "emerging", EMERGING_WEIGHTS
    elif "foreign" in category or spec.ticker == "KXI":
        pool, weights = "foreign", FOREIGN_WEIGHTS
    elif spec.ticker == "DIA":
        pool, weights = "dow", BROAD_US_WEIGHTS
    elif "small" in category:
        pool, weights = "small", BROAD_US_WEIGHTS
    elif "mid" in category:
        pool, weights = "mid", BROAD_US_WEIGHTS
    else:
        pool, weights = "broad", BROAD_US_WEIGHTS
    mix = np.array(weights)
    if in_sector and spec.seed_group in ("sector", "sector_basket"):
        onehot = np.array([s == in_sector for s in YAHOO_SECTORS], dtype=float)
        mix = 0.97 * onehot + 0.03 * mix
        pool = in_sector
        top, decay = 0.20, 0.80
    elif in_sector:  # a broad fund with a tilt (QQQ)
        onehot = np.array([s == in_sector for s in YAHOO_SECTORS], dtype=float)
        mix = 0.45 * onehot + 0.55 * mix
        top, decay = 0.09, 0.85
    else:
        diversified = pool in ("foreign", "emerging", "small", "mid")
        top, decay = (0.025, 0.9) if diversified else (0.07, 0.85)
    mix = mix * rng.uniform(0.85, 1.15, len(mix))
    mix = np.round(mix / mix.sum(), 4)
    entries = [e.split(":", 1) for e in HOLDINGS_POOLS[pool]]
    w = top * decay ** np.arange(len(entries)) * rng.uniform(0.9, 1.1, len(entries))
    w = np.round(np.sort(w)[::-1], 4)
    return {
        **base,
        "cashPosition": 0.002, "stockPosition": 0.998, "bondPosition": 0.0,
        "otherPosition": 0.0,
        "holdings": [{"symbol": s, "holdingName": name, "holdingPercent": float(p)}
                     for (s, name), p in zip(entries, w, strict=True)],
        "bondRatings": [],
        "sectorWeightings": [{s: float(v)} for s, v in zip(YAHOO_SECTORS, mix, strict=True)],
    }


def shares_body(path: FundPath) -> bytes:
    days = path.days
    result = {
        "meta": {"symbol": [path.spec.ticker], "type": ["shares_out"]},
        "timestamp": [_epoch_midnight_utc(days[k]) for k in path.report_days.tolist()],
        "shares_out": path.reported_shares.tolist(),
    }
    return _dumps({"timeseries": {"result": [result], "error": None}})


def bad_ticker_bodies(ticker: str) -> dict[str, tuple[int, bytes]]:
    """What Yahoo answers for a symbol it does not know, by endpoint kind."""
    return {
        "chart": (404, _dumps({"chart": {"result": None, "error": {
            "code": "Not Found", "description": "No data found, symbol may be delisted"}}})),
        "quoteSummary": (404, _dumps({"quoteSummary": {"result": None, "error": {
            "code": "Not Found", "description": f"Quote not found for symbol: {ticker}"}}})),
        "shares": (200, _dumps({"timeseries": {"result": [
            {"meta": {"symbol": [ticker], "type": ["shares_out"]}}], "error": None}})),
    }


def _kind(request: Request) -> str:
    if "/v8/finance/chart/" in request.url:
        return "chart"
    if "/quoteSummary/" in request.url:
        return "quoteSummary"
    if "/fundamentals-timeseries/" in request.url:
        return "shares"
    if request.url.endswith("/v7/finance/quote"):
        return "quote"
    raise ValueError(f"unexpected request in the Yahoo plan: {request.url}")


def _wire_url(request: Request) -> str:
    """The URL as requests reports it after sending (``response.url``)."""
    return f"{request.url}?{urlencode(request.params)}" if request.params else request.url


# -- the archive --------------------------------------------------------------------------------

