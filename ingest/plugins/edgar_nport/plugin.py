"""SEC EDGAR N-PORT: the fund map, per-series filing lists and the filings themselves.

Three stages, each a plan of requests (``PlanParams.extra["stage"]``); ``pipeline.py``
chains them for ``etfflow ingest nport`` by reading what the previous stage landed:

  fund_map       ``company_tickers_mf.json``: ticker -> registrant CIK, series, class
                 -> raw.sec_fund_classes; and ``company_tickers.json``: ticker ->
                 registrant CIK, name -> raw.sec_company_tickers. A unit investment trust
                 (SPY, DIA, MDY, QQQ) files N-PORT but has no series or class, so only the
                 second file maps its ticker to the trust that files.
  filings_index  for each series id (``extra["series"]``), EDGAR's company-browse Atom
                 feed of its NPORT-P / NPORT-P/A filings (the browse interface accepts
                 series ids; the submissions JSON lists a registrant's filings without
                 saying which series each belongs to, so it cannot find a series' reports
                 in a trust with hundreds of series); for each registrant without series
                 (``extra["ciks"]``), the same feed asked for its CIK. Both land in
                 raw.nport_filings_index, a CIK's filings under the stand-in series key
                 ``cik_key(cik)`` ("CIK" + the zero-padded CIK) that staging gives filings
                 without a series id.
  filings        each filing's ``primary_doc.xml`` (``extra["filings"]``: [cik, accession]
                 pairs), parsed streaming -> raw.nport_filings, raw.nport_monthly_flows
                 (Part B.6), raw.nport_monthly_returns (B.5), raw.nport_holdings (Part C)

Local files (``etfflow ingest nport --file``) are ``file://`` requests for the same
parser and landing path (see ``local_requests``). All SEC requests go through the core
client: at most 10 per second and the declared ETFFLOW_SEC_USER_AGENT (the core refuses
SEC requests without it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from lxml import etree

from ingest.core.errors import EtfflowError
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    SourceError,
    local_file_requests,
)
from ingest.plugins.edgar_nport.parser import (
    HOLDING_COLUMNS,
    NportDocument,
    accession_from,
    parse_nport,
)

SEC = "https://www.sec.gov"
FUND_MAP_URL = SEC + "/files/company_tickers_mf.json"
COMPANY_TICKERS_URL = SEC + "/files/company_tickers.json"
BROWSE_URL = SEC + "/cgi-bin/browse-edgar"
DOC_URL = SEC + "/Archives/edgar/data/{cik}/{folder}/primary_doc.xml"
ATOM = "{http://www.w3.org/2005/Atom}"
NPORT_FORMS = frozenset({"NPORT-P", "NPORT-P/A"})
STAGES = ("fund_map", "filings_index", "filings")

FUND_CLASSES = RawTable(
    "sec_fund_classes",
    {"ticker": "VARCHAR", "cik": "VARCHAR", "series_id": "VARCHAR", "class_id": "VARCHAR"},
    ("ticker", "class_id"),
    "SEC mutual-fund/ETF ticker file: one row per ticker and share class (CIK zero-padded).",
)
COMPANY_TICKERS = RawTable(
    "sec_company_tickers",
    {"ticker": "VARCHAR", "cik": "VARCHAR", "title": "VARCHAR"},
    ("ticker", "cik"),
    "SEC company ticker file: ticker -> registrant CIK (zero-padded) and name. Maps a unit "
    "investment trust, which has no series or class, to the trust that files its N-PORT.",
)
FILINGS_INDEX = RawTable(
    "nport_filings_index",
    {
        "accession_number": "VARCHAR",
        "series_id": "VARCHAR",
        "cik": "VARCHAR",
        "form_type": "VARCHAR",
        "filing_date": "DATE",
        "primary_doc_url": "VARCHAR",
    },
    ("accession_number", "series_id"),
    "A series' NPORT-P and NPORT-P/A filings as EDGAR lists them (filing date, form type); "
    "a registrant without series asked by CIK is keyed cik_key(cik).",
)
FILINGS = RawTable(
    "nport_filings",
    {
        "accession_number": "VARCHAR",
        "cik": "VARCHAR",
        "registrant_name": "VARCHAR",
        "series_id": "VARCHAR",
        "series_name": "VARCHAR",
        "series_lei": "VARCHAR",
        "class_ids": "VARCHAR",
        "submission_type": "VARCHAR",
        "is_amendment": "BOOLEAN",
        "is_test_filing": "BOOLEAN",
        "period_end": "DATE",
        "fiscal_year_end": "DATE",
        "is_final_filing": "BOOLEAN",
        "total_assets_usd": "DOUBLE",
        "total_liabilities_usd": "DOUBLE",
        "net_assets_usd": "DOUBLE",
        "holdings_count": "INTEGER",
    },
    ("accession_number",),
    "One row per N-PORT document: Parts A and B.1 (period end = repPdDate).",
)
MONTHLY_FLOWS = RawTable(
    "nport_monthly_flows",
    {
        "accession_number": "VARCHAR",
        "series_id": "VARCHAR",
        "month_number": "INTEGER",
        "flow_month": "DATE",
        "sales_usd": "DOUBLE",
        "reinvestments_usd": "DOUBLE",
        "redemptions_usd": "DOUBLE",
    },
    ("accession_number", "month_number"),
    "Part B.6 as filed: month 1-3 of the period (3 = the month of repPdDate).",
)
MONTHLY_RETURNS = RawTable(
    "nport_monthly_returns",
    {
        "accession_number": "VARCHAR",
        "class_id": "VARCHAR",
        "month_number": "INTEGER",
        "return_month": "DATE",
        "total_return_pct": "DOUBLE",
    },
    ("accession_number", "class_id", "month_number"),
    "Part B.5.a: monthly total return per share class, percent as filed.",
)
HOLDINGS = RawTable(
    "nport_holdings",
    dict(HOLDING_COLUMNS),
    ("accession_number", "line_number"),
    "Part C: one row per investment, in filing order (line_number from 1).",
)


def fund_map_request() -> Request:
    return Request.get(FUND_MAP_URL, "fund map")


def company_tickers_request() -> Request:
    return Request.get(COMPANY_TICKERS_URL, "company tickers")


def cik_key(cik: int | str) -> str:
    """The stand-in series key of a registrant that files N-PORT without series (a unit
    investment trust): "CIK" + its CIK zero-padded to 10 digits. Staging
    (stg_edgar__nport_filings) keys a filing without a series id the same way."""
    return f"CIK{int(cik):010d}"


def browse_request(series_id: str) -> Request:
    """EDGAR's company browse feed for one series: every NPORT-P* filing, newest first."""
    return browse_feed_request(series_id, f"{series_id} filings")


