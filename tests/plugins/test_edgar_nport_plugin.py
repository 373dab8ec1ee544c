"""The edgar_nport plugin through the core: fund map, company ticker file and filing lists
(per series, and per CIK for unit investment trusts), local files through the same landing
path (file:// requests), quarantine of bad filings, the SEC's rules, and the stage pipeline
replaying the SAMPLE archive offline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.errors import ConfigError, EtfflowError
from ingest.core.http import HttpClient
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.edgar_nport.pipeline import ingest_files, ingest_tickers
from ingest.plugins.edgar_nport.plugin import (
    EdgarNportPlugin,
    browse_cik_request,
    browse_request,
    cik_key,
    company_tickers_request,
    filing_request,
    local_requests,
    parse_browse_atom,
    parse_company_tickers,
    parse_fund_map,
)

EDGAR_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edgar"
NS = "{http://www.sec.gov/edgar/nport}"


def _payload(request: Request, body: bytes, status: int = 200) -> Payload:
    return Payload(request, body, status, request.url, "0" * 64,
                   dt.datetime(2024, 12, 31, tzinfo=dt.UTC))


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


# -- fund map and filing lists ---------------------------------------------------------


def test_fund_map_rows() -> None:
    rows = parse_fund_map((EDGAR_FIXTURES / "company_tickers_mf.json").read_bytes())
    by_ticker = {r["ticker"]: r for r in rows}
    assert set(by_ticker) == {"IVV", "XLK", "VTI", "VTSAX", "VTSMX"}  # blanks skipped
    assert by_ticker["VTSMX"]["series_id"] == "S000002848"  # lower case normalised
    assert by_ticker["XLK"] == {"ticker": "XLK", "cik": "0001064641",
                                "series_id": "S000006408", "class_id": "C000017615"}
    for bad in (b"<html></html>", b'{"fields": ["cik"], "data": []}', b'{"data": 1}'):
        with pytest.raises(MalformedPayload):
            parse_fund_map(bad)


def test_company_tickers_rows() -> None:
    """company_tickers.json in its real layout: an object of {cik_str, ticker, title}."""
    rows = parse_company_tickers((EDGAR_FIXTURES / "company_tickers.json").read_bytes())
    by_ticker = {r["ticker"]: r for r in rows}
    assert len(rows) == len(by_ticker) == 7  # the blank ticker skipped, the repeat once
    assert by_ticker["SPY"] == {"ticker": "SPY", "cik": "0000884394",
                                "title": "SPDR S&P 500 ETF TRUST"}
    assert by_ticker["QQQ"]["cik"] == "0001067839"
    assert by_ticker["IJH"]["cik"] == "0001100663"  # a CIK given as text, ticker trimmed
    for bad in (b"<html></html>", b"{}", b"[]", b'{"0": {"ticker": "SPY"}}',
                b'{"0": {"cik_str": "n/a", "ticker": "SPY", "title": "x"}}', b'{"0": 7}'):
        with pytest.raises(MalformedPayload):
            parse_company_tickers(bad)


def test_company_ticker_file_is_landed_by_the_fund_map_stage() -> None:
    plugin = EdgarNportPlugin()
    body = (EDGAR_FIXTURES / "company_tickers.json").read_bytes()
    parsed = plugin.parse(_payload(company_tickers_request(), body))
    assert set(parsed) == {"sec_company_tickers"}
    assert {r["ticker"] for r in parsed["sec_company_tickers"]} >= {"SPY", "QQQ", "GLD"}
    (table,) = [t for t in plugin.tables if t.name == "sec_company_tickers"]
    assert table.primary_key == ("ticker", "cik")


def test_browse_feed_asked_by_cik_is_keyed_by_the_cik() -> None:
    """A unit investment trust's filing list: the browse feed asked for its CIK; its
    filings are keyed 'CIK' + CIK, the stand-in series key staging uses."""
    plugin = EdgarNportPlugin()
    request = browse_cik_request(884394)
    assert dict(request.params)["CIK"] == "0000884394"
    assert dict(request.params)["type"] == "NPORT-P"
    body = (EDGAR_FIXTURES / "browse_CIK0000884394.xml").read_bytes()
    rows = plugin.parse(_payload(request, body))["nport_filings_index"]
    assert [(r["accession_number"], r["series_id"], r["cik"], r["filing_date"])
            for r in rows] == [
        ("0001999999-24-000212", "CIK0000884394", "0000884394", dt.date(2024, 11, 26)),
        ("0001999999-24-000151", "CIK0000884394", "0000884394", dt.date(2024, 8, 27)),
    ]
    assert rows[0]["primary_doc_url"] == (
        "https://www.sec.gov/Archives/edgar/data/884394/000199999924000212/primary_doc.xml")
    assert cik_key("884394") == cik_key(884394) == "CIK0000884394"
    # a CIK that files no N-PORT (a grantor trust): EDGAR lists nothing
    empty = (b'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<feed xmlns="http://www.w3.org/'
             b'2005/Atom"><company-info><cik>0001222333</cik></company-info></feed>')
    assert plugin.parse(_payload(browse_cik_request(1222333), empty)) == {
        "nport_filings_index": []}


def test_browse_feed_lists_nport_filings_only() -> None:
    rows = parse_browse_atom((EDGAR_FIXTURES / "browse_S000006408.xml").read_bytes(),
                             "S000006408")
    assert [(r["accession_number"], r["form_type"], r["filing_date"]) for r in rows] == [
        ("0001752724-24-210001", "NPORT-P/A", dt.date(2024, 9, 9)),  # EDGAR's "nunber"
        ("0001752724-24-190002", "NPORT-P", dt.date(2024, 8, 27)),   # correct spelling
    ]  # the NT NPORT-P notice is not a filing with a document
    assert {r["series_id"] for r in rows} == {"S000006408"}
    assert rows[0]["cik"] == "0001064641"
    assert rows[0]["primary_doc_url"] == (
        "https://www.sec.gov/Archives/edgar/data/1064641/000175272424210001/primary_doc.xml")
    with pytest.raises(MalformedPayload, match="Atom"):
        parse_browse_atom(b"<rss/>", "S1")


def test_plan_per_stage() -> None:
    plugin = EdgarNportPlugin()
    assert [r.url for r in plugin.plan(PlanParams(extra={"stage": "fund_map"}))] == [
        "https://www.sec.gov/files/company_tickers_mf.json",
        "https://www.sec.gov/files/company_tickers.json"]
    index = list(plugin.plan(PlanParams(extra={"stage": "filings_index",
                                                "series": ["S1", "S2", "S1"]})))
    assert [dict(r.params)["CIK"] for r in index] == ["S1", "S2"]
    with_ciks = list(plugin.plan(PlanParams(extra={
        "stage": "filings_index", "series": ["S1"], "ciks": ["0000884394", 884394, 1067839]})))
    assert [dict(r.params)["CIK"] for r in with_ciks] == ["S1", "0000884394", "0001067839"]
    assert dict(index[0].params)["type"] == "NPORT-P" and index[0].url.endswith("/browse-edgar")
    docs = list(plugin.plan(PlanParams(extra={"stage": "filings",
                                               "filings": [[1064641, "0001752724-24-190002"]]})))
    assert [r.url for r in docs] == [
        "https://www.sec.gov/Archives/edgar/data/1064641/000175272424190002/primary_doc.xml"]
    with pytest.raises(EtfflowError, match="unknown stage"):
        list(plugin.plan(PlanParams(extra={"stage": "everything"})))


def test_parse_dispatch_and_http_errors() -> None:
    plugin = EdgarNportPlugin()
    doc = filing_request(1064641, "0001752724-24-190002")
    parsed = plugin.parse(_payload(doc, (EDGAR_FIXTURES / "nport_fixture.xml").read_bytes()))
    assert parsed["nport_filings"][0]["accession_number"] == "0001752724-24-190002"
    assert len(parsed["nport_holdings"]) == 5
    with pytest.raises(SourceError, match="HTTP 404"):
        plugin.parse(_payload(doc, b"<html>Not Found</html>", 404))
    with pytest.raises(SourceError, match="HTTP 503"):
        plugin.parse(_payload(browse_request("S1"), b"", 503))
    with pytest.raises(MalformedPayload, match="no parser"):
        plugin.parse(_payload(Request.get("https://www.sec.gov/cgi-bin/other"), b"{}"))


# -- local files: the same parser and landing path -----------------------------------------


def _bad_files(folder: Path) -> dict[str, bytes]:
    good = (EDGAR_FIXTURES / "nport_fixture.xml").read_bytes()
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><edgarSubmission '
              b'xmlns="http://www.sec.gov/edgar/nport">&b;</edgarSubmission>')
    xxe = good.replace(b'<?xml version="1.0" encoding="UTF-8"?>',
                       b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE edgarSubmission '
                       b'[<!ENTITY x SYSTEM "http://example.com/x">]>')
    files = {
        "0001111111-24-000001.xml": good,
        "truncated.xml": good[: len(good) // 2],
        "not_nport.xml": b"<?xml version='1.0'?><rss><channel/></rss>",
        "malformed.xml": b"<<<< this is not xml >>>>",
        "laughs.xml": laughs,
        "xxe.xml": xxe,
    }
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return files


def test_local_files_land_and_bad_ones_are_quarantined(settings: Settings,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "filings"
    folder.mkdir()
    _bad_files(folder)
    outcome = ingest_files(settings, [folder])
    (run,) = outcome.runs
    assert run.status == "partial" and run.payloads == 6 and run.quarantined == 5
    assert run.requests_made == 0  # local files: no HTTP at all
    db = settings.duckdb_path
    assert _rows(db, "select accession_number, series_id, period_end, holdings_count "
                     "from raw.nport_filings") == [
        ("0001111111-24-000001", "S000006408", dt.date(2024, 6, 28), 5)]
    assert _rows(db, "select count(*) from raw.nport_holdings") == [(5,)]
    reasons = dict(_rows(db, "select request_label, reason from raw.quarantine"))
    assert set(reasons) == {"truncated.xml", "not_nport.xml", "malformed.xml", "laughs.xml",
                            "xxe.xml"}
    assert "truncated" in reasons["truncated.xml"]
    assert "not an N-PORT document: root element is rss" in reasons["not_nport.xml"]
    assert "document type declaration" in reasons["laughs.xml"]
    assert "document type declaration" in reasons["xxe.xml"]
    assert _rows(db, "select _source_url from raw.nport_filings")[0][0].startswith("file://")
    # the bodies are archived like fetched ones: a replay can rebuild what landed
    archive_index = list((settings.archive_dir / "index" / "edgar_nport").rglob("*.jsonl"))
    assert len(archive_index) == 6

    again = ingest_files(settings, [folder])  # idempotent
    assert again.runs[0].rows_landed == 0


def test_many_local_files_are_parsed_in_a_process_pool(settings: Settings, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    """With the pool (forced on for small files), every filing is parsed by a worker —
    the runner's own parse is never called — and what lands, and what is quarantined with
    which reason, is exactly what one process lands."""
    from ingest.plugins.edgar_nport import pipeline

    folder = tmp_path / "filings"
    folder.mkdir()
    _bad_files(folder)
    good = (EDGAR_FIXTURES / "nport_fixture.xml").read_bytes()
    for k in range(2, 6):  # more good filings than workers x files ahead
        (folder / f"0001111111-24-00000{k}.xml").write_bytes(
            good.replace(b"S000006408", b"S00000640%d" % k))
    alone = dataclasses.replace(settings, duckdb_path=tmp_path / "alone.duckdb",
                                archive_dir=tmp_path / "alone-archive")
    (expected,) = ingest_files(alone, [folder], workers=1).runs

    def not_here(self: EdgarNportPlugin, payload: Payload) -> None:
        raise AssertionError(f"parsed in the runner: {payload.request.url}")

    monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline._ParsedAhead, "_parse_filing", not_here)
    (run,) = ingest_files(settings, [folder], workers=2).runs
    assert (run.status, run.payloads, run.quarantined, run.rows_landed) == (
        expected.status, expected.payloads, expected.quarantined, expected.rows_landed)
    assert run.payloads == 10 and run.quarantined == 5
    for table, key in (("nport_filings", "accession_number"),
                       ("nport_holdings", "accession_number, line_number"),
                       ("nport_monthly_flows", "accession_number, month_number"),
                       ("quarantine", "request_label")):
        columns = ("columns(c -> not starts_with(c, '_'))" if table != "quarantine"
                   else "request_label, reason")  # not the run's id and times
        sql = f"select {columns} from raw.{table} order by {key}"
        assert _rows(settings.duckdb_path, sql) == _rows(alone.duckdb_path, sql), table


def test_the_pool_reads_results_in_order_and_keeps_few_ahead(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from ingest.plugins.edgar_nport.pipeline import parse_files

    good = (EDGAR_FIXTURES / "nport_fixture.xml").read_bytes()
    paths = []
    for k in range(7):
        paths.append(tmp_path / f"0001111111-24-00000{k}.xml")
        paths[-1].write_bytes(good)
    (tmp_path / "bad.xml").write_bytes(b"<rss/>")
    paths.insert(3, tmp_path / "bad.xml")
    with ProcessPoolExecutor(2) as pool:
        parsed = parse_files(pool, paths, ahead=3)
        first_path, first = next(parsed)
        assert first_path == paths[0] and first.result()[1].filing["holdings_count"] == 5
        seen = [first_path]
        for path, future in parsed:
            seen.append(path)
            if path.name == "bad.xml":
                with pytest.raises(MalformedPayload, match="root element is rss"):
                    future.result()
            else:
                sha256, document = future.result()
                assert document.filing["accession_number"] == path.stem
                assert len(sha256) == 64
    assert seen == paths


def test_missing_local_paths_are_an_error_before_anything_runs(settings: Settings,
                                                              tmp_path: Path) -> None:
    with pytest.raises(EtfflowError, match="no such file or directory"):
        local_requests([tmp_path / "nope.xml"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EtfflowError, match="no .xml files"):
        ingest_files(settings, [empty])
    assert not settings.duckdb_path.exists()


def test_file_requests_are_read_from_disk_even_offline_and_archived(settings: Settings,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(b"<x/>")
    offline = dataclasses.replace(settings, offline=True)
    with HttpClient(offline) as client:
        payload = client.fetch("edgar_nport", Request(path.as_uri(), label="f"))
        assert payload.body == b"<x/>" and payload.status == 200
        assert client.requests_made == 0
    assert Archive(settings.archive_dir).get("edgar_nport", Request(path.as_uri())).body == b"<x/>"
    with HttpClient(settings) as client, pytest.raises(EtfflowError, match="cannot read"):
        client.fetch("edgar_nport", Request((tmp_path / "gone.xml").as_uri()))


def test_real_filings_land_exactly(settings: Settings, shared_data_dir: Path) -> None:
    """Every real N-PORT document in ../shared/data/nport lands: one filing row each, and
    raw.nport_holdings holds exactly the XML's holdings with the same values."""
    folder = shared_data_dir / "nport"
    if not folder.is_dir():
        pytest.skip("../shared/data/nport is not present")
    files = sorted(folder.glob("*.xml"))
    (run,) = ingest_files(settings, [folder]).runs
    assert run.status == "success" and run.payloads == len(files), run.errors
    db = settings.duckdb_path
    with duckdb.connect(str(db), read_only=True) as con:
        for path in files:
            body = path.read_bytes()
            expected = etree.fromstring(body.lstrip()).findall(f".//{NS}invstOrSec")
            (source,) = [path.resolve().as_uri()]
            (accession, count) = con.execute(
                "select accession_number, holdings_count from raw.nport_filings "
                "where _source_url = ?", [source]).fetchone()
            landed = con.execute(
                "select value_usd, balance, pct_of_net_assets from raw.nport_holdings "
                "where accession_number = ? order by line_number", [accession]).fetchall()
            assert count == len(landed) == len(expected), path.name
            for (value, balance, pct), element in zip(landed, expected, strict=True):
                for got, tag in ((value, "valUSD"), (balance, "balance"), (pct, "pctVal")):
                    text = element.findtext(f"{NS}{tag}")
                    assert got == (None if text == "N/A" else float(text)), (path.name, tag)
        flows = con.execute(
            """select month_number, flow_month, redemptions_usd from raw.nport_monthly_flows
               where series_id = 'S000030880' order by month_number""").fetchall()
    if any("S000030880" in p.name for p in files):  # negative redemptions, as filed
        assert flows[0] == (1, dt.date(2022, 10, 1), -10925162.46)
        assert flows[2][1] == dt.date(2022, 12, 1)


