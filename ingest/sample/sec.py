"""Render the simulated world as the SEC's Form N-CEN filings and its quarterly N-PORT
data sets.

SAMPLE DATA — registrants, CIKs, series and class ids and accession numbers are those of
the sample's N-PORT filings (ingest/sample/edgar.py); authorized participants, LEIs and
fees are made up (seeded). Wire formats are EDGAR's: the real N-CEN full submission text
in ../shared/data/ncen defines the layout (SGML header with the series and classes, the
form's XML in a ``<DOCUMENT>`` of ``<TYPE>N-CEN``), the SEC's data-set documentation the
zip's.

What the filings say (and why):
  * N-CEN: every registered investment company (the sample's series trusts and unit
    investment trusts; not grantor trusts or commodity pools) files one a year for the
    fiscal year ending in its registrant's fiscal-year-end month, NCEN_FILED_LAG_DAYS
    after it. The archive holds those filed by DEMO_END, from the fiscal year that ended
    in the twelve months before DEMO_START on, so every demo day has a report on or
    before it (IYZ, launched in 2023, first appears in its trust's 2024 report). Each ETF
    reports the world's creation-unit size (E.3.a), a cash / in-kind mix (bond funds
    create mostly in cash, equity funds in kind), fixed and variable fees, and its
    authorized participants: a dozen or more listed, a few active, whose purchases and
    redemptions add up to the world's creations and redemptions (units x unit size x
    NAV) over the fiscal year, concentrated on one or two APs for bond funds. A year the
    simulation does not cover reports no AP activity.
  * N-PORT data sets: one zip per calendar quarter of dissemination (the quarter of the
    filing date), holding every sample N-PORT filed in it in the SEC's tables with the
    same figures as its XML (same accession numbers, values formatted alike), so the
    data-set path and the XML path land the same filings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.core.archive import Archive
from ingest.core.plugin import PlanParams
from ingest.plugins.edgar_ncen.plugin import (
    EdgarNcenPlugin,
    full_text_url,
    ncen_filing_request,
    ncen_list_request,
)
from ingest.plugins.edgar_nport.plugin import BROWSE_URL, SEC
from ingest.plugins.sec_nport_datasets.plugin import (
    Quarter,
    SecNportDatasetsPlugin,
    dataset_request,
    dataset_url,
)
from ingest.sample import edgar
from ingest.sample.edgar import (
    FILING_AGENT_CIK,
    Filing,
    Registrant,
    _esc,
    _lei,
    _num,
    class_id,
    files_by_series,
    files_nport,
    fund_cik,
    registrant_of,
    series_id,
)
from ingest.sample.world import (
    DEMO_END,
    DEMO_START,
    FETCHED_AT,
    FundPath,
    FundSpec,
    _rng,
    load_universe,
)

NCEN_SOURCE = EdgarNcenPlugin.name
DATASETS_SOURCE = SecNportDatasetsPlugin.name
NCEN_FILED_LAG_DAYS = (60, 74)
# sample authorized participants: (name, SEC file number, CRD number)
AUTHORIZED_PARTICIPANTS = tuple(
    (f"{name} (SAMPLE)", f"8-{10_000 + 7 * i:05d}", f"{100_000 + 37 * i:09d}")
    for i, name in enumerate((
        "Ashgrove Securities LLC", "Belmont Capital Markets Inc", "Cedar Lane Execution LLC",
        "Dunmore Prime Services Corp", "Eastbridge Securities LLC", "Fairhaven Markets LLC",
        "Glenrock Trading Inc", "Harbor Point Clearing Corp", "Ironwood Capital LLC",
        "Juniper Street Securities LLC", "Kestrel Markets Inc", "Larkspur Securities LLC",
        "Meridian Bay Capital LLC", "Northgate Execution Services LLC",
        "Oakridge Securities Inc", "Pinecrest Capital Markets LLC", "Quarry Hill Trading LLC",
        "Redfern Securities Corp", "Stonebridge Markets LLC", "Tidewater Capital LLC",
        "Upland Securities Inc", "Vantage Row Clearing LLC")))
NS_DECL = 'xmlns="http://www.sec.gov/edgar/ncen" xmlns:com="http://www.sec.gov/edgar/common"'


# -- N-CEN: schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class NcenFiling:
    registrant: Registrant
    tickers: tuple[str, ...]       # the ETFs it reports (launched by the period end)
    is_uit: bool
    period_end: dt.date
    filing_date: dt.date
    accession_number: str

    @property
    def url(self) -> str:
        return full_text_url(self.registrant.cik, self.accession_number)


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _fiscal_year_ends(month: int) -> list[dt.date]:
    """Fiscal year ends in ``month`` from the one in the twelve months before DEMO_START."""
    out = []
    for year in range(DEMO_START.year - 1, DEMO_END.year + 1):
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        if end > DEMO_START - dt.timedelta(days=366):
            out.append(end)
    return out


def ncen_schedule(specs: Iterable[FundSpec]) -> list[NcenFiling]:
    """Every registrant's N-CEN filed by DEMO_END, one per fiscal year."""
    universe = load_universe()
    by_registrant: dict[int, list[FundSpec]] = {}
    for spec in specs:
        if files_nport(spec, universe):
            by_registrant.setdefault(registrant_of(spec).cik, []).append(spec)
    out = []
    for cik, members in sorted(by_registrant.items()):
        registrant = registrant_of(members[0])
        for period_end in _fiscal_year_ends(registrant.fiscal_year_end_month):
            lag = int(_rng("ncen-lag", cik, period_end).integers(
                NCEN_FILED_LAG_DAYS[0], NCEN_FILED_LAG_DAYS[1] + 1))
            filed = _weekday_on_or_after(period_end + dt.timedelta(days=lag))
            tickers = tuple(sorted(s.ticker for s in members
                                   if s.launch is None or s.launch <= period_end))
            if filed > DEMO_END or not tickers:
                continue
            seq = 10_000 + zlib.crc32(f"ncen:{cik}:{period_end}".encode()) % 890_000
            out.append(NcenFiling(registrant, tickers, not files_by_series(members[0]),
                                  period_end, filed,
                                  f"{FILING_AGENT_CIK:010d}-{filed.year % 100:02d}-{seq:06d}"))
    return out


