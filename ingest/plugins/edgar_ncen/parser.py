"""Parse Form N-CEN, EDGAR's full submission text (SGML header + the form's XML).

A full submission text (``{accession}.txt`` in the filing's folder) is an SGML wrapper:
``<SEC-HEADER>`` with ``KEY:<tab>value`` lines (ACCESSION NUMBER, CONFORMED SUBMISSION
TYPE, CONFORMED PERIOD OF REPORT, FILED AS OF DATE, the filer's CENTRAL INDEX KEY) and a
``<SERIES-AND-CLASSES-CONTRACTS-DATA>`` block (each series' classes and their ticker
symbols), then one ``<DOCUMENT>`` per file; the form itself is the document whose
``<TYPE>`` is N-CEN (or N-CEN/A), its XML between ``<XML>`` and ``</XML>``. A bare
``primary_doc.xml`` is read too.

The XML (namespace http://www.sec.gov/edgar/ncen) is streamed with the same hardened
lxml settings as N-PORT (``safe_xml``: no DTD, no entities, no network, DOCTYPE refused),
each record read once and released. Element names and meanings from the SEC's N-CEN XML
technical specification and its rendering stylesheet:

  * ``formData/generalInfo@reportEndingPeriod``: the last day of the reporting period
    (Item A.1; the registrant's fiscal year end); ``registrantInfo``: name, CIK, LEI, file
    number, classification (N-1A open-end, S-6 unit investment trust, ...).
  * ``exchangeSeriesInfo/exchangeTradedFund`` (Part E, one per ETF): ``fundName``,
    ``etfSeriesId`` (absent for a unit investment trust: keyed ``cik_key(cik)``, as
    N-PORT), ``securityExchanges/securityExchange@fundExchange, @fundsTickerSymbol``
    (E.1); ``authorizedParticipants/authorizedParticipant`` with @authorizedParticipant
    Name, FileNo, CrdNo, Lei, PurchaseValue, RedeemValue (E.2: the dollar value of the
    fund's shares each AP purchased from / redeemed to the fund during the period);
    ``creationUnitNumOfShares`` (E.3.a, shares per creation unit as of the period's last
    business day; ``creationUnitRedeemedNumOfShares`` for redemptions if different);
    E.3.b/c the average percentage (and standard deviation) of each creation unit's value
    paid in cash (``averagePercentagePurchased``, ``averagePercentageRedeemed``) and in
    kind (``creationUnitPurchasedInKind``, ``creationUnitPercentageRedeemedInKind``);
    E.3.d/e the average transaction fee charged to APs, as dollars per creation unit
    (fixed), dollars for one or more units on the same day, and a percentage of each
    unit's value (variable) - for purchases ``creationUnitTransactionFee*`` (``...Cash...``
    for units paid wholly or partly in cash), for redemptions, despite the names,
    ``purchaseCreationUnitDollar*`` and ``purchaseCreationUnitCash*``; E.5 ``isInKindETF``.
  * ``managementInvestmentQuestion/sharesOutstandings/sharesOutstanding`` (Part C): each
    class id with its ticker - how an ETF's ticker maps to its share class.

Values as filed; "N/A" and empty are null; a number that is not one is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ingest.core.plugin import MalformedPayload
from ingest.plugins.edgar_nport.plugin import cik_key
from ingest.plugins.edgar_nport.safe_xml import (
    ITERPARSE_SAFETY,
    BodyReader,
    refuse_doctype,
    xml_start,
)
from ingest.plugins.edgar_nport.safe_xml import form_flag as _flag
from ingest.plugins.edgar_nport.safe_xml import form_text as _text

NS = "http://www.sec.gov/edgar/ncen"
SUBMISSION_TYPES = frozenset({"N-CEN", "N-CEN/A"})
HEADER_SCAN_BYTES = 1 << 20   # the SGML header of a large trust (hundreds of series)


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


ROOT = _q("edgarSubmission")
HEADER = _q("headerData")
GENERAL = _q("generalInfo")
REGISTRANT = _q("registrantInfo")
MANAGEMENT = _q("managementInvestmentQuestion")
ETF = _q("exchangeTradedFund")
WATCHED = (ROOT, HEADER, GENERAL, REGISTRANT, MANAGEMENT, ETF)

# exchangeTradedFund child -> column (E.3), all numbers
CREATION_UNIT_FIELDS = {
    "creationUnitNumOfShares": "creation_unit_shares",
    "creationUnitRedeemedNumOfShares": "creation_unit_redemption_shares",
    "averagePercentagePurchased": "purchase_cash_avg_pct",
    "standardDeviationPurchased": "purchase_cash_sd_pct",
    "creationUnitPurchasedInKind": "purchase_in_kind_avg_pct",
    "creationUnitPurchasedSDInKind": "purchase_in_kind_sd_pct",
    "averagePercentageRedeemed": "redemption_cash_avg_pct",
    "percentSDRedeemed": "redemption_cash_sd_pct",
    "creationUnitPercentageRedeemedInKind": "redemption_in_kind_avg_pct",
    "creationUnitSDRedeemedInKind": "redemption_in_kind_sd_pct",
    "creationUnitTransactionFeePerUnit": "purchase_fee_per_unit_usd",
    "creationUnitTransactionFeeManyUnits": "purchase_fee_same_day_units_usd",
    "creationUnitTransactionFeePercentagePerUnit": "purchase_fee_pct",
    "creationUnitTransactionFeeCashPerUnit": "purchase_cash_fee_per_unit_usd",
    "creationUnitTransactionFeeCashManyUnits": "purchase_cash_fee_same_day_units_usd",
    "creationUnitTransactionFeeCashPercentagePerUnit": "purchase_cash_fee_pct",
    "purchaseCreationUnitDollarPerUnit": "redemption_fee_per_unit_usd",
    "purchaseCreationUnitDollarPerMoreUnits": "redemption_fee_same_day_units_usd",
    "purchaseCreationUnitDollarPercentagePerUnit": "redemption_fee_pct",
    "purchaseCreationUnitCashPerUnit": "redemption_cash_fee_per_unit_usd",
    "purchaseCreationUnitCashPerMoreUnits": "redemption_cash_fee_same_day_units_usd",
    "purchaseCreationUnitCashPercentagePerUnit": "redemption_cash_fee_pct",
}
_SGML_FIELD = re.compile(rb"^\s*([A-Z][A-Z -]*[A-Z]):\s*(.*?)\s*$")


@dataclass(frozen=True)
class NcenDocument:
    """One N-CEN: the filing, one row per ETF (Part E) and one per authorized participant
    per ETF."""

    filing: dict[str, Any]
    etf_series: list[dict[str, Any]]
    authorized_participants: list[dict[str, Any]]


# -- small helpers ----------------------------------------------------------------------------


def _number(value: str | None, what: str) -> float | None:
    value = _text(value)
    if value is None:
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        raise MalformedPayload(f"{what}: not a number: {value[:40]!r}") from None


def _date(value: str | None, what: str) -> dt.date | None:
    value = _text(value)
    if value is None:
        return None
    try:
        if len(value) == 8 and value.isdigit():  # the SGML header's YYYYMMDD
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MalformedPayload(f"{what}: not a date: {value[:40]!r}") from None


def _cik(value: str | None) -> str | None:
    value = _text(value)
    return f"{int(value):010d}" if value and value.isdigit() else value


# -- the SGML wrapper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SgmlHeader:
    fields: dict[str, str]
    class_of_ticker: dict[str, tuple[str, str]]   # ticker -> (series id, class id)
    classes_of_series: dict[str, list[str]]        # series id -> class ids


def parse_sgml_header(body: bytes) -> SgmlHeader:
    """The header's ``KEY: value`` fields (first occurrence of each) and its series and
    classes with their tickers."""
    end = body.find(b"</SEC-HEADER>", 0, HEADER_SCAN_BYTES)
    if end < 0:
        end = body.find(b"<DOCUMENT>", 0, HEADER_SCAN_BYTES)
    head = body[:end if end >= 0 else HEADER_SCAN_BYTES]
    fields: dict[str, str] = {}
    class_of_ticker: dict[str, tuple[str, str]] = {}
    classes_of_series: dict[str, list[str]] = {}
    series = class_id = None
    for raw in head.splitlines():
        line = raw.strip()
        if line.startswith(b"<SERIES-ID>"):
            series, class_id = line[11:].decode(errors="replace").strip(), None
            classes_of_series.setdefault(series, [])
        elif line.startswith(b"<CLASS-CONTRACT-ID>") and series:
            class_id = line[19:].decode(errors="replace").strip()
            classes_of_series[series].append(class_id)
        elif line.startswith(b"<CLASS-CONTRACT-TICKER-SYMBOL>") and series and class_id:
            ticker = line[30:].decode(errors="replace").strip().upper()
            if ticker:
                class_of_ticker.setdefault(ticker, (series, class_id))
        elif not line.startswith(b"<"):
            match = _SGML_FIELD.match(raw)
            if match and match[2]:
                fields.setdefault(match[1].decode(), match[2].decode(errors="replace"))
    return SgmlHeader(fields, class_of_ticker, classes_of_series)


def _form_xml_span(body: bytes) -> tuple[int, int]:
    """(start, end) of the N-CEN document's XML inside a full submission text."""
    position = 0
    while True:
        start = body.find(b"<DOCUMENT>", position)
        if start < 0:
            raise MalformedPayload("no N-CEN document in the submission (no <DOCUMENT> whose "
                                   "<TYPE> is N-CEN)")
        end = body.find(b"</DOCUMENT>", start)
        stop = len(body) if end < 0 else end
        type_at = body.find(b"<TYPE>", start, stop)
        kind = body[type_at + 6:body.find(b"\n", type_at, stop)].strip() if type_at >= 0 else b""
        if kind.upper() in (b"N-CEN", b"N-CEN/A"):
            xml_at = body.find(b"<XML>", start, stop)
            if xml_at < 0:
                raise MalformedPayload("the N-CEN document carries no <XML> section")
            xml_end = body.find(b"</XML>", xml_at, stop)
            if xml_end < 0:
                raise MalformedPayload("the N-CEN document's XML is truncated (no </XML>)")
            return xml_at + 5, xml_end
        if end < 0:
            raise MalformedPayload("no N-CEN document in the submission")
        position = end + 11


