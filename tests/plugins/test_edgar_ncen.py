"""The edgar_ncen plugin: the real AB Active ETFs N-CEN (../shared/data/ncen, skipped when
absent) parsed and landed whole, bad input quarantined with its reason, the filing list,
and the stage pipeline replaying the SAMPLE archive offline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.core.config import Settings
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.edgar_ncen.parser import parse_ncen, parse_sgml_header
from ingest.plugins.edgar_ncen.pipeline import ingest_tickers
from ingest.plugins.edgar_ncen.plugin import (
    EdgarNcenPlugin,
    full_text_url,
    ncen_filing_request,
    ncen_list_request,
)
from ingest.plugins.edgar_nport.plugin import cik_key

REAL_NAME = "real_ab_active_etfs_ncen_0001410368-26-010918.txt"
# the AB file's ETFs and their creation-unit sizes, read off the filing
AB_UNIT_SIZES = Counter({50_000: 12, 25_000: 6, 10_000: 2, 20_000: 1, 15_000: 1})


@pytest.fixture
def real_ncen(shared_data_dir: Path) -> Path:
    path = shared_data_dir / "ncen" / REAL_NAME
    if not path.exists():
        pytest.skip("the real N-CEN (../shared/data/ncen) is not present")
    return path


def _payload(request: Request, body: bytes, status: int = 200) -> Payload:
    return Payload(request, body, status, request.url, hashlib.sha256(body).hexdigest(),
                   dt.datetime(2026, 2, 13, tzinfo=dt.UTC))


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _xml_of(text: bytes) -> bytes:
    """The form's XML out of a full submission text (what a primary_doc.xml holds)."""
    start = text.index(b"<XML>") + len(b"<XML>")
    return text[start:text.index(b"</XML>")].lstrip()


# -- the real filing -----------------------------------------------------------------------


def test_real_ab_filing_parses_every_etf_with_its_unit_size(real_ncen: Path) -> None:
    """The AB Active ETFs N-CEN reports 22 ETFs in Part E (the '44 series' of the issue
    counts each series' opening and closing tag: 22 exchangeTradedFund elements, 22
    etfSeriesId, 22 creationUnitNumOfShares, 22 series in the SGML header)."""
    body = real_ncen.read_bytes()
    assert body.count(b"<exchangeTradedFund>") == 22
    document = parse_ncen(body, None)
    filing = document.filing
    assert filing["accession_number"] == "0001410368-26-010918"
    assert filing["cik"] == "0001496608"
    assert filing["registrant_name"] == "AB Active ETFs, Inc."
    assert filing["report_period_end"] == dt.date(2025, 11, 30)
    assert filing["filed_date"] == dt.date(2026, 2, 12)
    assert filing["submission_type"] == "N-CEN" and not filing["is_amendment"]
    assert filing["investment_company_type"] == "N-1A"
    assert filing["etf_count"] == 22
    etfs = document.etf_series
    assert len(etfs) == 22 == len({e["series_id"] for e in etfs})
    assert Counter(int(e["creation_unit_shares"]) for e in etfs) == AB_UNIT_SIZES
    by_ticker = {e["ticker"]: e for e in etfs}
    assert len(by_ticker) == 22
    # every ETF's class found through its ticker; the header lists the same series
    header = parse_sgml_header(body)
    assert {e["series_id"] for e in etfs} == set(header.classes_of_series)
    assert all(header.class_of_ticker[t] == (e["series_id"], e["class_id"])
               for t, e in by_ticker.items())
    cam = by_ticker["CAM"]
    assert (cam["series_id"], cam["class_id"], cam["exchange"]) == ("S000093944",
                                                                     "C000262410", "ARCX")
    assert cam["creation_unit_shares"] == 50_000
    assert (cam["purchase_cash_avg_pct"], cam["purchase_in_kind_avg_pct"]) == (100.0, 0.0)
    assert cam["purchase_fee_pct"] == pytest.approx(0.03333346)
    assert cam["redemption_fee_pct"] == pytest.approx(0.05000006)
    assert cam["is_in_kind_etf"] is False
    bufc = by_ticker["BUFC"]
    assert bufc["creation_unit_shares"] == 25_000
    assert bufc["redemption_in_kind_avg_pct"] == pytest.approx(99.155)
    assert bufc["redemption_fee_same_day_units_usd"] == 500.0
    assert all(e["report_period_end"] == dt.date(2025, 11, 30) for e in etfs)