# -- N-CEN: what each ETF reports -------------------------------------------------------------


@dataclass(frozen=True)
class EtfReport:
    ticker: str
    creation_unit_size: int
    purchases_usd: float               # the world's creations over the fiscal year
    redemptions_usd: float
    participants: list[dict[str, Any]]  # name, file_no, crd, lei, purchases, redemptions


def _fiscal_year_flows(path: FundPath, period_end: dt.date) -> tuple[float, float]:
    start = period_end - dt.timedelta(days=365)
    value = path.units * path.spec.creation_unit * path.nav
    inside = np.array([start < d <= period_end for d in path.days])
    created = float(value[inside & (path.units > 0)].sum())
    redeemed = float(-value[inside & (path.units < 0)].sum())
    return round(created, 2), round(redeemed, 2)


def etf_report(path: FundPath, period_end: dt.date) -> EtfReport:
    """The fund's Part E: its authorized participants and their share of the year's
    creations and redemptions (bond funds lean on one or two APs)."""
    spec = path.spec
    rng = _rng("ncen-ap", spec.ticker, period_end)
    listed = sorted(rng.choice(len(AUTHORIZED_PARTICIPANTS),
                               size=int(rng.integers(12, len(AUTHORIZED_PARTICIPANTS) + 1)),
                               replace=False).tolist())
    active = int(rng.integers(2, 5)) if spec.asset_class == "bond" else int(rng.integers(4, 9))
    concentration = 0.35 if spec.asset_class == "bond" else 1.2
    creators = rng.choice(listed, size=active, replace=False)
    redeemers = rng.choice(listed, size=active, replace=False)
    purchases, redemptions = _fiscal_year_flows(path, period_end)
    buy = dict(zip(creators.tolist(), rng.dirichlet(np.full(active, concentration)),
                   strict=True))
    sell = dict(zip(redeemers.tolist(), rng.dirichlet(np.full(active, concentration)),
                    strict=True))
    participants = []
    for i in listed:
        name, file_no, crd = AUTHORIZED_PARTICIPANTS[i]
        participants.append({
            "name": name, "file_no": file_no, "crd": crd, "lei": _lei("ap", i),
            "purchases": round(purchases * float(buy.get(i, 0.0)), 2),
            "redemptions": round(redemptions * float(sell.get(i, 0.0)), 2),
        })
    return EtfReport(spec.ticker, spec.creation_unit, purchases, redemptions, participants)


