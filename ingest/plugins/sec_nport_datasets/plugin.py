"""The SEC's quarterly Form N-PORT data sets: every fund's N-PORT in one zip per quarter.

``https://www.sec.gov/files/dera/data/form-n-port-data-sets/{yyyy}q{n}_nport.zip`` holds
the NPORT-P and NPORT-P/A filings the SEC disseminated in that calendar quarter (from
2019q4 on), as tab-separated tables (``SUBMISSION.tsv``, ``REGISTRANT.tsv``,
``FUND_REPORTED_INFO.tsv``, ``MONTHLY_TOTAL_RETURN.tsv``, ``FUND_REPORTED_HOLDING.tsv``,
``IDENTIFIERS.tsv`` and some 25 more, with ``nport_metadata.json`` and
``nport_readme.htm``). Layout, from the SEC's data-set documentation and real quarters:

  * UTF-8 text, one header row of field names in upper case, tab-separated, no quoting,
    one row per line; values as filed ("N/A" stays "N/A"; numbers like ``-.77``).
  * Dates as ``DD-MON-YYYY`` (``30-SEP-2024``).
  * SUBMISSION: ACCESSION_NUMBER, FILING_DATE, FILE_NUM, SUB_TYPE (NPORT-P, NPORT-P/A,
    NT NPORT-P), REPORT_ENDING_PERIOD (Item A.3.a, the fiscal year end), REPORT_DATE
    (A.3.b, the date the report is as of), IS_LAST_FILING.
  * REGISTRANT: ACCESSION_NUMBER, CIK, REGISTRANT_NAME, FILE_NUM, LEI, address fields.
  * FUND_REPORTED_INFO (one row per filing, Part B): SERIES_NAME, SERIES_ID, SERIES_LEI,
    TOTAL_ASSETS, TOTAL_LIABILITIES, NET_ASSETS, ..., SALES_FLOW_MON1..3,
    REINVESTMENT_FLOW_MON1..3, REDEMPTION_FLOW_MON1..3 (Item B.6; MON1 is the first month
    of the reporting period, MON3 the month of REPORT_DATE).
  * MONTHLY_TOTAL_RETURN: ACCESSION_NUMBER, MONTHLY_TOTAL_RETURN_ID, CLASS_ID,
    MONTHLY_TOTAL_RETURN1..3 (Item B.5.a, percent).
  * FUND_REPORTED_HOLDING (Part C, the big one: ~5 million rows a quarter):
    ACCESSION_NUMBER, HOLDING_ID, ISSUER_NAME, ISSUER_LEI, ISSUER_TITLE, ISSUER_CUSIP,
    BALANCE, UNIT, CURRENCY_CODE, CURRENCY_VALUE, EXCHANGE_RATE, PERCENTAGE,
    PAYOFF_PROFILE, ASSET_CAT, ISSUER_TYPE, INVESTMENT_COUNTRY, IS_RESTRICTED_SECURITY,
    FAIR_VALUE_LEVEL, ...; IDENTIFIERS: HOLDING_ID, IDENTIFIERS_ID, IDENTIFIER_ISIN,
    IDENTIFIER_TICKER, OTHER_IDENTIFIER, OTHER_IDENTIFIER_DESC (Item C.1.e).

Columns are found by their header names (case-insensitive; extra and reordered columns
change nothing; a missing optional column lands as null); a table may sit in a folder
inside the zip. Each table lands in ``raw.nport_ds_<table>`` under the SEC's column
names, values as filed, dates typed, blank and "N/A" as null, CIKs zero-padded.

The zip is one payload: archived like any other (streamed to disk, never held in
memory: ``Request.large``), and its tables are read as ``RowStream`` chunks of
CHUNK_ROWS lines, so landing a quarter holds one chunk, not a table. A zip that is not
one, a missing table or column, or a ragged line quarantines the quarter with the reason.

Holdings (FUND_REPORTED_HOLDING and IDENTIFIERS) land only with ``-o holdings=true``: the
option rides on the request as the URL fragment ``#holdings`` (never sent, not part of
the archive key, so both kinds of run share the archived zip), because ``parse`` sees
only the payload.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from ingest.core.errors import EtfflowError
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    RowStream,
    SourceError,
    local_files,
)

DATASETS_URL = "https://www.sec.gov/files/dera/data/form-n-port-data-sets/{quarter}_nport.zip"
FIRST_QUARTER = (2019, 4)        # the data sets start with filings of October 2019
HOLDINGS_FRAGMENT = "holdings"
CHUNK_ROWS = 50_000              # lines read, typed and landed at a time
MISSING = frozenset({"", "N/A"})
_QUARTER = re.compile(r"^\s*(\d{4})\s*[qQ]\s*([1-4])\s*$")


# -- the tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSetTable:
    """One TSV of the zip and the raw table it lands in."""

    member: str                      # file name inside the zip, e.g. SUBMISSION.tsv
    raw: RawTable
    required: tuple[str, ...]        # columns the header must have
    dates: tuple[str, ...] = ()      # DD-MON-YYYY columns
    ciks: tuple[str, ...] = ()       # zero-padded to 10 digits
    holdings: bool = False           # landed only with -o holdings=true


def _columns(names: Iterable[str], kind: str, **overrides: str) -> dict[str, str]:
    return {name: overrides.get(name, kind) for name in names}


SUBMISSION = DataSetTable(
    "SUBMISSION.tsv",
    RawTable("nport_ds_submission", {
        "accession_number": "VARCHAR", "filing_date": "DATE", "file_num": "VARCHAR",
        "sub_type": "VARCHAR", "report_ending_period": "DATE", "report_date": "DATE",
        "is_last_filing": "VARCHAR"},
        ("accession_number",),
        "N-PORT data sets, SUBMISSION: one row per filing (form type, filing date, report "
        "date = Item A.3.b, report ending period = A.3.a the fiscal year end)."),
    required=("accession_number", "sub_type", "report_date"),
    dates=("filing_date", "report_ending_period", "report_date"),
)
REGISTRANT = DataSetTable(
    "REGISTRANT.tsv",
    RawTable("nport_ds_registrant", {
        "accession_number": "VARCHAR", "cik": "VARCHAR", "registrant_name": "VARCHAR",
        "file_num": "VARCHAR", "lei": "VARCHAR", "address1": "VARCHAR", "address2": "VARCHAR",
        "city": "VARCHAR", "state": "VARCHAR", "country": "VARCHAR", "zip": "VARCHAR",
        "phone": "VARCHAR"},
        ("accession_number",),
        "N-PORT data sets, REGISTRANT: the filing's registrant (Item A.1), CIK zero-padded."),
    required=("accession_number", "cik"),
    ciks=("cik",),
)
FUND_INFO_NUMBERS = (
    "total_assets", "total_liabilities", "net_assets", "assets_attrbt_to_misc_security",
    "assets_invested", "cash_not_rptd_in_c_or_d",
    *(f"{kind}_mon{k}" for k in (1, 2, 3)
      for kind in ("net_realize_gain_nonderiv", "net_unrealize_ap_nonderiv")),
    *(f"{kind}_flow_mon{k}" for k in (1, 2, 3)
      for kind in ("sales", "reinvestment", "redemption")),
)
FUND_REPORTED_INFO = DataSetTable(
    "FUND_REPORTED_INFO.tsv",
    RawTable("nport_ds_fund_reported_info", {
        "accession_number": "VARCHAR", "series_name": "VARCHAR", "series_id": "VARCHAR",
        "series_lei": "VARCHAR", **_columns(FUND_INFO_NUMBERS, "DOUBLE"),
        "is_non_cash_collateral": "VARCHAR"},
        ("accession_number",),
        "N-PORT data sets, FUND_REPORTED_INFO: Part B per filing - assets, liabilities, net "
        "assets (B.1), realized and unrealized gains (B.4) and the monthly flows (B.6: "
        "mon1 the first month of the period, mon3 the month of the report date)."),
    required=("accession_number", "series_id", "net_assets", "sales_flow_mon1",
              "redemption_flow_mon1"),
)
MONTHLY_TOTAL_RETURN = DataSetTable(
    "MONTHLY_TOTAL_RETURN.tsv",
    RawTable("nport_ds_monthly_total_return", {
        "accession_number": "VARCHAR", "class_id": "VARCHAR",
        "monthly_total_return_id": "VARCHAR", "monthly_total_return1": "DOUBLE",
        "monthly_total_return2": "DOUBLE", "monthly_total_return3": "DOUBLE"},
        ("accession_number", "class_id"),
        "N-PORT data sets, MONTHLY_TOTAL_RETURN: Item B.5.a per share class, percent "
        "(class_id '' when the filing names none)."),
    required=("accession_number", "monthly_total_return1"),
)
HOLDING_TEXT = ("issuer_name", "issuer_lei", "issuer_title", "issuer_cusip", "unit",
                "other_unit_desc", "currency_code", "payoff_profile", "asset_cat",
                "other_asset", "issuer_type", "other_issuer", "investment_country",
                "is_restricted_security", "fair_value_level", "derivative_cat")
FUND_REPORTED_HOLDING = DataSetTable(
    "FUND_REPORTED_HOLDING.tsv",
    RawTable("nport_ds_fund_reported_holding", {
        "accession_number": "VARCHAR", "holding_id": "VARCHAR",
        **_columns(HOLDING_TEXT, "VARCHAR"), "balance": "DOUBLE",
        "currency_value": "DOUBLE", "exchange_rate": "DOUBLE", "percentage": "DOUBLE"},
        ("accession_number", "holding_id"),
        "N-PORT data sets, FUND_REPORTED_HOLDING: Part C, one row per investment (items "
        "C.1-C.8; holding_id the SEC's surrogate key)."),
    required=("accession_number", "holding_id", "currency_value"),
    holdings=True,
)
IDENTIFIERS = DataSetTable(
    "IDENTIFIERS.tsv",
    RawTable("nport_ds_identifiers", {
        "holding_id": "VARCHAR", "identifiers_id": "VARCHAR", "identifier_isin": "VARCHAR",
        "identifier_ticker": "VARCHAR", "other_identifier": "VARCHAR",
        "other_identifier_desc": "VARCHAR"},
        ("holding_id", "identifiers_id"),
        "N-PORT data sets, IDENTIFIERS: Item C.1.e, ISIN / ticker / other identifier per "
        "holding."),
    required=("holding_id", "identifiers_id"),
    holdings=True,
)
TABLES = (SUBMISSION, REGISTRANT, FUND_REPORTED_INFO, MONTHLY_TOTAL_RETURN,
          FUND_REPORTED_HOLDING, IDENTIFIERS)


# -- quarters ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2019Q4`` / ``2019q4``; anything else is an error naming the expected form."""
        match = _QUARTER.match(str(text))
        if not match:
            raise EtfflowError(f"not a quarter: {text!r} (expected YYYYQn, e.g. 2019Q4)")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        following = self.next()
        return following.first_day - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}q{self.number}"