def test_real_ab_filing_lists_every_authorized_participant(real_ncen: Path) -> None:
    body = real_ncen.read_bytes()
    document = parse_ncen(body, None)
    aps = document.authorized_participants
    assert len(aps) == body.count(b"<authorizedParticipant ") == 484
    assert document.filing["authorized_participant_rows"] == 484
    record_of = {e["record_number"]: e["series_id"] for e in document.etf_series}
    assert all(ap["series_id"] == record_of[ap["record_number"]] for ap in aps)
    cam = [ap for ap in aps if ap["series_id"] == "S000093944"]
    assert len(cam) == 22 and [ap["ap_number"] for ap in cam] == list(range(1, 23))
    first = cam[0]
    assert first["ap_name"] == "Credit Suisse Securities (Europe) Limited"
    assert first["ap_lei"] == "DL6FFRRLF74S01HE2M14"
    assert first["ap_crd_number"] is None  # "N/A" as filed
    goldman = next(ap for ap in cam if ap["ap_name"] == "Goldman Sachs & Co. LLC")
    assert goldman["ap_lei"] == "FOR8UP27PHTHYVLBNG30"
    # somebody created shares of CAM during the period, and values are never negative
    assert sum(ap["purchases_usd"] for ap in cam) > 0
    assert min(ap["purchases_usd"] for ap in aps) >= 0
    assert min(ap["redemptions_usd"] for ap in aps) >= 0


def test_real_filing_lands_through_the_cli(real_ncen: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "a"),
                                       "ingest", "ncen", "--file", str(real_ncen)])
    assert result.exit_code == 0, result.output
    assert "edgar_ncen: success" in result.output
    assert _rows(db, "select count(*), count(distinct ticker), count(creation_unit_shares) "
                     "from raw.ncen_etf_series") == [(22, 22, 22)]
    assert _rows(db, "select count(*) from raw.ncen_authorized_participants") == [(484,)]
    assert _rows(db, "select accession_number, report_period_end, etf_count "
                     "from raw.ncen_filings") == [("0001410368-26-010918",
                                                  dt.date(2025, 11, 30), 22)]
    again = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "a"),
                                      "ingest", "ncen", "--file", str(real_ncen)])
    assert again.exit_code == 0 and "0 rows landed" in again.output  # idempotent


def test_a_bare_primary_document_parses_like_the_full_text(real_ncen: Path) -> None:
    body = real_ncen.read_bytes()
    full = parse_ncen(body, None)
    bare = parse_ncen(_xml_of(body), "0001410368-26-010918")
    assert bare.etf_series == full.etf_series
    assert bare.authorized_participants == full.authorized_participants
    assert bare.filing["filed_date"] is None  # only the SGML header says when
    assert bare.filing["report_period_end"] == full.filing["report_period_end"]


# -- bad input -------------------------------------------------------------------------------


def _minimal(etf: str = "", root: str = "edgarSubmission", kind: str = "N-CEN",
             prolog: str = "") -> bytes:
    return (f'{prolog}<?xml version="1.0"?>\n<{root} xmlns="http://www.sec.gov/edgar/ncen">'
            f"<headerData><submissionType>{kind}</submissionType><filerInfo><filer>"
            "<issuerCredentials><cik>0000884394</cik></issuerCredentials></filer>"
            "<investmentCompanyType>S-6</investmentCompanyType></filerInfo></headerData>"
            '<formData><generalInfo reportEndingPeriod="2024-09-30" isReportPeriodLt12="N"/>'
            f"<exchangeSeriesInfo>{etf}</exchangeSeriesInfo></formData></{root}>").encode()


UIT_ETF = ('<exchangeTradedFund><securityExchanges><securityExchange fundExchange="ARCX" '
           'fundsTickerSymbol="spy"/></securityExchanges><authorizedParticipants>'
           '<authorizedParticipant authorizedParticipantName="A &amp; B LLC" '
           'authorizedParticipantLei="L1" authorizedParticipantPurchaseValue="1,500.5" '
           'authorizedParticipantRedeemValue="N/A"/></authorizedParticipants>'
           "<creationUnitNumOfShares>50000.00000000</creationUnitNumOfShares>"
           "<isInKindETF>Y</isInKindETF></exchangeTradedFund>")