def _etf_xml(filing: NcenFiling, spec: FundSpec, report: EtfReport) -> str:
    rng = _rng("ncen-fees", spec.ticker, filing.period_end)
    bond = spec.asset_class == "bond"
    cash_buy = float(np.round(rng.uniform(70, 100) if bond else rng.uniform(0, 8), 4))
    cash_sell = float(np.round(rng.uniform(40, 90) if bond else rng.uniform(0, 4), 4))
    fee = float(np.round(rng.uniform(100, 600) if bond else rng.uniform(250, 3000), 0))
    cash_pct = float(np.round(rng.uniform(0.01, 0.2), 8))
    aps = "".join(
        f'<authorizedParticipant authorizedParticipantName="{_esc(p["name"])}" '
        f'authorizedParticipantFileNo="{p["file_no"]}" authorizedParticipantCrdNo="{p["crd"]}" '
        f'authorizedParticipantLei="{p["lei"]}" '
        f'authorizedParticipantPurchaseValue="{_num(p["purchases"], 8)}" '
        f'authorizedParticipantRedeemValue="{_num(p["redemptions"], 8)}"/>\n'
        for p in report.participants)
    ident = "" if filing.is_uit else (
        f"<fundName>{_esc(spec.name)} (SAMPLE)</fundName>"
        f"<etfSeriesId>{series_id(spec.ticker)}</etfSeriesId>\n")
    numbers = {
        "creationUnitNumOfShares": report.creation_unit_size,
        "averagePercentagePurchased": cash_buy, "standardDeviationPurchased": 2.5,
        "creationUnitPurchasedInKind": 100 - cash_buy,
        "creationUnitPurchasedSDInKind": 2.5,
        "averagePercentageRedeemed": cash_sell, "percentSDRedeemed": 3.0,
        "creationUnitPercentageRedeemedInKind": 100 - cash_sell,
        "creationUnitSDRedeemedInKind": 3.0,
        "creationUnitTransactionFeePerUnit": fee,
        "creationUnitTransactionFeeManyUnits": fee,
        "creationUnitTransactionFeePercentagePerUnit": 0.0,
        "creationUnitTransactionFeeCashPerUnit": fee,
        "creationUnitTransactionFeeCashManyUnits": fee,
        "creationUnitTransactionFeeCashPercentagePerUnit": cash_pct,
        "purchaseCreationUnitDollarPerUnit": fee,
        "purchaseCreationUnitDollarPerMoreUnits": fee,
        "purchaseCreationUnitDollarPercentagePerUnit": 0.0,
        "purchaseCreationUnitCashPerUnit": fee,
        "purchaseCreationUnitCashPerMoreUnits": fee,
        "purchaseCreationUnitCashPercentagePerUnit": cash_pct,
    }
    exchange = "XNAS" if spec.exchange == "NGM" else "ARCX"
    return (
        "<exchangeTradedFund>\n" + ident
        + f'<securityExchanges><securityExchange fundExchange="{exchange}" '
        f'fundsTickerSymbol="{spec.ticker}"/></securityExchanges>\n'
        + f"<authorizedParticipants>\n{aps}</authorizedParticipants>\n"
        + f"<isCollateralRequired>{'Y' if bond else 'N'}</isCollateralRequired>\n"
        + "".join(f"<{tag}>{_num(float(value), 8)}</{tag}>" for tag, value in numbers.items())
        + f"\n<isInKindETF>{'N' if bond else 'Y'}</isInKindETF>\n</exchangeTradedFund>\n"
    )


