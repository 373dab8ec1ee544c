"""FRED: series observations from the public CSV download endpoint (no API key).

``https://fred.stlouisfed.org/graph/fredgraph.csv?id=<SERIES>[&cosd=YYYY-MM-DD&coed=...]``
answers two columns: a date column headed ``observation_date`` (files served since 2024;
older ones head it ``DATE``) and one value column headed with the series id. Missing
values are ``.`` (and in some files an empty cell); both land as null. Dates are the
start of the observation period (2024-01-01 is 2024 Q1 for a quarterly series).

The CSV carries no vintage: each observation lands with ``realtime_start``, the date we
fetched it, so a revised value (the Financial Accounts revise past quarters) lands as a
new row beside the old one; staging picks the latest vintage. Series metadata (title,
units, frequency) is not in the CSV: it comes from ``SERIES`` below, with the
observation range and count measured from each payload.

Default series: the Federal Reserve Financial Accounts (Z.1) table L.124 / F.124
"Exchange-traded funds" - total financial assets at market value (the sector's shares
outstanding at market value: an ETF's only liability is its shares) and their quarterly
transactions (net issuance of ETF shares) - plus 10-year Treasury yield and VIX close.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

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

CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
DATE_HEADERS = ("observation_date", "DATE")
MISSING = frozenset({".", ""})


@dataclass(frozen=True)
class SeriesInfo:
    title: str
    units: str
    frequency: str
    seasonal_adjustment: str
    role: str          # how the warehouse uses it
    source_table: str  # where it comes from (Z.1 table and FOF code, H.15, Cboe)


SERIES: dict[str, SeriesInfo] = {
    "BOGZ1LM564090005Q": SeriesInfo(
        "Exchange-Traded Funds; Total Financial Assets, Level (market value)",
        "Millions of Dollars", "Quarterly, End of Period", "Not Seasonally Adjusted",
        "etf_shares_market_value", "Z.1 L.124 line 1, FOF code LM564090005"),
    "BOGZ1FU564090005Q": SeriesInfo(
        "Exchange-Traded Funds; Total Financial Assets, Transactions (net issuance)",
        "Millions of Dollars", "Quarterly", "Not Seasonally Adjusted",
        "etf_net_issuance", "Z.1 F.124 line 1 unadjusted, FOF code FU564090005"),
    "BOGZ1FA564090005Q": SeriesInfo(
        "Exchange-Traded Funds; Total Financial Assets, Transactions (net issuance)",
        "Millions of Dollars", "Quarterly", "Seasonally Adjusted Annual Rate",
        "etf_net_issuance_saar", "Z.1 F.124 line 1, FOF code FA564090005"),
    "DGS10": SeriesInfo(
        "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity, "
        "Quoted on an Investment Basis", "Percent", "Daily", "Not Seasonally Adjusted",
        "treasury_10y_yield", "Federal Reserve H.15"),
    "VIXCLS": SeriesInfo(
        "CBOE Volatility Index: VIX", "Index", "Daily, Close", "Not Seasonally Adjusted",
        "vix_close", "Cboe Global Markets"),
}
DEFAULT_SERIES = tuple(SERIES)

OBSERVATIONS = RawTable(
    "fred_observations",
    {
        "series_id": "VARCHAR",
        "observation_date": "DATE",
        "realtime_start": "DATE",   # the date we fetched this value (its vintage)
        "value": "DOUBLE",          # null where FRED has "." (no observation)
    },
    ("series_id", "observation_date", "realtime_start"),
    "FRED observations: one row per series, observation date and vintage fetched.",
)
SERIES_META = RawTable(
    "fred_series",
    {
        "series_id": "VARCHAR",
        "realtime_start": "DATE",
        "title": "VARCHAR",
        "units": "VARCHAR",
        "frequency": "VARCHAR",
        "seasonal_adjustment": "VARCHAR",
        "role": "VARCHAR",
        "source_table": "VARCHAR",
        "date_header": "VARCHAR",          # observation_date (current files) or DATE (older)
        "observation_start": "DATE",
        "observation_end": "DATE",
        "observation_count": "INTEGER",
        "missing_count": "INTEGER",
        "median_gap_days": "DOUBLE",       # measured spacing of observations
    },
    ("series_id", "realtime_start"),
    "FRED series metadata: one row per series per vintage fetched.",
)


class FredPlugin(Plugin):
    name: ClassVar[str] = "fred"
    description: ClassVar[str] = "FRED series (Z.1 ETF assets and net issuance, 10y yield, VIX)"
    tables = (OBSERVATIONS, SERIES_META)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        series = params.extra.get("series") or DEFAULT_SERIES
        if isinstance(series, str):  # one series given as text (CLI: -o series=DGS10)
            series = (series,)
        window = {}
        if params.start:
            window["cosd"] = params.start.isoformat()
        if params.end:
            window["coed"] = params.end.isoformat()
        for series_id in series:
            yield Request.get(CSV_URL, f"{series_id} csv", id=series_id.upper(), **window)

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        requested = _requested_series(payload)
        if payload.status == 404:
            raise SourceError(f"FRED has no series {requested} (HTTP 404)")
        if payload.status >= 400:
            raise SourceError(f"FRED answered HTTP {payload.status}")
        header, records = _read_csv(payload.body, requested)
        vintage = _utc_date(payload.fetched_at)
        observations, problems = [], []
        for line_no, record in records:
            if len(record) != 2:
                problems.append(f"line {line_no}: {len(record)} fields")
                continue
            raw_date, raw_value = (field.strip() for field in record)
            try:
                day = dt.date.fromisoformat(raw_date)
            except ValueError:
                problems.append(f"line {line_no}: bad date {raw_date!r}")
                continue
            try:
                value = None if raw_value in MISSING else float(raw_value)
            except ValueError:
                problems.append(f"line {line_no}: bad value {raw_value!r}")
                continue
            observations.append({"series_id": requested, "observation_date": day,
                                 "realtime_start": vintage, "value": value})
        if problems:
            shown = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise MalformedPayload(f"{len(problems)} unreadable rows: {shown}{more}")
        days = sorted({o["observation_date"] for o in observations})
        if len(days) != len(observations):
            raise MalformedPayload("repeated observation dates")
        info = SERIES.get(requested)
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
        meta = {
            "series_id": requested, "realtime_start": vintage,
            "title": info.title if info else None, "units": info.units if info else None,
            "frequency": info.frequency if info else _frequency(gaps),
            "seasonal_adjustment": info.seasonal_adjustment if info else None,
            "role": info.role if info else None,
            "source_table": info.source_table if info else None,
            "date_header": header,
            "observation_start": days[0] if days else None,
            "observation_end": days[-1] if days else None,
            "observation_count": len(observations),
            "missing_count": sum(o["value"] is None for o in observations),
            "median_gap_days": float(statistics.median(gaps)) if gaps else None,
        }
        return {OBSERVATIONS.name: observations, SERIES_META.name: [meta]}


def _requested_series(payload: Payload) -> str:
    params = dict(payload.request.params)
    if "id" not in params:
        params.update({k: v[0] for k, v in parse_qs(urlsplit(payload.request.url).query).items()})
    series = params.get("id", "").strip().upper()
    if not series:
        raise MalformedPayload("request names no FRED series (id=...)")
    return series


def _utc_date(moment: dt.datetime) -> dt.date:
    return (moment if moment.tzinfo is None else moment.astimezone(dt.UTC)).date()


def _read_csv(body: bytes, series_id: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """(date header, [(line number, fields)]) after checking the header names the series."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"not UTF-8 text: {exc}") from exc
    if text.lstrip().startswith("<"):
        raise MalformedPayload("not CSV: the body is an HTML page (FRED error or login page?)")
    rows = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text)), start=1) if r]
    if not rows:
        raise MalformedPayload("empty CSV")
    _, header = rows[0]
    if len(header) != 2 or header[0].strip() not in DATE_HEADERS:
        raise MalformedPayload(
            f"unexpected header {header!r}: want {' or '.join(DATE_HEADERS)},{series_id}")
    if header[1].strip().upper() != series_id:
        raise MalformedPayload(f"header names series {header[1]!r}, requested {series_id}")
    return header[0].strip(), rows[1:]


def _frequency(gaps: list[int]) -> str | None:
    """A frequency label from the median spacing of observation dates."""
    if not gaps:
        return None
    median = statistics.median(gaps)
    for limit, label in ((1.5, "Daily"), (8, "Weekly"), (35, "Monthly"), (95, "Quarterly"),
                         (370, "Annual")):
        if median <= limit:
            return label
    return None
