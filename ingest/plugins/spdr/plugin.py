"""State Street (SPDR): each fund's NAV-history workbook and its daily holdings workbook.

``NAVHIST_URL``   ``navhist-us-en-{ticker}.xlsx``: one request = the fund's whole daily
                  history. First sheet: a few header lines (``Fund Name:``, ``Ticker
                  Symbol:``, a title, perhaps blank rows) above the table headed ``Date | NAV
                  | Shares Outstanding | Total Net Assets`` (found by its content), newest
                  first, dates as text (``04-Aug-2026``) or real spreadsheet dates, numbers
                  numeric or text with separators, disclaimers below.
                  -> raw.issuer_fund_days (the whole history; unchanged days are left alone
                  by the landing's upsert)
``HOLDINGS_URL``  ``holdings-daily-us-en-{ticker}.xlsx``, sheet ``holdings``: ``Fund Name:``,
                  ``Ticker Symbol:``, ``Holdings:`` ``As of 10-Jan-2023``, a blank row, then
                  the table ``Name, Ticker, Identifier, SEDOL, Weight, Sector, Shares Held,
                  Local Currency`` (numbers as text; bond funds have other columns, mapped
                  by name), ending at the first blank row; long disclaimers after. No fund
                  share count: -> raw.issuer_holdings only.

Option ``datasets=navhist,holdings`` (default both); a backfill (``history_only``) asks for
the NAV history only. A ticker State Street does not run answers an HTML 404 page: a
SourceError ("not a State Street fund"). Workbooks are read with python-calamine (Rust):
about 0.3 ms for a small workbook and 13 ms for the 505-line SPY file, against 15 / 150 ms
with openpyxl; the rows are then searched by content like any other table.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from python_calamine import CalamineError, CalamineWorkbook

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
from ingest.plugins.issuer_files import (
    ISSUER_FUND_DAYS,
    ISSUER_FUNDS,
    ISSUER_HOLDINGS,
    HoldingsLayout,
    header_key,
    holding_rows,
    is_blank,
    is_holdings_header,
    looks_like_html,
    parse_date,
    parse_number,
    text_or_none,
)

SOURCE = "spdr"
FUND_DATA = "https://www.ssga.com/us/en/intermediary/etfs/library-content/products/fund-data/etfs/us"
NAVHIST_URL = FUND_DATA + "/navhist-us-en-{ticker}.xlsx"
HOLDINGS_URL = FUND_DATA + "/holdings-daily-us-en-{ticker}.xlsx"
DATASETS = ("navhist", "holdings")
URL_TICKER = re.compile(r"(?:navhist|holdings-daily)-us-en-([a-z0-9.]+)\.xlsx$", re.IGNORECASE)
NAVHIST_HEADERS = {"date": "as_of_date", "nav": "nav", "shares outstanding": "shares_outstanding",
                   "total net assets": "total_net_assets"}
NAV_NUMBERS = ("nav", "shares_outstanding", "total_net_assets")
FALLBACK = "download the workbook in a browser and run `etfflow ingest spdr --file PATH`"


def navhist_request(ticker: str) -> Request:
    return Request.get(NAVHIST_URL.format(ticker=ticker.lower()), f"{ticker} nav history")


def holdings_request(ticker: str) -> Request:
    return Request.get(HOLDINGS_URL.format(ticker=ticker.lower()), f"{ticker} holdings")


def _datasets(params: PlanParams) -> tuple[str, ...]:
    if params.extra.get("history_only"):
        return ("navhist",)
    chosen = params.extra.get("datasets") or DATASETS
    chosen = (chosen,) if isinstance(chosen, str) else tuple(chosen)
    unknown = [d for d in chosen if d not in DATASETS]
    if unknown:
        raise EtfflowError(f"spdr: unknown datasets {unknown} (choose from {', '.join(DATASETS)})")
    return chosen


class SpdrPlugin(Plugin):
    name: ClassVar[str] = SOURCE
    description: ClassVar[str] = ("State Street SPDR: NAV history (NAV, shares outstanding, "
                                  "total net assets) and daily holdings workbooks")
    # issuer_funds is declared so all issuer tables exist side by side; spdr lands none
    tables = (ISSUER_FUNDS, ISSUER_FUND_DAYS, ISSUER_HOLDINGS)
    issuer: ClassVar[str | None] = "State Street"
    local_file_suffixes: ClassVar[tuple[str, ...]] = (".xlsx",)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        datasets = _datasets(params)
        for ticker in dict.fromkeys(t.upper() for t in params.tickers):
            if "navhist" in datasets:
                yield navhist_request(ticker)
            if "holdings" in datasets:
                yield holdings_request(ticker)

    def local_requests(self, paths: Sequence[Path | str], params: PlanParams) -> list[Request]:
        """Downloaded workbooks (NAV history or holdings, told apart by their table); the
        fund is the workbook's ``Ticker Symbol:`` (``-o ticker=XLK`` for a workbook that names
        none; a workbook naming another fund is refused)."""
        given = str(params.extra.get("ticker") or "").strip().upper()
        return [Request.get(p.as_uri(), p.name, **({"ticker": given} if given else {}))
                for p in local_files(paths, self.local_file_suffixes)]

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        asked = _asked_ticker(payload.request)
        what = f"{asked or '?'} {payload.request.label or payload.request.url}"
        table: tuple[str, int] | None = None
        if payload.status == 403:
            raise SourceError(f"{what}: State Street refused the request (HTTP 403); {FALLBACK}")
        if payload.status == 404 or looks_like_html(payload.body):
            raise SourceError(f"{asked or what}: not a State Street fund (HTTP "
                              f"{payload.status}, an HTML page instead of the workbook)")
        if payload.status >= 400:
            raise SourceError(f"{what}: HTTP {payload.status}")
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(payload.body))
            for name in _sheet_order(workbook.sheet_names):
                rows = workbook.get_sheet_by_name(name).to_python()
                table = _find_table(rows)
                if table is not None:
                    break
        except (CalamineError, ValueError, OSError) as exc:
            raise MalformedPayload(f"{what}: not a readable xlsx workbook: {exc}") from None
        if table is not None:
            kind, at = table
            block = _header_block(rows[:at])
            ticker = _fund_ticker(block, asked, what)
            if kind == "navhist":
                return {ISSUER_FUND_DAYS.name: _navhist_rows(rows, at, ticker)}
            return {ISSUER_HOLDINGS.name: _holdings_rows(rows, at, ticker, block)}
        raise MalformedPayload(f"{what}: no NAV-history table (Date, NAV, Shares Outstanding) "
                               "and no holdings table (Name, Weight / Shares Held) in the "
                               "workbook")


def _asked_ticker(request: Request) -> str | None:
    given = dict(request.params).get("ticker")
    if given:
        return given.upper()
    match = URL_TICKER.search(urlsplit(request.url).path)
    return match.group(1).upper() if match else None


def _sheet_order(names: Sequence[str]) -> list[str]:
    """The ``holdings`` sheet first (holdings workbooks), then the rest in workbook order."""
    return sorted(names, key=lambda n: n.strip().lower() != "holdings")


def _find_table(rows: Sequence[Sequence[object]]) -> tuple[str, int] | None:
    for index, cells in enumerate(rows):
        keys = {header_key(c) for c in cells if isinstance(c, str) and c.strip()}
        if {"date", "nav", "shares outstanding"} <= keys:
            return "navhist", index
        if is_holdings_header(cells):
            return "holdings", index
    return None


def _header_block(rows: Sequence[Sequence[object]]) -> dict[str, object]:
    """``Fund Name:`` / ``Ticker Symbol:`` / ``Holdings:`` -> the cell beside each."""
    block: dict[str, object] = {}
    for cells in rows:
        filled = [c for c in cells if not is_blank([c])]
        if len(filled) >= 2 and isinstance(filled[0], str):
            block.setdefault(header_key(filled[0]), filled[1])
    return block


def _fund_ticker(block: Mapping[str, object], asked: str | None, what: str) -> str:
    stated = text_or_none(block.get("ticker symbol"))
    stated = stated.upper() if stated else None
    if stated and asked and stated != asked:
        raise MalformedPayload(f"{what}: the workbook is for {stated}, not {asked}")
    ticker = stated or asked
    if not ticker:
        raise MalformedPayload(f"{what}: the workbook names no fund (no 'Ticker Symbol:' "
                               "row); pass -o ticker=TICKER")
    return ticker


def _table_rows(rows: Sequence[Sequence[object]], at: int) -> Iterable[tuple[int, Sequence]]:
    """The rows under the header at ``at`` up to the first blank row (disclaimers after)."""
    for index in range(at + 1, len(rows)):
        if is_blank(rows[index]):
            return
        yield index + 1, rows[index]


def _navhist_rows(rows: Sequence[Sequence[object]], at: int, ticker: str) -> list[dict]:
    where = {NAVHIST_HEADERS[header_key(c)]: i for i, c in enumerate(rows[at])
             if isinstance(c, str) and header_key(c) in NAVHIST_HEADERS}
    if "as_of_date" not in where:
        raise MalformedPayload(f"{ticker} nav history: the table has no Date column")
    out: dict[dt.date, dict[str, Any]] = {}
    for line, cells in _table_rows(rows, at):
        values = {column: cells[i] if i < len(cells) else None for column, i in where.items()}
        filled = [c for c in cells if not is_blank([c])]
        if len(filled) == 1 and isinstance(filled[0], str) and not _is_date(filled[0]):
            break  # a line of text under the table without a blank row before it
        try:
            day = parse_date(values["as_of_date"])
            numbers = {c: parse_number(values.get(c)) for c in NAV_NUMBERS}
        except ValueError as exc:
            raise MalformedPayload(f"{ticker} nav history row {line}: {exc}") from None
        if day is None:
            raise MalformedPayload(f"{ticker} nav history row {line}: no date")
        # newest first: a repeated date keeps its first (latest published) row
        out.setdefault(day, {"ticker": ticker, "as_of_date": day, "source": SOURCE,
                             **numbers, "holdings_market_value": None})
    if not out:
        raise MalformedPayload(f"{ticker} nav history: the table has no rows")
    return sorted(out.values(), key=lambda r: r["as_of_date"])


def _is_date(text: str) -> bool:
    try:
        return parse_date(text) is not None
    except ValueError:
        return False


def _holdings_rows(rows: Sequence[Sequence[object]], at: int, ticker: str,
                   block: Mapping[str, object]) -> list[dict]:
    stated = text_or_none(block.get("holdings")) or text_or_none(block.get("as of"))
    if stated is None:
        raise MalformedPayload(f"{ticker} holdings: no 'Holdings: As of …' row")
    try:
        as_of_date = parse_date(re.sub(r"(?i)^\s*as\s+of\s*", "", stated))
    except ValueError as exc:
        raise MalformedPayload(f"{ticker} holdings: the as-of date: {exc}") from None
    if as_of_date is None:
        raise SourceError(f"no holdings published for {ticker} (as of {stated!r})")
    layout = HoldingsLayout(rows[at])
    records = []
    for line, cells in _table_rows(rows, at):
        try:
            records.append(layout.record(cells))
        except ValueError as exc:
            raise MalformedPayload(f"{ticker} holdings row {line}: {exc}") from None
    return holding_rows(ticker, as_of_date, SOURCE, records)