def ncen_full_text(filing: NcenFiling, paths: dict[str, FundPath]) -> bytes:
    """The N-CEN's full submission text: SGML header, then the form's XML document."""
    reg = filing.registrant
    filed, period = f"{filing.filing_date:%Y%m%d}", f"{filing.period_end:%Y%m%d}"
    specs = [paths[t].spec for t in filing.tickers]
    series_block = "" if filing.is_uit else (
        "<SERIES-AND-CLASSES-CONTRACTS-DATA>\n<EXISTING-SERIES-AND-CLASSES-CONTRACTS>\n"
        + "".join(
            f"<SERIES>\n<OWNER-CIK>{reg.cik:010d}\n<SERIES-ID>{series_id(s.ticker)}\n"
            f"<SERIES-NAME>{s.name} (SAMPLE)\n<CLASS-CONTRACT>\n"
            f"<CLASS-CONTRACT-ID>{class_id(s.ticker)}\n"
            f"<CLASS-CONTRACT-NAME>{s.name} (SAMPLE)\n"
            f"<CLASS-CONTRACT-TICKER-SYMBOL>{s.ticker}\n</CLASS-CONTRACT>\n</SERIES>\n"
            for s in specs)
        + "</EXISTING-SERIES-AND-CLASSES-CONTRACTS>\n</SERIES-AND-CLASSES-CONTRACTS-DATA>\n")
    header = (
        f"<SEC-DOCUMENT>{filing.accession_number}.txt : {filed}\n"
        f"<SEC-HEADER>{filing.accession_number}.hdr.sgml : {filed}\n"
        f"<ACCEPTANCE-DATETIME>{filed}160500\n"
        f"ACCESSION NUMBER:\t\t{filing.accession_number}\n"
        "CONFORMED SUBMISSION TYPE:\tN-CEN\nPUBLIC DOCUMENT COUNT:\t\t1\n"
        f"CONFORMED PERIOD OF REPORT:\t{period}\nFILED AS OF DATE:\t\t{filed}\n"
        f"DATE AS OF CHANGE:\t\t{filed}\nEFFECTIVENESS DATE:\t\t{filed}\n\nFILER:\n\n"
        "\tCOMPANY DATA:\t\n"
        f"\t\tCOMPANY CONFORMED NAME:\t\t\t{reg.name}\n"
        f"\t\tCENTRAL INDEX KEY:\t\t\t{reg.cik:010d}\n"
        f"\t\tFISCAL YEAR END:\t\t\t{reg.fiscal_year_end_month:02d}"
        f"{calendar.monthrange(2001, reg.fiscal_year_end_month)[1]:02d}\n\n"
        "\tFILING VALUES:\n\t\tFORM TYPE:\t\tN-CEN\n\t\tSEC ACT:\t\t1940 Act\n"
        f"\t\tSEC FILE NUMBER:\t{reg.file_number}\n"
        + series_block + "</SEC-HEADER>\n"
    )
    reports = [etf_report(paths[s.ticker], filing.period_end) for s in specs]
    management = "" if filing.is_uit else (
        "<managementInvestmentQuestionSeriesInfo>\n" + "".join(
            f"<managementInvestmentQuestion><mgmtInvFundName>{_esc(s.name)} (SAMPLE)"
            f"</mgmtInvFundName><mgmtInvSeriesId>{series_id(s.ticker)}</mgmtInvSeriesId>"
            f"<mgmtInvLei>{_lei('series', series_id(s.ticker))}</mgmtInvLei>"
            "<sharesOutstandings><sharesOutstanding "
            f'sharesOutstandingClassName="{_esc(s.name)} (SAMPLE)" '
            f'sharesOutstandingClassId="{class_id(s.ticker)}" '
            f'sharesOutstandingTickerSymbol="{s.ticker}"/></sharesOutstandings>'
            "<fundTypes><fundType>Exchange-Traded Fund</fundType></fundTypes>"
            "</managementInvestmentQuestion>\n" for s in specs)
        + "</managementInvestmentQuestionSeriesInfo>\n")
    ic_type = "S-6" if filing.is_uit else "N-1A"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<edgarSubmission {NS_DECL}>\n<schemaVersion>X0505</schemaVersion>\n"
        "<headerData><submissionType>N-CEN</submissionType><filerInfo>"
        f"<liveTestFlag>LIVE</liveTestFlag><filer><issuerCredentials><cik>{reg.cik:010d}</cik>"
        f"<ccc>XXXXXXXX</ccc></issuerCredentials><fileNumber>{reg.file_number}</fileNumber>"
        f"</filer><investmentCompanyType>{ic_type}</investmentCompanyType></filerInfo>"
        "</headerData>\n<formData>\n"
        f'<generalInfo reportEndingPeriod="{filing.period_end}" isReportPeriodLt12="N"/>\n'
        f"<registrantInfo><registrantFullName>{_esc(reg.name)}</registrantFullName>"
        f"<investmentCompFileNo>{reg.file_number}</investmentCompFileNo>"
        f"<registrantCik>{reg.cik:010d}</registrantCik>"
        f"<registrantLei>{_lei('registrant', reg.cik)}</registrantLei>"
        f"<registrantcity>{_esc(reg.city)}</registrantcity>"
        f"<registrantClassificationType>{ic_type}</registrantClassificationType>"
        f"<totalSeries>{0 if filing.is_uit else len(specs)}</totalSeries></registrantInfo>\n"
        + management + "<exchangeSeriesInfo>\n"
        + "".join(_etf_xml(filing, s, r) for s, r in zip(specs, reports, strict=True))
        + "</exchangeSeriesInfo>\n"
        f'<signature registrantSignedName="{_esc(reg.name)}" '
        f'signedDate="{filing.filing_date}" signature="Sample Signer" title="Treasurer"/>\n'
        "</formData>\n</edgarSubmission>\n"
    )
    document = ("<DOCUMENT>\n<TYPE>N-CEN\n<SEQUENCE>1\n<FILENAME>primary_doc.xml\n<TEXT>\n"
                f"<XML>\n{xml}</XML>\n</TEXT>\n</DOCUMENT>\n")
    return (header + document + "</SEC-DOCUMENT>\n").encode()


