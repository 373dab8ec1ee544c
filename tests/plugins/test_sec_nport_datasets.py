"""The sec_nport_datasets plugin: quarters and requests, the SAMPLE quarter zips (the SEC's
layout, the demo's N-PORT figures) landed table by table in chunks, layouts read by
header name (reordered, extra and missing optional columns, BOM, CRLF, blank and NBSP
lines, a folder in the zip), bad zips quarantined whole, and `etfflow backfill --source
sec_nport_datasets --start 2023Q2` by quarter, resumable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import ingest.plugins.sec_nport_datasets.plugin as datasets
from ingest.cli import main
from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.edgar_nport.parser import parse_nport
from ingest.plugins.sec_nport_datasets.plugin import (
    Quarter,
    SecNportDatasetsPlugin,
    dataset_request,
    planned_quarters,
    quarters_between,
)

SUBMISSION = ("ACCESSION_NUMBER\tFILING_DATE\tFILE_NUM\tSUB_TYPE\tREPORT_ENDING_PERIOD\t"
              "REPORT_DATE\tIS_LAST_FILING\n")


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _zip(members: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text.encode() if isinstance(text, str) else text)
    return out.getvalue()


def _payload(body: bytes, *, holdings: bool = False, status: int = 200) -> Payload:
    request = dataset_request(Quarter(2024, 4), holdings=holdings)
    return Payload(request, body, status, request.url, hashlib.sha256(body).hexdigest(),
                   dt.datetime(2025, 1, 31, tzinfo=dt.UTC))


def _materialize(parsed) -> dict[str, list[dict]]:
    return {name: [r for chunk in stream for r in chunk.to_dict("records")]
            for name, stream in parsed.items()}


MINIMAL = {
    "SUBMISSION.tsv": SUBMISSION + "0000000001-24-000001\t30-OCT-2024\t811-1\tNPORT-P\t"
                                   "31-DEC-2024\t30-SEP-2024\tN\n",
    "REGISTRANT.tsv": "ACCESSION_NUMBER\tCIK\tREGISTRANT_NAME\n"
                      "0000000001-24-000001\t36405\tSample Trust\n",
    "FUND_REPORTED_INFO.tsv": "ACCESSION_NUMBER\tSERIES_ID\tNET_ASSETS\tSALES_FLOW_MON1\t"
                              "REDEMPTION_FLOW_MON1\n0000000001-24-000001\tS1\t10\t1\t2\n",
    "MONTHLY_TOTAL_RETURN.tsv": "ACCESSION_NUMBER\tCLASS_ID\tMONTHLY_TOTAL_RETURN1\n"
                                "0000000001-24-000001\tC1\t.5\n",
}


# -- quarters and requests --------------------------------------------------------------------


def test_quarters_and_the_plan() -> None:
    assert Quarter.parse("2019Q4") == Quarter.parse(" 2019q4 ") == Quarter(2019, 4)
    assert (Quarter(2024, 1).first_day, Quarter(2024, 1).last_day) == (
        dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert Quarter(2024, 4).next() == Quarter(2025, 1)
    with pytest.raises(EtfflowError, match="YYYYQn"):
        Quarter.parse("2019-10")
    # the data sets start in 2019q4: earlier quarters are not asked for
    assert [q.label for q in quarters_between(dt.date(2019, 1, 1), dt.date(2020, 2, 1))] == [
        "2019q4", "2020q1"]
    plugin = SecNportDatasetsPlugin()
    (only,) = plugin.plan(PlanParams(start=dt.date(2024, 11, 5)))
    assert only.url == ("https://www.sec.gov/files/dera/data/form-n-port-data-sets/"
                        "2024q4_nport.zip")
    assert only.large and only.immutable and only.label == "2024q4 N-PORT data set"
    named = list(plugin.plan(PlanParams(extra={"quarters": ("2024q2", "2023Q4"),
                                               "holdings": "true"})))
    assert [r.url.rsplit("/", 1)[1] for r in named] == ["2023q4_nport.zip#holdings",
                                                        "2024q2_nport.zip#holdings"]
    assert planned_quarters(PlanParams(extra={"quarters": "2024q1"})) == [Quarter(2024, 1)]
    with pytest.raises(EtfflowError, match="give --start"):
        list(plugin.plan(PlanParams()))


def test_an_unpublished_quarter_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not published this quarter's data set"):
        SecNportDatasetsPlugin().parse(_payload(b"<html>Not Found</html>", status=404))


# -- layouts -------------------------------------------------------------------------------------


def test_tables_are_read_by_header_name_whatever_the_layout() -> None:
    tricky = {
        # a folder, a BOM, CRLF, lower-case and reordered headers, an unknown column,
        # blank, space and NBSP lines, N/A and thousands separators, ISO dates
        "2024q4_nport/submission.tsv": "\ufeffreport_date\tSUB_TYPE\tACCESSION_NUMBER\t"
                                       "Filing_Date\tEXTRA\r\n30-SEP-2024\tNPORT-P/A\t"
                                       "0000000001-24-000001\t2024-10-30\tx\r\n \r\n\xa0\r\n\r\n",
        "2024q4_nport/REGISTRANT.tsv": MINIMAL["REGISTRANT.tsv"],
        "2024q4_nport/FUND_REPORTED_INFO.tsv": "SALES_FLOW_MON1\tACCESSION_NUMBER\tSERIES_ID\t"
                                               "NET_ASSETS\tREDEMPTION_FLOW_MON1\n"
                                               "1,250.5\t0000000001-24-000001\tN/A\t-.77\tN/A\n",
        "2024q4_nport/MONTHLY_TOTAL_RETURN.tsv": "ACCESSION_NUMBER\tMONTHLY_TOTAL_RETURN1\n"
                                                 "0000000001-24-000001\t1.5\n",
        "2024q4_nport/nport_readme.htm": "<html></html>",
    }
    rows = _materialize(SecNportDatasetsPlugin().parse(_payload(_zip(tricky))))
    assert set(rows) == {"nport_ds_submission", "nport_ds_registrant",
                         "nport_ds_fund_reported_info", "nport_ds_monthly_total_return"}
    (submission,) = rows["nport_ds_submission"]
    assert submission == {"report_date": dt.date(2024, 9, 30), "sub_type": "NPORT-P/A",
                          "accession_number": "0000000001-24-000001",
                          "filing_date": dt.date(2024, 10, 30)}
    assert rows["nport_ds_registrant"] == [{"accession_number": "0000000001-24-000001",
                                            "cik": "0000036405",
                                            "registrant_name": "Sample Trust"}]
    (fund,) = rows["nport_ds_fund_reported_info"]
    assert fund["sales_flow_mon1"] == "1250.5" and fund["net_assets"] == "-.77"
    assert fund["series_id"] is None and fund["redemption_flow_mon1"] is None
    (returns,) = rows["nport_ds_monthly_total_return"]
    assert returns["class_id"] == ""  # no class named: the key's stand-in


@pytest.mark.parametrize(("members", "reason"), [
    ({"SUBMISSION.tsv": SUBMISSION}, "no REGISTRANT.tsv, FUND_REPORTED_INFO.tsv, "
                                     "MONTHLY_TOTAL_RETURN.tsv in the zip"),
    ({**MINIMAL, "FUND_REPORTED_INFO.tsv": "ACCESSION_NUMBER\tSERIES_ID\n"},
     "FUND_REPORTED_INFO.tsv: header lacks NET_ASSETS, SALES_FLOW_MON1, REDEMPTION_FLOW_MON1"),
])
def test_a_zip_without_the_tables_is_malformed(members: dict, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        SecNportDatasetsPlugin().parse(_payload(_zip(members)))


def test_holdings_need_their_tables_only_when_asked() -> None:
    plugin = SecNportDatasetsPlugin()
    assert "nport_ds_fund_reported_holding" not in plugin.parse(_payload(_zip(MINIMAL)))
    with pytest.raises(MalformedPayload, match="no FUND_REPORTED_HOLDING.tsv, IDENTIFIERS.tsv"):
        plugin.parse(_payload(_zip(MINIMAL), holdings=True))


@pytest.mark.parametrize(("body", "reason"), [
    (b"PK\x03\x04 not really", "not a zip archive"),
    (b"<html>maintenance</html>", "not a zip archive"),
])
def test_not_a_zip_is_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        SecNportDatasetsPlugin().parse(_payload(body))


def test_ragged_lines_are_malformed_before_or_while_streaming() -> None:
    row = "A\t30-OCT-2024\t\tNPORT-P\t31-DEC-2024\t30-SEP-2024\tN"
    first_long = {**MINIMAL, "SUBMISSION.tsv": SUBMISSION + row + "\tX\tY\n"}
    with pytest.raises(MalformedPayload, match="SUBMISSION.tsv line 2: 9 fields, the header "
                                               "has 7"):  # before anything lands
        SecNportDatasetsPlugin().parse(_payload(_zip(first_long)))
    later_long = {**MINIMAL, "SUBMISSION.tsv": SUBMISSION + row + "\n" + row + "\tX\n"}
    parsed = SecNportDatasetsPlugin().parse(_payload(_zip(later_long)))
    with pytest.raises(MalformedPayload, match="SUBMISSION.tsv line 3: 8 fields, the header "
                                               "has 7"):
        _materialize(parsed)
    short = {**MINIMAL, "SUBMISSION.tsv": SUBMISSION + row + "\nB\t30-OCT-2024\n"}
    with pytest.raises(MalformedPayload, match="SUBMISSION.tsv line 3: 2 fields, the header "
                                               "has 7"):
        _materialize(SecNportDatasetsPlugin().parse(_payload(_zip(short))))
    dated = {**MINIMAL, "SUBMISSION.tsv": SUBMISSION + "A\tyesterday\t\tNPORT-P\t"
                                                       "31-DEC-2024\t30-SEP-2024\tN\n"}
    with pytest.raises(MalformedPayload, match="FILING_DATE is not a date: 'yesterday'"):
        _materialize(SecNportDatasetsPlugin().parse(_payload(_zip(dated))))


# -- the SAMPLE quarters -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from ingest.sample import build_sample_archive

    out = tmp_path_factory.mktemp("sample") / "archive"
    return out, build_sample_archive(out, ["XLK", "AGG", "SPY", "IYZ", "GLD"])


def _offline(settings: Settings, archive_dir: Path) -> Settings:
    from ingest.sample.world import FETCHED_AT

    return dataclasses.replace(settings, archive_dir=archive_dir, offline=True,
                               replay_as_of=FETCHED_AT)


def test_sample_quarters_carry_the_filings_figures(settings: Settings, sample_archive,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sample N-PORT lands from its quarter's zip with the figures its XML carries;
    tables stream in chunks (CHUNK_ROWS lowered to force many for holdings)."""
    from ingest.core.archive import Archive
    from ingest.sample.edgar import SOURCE as NPORT_SOURCE
    from ingest.sample.edgar import filing_request

    archive_dir, manifest = sample_archive
    monkeypatch.setattr(datasets, "CHUNK_ROWS", 250)
    quarters = tuple(manifest["sec_nport_datasets"]["quarters"])
    result = run_plugin(SecNportDatasetsPlugin(),
                        PlanParams(extra={"quarters": quarters, "holdings": "true"}),
                        _offline(settings, archive_dir))
    assert result.status == "success" and result.payloads == len(quarters)
    db = settings.duckdb_path
    expected = {f["accession_number"]: (ticker, f)
                for ticker, fund in manifest["edgar_nport"]["funds"].items()
                for f in fund["filings"]}
    landed = {a: (net, flows) for a, net, *flows in _rows(db, """
        select accession_number, net_assets, sales_flow_mon1, redemption_flow_mon1,
               sales_flow_mon2, redemption_flow_mon2, sales_flow_mon3, redemption_flow_mon3
        from raw.nport_ds_fund_reported_info""")}
    assert set(landed) == set(expected)
    archive = Archive(archive_dir)
    for accession, (net, flows) in landed.items():
        ticker, filing = expected[accession]
        cik = manifest["edgar_nport"]["funds"][ticker]["cik"]
        xml = parse_nport(archive.get(NPORT_SOURCE, filing_request(cik, accession)).body,
                          accession)
        assert net == xml.filing["net_assets_usd"] == filing["net_assets"]
        assert flows == [v for m in xml.monthly_flows
                         for v in (m["sales_usd"], m["redemptions_usd"])]
    holdings = dict(_rows(db, "select accession_number, count(*) from "
                              "raw.nport_ds_fund_reported_holding group by 1"))
    assert holdings == {a: f["holdings"] for a, (_, f) in expected.items()}
    submissions = dict(_rows(db, "select accession_number, filing_date from "
                                 "raw.nport_ds_submission"))
    assert {a: d.isoformat() for a, d in submissions.items()} == {
        a: f["filing_date"] for a, (_, f) in expected.items()}
    # a UIT's filing (SPY) has no series id in FUND_REPORTED_INFO
    spy = [f["accession_number"] for f in manifest["edgar_nport"]["funds"]["SPY"]["filings"]]
    assert _rows(db, "select distinct series_id from raw.nport_ds_fund_reported_info "
                     "where accession_number in (select unnest(?))", [spy]) == [(None,)]
    again = run_plugin(SecNportDatasetsPlugin(),
                       PlanParams(extra={"quarters": quarters, "holdings": "true"}),
                       _offline(settings, archive_dir))
    assert again.rows_landed == 0  # idempotent


