"""What the fund-issuer plugins (``ishares``, ``spdr``) share: the landing contract and the
cell parsers for the files issuers publish.

Landing contract (``source`` = the plugin name; dbt staging reads exactly these columns):

``raw.issuer_funds``        the issuer's fund list, one row per (source, ticker)
``raw.issuer_fund_days``    one row per fund, business day and source: the fund's own
                            shares outstanding, NAV per share and total net assets where the
                            file publishes them (else null), and the sum of the holdings'
                            market values where the file lists holdings with values
``raw.issuer_holdings``     one row per holding line (``line_number`` 1.. in file order);
                            columns a layout lacks are null

Issuer files are spreadsheets made for people: a header block above the table, legal text
below it, numbers as text with thousands separators, ``-`` for none, several date styles.
The parsers here are tolerant of all of that and strict about the rest: a cell in a number
column that is not a number raises ``ValueError`` (the plugins turn it into
``MalformedPayload`` naming the line).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ingest.core.plugin import RawTable

ISSUER_FUNDS = RawTable(
    "issuer_funds",
    {
        "source": "VARCHAR",
        "ticker": "VARCHAR",
        "fund_id": "VARCHAR",          # the issuer's own id (iShares portfolioId)
        "fund_name": "VARCHAR",
        "product_url": "VARCHAR",      # absolute URL of the fund's product page
        "inception_date": "DATE",
        "net_assets_usd": "DOUBLE",
    },
    ("source", "ticker"),
    "An issuer's fund list (one row per source and ticker), as its fund screener lists it.",
)
ISSUER_FUND_DAYS = RawTable(
    "issuer_fund_days",
    {
        "ticker": "VARCHAR",
        "as_of_date": "DATE",
        "source": "VARCHAR",
        "shares_outstanding": "DOUBLE",
        "nav": "DOUBLE",                    # NAV per share, when the file publishes one
        "total_net_assets": "DOUBLE",       # when the file publishes it
        "holdings_market_value": "DOUBLE",  # sum of the listed holdings' market values
    },
    ("ticker", "as_of_date", "source"),
    "One row per fund, business day and source: the count and NAV the issuer publishes.",
)
HOLDING_COLUMNS: dict[str, str] = {
    "ticker": "VARCHAR",
    "as_of_date": "DATE",
    "source": "VARCHAR",
    "line_number": "INTEGER",
    "holding_ticker": "VARCHAR",
    "holding_name": "VARCHAR",
    "sector": "VARCHAR",
    "asset_class": "VARCHAR",
    "cusip": "VARCHAR",
    "isin": "VARCHAR",
    "sedol": "VARCHAR",
    "quantity": "DOUBLE",          # shares held, or par value for bonds
    "market_value": "DOUBLE",
    "notional_value": "DOUBLE",
    "weight_pct": "DOUBLE",
    "price": "DOUBLE",
    "currency": "VARCHAR",
    "location": "VARCHAR",
    "exchange": "VARCHAR",
    "maturity_date": "DATE",
    "coupon_pct": "DOUBLE",
}
ISSUER_HOLDINGS = RawTable(
    "issuer_holdings",
    HOLDING_COLUMNS,
    ("ticker", "as_of_date", "source", "line_number"),
    "One row per holding line of an issuer's holdings file, in file order.",
)
ISSUER_TABLES = (ISSUER_FUNDS, ISSUER_FUND_DAYS, ISSUER_HOLDINGS)

# Header text (normalized: lower case, single spaces, no trailing colon) -> contract column.
HOLDING_HEADERS: dict[str, str] = {
    "ticker": "holding_ticker",
    "name": "holding_name",
    "security name": "holding_name",
    "sector": "sector",
    "asset class": "asset_class",
    "cusip": "cusip",
    "identifier": "cusip",         # State Street: the CUSIP without its check digit
    "isin": "isin",
    "sedol": "sedol",
    "quantity": "quantity",
    "shares": "quantity",
    "shares held": "quantity",
    "par value": "quantity",
    "market value": "market_value",
    "notional value": "notional_value",
    "weight (%)": "weight_pct",
    "weight": "weight_pct",
    "% of net assets": "weight_pct",
    "price": "price",
    "currency": "currency",
    "local currency": "currency",
    "location": "location",
    "location of risk": "location",
    "exchange": "exchange",
    "maturity": "maturity_date",
    "maturity date": "maturity_date",
    "coupon (%)": "coupon_pct",
    "coupon": "coupon_pct",
}
NUMBER_COLUMNS = frozenset(c for c, t in HOLDING_COLUMNS.items() if t == "DOUBLE")
# the columns a holding line fills (the rest identify the file and the line)
LINE_COLUMNS = tuple(c for c in HOLDING_COLUMNS
                     if c not in ("ticker", "as_of_date", "source", "line_number"))
DATE_COLUMNS = frozenset({"maturity_date"})

NULL_TEXT = frozenset({"", "-", "--", "n/a", "na", "nan", "none"})
DATE_FORMATS = ("%b %d, %Y", "%m/%d/%Y", "%d-%b-%Y", "%Y-%m-%d", "%B %d, %Y", "%d %b %Y",
                "%Y%m%d")
_NUMBER_JUNK = str.maketrans("", "", ",$% \u00a0")
_HTML_START = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|\?xml[^>]*>\s*<html)",
                         re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _header_key(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).rstrip(":").strip().lower()


def header_key(cell: object) -> str:
    """A header cell as a lookup key: ``'Weight (%) '`` -> ``'weight (%)'``,
    ``'Ticker Symbol:'`` -> ``'ticker symbol'``."""
    return _header_key(str(cell))


def text_or_none(value: object) -> str | None:
    """Stripped text; null for blanks and the null markers (``-``, ``N/A``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    if len(text) <= 4 and text.lower() in NULL_TEXT:
        return None
    return text


def is_blank(cells: Sequence[object]) -> bool:
    """A row with nothing in it: no cells, or only empty / whitespace / non-breaking-space
    cells (``str.strip`` removes ``\\xa0`` too)."""
    for cell in cells:
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            continue
        if str(cell).strip():
            return False
    return True


def parse_number(value: object) -> float | None:
    """``'17,447,821,037.88'`` -> 17447821037.88; ``'(1,234)'`` -> -1234.0; ``'-'`` and
    blanks -> None; numbers pass through. Raises ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = (value if isinstance(value, str) else str(value)).strip()
    if len(text) <= 4 and text.lower() in NULL_TEXT:
        return None
    try:  # the common case: digits with thousands separators
        number = float(text.replace(",", ""))
    except ValueError:
        negative = text.startswith("(") and text.endswith(")")
        cleaned = (text[1:-1] if negative else text).translate(_NUMBER_JUNK)
        try:
            number = -float(cleaned) if negative else float(cleaned)
        except ValueError:
            raise ValueError(f"not a number: {text!r}") from None
    return number if math.isfinite(number) else None


def parse_numbers(cells: Sequence[object]) -> list[float | None]:
    """``parse_number`` of each cell. A column whose every cell is digits with thousands
    separators (the usual one) converts in one pass, without a Python call per cell."""
    try:
        numbers = [float(cell.replace(",", "")) for cell in cells]  # type: ignore[union-attr]
    except (AttributeError, ValueError):  # a null marker, a parenthesised or missing cell
        return [parse_number(cell) for cell in cells]
    return [number if math.isfinite(number) else None for number in numbers]


@functools.lru_cache(maxsize=8192)
def _date_from_text(text: str) -> dt.date:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def parse_date(value: object) -> dt.date | None:
    """``'Dec 30, 2022'``, ``'Jan 03, 2022'``, ``'03/10/2026'``, ``'10-Jan-2023'``, ISO, or
    a spreadsheet date (date / datetime); ``'-'`` and blanks -> None. Raises ValueError for
    anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_or_none(value)
    if text is None:
        return None
    return _date_from_text(" ".join(text.split()))


def looks_like_html(body: bytes) -> bool:
    """An HTML page (a bot check, an error or 404 page), whatever the content type said."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head)) or b"<html" in head.lower()


@functools.lru_cache(maxsize=256)
def holdings_layout(header: tuple[object, ...]) -> HoldingsLayout:
    """The layout of a header row (files of one fund share theirs: built once)."""
    return HoldingsLayout(header)


class HoldingsLayout:
    """How one holdings table's columns map to the contract, found from its header row by
    name (order, missing and extra columns do not matter; unknown columns are ignored)."""

    def __init__(self, header: Sequence[object]) -> None:
        self.columns: list[tuple[int, str, Callable[[object], Any]]] = []
        taken: set[str] = set()
        for index, cell in enumerate(header):
            column = HOLDING_HEADERS.get(header_key(cell)) if cell is not None else None
            if column and column not in taken:  # the first of two aliases wins
                taken.add(column)
                convert = (parse_number if column in NUMBER_COLUMNS else
                           parse_date if column in DATE_COLUMNS else text_or_none)
                self.columns.append((index, column, convert))
        self.mapped = frozenset(taken)

    def record(self, cells: Sequence[object]) -> dict[str, Any]:
        """One holding line's contract columns, null where the layout lacks one
        (ValueError names the bad cell)."""
        out: dict[str, Any] = dict.fromkeys(LINE_COLUMNS)
        width = len(cells)
        for index, column, convert in self.columns:
            try:
                out[column] = convert(cells[index] if index < width else None)
            except ValueError as exc:
                raise ValueError(f"column {column}: {exc}") from None
        return out

    def records(self, lines: Sequence[tuple[int, Sequence[object]]]) -> list[dict[str, Any]]:
        """``record`` of each line (``lines``: line number and cells), converted a column
        at a time: an iShares file is thousands of cells, and a Python call per number was
        a third of its parse time. ValueError names the first bad line and cell."""
        columns: dict[str, list[Any]] = {}
        try:
            for index, column, convert in self.columns:
                cells = [cells[index] if index < len(cells) else None for _, cells in lines]
                columns[column] = (parse_numbers(cells) if convert is parse_number
                                   else [convert(cell) for cell in cells])
        except ValueError:
            for line_number, cells in lines:  # line by line, to name the first bad one
                try:
                    self.record(cells)
                except ValueError as exc:
                    raise ValueError(f"line {line_number}: {exc}") from None
            raise
        unmapped = [None] * len(lines)
        values = [columns.get(column, unmapped) for column in LINE_COLUMNS]
        return [dict(zip(LINE_COLUMNS, line, strict=True)) for line in zip(*values, strict=True)]


def is_holdings_header(cells: Sequence[object]) -> bool:
    """A holdings table's header row: it names the holding and at least one of its amounts."""
    if len(cells) < 3:
        return False
    keys = {header_key(c) for c in cells if c is not None and str(c).strip()}
    amounts = {"weight (%)", "weight", "market value", "quantity", "shares", "shares held",
               "par value", "notional value", "% of net assets"}
    return bool(keys & {"name", "security name"}) and bool(keys & amounts)


def holding_rows(ticker: str, as_of_date: dt.date, source: str,
                 records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Contract rows for one file's holding lines, numbered 1.. in file order."""
    return [
        {"ticker": ticker, "as_of_date": as_of_date, "source": source, "line_number": n,
         **record}
        for n, record in enumerate(records, start=1)
    ]


def holdings_market_value(records: Sequence[Mapping[str, Any]]) -> float | None:
    """The sum of the lines' market values; null when the file lists none."""
    values = [r["market_value"] for r in records if r.get("market_value") is not None]
    return math.fsum(values) if values else None