def ncen_browse_atom(cik: int, name: str, filings: list[NcenFiling]) -> bytes:
    """EDGAR's company-browse Atom feed of a CIK's N-CEN filings (none for a grantor trust
    or commodity pool), newest first; ``accession-nunber`` spelled as EDGAR spells it."""
    entries = []
    for f in sorted(filings, key=lambda f: f.filing_date, reverse=True):
        folder = f.accession_number.replace("-", "")
        index = f"{SEC}/Archives/edgar/data/{cik}/{folder}/{f.accession_number}-index.htm"
        entries.append(
            "<entry>"
            f'<category label="form type" scheme="{SEC}/" term="N-CEN"/>'
            '<content type="text/xml">'
            f"<accession-nunber>{f.accession_number}</accession-nunber><act>40</act>"
            f"<file-number>{f.registrant.file_number}</file-number>"
            f"<filing-date>{f.filing_date}</filing-date><filing-href>{index}</filing-href>"
            "<filing-type>N-CEN</filing-type>"
            "<form-name>Annual Report for Registered Investment Companies</form-name>"
            "</content>"
            f"<id>urn:tag:sec.gov,2008:accession-number={f.accession_number}</id>"
            f'<link href="{index}" rel="alternate" type="text/html"/>'
            "<title>N-CEN  - Annual Report for Registered Investment Companies</title>"
            f"<updated>{f.filing_date}T16:05:00-04:00</updated></entry>\n")
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<company-info><cik>{cik:010d}</cik><conformed-name>{_esc(name)}</conformed-name>"
        f"</company-info>\n<id>urn:tag:sec.gov,2008:cik={cik:010d}</id>\n"
        f"<title>{_esc(name)} ({cik:010d})</title>\n" + "".join(entries) + "</feed>\n"
    ).encode("latin-1", "replace")