# -- the parse -----------------------------------------------------------------------------------


def parse_ncen(body: bytes, accession_number: str | None) -> NcenDocument:
    """Parse an N-CEN full submission text (or a bare primary_doc.xml); MalformedPayload
    with a clear reason for anything that is not a complete N-CEN."""
    if not body or not body.strip():
        raise MalformedPayload("empty document")
    start = xml_start(body)
    if body.startswith(b"<SEC-DOCUMENT>", start) or body.startswith(b"<SEC-HEADER>", start):
        header = parse_sgml_header(body)
        begin, end = _form_xml_span(body)
        begin = xml_start(body, begin)
    elif body.startswith(b"<", start):
        header = SgmlHeader({}, {}, {})
        begin, end = start, len(body)
    else:
        raise MalformedPayload("not an N-CEN submission: neither EDGAR's SGML submission text "
                               "nor XML")
    accession = (_text(header.fields.get("ACCESSION NUMBER")) or accession_number
                 or "UNKNOWN")
    refuse_doctype(body, begin, "N-CEN")
    state = _XmlState()
    context = etree.iterparse(BodyReader(body, begin, end), events=("end",), tag=WATCHED,
                              remove_blank_text=True, **ITERPARSE_SAFETY)
    try:
        for _, element in context:
            state.read(element)
            _release(element)
    except etree.XMLSyntaxError as exc:
        raise MalformedPayload(f"malformed or truncated N-CEN XML: {exc}") from None
    if context.root is not None and context.root.getroottree().docinfo.doctype:
        raise MalformedPayload("document type declaration found: N-CEN filings have none")
    if not state.seen_root:
        root = context.root
        name = etree.QName(root).text if root is not None else "none"
        raise MalformedPayload(f"not an N-CEN document: root element is {name}")
    return state.document(accession, header)