# -- the SEC's rules ------------------------------------------------------------------------


def test_sec_requests_need_a_declared_user_agent(settings: Settings) -> None:
    """Live SEC calls are refused (before any connection) without ETFFLOW_SEC_USER_AGENT."""
    assert settings.sec_user_agent is None
    with pytest.raises(ConfigError, match="ETFFLOW_SEC_USER_AGENT"):
        ingest_tickers(settings, ["XLK"])
    assert _rows(settings.duckdb_path,
                 "select plugin, status from raw.ingest_runs") == [("edgar_nport", "failed")]


def test_sec_rate_limit_is_ten_per_second() -> None:
    from ingest.core.http import HostRateLimiter

    limiter = HostRateLimiter(Settings().host_rates, Settings().default_rate)
    assert limiter.rate_for("www.sec.gov") == 10.0
    assert limiter.rate_for("data.sec.gov") == 10.0


# -- the pipeline over the SAMPLE archive (offline) -----------------------------------------


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from ingest.sample import build_sample_archive

    out = tmp_path_factory.mktemp("sample") / "archive"
    manifest = build_sample_archive(out, ["XLK", "AGG", "GLD", "IYZ", "SPY"])
    return out, manifest


def test_pipeline_discovers_and_lands_the_sample_filings(settings: Settings,
                                                         sample_archive) -> None:
    from ingest.sample.world import FETCHED_AT

    archive_dir, manifest = sample_archive
    offline = dataclasses.replace(settings, archive_dir=archive_dir, offline=True,
                                  replay_as_of=FETCHED_AT)
    outcome = ingest_tickers(offline, ["XLK", "AGG", "GLD", "IYZ", "SPY"])
    assert [r.status for r in outcome.runs] == ["success"] * 3
    # SPY (a unit investment trust) and GLD (a grantor trust) have no series: both are
    # followed by their CIK from the company ticker file; EDGAR lists GLD's CIK no N-PORT
    funds = manifest["edgar_nport"]["funds"]
    assert outcome.unmapped_tickers == []
    assert set(outcome.cik_tickers) == {"SPY", "GLD"}
    assert outcome.cik_tickers["SPY"] == f"{funds['SPY']['cik']:010d}"
    assert outcome.tickers_without_filings == ["GLD"]
    assert manifest["edgar_nport"]["files_without_series"] == ["SPY"]
    expected = {f["accession_number"]: f for fund in funds.values() for f in fund["filings"]}
    assert outcome.filings_planned == len(expected) == 8 + 7 + 5 + 7
    db = settings.duckdb_path
    landed = dict(_rows(db, "select accession_number, holdings_count from raw.nport_filings"))
    assert landed == {a: f["holdings"] for a, f in expected.items()}
    (amended,) = _rows(db, "select accession_number from raw.nport_filings where is_amendment")
    assert expected[amended[0]]["submission_type"] == "NPORT-P/A"
    filed = dict(_rows(db, "select accession_number, filing_date from raw.nport_filings_index"))
    assert {a: d.isoformat() for a, d in filed.items()} == {
        a: f["filing_date"] for a, f in expected.items()}
    # the trust's filings land without a series id, under the CIK the company ticker file
    # gives SPY, and its filing list is keyed by that CIK's stand-in series key
    spy = {f["accession_number"] for f in funds["SPY"]["filings"]}
    (spy_cik,) = _rows(db, "select cik from raw.sec_company_tickers where ticker = 'SPY'")
    assert _rows(db, "select count(*) from raw.sec_fund_classes where ticker = 'SPY'") == [(0,)]
    landed_spy = _rows(db, """select accession_number, series_id, cik from raw.nport_filings
                              where accession_number in (select unnest(?))""", [list(spy)])
    assert {a for a, _, _ in landed_spy} == spy
    assert {(series, cik) for _, series, cik in landed_spy} == {(None, spy_cik[0])}
    assert set(_rows(db, """select series_id from raw.nport_filings_index
                            where accession_number in (select unnest(?))""", [list(spy)])) == {
        (cik_key(spy_cik[0]),)}
    (flows_spy,) = _rows(db, """select count(*) from raw.nport_monthly_flows
                                where accession_number in (select unnest(?))""", [list(spy)])
    assert flows_spy == (3 * len(spy),)

    again = ingest_tickers(offline, ["XLK", "AGG", "GLD", "IYZ", "SPY"])
    assert again.filings_planned == 0  # landed filings are never fetched again
    assert sum(r.rows_landed for r in again.runs) == 0


def test_pipeline_is_bounded_by_filing_dates(settings: Settings, sample_archive) -> None:
    from ingest.sample.world import FETCHED_AT

    archive_dir, manifest = sample_archive
    offline = dataclasses.replace(settings, archive_dir=archive_dir, offline=True,
                                  replay_as_of=FETCHED_AT)
    outcome = ingest_tickers(offline, ["AGG"], start=dt.date(2024, 6, 1),
                             end=dt.date(2024, 10, 1))
    wanted = [f for f in manifest["edgar_nport"]["funds"]["AGG"]["filings"]
              if "2024-06-01" <= f["filing_date"] <= "2024-10-01"]
    assert outcome.filings_planned == len(wanted) == 2


def test_replay_of_a_missing_filing_is_a_clear_error(settings: Settings,
                                                     sample_archive, tmp_path: Path) -> None:
    archive_dir, _ = sample_archive
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    offline = dataclasses.replace(settings, archive_dir=copy, offline=True)
    plugin = EdgarNportPlugin()
    params = PlanParams(extra={"stage": "filings", "filings": [[1, "0000000001-24-000001"]]})
    with pytest.raises(EtfflowError, match="not in archive"):
        run_plugin(plugin, params, offline)