def put_ncen_payloads(archive: Archive, paths: dict[str, FundPath]) -> dict[str, Any]:
    """Every CIK's N-CEN list (the CIKs ``etfflow ingest ncen`` asks: each N-PORT filer's
    registrant, every other fund's own CIK) and each listed filing."""
    schedule = ncen_schedule(p.spec for p in paths.values())
    by_cik: dict[int, list[NcenFiling]] = {}
    for filing in schedule:
        by_cik.setdefault(filing.registrant.cik, []).append(filing)
    names = {}
    for path in paths.values():
        cik = fund_cik(path.spec)
        names.setdefault(cik, registrant_of(path.spec).name
                         if path.spec.structure in ("open_end_fund", "uit")
                         else f"{path.spec.name} (SAMPLE)")
    payloads = 0
    for cik, name in sorted(names.items()):
        request = ncen_list_request(cik)
        archive.put(NCEN_SOURCE, request, ncen_browse_atom(cik, name, by_cik.get(cik, [])),
                    200, f"{BROWSE_URL}?action=getcompany&CIK={cik:010d}&type=N-CEN",
                    FETCHED_AT)
        payloads += 1
    filings = []
    for filing in schedule:
        body = ncen_full_text(filing, paths)
        archive.put(NCEN_SOURCE, ncen_filing_request(filing.registrant.cik,
                                                     filing.accession_number),
                    body, 200, filing.url, FETCHED_AT)
        payloads += 1
        filings.append({
            "cik": filing.registrant.cik, "accession_number": filing.accession_number,
            "period_end": filing.period_end.isoformat(),
            "filing_date": filing.filing_date.isoformat(),
            "creation_unit_sizes": {t: paths[t].spec.creation_unit for t in filing.tickers},
        })
    return {"payload_count": payloads, "filings": filings,
            "ciks_without_ncen": sorted(c for c in names if c not in by_cik)}


# -- N-PORT data sets --------------------------------------------------------------------------


SUBMISSION_COLUMNS = ("ACCESSION_NUMBER", "FILING_DATE", "FILE_NUM", "SUB_TYPE",
                      "REPORT_ENDING_PERIOD", "REPORT_DATE", "IS_LAST_FILING")
REGISTRANT_COLUMNS = ("ACCESSION_NUMBER", "CIK", "REGISTRANT_NAME", "FILE_NUM", "LEI",
                      "ADDRESS1", "ADDRESS2", "CITY", "STATE", "COUNTRY", "ZIP", "PHONE")
FUND_INFO_COLUMNS = ("ACCESSION_NUMBER", "SERIES_NAME", "SERIES_ID", "SERIES_LEI",
                     "TOTAL_ASSETS", "TOTAL_LIABILITIES", "NET_ASSETS",
                     "ASSETS_ATTRBT_TO_MISC_SECURITY", "ASSETS_INVESTED",
                     "CASH_NOT_RPTD_IN_C_OR_D", "IS_NON_CASH_COLLATERAL",
                     *(f"{kind}_FLOW_MON{k}" for k in (1, 2, 3)
                       for kind in ("SALES", "REINVESTMENT", "REDEMPTION")))
RETURN_COLUMNS = ("ACCESSION_NUMBER", "MONTHLY_TOTAL_RETURN_ID", "CLASS_ID",
                  "MONTHLY_TOTAL_RETURN1", "MONTHLY_TOTAL_RETURN2", "MONTHLY_TOTAL_RETURN3")