def quarters_between(start: dt.date, end: dt.date) -> list[Quarter]:
    """Every quarter from ``start``'s to ``end``'s, from 2019q4 (the first data set) on."""
    first = max(Quarter.of(start), Quarter(*FIRST_QUARTER))
    out = []
    quarter = first
    while quarter <= Quarter.of(end):
        out.append(quarter)
        quarter = quarter.next()
    return out


def dataset_url(quarter: Quarter) -> str:
    return DATASETS_URL.format(quarter=quarter.label)


def dataset_request(quarter: Quarter, *, holdings: bool = False) -> Request:
    """A quarter's zip: immutable (a published quarter is not re-published under its name),
    large (streamed to disk)."""
    url = dataset_url(quarter) + (f"#{HOLDINGS_FRAGMENT}" if holdings else "")
    label = f"{quarter.label} N-PORT data set" + (" with holdings" if holdings else "")
    return Request(url, label=label, immutable=True, large=True)


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "y", "on"}


# -- the plugin ----------------------------------------------------------------------------


class SecNportDatasetsPlugin(Plugin):
    name: ClassVar[str] = "sec_nport_datasets"
    description: ClassVar[str] = ("SEC Form N-PORT data sets: every fund's N-PORT, one zip of "
                                  "tab-separated tables per quarter")
    tables = tuple(t.raw for t in TABLES)
    local_file_suffixes = (".zip",)
    # `etfflow backfill` plans this plugin one calendar quarter at a time (--start 2019Q4)
    backfill_unit: ClassVar[str] = "quarter"

    def plan(self, params: PlanParams) -> Iterable[Request]:
        holdings = _truthy(params.extra.get("holdings", False))
        for quarter in planned_quarters(params):
            yield dataset_request(quarter, holdings=holdings)

    def local_requests(self, paths, params: PlanParams) -> list[Request]:
        holdings = _truthy(params.extra.get("holdings", False))
        return [Request(p.as_uri() + (f"#{HOLDINGS_FRAGMENT}" if holdings else ""),
                        label=p.name, large=True)
                for p in local_files(paths, self.local_file_suffixes)]

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        parts = urlsplit(payload.request.url)
        if payload.status >= 400:
            where = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            if payload.status == 404:
                raise SourceError(f"HTTP 404 from {where}: the SEC has not published this "
                                  "quarter's data set (yet)")
            raise SourceError(f"HTTP {payload.status} from {where}")
        wanted = [t for t in TABLES
                  if not t.holdings or parts.fragment == HOLDINGS_FRAGMENT]
        members = _members(payload, wanted)
        return {t.raw.name: RowStream(_stream(payload, members[t.member], t)) for t in wanted}


