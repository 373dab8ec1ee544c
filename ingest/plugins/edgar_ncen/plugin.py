"""SEC EDGAR Form N-CEN: each registrant's annual report - its ETFs' creation-unit sizes,
authorized participants and transaction fees.

Every registered investment company (open-end trusts, unit investment trusts) files one
N-CEN a year for all its series, within 75 days of its fiscal year end. Two stages
(``PlanParams.extra["stage"]``); ``pipeline.py`` chains them for ``etfflow ingest ncen``:

  filings_index  for each registrant CIK (``extra["ciks"]``: the CIKs the N-PORT fund map
                 landed for the tickers), EDGAR's company-browse Atom feed of its N-CEN
                 and N-CEN/A filings -> raw.ncen_filings_index
  filings        each filing's full submission text (``extra["filings"]``: [cik,
                 accession] pairs), ``/Archives/edgar/data/{cik}/{accession}.txt``: the
                 SGML header and the form's XML, parsed streaming (parser.py) ->
                 raw.ncen_filings, raw.ncen_etf_series, raw.ncen_authorized_participants

Local files (``etfflow ingest ncen --file``): ``.txt`` full submission texts or ``.xml``
primary documents, through the same parser. All SEC requests go through the core client
(at most 10 per second, the declared ETFFLOW_SEC_USER_AGENT); documents never change, so
their requests are immutable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar
from urllib.parse import unquote, urlsplit

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
)
from ingest.plugins.edgar_ncen.parser import CREATION_UNIT_FIELDS, parse_ncen
from ingest.plugins.edgar_nport.parser import accession_from
from ingest.plugins.edgar_nport.plugin import SEC, browse_feed_request, parse_browse_atom

FULL_TEXT_URL = SEC + "/Archives/edgar/data/{cik}/{accession}.txt"
NCEN_FORMS = frozenset({"N-CEN", "N-CEN/A"})
STAGES = ("filings_index", "filings")

FILINGS_INDEX = RawTable(
    "ncen_filings_index",
    {
        "accession_number": "VARCHAR",
        "cik": "VARCHAR",
        "form_type": "VARCHAR",
        "filing_date": "DATE",
        "document_url": "VARCHAR",
    },
    ("accession_number",),
    "A registrant's N-CEN and N-CEN/A filings as EDGAR's company-browse feed lists them.",
)
FILINGS = RawTable(
    "ncen_filings",
    {
        "accession_number": "VARCHAR",
        "cik": "VARCHAR",
        "registrant_name": "VARCHAR",
        "registrant_lei": "VARCHAR",
        "file_number": "VARCHAR",
        "submission_type": "VARCHAR",
        "is_amendment": "BOOLEAN",
        "is_test_filing": "BOOLEAN",
        "investment_company_type": "VARCHAR",
        "report_period_end": "DATE",
        "is_period_lt_12_months": "BOOLEAN",
        "filed_date": "DATE",
        "total_series": "DOUBLE",
        "etf_count": "INTEGER",
        "authorized_participant_rows": "INTEGER",
    },
    ("accession_number",),
    "One row per N-CEN: registrant, reporting period (generalInfo@reportEndingPeriod), "
    "filing date (SGML header), how many ETFs (Part E) it reports.",
)
ETF_SERIES = RawTable(
    "ncen_etf_series",
    {
        "accession_number": "VARCHAR",
        "record_number": "INTEGER",
        "series_id": "VARCHAR",
        "class_id": "VARCHAR",
        "ticker": "VARCHAR",
        "exchange": "VARCHAR",
        "fund_name": "VARCHAR",
        "report_period_end": "DATE",
        **{column: "DOUBLE" for column in CREATION_UNIT_FIELDS.values()},
        "is_collateral_required": "BOOLEAN",
        "is_in_kind_etf": "BOOLEAN",
    },
    ("accession_number", "record_number"),
    "Part E, one row per ETF of an N-CEN: series, class, ticker, creation-unit size "
    "(E.3.a), cash and in-kind shares of creation and redemption value (E.3.b/c), fixed "
    "and variable transaction fees (E.3.d/e), report period. A unit investment trust's "
    "ETF has no series id: keyed 'CIK' + its CIK, as N-PORT.",
)
AUTHORIZED_PARTICIPANTS = RawTable(
    "ncen_authorized_participants",
    {
        "accession_number": "VARCHAR",
        "record_number": "INTEGER",
        "ap_number": "INTEGER",
        "series_id": "VARCHAR",
        "ap_name": "VARCHAR",
        "ap_file_number": "VARCHAR",
        "ap_crd_number": "VARCHAR",
        "ap_lei": "VARCHAR",
        "purchases_usd": "DOUBLE",
        "redemptions_usd": "DOUBLE",
    },
    ("accession_number", "record_number", "ap_number"),
    "Item E.2, one row per authorized participant of each ETF of an N-CEN: name, SEC file "
    "number, CRD, LEI, and the dollar value of the fund's shares it purchased (creations) "
    "and redeemed during the reporting period.",
)


def full_text_url(cik: int | str, accession_number: str) -> str:
    return FULL_TEXT_URL.format(cik=int(cik), accession=accession_number)


def ncen_list_request(cik: int | str) -> Request:
    """EDGAR's company-browse feed of a registrant's N-CEN filings."""
    padded = f"{int(cik):010d}"
    return browse_feed_request(padded, f"CIK {padded} N-CEN filings", form="N-CEN")


def ncen_filing_request(cik: int | str, accession_number: str) -> Request:
    return Request.get(full_text_url(cik, accession_number), f"{accession_number} N-CEN",
                       immutable=True)


class EdgarNcenPlugin(Plugin):
    name: ClassVar[str] = "edgar_ncen"
    description: ClassVar[str] = ("SEC EDGAR N-CEN: ETF creation-unit sizes, authorized "
                                  "participants and transaction fees")
    tables = (FILINGS_INDEX, FILINGS, ETF_SERIES, AUTHORIZED_PARTICIPANTS)
    local_file_suffixes = (".txt", ".xml")

    def plan(self, params: PlanParams) -> Iterable[Request]:
        stage = params.extra.get("stage", "filings_index")
        if stage == "filings_index":
            for cik in dict.fromkeys(int(c) for c in params.extra.get("ciks") or ()):
                yield ncen_list_request(cik)
        elif stage == "filings":
            for cik, accession_number in params.extra.get("filings") or ():
                yield ncen_filing_request(cik, accession_number)
        else:
            raise EtfflowError(f"edgar_ncen: unknown stage {stage!r} (one of {STAGES})")

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        parts = urlsplit(payload.request.url)
        if payload.status >= 400:
            raise SourceError(f"HTTP {payload.status} from {parts.netloc}{parts.path}")
        if parts.path.endswith("/browse-edgar"):
            asked = dict(payload.request.params).get("CIK", "")
            return {FILINGS_INDEX.name: [
                {"accession_number": r["accession_number"], "cik": r["cik"],
                 "form_type": r["form_type"], "filing_date": r["filing_date"],
                 "document_url": r["primary_doc_url"]}
                for r in parse_browse_atom(payload.body, asked, forms=NCEN_FORMS,
                                           document_url=full_text_url)]}
        if parts.scheme == "file" or parts.path.endswith((".txt", ".xml")):
            return self._parse_filing(payload)
        raise MalformedPayload(f"no parser for {payload.request.url}")

    def _parse_filing(self, payload: Payload) -> dict[str, Rows]:
        path = unquote(urlsplit(payload.request.url).path)
        document = parse_ncen(payload.body, accession_from(path.rsplit("/", 1)[-1])
                              or f"LOCAL-{payload.sha256[:16]}")
        return {
            FILINGS.name: [document.filing],
            ETF_SERIES.name: document.etf_series,
            AUTHORIZED_PARTICIPANTS.name: document.authorized_participants,
        }