HOLDING_COLUMNS = ("ACCESSION_NUMBER", "HOLDING_ID", "ISSUER_NAME", "ISSUER_LEI",
                   "ISSUER_TITLE", "ISSUER_CUSIP", "BALANCE", "UNIT", "OTHER_UNIT_DESC",
                   "CURRENCY_CODE", "CURRENCY_VALUE", "EXCHANGE_RATE", "PERCENTAGE",
                   "PAYOFF_PROFILE", "ASSET_CAT", "OTHER_ASSET", "ISSUER_TYPE",
                   "OTHER_ISSUER", "INVESTMENT_COUNTRY", "IS_RESTRICTED_SECURITY",
                   "FAIR_VALUE_LEVEL", "DERIVATIVE_CAT")
IDENTIFIER_COLUMNS = ("HOLDING_ID", "IDENTIFIERS_ID", "IDENTIFIER_ISIN",
                      "IDENTIFIER_TICKER", "OTHER_IDENTIFIER", "OTHER_IDENTIFIER_DESC")


def sec_date(day: dt.date) -> str:
    """The data sets' date form: 30-SEP-2024."""
    return f"{day.day:02d}-{calendar.month_abbr[day.month].upper()}-{day.year}"


def tsv(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    lines = ["\t".join(columns)]
    lines += ["\t".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class DataSetQuarter:
    """The rows of one quarter's zip, table by table."""

    submission: list[tuple]
    registrant: list[tuple]
    fund_info: list[tuple]
    returns: list[tuple]
    holdings: list[tuple]
    identifiers: list[tuple]

    def zip_bytes(self, quarter: Quarter) -> bytes:
        out = io.BytesIO()
        folder = f"{quarter.label}_nport"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, columns, rows in (
                    ("SUBMISSION", SUBMISSION_COLUMNS, self.submission),
                    ("REGISTRANT", REGISTRANT_COLUMNS, self.registrant),
                    ("FUND_REPORTED_INFO", FUND_INFO_COLUMNS, self.fund_info),
                    ("MONTHLY_TOTAL_RETURN", RETURN_COLUMNS, self.returns),
                    ("FUND_REPORTED_HOLDING", HOLDING_COLUMNS, self.holdings),
                    ("IDENTIFIERS", IDENTIFIER_COLUMNS, self.identifiers)):
                info = zipfile.ZipInfo(f"{folder}/{name}.tsv", (2025, 1, 2, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, tsv(columns, rows))
            readme = zipfile.ZipInfo(f"{folder}/nport_readme.htm", (2025, 1, 2, 0, 0, 0))
            zf.writestr(readme, b"<html><body>Form N-PORT Data Sets (SAMPLE DATA)</body></html>")
        return out.getvalue()


def add_filing(quarter: DataSetQuarter, filing: Filing, spec: FundSpec,
               contents: edgar.FilingContents, next_holding_id: int) -> int:
    """One filing's rows in every table, its figures formatted as its XML formats them;
    returns the next free holding id."""
    reg = filing.registrant
    accession = filing.accession_number
    net = contents.net_assets
    liabilities = round(net * 0.002, 2)
    quarter.submission.append((accession, sec_date(filing.filing_date), reg.file_number,
                               filing.submission_type, sec_date(filing.fiscal_year_end),
                               sec_date(filing.period_end), "N"))
    quarter.registrant.append((accession, str(reg.cik), reg.name, reg.file_number,
                               _lei("registrant", reg.cik), "1 Sample Plaza", None, reg.city,
                               reg.state, "US", "00000", "555-010-0100"))
    if filing.series_id is not None:
        series = (f"{spec.name} (SAMPLE)", filing.series_id, _lei("series", filing.series_id))
    else:  # a unit investment trust: no series id, the trust's name and LEI
        series = (reg.name, None, _lei("registrant", reg.cik))
    flows = [v for s, r in contents.flows for v in (_num(s), "0.00", _num(r))]
    quarter.fund_info.append((accession, *series, _num(net + liabilities), _num(liabilities),
                              _num(net), "0.00", "0.00", _num(liabilities), "N", *flows))
    quarter.returns.append((accession, len(quarter.returns) + 1, filing.class_id,
                            *("N/A" if r is None else _num(r, 8) for r in contents.returns)))
    for position in contents.holdings:
        sec = position.security
        pct = position.value_usd / net * 100 if net else 0.0
        rate = None if sec.currency == "USD" else f"{1 / edgar._FX[sec.currency]:.6f}"
        level = {"equity": "1", "mmf": "1", "future": "1"}.get(sec.kind, "2")
        quarter.holdings.append((
            accession, next_holding_id, sec.name, sec.lei, sec.title, sec.cusip,
            _num(position.balance, 2), position.units, None, sec.currency,
            _num(position.value_usd), rate, f"{pct:.12f}",
            "N/A" if sec.kind == "future" else "Long", sec.asset_cat, None, sec.issuer_cat,
            None, sec.country, "N", level, "FUT" if sec.kind == "future" else None))
        if sec.isin or sec.ticker:
            quarter.identifiers.append((next_holding_id, next_holding_id, sec.isin,
                                        sec.ticker, None, None))
        else:
            quarter.identifiers.append((next_holding_id, next_holding_id, None, None,
                                        f"SAMPLE{abs(sec.key)}", "Internal identifier"))
        next_holding_id += 1
    return next_holding_id


def dataset_quarters(paths: dict[str, FundPath], calendar_days: list[dt.date]
                     ) -> dict[Quarter, DataSetQuarter]:
    """Every sample N-PORT filing, in the zip of the quarter it was filed in."""
    quarters: dict[Quarter, DataSetQuarter] = {}
    holding_id = 1
    for ticker in edgar.filers(paths):
        path = paths[ticker]
        history = edgar.monthly_history(path)
        for filing in edgar.filing_schedule(path.spec, calendar_days):
            quarter = quarters.setdefault(Quarter.of(filing.filing_date),
                                          DataSetQuarter([], [], [], [], [], []))
            contents = edgar.filing_contents(path, filing, history)
            holding_id = add_filing(quarter, filing, path.spec, contents, holding_id)
    return dict(sorted(quarters.items()))


def put_dataset_payloads(archive: Archive, paths: dict[str, FundPath],
                         calendar_days: list[dt.date]) -> dict[str, Any]:
    """One zip per quarter, archived under its request (with and without holdings: the
    same URL, the same archive entry)."""
    quarters = dataset_quarters(paths, calendar_days)
    for quarter, rows in quarters.items():
        archive.put(DATASETS_SOURCE, dataset_request(quarter), rows.zip_bytes(quarter), 200,
                    dataset_url(quarter), FETCHED_AT)
    return {
        "payload_count": len(quarters),
        "quarters": {q.label: {"filings": len(rows.fund_info),
                               "holdings": len(rows.holdings)}
                     for q, rows in quarters.items()},
    }


# -- what the demo asks --------------------------------------------------------------------


def demo_runs(tickers: tuple[str, ...], calendar_days: list[dt.date]
              ) -> list[tuple[str, PlanParams]]:
    """The demo's N-CEN runs (the two stages ``etfflow ingest ncen`` runs: every CIK's list,
    then each listed filing) and its data-set run (the latest quarter's zip; holdings not
    landed, as by default)."""
    from ingest.sample.world import fund_spec

    universe = load_universe()
    specs = [fund_spec(t, universe.get(t)) for t in tickers]
    ciks = sorted({fund_cik(s) for s in specs})
    filings = [[f.registrant.cik, f.accession_number] for f in ncen_schedule(specs)]
    # the archive holds every quarter's zip; the demo lands the latest (its filings also
    # land as XML, so the marts are the same either way: the path is shown, cheaply)
    latest = max(Quarter.of(f.filing_date)
                 for s in specs if files_nport(s, universe)
                 for f in edgar.filing_schedule(s, calendar_days))
    return [
        (NCEN_SOURCE, PlanParams(tickers, extra={"stage": "filings_index", "ciks": ciks})),
        (NCEN_SOURCE, PlanParams(tickers, extra={"stage": "filings", "filings": filings})),
        (DATASETS_SOURCE, PlanParams(extra={"quarters": (latest.label,)})),
    ]