def planned_quarters(params: PlanParams) -> list[Quarter]:
    """``-o quarters=2024q1,2024q2``, else every quarter of [start, end] (end defaults to
    start's quarter)."""
    named = params.extra.get("quarters")
    if named:
        items = (named,) if isinstance(named, str) else tuple(named)
        return sorted({Quarter.parse(q) for q in items})
    if params.start is None:
        raise EtfflowError("sec_nport_datasets: give --start (a date or a quarter such as "
                           "2019Q4) or -o quarters=2024q1,2024q2")
    return quarters_between(params.start, params.end or params.start)


# -- reading the zip -----------------------------------------------------------------------


def _open_zip(payload: Payload) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(payload.open())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise MalformedPayload(f"not a zip archive: {exc}") from None


def _members(payload: Payload, wanted: list[DataSetTable]) -> dict[str, str]:
    """Each wanted table's member name, and a check of its header row: a missing table or
    required column quarantines the quarter before anything lands."""
    with _open_zip(payload) as archive:
        by_name = {}
        for info in archive.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base and not info.is_dir():
                by_name.setdefault(base.upper(), info.filename)
        missing = [t.member for t in wanted if t.member.upper() not in by_name]
        if missing:
            raise MalformedPayload(f"not an N-PORT data set: no {', '.join(missing)} in the zip")
        found = {}
        for table in wanted:
            member = by_name[table.member.upper()]
            header = _header(archive, member, table.member)
            lacking = [c for c in table.required if c not in header]
            if lacking:
                raise MalformedPayload(f"{table.member}: header lacks "
                                       f"{', '.join(c.upper() for c in lacking)}")
            found[table.member] = member
    return found