def browse_cik_request(cik: int | str) -> Request:
    """The same feed for a registrant without series, asked by its (zero-padded) CIK."""
    padded = f"{int(cik):010d}"
    return browse_feed_request(padded, f"CIK {padded} filings")


def browse_feed_request(key: str, label: str, form: str = "NPORT-P") -> Request:
    """EDGAR's company-browse Atom feed of ``key``'s filings of ``form`` (and its
    amendments), newest first; N-CEN discovery (edgar_ncen) asks the same feed."""
    return Request.get(BROWSE_URL, label, action="getcompany", CIK=key, type=form,
                       dateb="", owner="include", start=0, count=100, output="atom")


def filing_request(cik: int | str, accession_number: str, label: str = "") -> Request:
    folder = accession_number.replace("-", "")
    url = DOC_URL.format(cik=int(cik), folder=folder)
    return Request.get(url, label or f"{accession_number} primary_doc")


def local_requests(paths: Sequence[Path | str]) -> list[Request]:
    """``file://`` requests for N-PORT XML files; a directory means every ``*.xml`` under
    it (sorted). Missing paths are an error before anything runs."""
    return local_file_requests(paths, (".xml",))


class EdgarNportPlugin(Plugin):
    name: ClassVar[str] = "edgar_nport"
    description: ClassVar[str] = "SEC EDGAR N-PORT: fund map, filing lists, holdings and flows"
    tables = (FUND_CLASSES, COMPANY_TICKERS, FILINGS_INDEX, FILINGS, MONTHLY_FLOWS,
              MONTHLY_RETURNS, HOLDINGS)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        stage = params.extra.get("stage", "fund_map")
        if stage == "fund_map":
            yield fund_map_request()
            yield company_tickers_request()
        elif stage == "filings_index":
            for series_id in dict.fromkeys(params.extra.get("series") or ()):
                yield browse_request(series_id)
            for cik in dict.fromkeys(int(c) for c in params.extra.get("ciks") or ()):
                yield browse_cik_request(cik)
        elif stage == "filings":
            for cik, accession_number in params.extra.get("filings") or ():
                yield filing_request(cik, accession_number)
        else:
            raise EtfflowError(f"edgar_nport: unknown stage {stage!r} (one of {STAGES})")

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        parts = urlsplit(payload.request.url)
        if parts.scheme == "file" or parts.path.endswith(".xml"):
            return self._parse_filing(payload)
        if payload.status >= 400:
            raise SourceError(f"HTTP {payload.status} from {parts.netloc}{parts.path}")
        if parts.path.endswith("/company_tickers_mf.json"):
            return {FUND_CLASSES.name: parse_fund_map(payload.body)}
        if parts.path.endswith("/company_tickers.json"):
            return {COMPANY_TICKERS.name: parse_company_tickers(payload.body)}
        if parts.path.endswith("/browse-edgar"):
            asked = dict(payload.request.params).get("CIK", "")
            key = cik_key(asked) if asked.isdigit() else asked
            return {FILINGS_INDEX.name: parse_browse_atom(payload.body, key)}
        raise MalformedPayload(f"no parser for {payload.request.url}")

    def _parse_filing(self, payload: Payload) -> dict[str, Rows]:
        if payload.status >= 400:
            raise SourceError(f"HTTP {payload.status}: filing document not available")
        accession = filing_accession(payload.request.url, payload.sha256)
        return filing_rows(parse_nport(payload.body, accession))