def test_a_unit_investment_trust_etf_is_keyed_by_its_cik() -> None:
    document = parse_ncen(_minimal(UIT_ETF), "0000000001-24-000001")
    (etf,) = document.etf_series
    assert etf["series_id"] == cik_key(884394) == "CIK0000884394"
    assert (etf["ticker"], etf["class_id"], etf["creation_unit_shares"]) == ("SPY", None,
                                                                             50000.0)
    (ap,) = document.authorized_participants
    assert (ap["ap_name"], ap["purchases_usd"], ap["redemptions_usd"]) == ("A & B LLC",
                                                                           1500.5, None)
    assert document.filing["investment_company_type"] == "S-6"


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty document"),
    (b"   \n", "empty document"),
    (b"%PDF-1.4 not a filing", "neither EDGAR's SGML submission text nor XML"),
    (b"<SEC-DOCUMENT>x\n<SEC-HEADER>\nACCESSION NUMBER:\t1\n</SEC-HEADER>\n<DOCUMENT>\n"
     b"<TYPE>10-K\n<TEXT>hello</TEXT>\n</DOCUMENT>\n", "no N-CEN document"),
    (b"<SEC-DOCUMENT>x\n<SEC-HEADER>\n</SEC-HEADER>\n<DOCUMENT>\n<TYPE>N-CEN\n<TEXT>\n"
     b"<XML>\n<?xml version='1.0'?><edgarSubmission", "truncated (no </XML>)"),
    (_minimal(root="somethingElse"), "not an N-CEN document: root element is"),
    (_minimal(kind="NPORT-P"), "not an N-CEN filing: submissionType is 'NPORT-P'"),
    (_minimal(UIT_ETF.replace("50000.00000000", "fifty thousand")),
     "creationUnitNumOfShares: not a number: 'fifty thousand'"),
    (_minimal(prolog='<!DOCTYPE x [<!ENTITY a "aaaa">]>\n'), "document type declaration"),
    (_minimal(UIT_ETF)[:-40], "malformed or truncated N-CEN XML"),
])
def test_bad_documents_raise_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=re.escape(reason)):
        parse_ncen(body, "0000000001-24-000001")