def test_backfill_by_quarter_resumes(tmp_path: Path, sample_archive) -> None:
    archive_dir, manifest = sample_archive
    db = tmp_path / "w.duckdb"
    args = ["--db", str(db), "--archive", str(archive_dir), "backfill", "--source",
            "sec_nport_datasets", "--start", "2023Q2", "--end", "2023-12-31", "--offline"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "3 chunks, 0 already done" in first.output
    assert first.output.count("sec_nport_datasets: success") == 3
    filed = [f for fund in manifest["edgar_nport"]["funds"].values() for f in fund["filings"]
             if "2023-04-01" <= f["filing_date"] <= "2023-12-31"]
    assert _rows(db, "select count(*) from raw.nport_ds_submission") == [(len(filed),)]
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0 and "3 chunks, 3 already done" in second.output
    with_holdings = CliRunner().invoke(main, [*args, "-o", "holdings=true"])
    assert with_holdings.exit_code == 0 and "3 chunks, 0 already done" in with_holdings.output
    assert _rows(db, "select count(*) > 0 from raw.nport_ds_fund_reported_holding") == [(True,)]
    bad = CliRunner().invoke(main, ["--db", str(db), "backfill", "--source",
                                    "sec_nport_datasets", "--start", "2023Q5"])
    assert bad.exit_code != 0 and "2023Q5" in bad.output


def test_a_quarter_missing_from_the_archive_is_a_clear_error(settings: Settings,
                                                             sample_archive) -> None:
    archive_dir, _ = sample_archive
    with pytest.raises(EtfflowError, match="not in archive"):
        run_plugin(SecNportDatasetsPlugin(), PlanParams(extra={"quarters": "2019q4"}),
                   _offline(settings, archive_dir))


def test_local_zips_land_and_a_damaged_one_is_quarantined(settings: Settings,
                                                          tmp_path: Path) -> None:
    good = tmp_path / "2024q4_nport.zip"
    good.write_bytes(_zip(MINIMAL))
    whole = _zip({**MINIMAL, "FUND_REPORTED_INFO.tsv": MINIMAL["FUND_REPORTED_INFO.tsv"]
                  + "".join(f"0000000001-24-{i:06d}\tS{i}\t{i}\t1\t2\n" for i in range(2, 5000))})
    damaged = tmp_path / "2024q3_nport.zip"
    damaged.write_bytes(whole[:len(whole) // 2] + b"\0" * 64 + whole[len(whole) // 2 + 64:])
    plugin = SecNportDatasetsPlugin()
    params = PlanParams()
    requests = plugin.local_requests([tmp_path], params)
    assert all(r.large for r in requests)
    result = run_plugin(plugin, params, settings, requests=requests)
    assert result.status == "partial" and result.quarantined == 1
    (reason,) = _rows(settings.duckdb_path, "select reason from raw.quarantine")
    assert reason[0].startswith("FUND_REPORTED_INFO.tsv")  # the damage is found mid-stream
    assert _rows(settings.duckdb_path, "select count(*) from raw.nport_ds_fund_reported_info") \
        == [(1,)]