def _header(archive: zipfile.ZipFile, member: str, name: str) -> list[str]:
    """The header's field names (lower case); the first data line may not have more
    fields than the header (pandas would silently drop or shift them)."""
    try:
        with archive.open(member) as raw:
            lines = [raw.readline(1 << 20) for _ in range(64)]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise MalformedPayload(f"{name}: unreadable: {exc}") from None
    text = [line.decode("utf-8-sig" if i == 0 else "utf-8", errors="replace").rstrip("\r\n")
            for i, line in enumerate(lines) if line]
    if not text:
        return []
    header = [field.strip().lower() for field in text[0].split("\t")]
    first = next(((n, line) for n, line in enumerate(text[1:], start=2) if line.strip()),
                 None)
    if first is not None:
        fields = first[1].split("\t")
        if any(field.strip() for field in fields[len(header):]):
            raise MalformedPayload(f"{name} line {first[0]}: {len(fields)} fields, the "
                                   f"header has {len(header)}")
    return header


def _stream(payload: Payload, member: str, table: DataSetTable):
    """A zero-argument callable yielding the table's typed chunks (RowStream)."""

    def chunks() -> Iterator[pd.DataFrame]:
        with _open_zip(payload) as archive:
            try:
                with archive.open(member) as raw:
                    yield from _read_chunks(raw, member, table)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise MalformedPayload(f"{member}: the zip is damaged: {exc}") from None

    return chunks