def test_a_truncated_real_filing_is_quarantined_and_the_rest_lands(
        real_ncen: Path, settings: Settings, tmp_path: Path) -> None:
    body = real_ncen.read_bytes()
    files = tmp_path / "files"
    files.mkdir()
    (files / "good_0001410368-26-010918.txt").write_bytes(body)
    (files / "cut_0001410368-26-099999.txt").write_bytes(body[:len(body) // 2])
    (files / "nport_0000000001-24-000002.xml").write_bytes(
        (Path(__file__).parents[1] / "fixtures" / "edgar" / "nport_fixture.xml").read_bytes())
    plugin = EdgarNcenPlugin()
    params = PlanParams(extra={"stage": "local_files"})
    result = run_plugin(plugin, params, settings,
                        requests=plugin.local_requests([files], params))
    assert result.status == "partial" and result.quarantined == 2
    reasons = dict(_rows(settings.duckdb_path,
                         "select request_label, reason from raw.quarantine"))
    assert "the N-CEN document's XML is truncated (no </XML>)" in \
        reasons["cut_0001410368-26-099999.txt"]
    assert "not an N-CEN document" in reasons["nport_0000000001-24-000002.xml"]
    assert _rows(settings.duckdb_path, "select count(*) from raw.ncen_etf_series") == [(22,)]


# -- requests, the filing list, HTTP errors --------------------------------------------------


def test_plan_per_stage_and_urls() -> None:
    plugin = EdgarNcenPlugin()
    (listing,) = plugin.plan(PlanParams(extra={"stage": "filings_index",
                                               "ciks": ["0001496608", 1496608]}))
    assert dict(listing.params)["CIK"] == "0001496608"
    assert dict(listing.params)["type"] == "N-CEN"
    (filing,) = plugin.plan(PlanParams(extra={"stage": "filings", "filings": [
        [1496608, "0001410368-26-010918"]]}))
    assert filing.url == ("https://www.sec.gov/Archives/edgar/data/1496608/"
                          "0001410368-26-010918.txt")
    assert filing.immutable
    with pytest.raises(Exception, match="unknown stage"):
        list(plugin.plan(PlanParams(extra={"stage": "nope"})))


def test_filing_list_keeps_ncen_entries_and_names_the_full_text() -> None:
    from ingest.sample.edgar import REGISTRANTS
    from ingest.sample.sec import NcenFiling, ncen_browse_atom

    reg = REGISTRANTS["ishares"]
    filings = [NcenFiling(reg, ("AGG",), False, dt.date(2023, 7, 31), dt.date(2023, 10, 2),
                          "0009990001-23-000001")]
    body = ncen_browse_atom(reg.cik, reg.name, filings)
    rows = EdgarNcenPlugin().parse(_payload(ncen_list_request(reg.cik), body))
    (row,) = rows["ncen_filings_index"]
    assert row == {"accession_number": "0009990001-23-000001", "cik": f"{reg.cik:010d}",
                   "form_type": "N-CEN", "filing_date": dt.date(2023, 10, 2),
                   "document_url": full_text_url(reg.cik, "0009990001-23-000001")}
    empty = ncen_browse_atom(reg.cik, reg.name, [])
    assert EdgarNcenPlugin().parse(_payload(ncen_list_request(reg.cik), empty)) == {
        "ncen_filings_index": []}


def test_http_errors_are_source_errors() -> None:
    request = ncen_filing_request(1, "0000000001-24-000001")
    with pytest.raises(SourceError, match="HTTP 404"):
        EdgarNcenPlugin().parse(_payload(request, b"not found", status=404))


# -- the pipeline on the SAMPLE archive -------------------------------------------------------


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from ingest.sample import build_sample_archive

    out = tmp_path_factory.mktemp("sample") / "archive"
    return out, build_sample_archive(out, ["XLK", "AGG", "GLD", "IYZ", "SPY"])


def test_pipeline_discovers_and_lands_the_sample_ncen(settings: Settings,
                                                      sample_archive) -> None:
    from ingest.sample.world import FETCHED_AT, fund_spec, load_universe

    archive_dir, manifest = sample_archive
    offline = dataclasses.replace(settings, archive_dir=archive_dir, offline=True,
                                  replay_as_of=FETCHED_AT)
    outcome = ingest_tickers(offline, ["XLK", "AGG", "GLD", "IYZ", "SPY"])
    assert [r.plugin for r in outcome.runs] == ["edgar_nport", "edgar_ncen", "edgar_ncen"]
    assert all(r.status == "success" for r in outcome.runs)
    # AGG and IYZ share their trust's CIK; GLD (a grantor trust) files no N-CEN
    assert outcome.ciks["AGG"] == outcome.ciks["IYZ"]
    assert outcome.ciks_without_filings == [outcome.ciks["GLD"]]
    expected = manifest["edgar_ncen"]["filings"]
    assert outcome.filings_planned == len(expected)
    db = settings.duckdb_path
    landed = _rows(db, """select s.ticker, f.report_period_end, s.creation_unit_shares
                          from raw.ncen_etf_series s join raw.ncen_filings f
                          using (accession_number)""")
    assert sorted((t, d.isoformat(), int(size)) for t, d, size in landed) == sorted(
        (t, f["period_end"], size) for f in expected
        for t, size in f["creation_unit_sizes"].items())
    universe = load_universe()
    assert {t: int(size) for t, _, size in landed} == {
        t: fund_spec(t, universe.get(t)).creation_unit for t in ("XLK", "AGG", "IYZ", "SPY")}
    # the unit investment trust's ETF has no series: keyed by its CIK, like its N-PORT
    (spy_series,) = set(_rows(db, "select series_id from raw.ncen_etf_series "
                                  "where ticker = 'SPY'"))
    assert spy_series == (cik_key(outcome.ciks["SPY"]),)
    again = ingest_tickers(offline, ["XLK", "AGG", "GLD", "IYZ", "SPY"])
    assert again.filings_planned == 0  # landed filings are not fetched again