def filing_accession(url: str, sha256: str) -> str:
    """The accession number in the document's URL or file name, else a stand-in."""
    return accession_from(unquote(urlsplit(url).path)) or f"LOCAL-{sha256[:16]}"


def filing_rows(document: NportDocument) -> dict[str, Rows]:
    # columns null on every line (the debt and derivative sections of an equity fund)
    # are left out: the landing writes them as NULL without reading a value per row
    return {
        FILINGS.name: [document.filing],
        MONTHLY_FLOWS.name: document.monthly_flows,
        MONTHLY_RETURNS.name: document.monthly_returns,
        HOLDINGS.name: document.holdings.drop(columns=list(document.null_columns)),
    }


# -- fund map and filing lists -----------------------------------------------------------------


def parse_fund_map(body: bytes) -> list[dict[str, Any]]:
    """``{"fields": ["cik", "seriesId", "classId", "symbol"], "data": [[...], ...]}``."""
    try:
        data = json.loads(body)
        fields = [str(f) for f in data["fields"]]
        rows = data["data"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise MalformedPayload(f"not the SEC fund ticker file: {exc}") from None
    wanted = ("cik", "seriesId", "classId", "symbol")
    missing = [f for f in wanted if f not in fields]
    if missing:
        raise MalformedPayload(f"fund ticker file lacks fields {missing}")
    at = {f: fields.index(f) for f in wanted}
    out = []
    for row in rows:
        if not isinstance(row, list) or len(row) < len(fields):
            raise MalformedPayload(f"fund ticker file row is malformed: {row!r:.80}")
        symbol, class_id = row[at["symbol"]], row[at["classId"]]
        if not symbol or not class_id:
            continue
        out.append({
            "ticker": str(symbol).strip().upper(),
            "cik": f"{int(row[at['cik']]):010d}",
            "series_id": str(row[at["seriesId"]]).strip() or None,
            "class_id": str(class_id).strip(),
        })
    return out


def parse_company_tickers(body: bytes) -> list[dict[str, Any]]:
    """``{"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}, ...}``: one
    row per ticker and CIK (CIK zero-padded; entries without a ticker skipped; fields
    found by name, so added fields and reordered entries change nothing)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"not the SEC company ticker file: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise MalformedPayload("not the SEC company ticker file: expected a non-empty JSON "
                               "object of entries")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in data.values():
        if not isinstance(entry, dict) or "cik_str" not in entry or "ticker" not in entry:
            raise MalformedPayload(f"company ticker file entry is malformed: {entry!r:.80}")
        ticker = str(entry["ticker"] or "").strip().upper()
        if not ticker:
            continue
        try:
            cik = f"{int(str(entry['cik_str']).strip()):010d}"
        except ValueError:
            raise MalformedPayload(
                f"company ticker file: CIK of {ticker} is not a number: "
                f"{entry['cik_str']!r:.40}") from None
        title = str(entry.get("title") or "").strip() or None
        out.setdefault((ticker, cik), {"ticker": ticker, "cik": cik, "title": title})
    return list(out.values())


def parse_browse_atom(body: bytes, series_id: str, forms: frozenset[str] = NPORT_FORMS,
                      document_url: Callable[[int, str], str] | None = None
                      ) -> list[dict[str, Any]]:
    """The NPORT-P and NPORT-P/A entries (or ``forms``) of the company-browse Atom feed
    asked for ``series_id`` (a series id, or ``cik_key(cik)`` for a registrant asked by
    CIK; EDGAR spells the accession element ``accession-nunber``; the correct spelling is
    accepted too). A feed without entries (a CIK that files no N-PORT) is an empty list.
    ``document_url(cik, accession)`` names each filing's document (default: N-PORT's
    primary_doc.xml)."""
    try:
        root = etree.fromstring(
            body.lstrip(),
            etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True),
        )
    except etree.XMLSyntaxError as exc:
        raise MalformedPayload(f"filing list is not XML: {exc}") from None
    if root.tag != f"{ATOM}feed":
        raise MalformedPayload(f"filing list is not an Atom feed: root {root.tag}")
    out = []
    for entry in root.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        if content is None:
            continue
        form = (content.findtext(f"{ATOM}filing-type") or "").strip()
        if form not in forms:
            continue
        accession = (content.findtext(f"{ATOM}accession-nunber")
                     or content.findtext(f"{ATOM}accession-number") or "").strip()
        href = (content.findtext(f"{ATOM}filing-href") or "").strip()
        cik = _cik_from_href(href)
        filed = (content.findtext(f"{ATOM}filing-date") or "").strip()
        if not accession or cik is None:
            raise MalformedPayload(f"filing list entry without accession or CIK: {accession!r}")
        try:
            filing_date = dt.date.fromisoformat(filed) if filed else None
        except ValueError:
            raise MalformedPayload(f"filing list entry with a bad date: {filed!r}") from None
        out.append({
            "accession_number": accession,
            "series_id": series_id,
            "cik": f"{cik:010d}",
            "form_type": form,
            "filing_date": filing_date,
            "primary_doc_url": (document_url(cik, accession) if document_url
                                else filing_request(cik, accession).url),
        })
    return out


def _cik_from_href(href: str) -> int | None:
    parts = urlsplit(href).path.split("/")
    if "data" in parts:
        value = parts[parts.index("data") + 1] if parts.index("data") + 1 < len(parts) else ""
        return int(value) if value.isdigit() else None
    return None
