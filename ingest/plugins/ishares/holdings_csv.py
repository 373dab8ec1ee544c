"""The iShares holdings download (``{product page}/1467271812596.ajax?fileType=csv&...``).

Layout of the real file (../shared/data/issuers, IVV 2022-12-30)::

    \\ufeffiShares Core S&P 500 ETF                   fund name (after a BOM)
    Fund Holdings as of,"Dec 30, 2022"              "-" when there is no file for the date
    Inception Date,"May 15, 2000"
    Shares Outstanding,"753,450,000.00"
    Stock,"-"  /  Bond,"-"  /  Cash,"-"  /  Other,"-"
    \\xa0                                             a blank line (a lone NBSP or space)
    Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,...
    "AAPL","APPLE INC","Information Technology","Equity","17,447,821,037.88",...
    ...
    \\xa0                                             the table ends at the first blank line
    "The content contained herein is owned ...       a legal footer (one multi-line field)

Equity funds head the table ``Ticker,Name,Sector,Asset Class,Market Value,Weight (%),
Notional Value,Quantity|Shares,Price,Location,Exchange,Currency,FX Rate,Market Currency,
Accrual Date``; fixed-income funds have no Ticker but ``Par Value,CUSIP,ISIN,SEDOL,...,
Maturity,Coupon (%),...``. The table is found by its header row's content and its columns
are mapped by name. Some downloads repeat the whole header and table a second time after
the first table (seen for TLTW and AGG): only the first block is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from ingest.plugins.issuer_files import (
    HoldingsLayout,
    header_key,
    holdings_layout,
    is_blank,
    is_holdings_header,
    parse_date,
    parse_number,
    text_or_none,
)

AS_OF_KEY = "fund holdings as of"
SHARES_KEY = "shares outstanding"
INCEPTION_KEY = "inception date"


class HoldingsFileError(ValueError):
    """The file is not a readable holdings download (the plugin quarantines it)."""


class NoHoldingsPublished(ValueError):
    """The file says there are no holdings for the date (``Fund Holdings as of,"-"``)."""


@dataclass(frozen=True)
class HoldingsFile:
    fund_name: str | None
    as_of_date: dt.date
    inception_date: dt.date | None
    shares_outstanding: float | None
    records: list[dict[str, Any]]   # contract columns of each holding line, in file order
    columns: frozenset[str]         # the contract columns the table's header mapped


def decode(body: bytes) -> str:
    """UTF-8 (BOM dropped); a file saved in a Windows code page still reads."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_holdings_csv(body: bytes) -> HoldingsFile:
    """The header block's facts and the first holdings table of one download."""
    header_block: dict[str, str] = {}
    fund_name: str | None = None
    layout: HoldingsLayout | None = None
    header: list[str] = []
    lines: list[tuple[int, list[str]]] = []
    for line_number, cells in enumerate(csv.reader(io.StringIO(decode(body))), start=1):
        if layout is None:
            if is_blank(cells):
                continue
            if is_holdings_header(cells):
                layout, header = holdings_layout(tuple(cells)), cells
                continue
            filled = [c for c in cells if c.strip()]
            if len(filled) == 1 and fund_name is None and not header_block:
                fund_name = filled[0].strip()
            elif filled:
                header_block.setdefault(header_key(cells[0]), cells[1] if len(cells) > 1 else "")
            continue
        # inside the table: it ends at the first blank line, or where a repeated block or
        # the footer starts without one (a line of fewer than three cells, or the header)
        if len(cells) < 3 or cells == header or (
                not cells[0].strip() and sum(1 for c in cells if c.strip()) < 3):
            break
        lines.append((line_number, cells))
    try:  # ahead of the header block's checks: a bad cell is malformed whatever the header says
        records = layout.records(lines) if layout is not None else []
    except ValueError as exc:
        raise HoldingsFileError(str(exc)) from None

    if AS_OF_KEY not in header_block:
        raise HoldingsFileError("no 'Fund Holdings as of' line: not an iShares holdings file")
    as_of_text = text_or_none(header_block[AS_OF_KEY])
    if as_of_text is None:
        raise NoHoldingsPublished(f"'Fund Holdings as of' is {header_block[AS_OF_KEY]!r}")
    if layout is None:
        raise HoldingsFileError("no holdings table (no header row naming Name and Weight / "
                                "Market Value / Quantity)")
    try:
        as_of_date = parse_date(as_of_text)
        inception = parse_date(header_block.get(INCEPTION_KEY))
        shares = parse_number(header_block.get(SHARES_KEY))
    except ValueError as exc:
        raise HoldingsFileError(f"header block: {exc}") from None
    assert as_of_date is not None  # as_of_text is not a null marker
    return HoldingsFile(fund_name, as_of_date, inception, shares, records, layout.mapped)