def _release(element: etree._Element) -> None:
    """Free a processed record and the processed siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _XmlState:
    """What the stream has read so far."""

    def __init__(self) -> None:
        self.seen_root = False
        self.header: dict[str, Any] = {}
        self.general: dict[str, Any] = {}
        self.registrant: dict[str, Any] = {}
        self.class_of_ticker: dict[str, tuple[str, str]] = {}
        self.classes_of_series: dict[str, list[str]] = {}
        self.etfs: list[dict[str, Any]] = []
        self.aps: list[list[dict[str, Any]]] = []

    def read(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == ETF:
            etf, aps = _etf_record(element, len(self.etfs) + 1)
            self.etfs.append(etf)
            self.aps.append(aps)
        elif tag == MANAGEMENT:
            series = _text(element.findtext(_q("mgmtInvSeriesId")))
            for share in element.iter(_q("sharesOutstanding")):
                class_id = _text(share.get("sharesOutstandingClassId"))
                ticker = (_text(share.get("sharesOutstandingTickerSymbol")) or "").upper()
                if series and class_id:
                    self.classes_of_series.setdefault(series, []).append(class_id)
                    if ticker:
                        self.class_of_ticker.setdefault(ticker, (series, class_id))
        elif tag == GENERAL:
            self.general = {
                "report_period_end": _date(element.get("reportEndingPeriod"),
                                           "generalInfo@reportEndingPeriod"),
                "is_period_lt_12_months": _flag(element.get("isReportPeriodLt12")),
            }
        elif tag == REGISTRANT:
            self.registrant = {
                "registrant_name": _text(element.findtext(_q("registrantFullName"))),
                "cik": _cik(element.findtext(_q("registrantCik"))),
                "registrant_lei": _text(element.findtext(_q("registrantLei"))),
                "file_number": _text(element.findtext(_q("investmentCompFileNo"))),
                "classification_type": _text(element.findtext(
                    _q("registrantClassificationType"))),
                "total_series": _number(element.findtext(_q("totalSeries")),
                                        "registrantInfo/totalSeries"),
            }
        elif tag == HEADER:
            filer = element.find(_q("filerInfo"))
            self.header = {
                "submission_type": _text(element.findtext(_q("submissionType"))),
                "live_test_flag": _text(filer.findtext(_q("liveTestFlag")))
                if filer is not None else None,
                "cik": _cik(filer.findtext(f"{_q('filer')}/{_q('issuerCredentials')}"
                                           f"/{_q('cik')}")) if filer is not None else None,
                "investment_company_type": _text(filer.findtext(_q("investmentCompanyType")))
                if filer is not None else None,
            }
        elif tag == ROOT:
            self.seen_root = True

    def document(self, accession: str, header: SgmlHeader) -> NcenDocument:
        submission_type = (self.header.get("submission_type")
                           or _text(header.fields.get("CONFORMED SUBMISSION TYPE")))
        if submission_type not in SUBMISSION_TYPES:
            raise MalformedPayload(f"not an N-CEN filing: submissionType is {submission_type!r}")
        cik = (self.registrant.get("cik") or self.header.get("cik")
               or _cik(header.fields.get("CENTRAL INDEX KEY")))
        if not cik:
            raise MalformedPayload("N-CEN without the registrant's CIK")
        period_end = (self.general.get("report_period_end")
                      or _date(header.fields.get("CONFORMED PERIOD OF REPORT"),
                               "CONFORMED PERIOD OF REPORT"))
        if period_end is None:
            raise MalformedPayload("N-CEN without its reporting period "
                                   "(generalInfo@reportEndingPeriod)")
        class_of_ticker = {**header.class_of_ticker, **self.class_of_ticker}
        classes_of_series = {**header.classes_of_series, **self.classes_of_series}
        etfs, aps = [], []
        for etf, record_aps in zip(self.etfs, self.aps, strict=True):
            series_id = etf["series_id"] or cik_key(cik)
            ticker = etf["ticker"]
            mapped = class_of_ticker.get(ticker or "")
            own = sorted(set(classes_of_series.get(series_id, [])))
            class_id = mapped[1] if mapped else (own[0] if len(own) == 1 else None)
            etfs.append({**etf, "accession_number": accession, "series_id": series_id,
                         "class_id": class_id, "report_period_end": period_end})
            aps += [{**ap, "accession_number": accession, "series_id": series_id}
                    for ap in record_aps]
        filing = {
            "accession_number": accession,
            "cik": cik,
            "registrant_name": self.registrant.get("registrant_name")
            or _text(header.fields.get("COMPANY CONFORMED NAME")),
            "registrant_lei": self.registrant.get("registrant_lei"),
            "file_number": self.registrant.get("file_number")
            or _text(header.fields.get("SEC FILE NUMBER")),
            "submission_type": submission_type,
            "is_amendment": submission_type.endswith("/A"),
            "is_test_filing": self.header.get("live_test_flag") == "TEST",
            "investment_company_type": self.header.get("investment_company_type")
            or self.registrant.get("classification_type"),
            "report_period_end": period_end,
            "is_period_lt_12_months": self.general.get("is_period_lt_12_months"),
            "filed_date": _date(header.fields.get("FILED AS OF DATE"), "FILED AS OF DATE"),
            "total_series": self.registrant.get("total_series"),
            "etf_count": len(etfs),
            "authorized_participant_rows": len(aps),
        }
        return NcenDocument(filing, etfs, aps)


def _etf_record(element: etree._Element, record_number: int
                ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    where = f"exchangeTradedFund {record_number}"
    listings = [(_text(x.get("fundsTickerSymbol")), _text(x.get("fundExchange")))
                for x in element.iter(_q("securityExchange"))]
    ticker, exchange = next(((t.upper(), e) for t, e in listings if t), (None, None))
    if exchange is None:
        exchange = next((e for _, e in listings if e), None)
    row: dict[str, Any] = {
        "record_number": record_number,
        "fund_name": _text(element.findtext(_q("fundName"))),
        "series_id": _text(element.findtext(_q("etfSeriesId"))),
        "ticker": ticker,
        "exchange": exchange,
        "is_collateral_required": _flag(element.findtext(_q("isCollateralRequired"))),
        "is_in_kind_etf": _flag(element.findtext(_q("isInKindETF"))),
    }
    for local, column in CREATION_UNIT_FIELDS.items():
        row[column] = _number(element.findtext(_q(local)), f"{where}/{local}")
    aps = [
        {
            "record_number": record_number,
            "ap_number": n,
            "ap_name": _text(ap.get("authorizedParticipantName")),
            "ap_file_number": _text(ap.get("authorizedParticipantFileNo")),
            "ap_crd_number": _text(ap.get("authorizedParticipantCrdNo")),
            "ap_lei": _text(ap.get("authorizedParticipantLei")),
            "purchases_usd": _number(ap.get("authorizedParticipantPurchaseValue"),
                                     f"{where} AP {n} purchase value"),
            "redemptions_usd": _number(ap.get("authorizedParticipantRedeemValue"),
                                       f"{where} AP {n} redeem value"),
        }
        for n, ap in enumerate(_participants(element), start=1)
    ]
    return row, aps


def _participants(element: etree._Element) -> Iterator[etree._Element]:
    holder = element.find(_q("authorizedParticipants"))
    return iter(()) if holder is None else holder.iterchildren(_q("authorizedParticipant"))