def _read_chunks(raw: BinaryIO, member: str, table: DataSetTable) -> Iterator[pd.DataFrame]:
    """The member's lines as typed chunks of CHUNK_ROWS lines. Each line must have the
    header's number of fields (trailing empty ones aside): a line with more or fewer is an
    error naming it (a tab or line break inside a value would shift every column after
    it). Blank lines and lines of spaces or non-breaking spaces are skipped."""
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="\n")
    header = [name.strip().lower() for name in text.readline().rstrip("\r\n").split("\t")]
    width = len(header)
    kept = [(i, name) for i, name in enumerate(header) if name in table.raw.columns]
    rows: list[list[str]] = []
    first_line = 2
    for number, line in enumerate(text, start=2):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != width and (len(fields) < width
                                     or any(f.strip() for f in fields[width:])):
            raise MalformedPayload(f"{member} line {number}: {len(fields)} fields, the "
                                       f"header has {width}")
        rows.append(fields)
        if len(rows) == CHUNK_ROWS:
            yield _typed({name: [row[i] for row in rows] for i, name in kept}, table,
                         first_line)
            rows, first_line = [], number + 1
    if rows:
        yield _typed({name: [row[i] for row in rows] for i, name in kept}, table, first_line)


def _typed(raw_columns: dict[str, list[str]], table: DataSetTable, first_line: int
           ) -> pd.DataFrame:
    """Values as filed, stripped; blank and N/A as null; numbers without thousands
    separators; dates and CIKs typed. One pass per column in plain Python."""
    columns: dict[str, list[Any]] = {}
    for name, raw in raw_columns.items():
        values = [None if (v := value.strip()) in MISSING else v for value in raw]
        kind = table.raw.columns[name]
        if kind == "DOUBLE":
            values = [v.replace(",", "") if v and "," in v else v for v in values]
        elif name in table.dates:
            values = _dates(values, table.member, name, first_line)
        elif name in table.ciks:
            values = [_cik(v) if v else v for v in values]
        columns[name] = values
    out = pd.DataFrame(columns, dtype=object)
    keys = [k for k in table.raw.primary_key if k != "class_id"]
    out = out.dropna(subset=keys)
    if "class_id" in table.raw.primary_key:
        out["class_id"] = out["class_id"].fillna("") if "class_id" in out else ""
    return out


def _dates(values: list[str | None], member: str, column: str, first_line: int
           ) -> list[dt.date | None]:
    """``30-SEP-2024`` (the data sets' form) or ISO ``2024-09-30``; other text is an
    error. Each distinct value is parsed once (a quarter has few distinct dates)."""
    parsed: dict[str, dt.date] = {}
    out: list[dt.date | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        day = parsed.get(value)
        if day is None:
            day = parsed[value] = _date(value, member, column, first_line + i)
        out.append(day)
    return out


def _date(value: str, member: str, column: str, line: int) -> dt.date:
    for pattern in ("%d-%b-%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise MalformedPayload(f"{member} line {line}: {column.upper()} is not a date: "
                           f"{value[:40]!r}")


def _cik(value: str) -> str:
    return f"{int(value):010d}" if value.isdigit() else value
