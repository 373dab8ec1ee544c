"""The streaming N-PORT parser: fields, month attribution, bad input (never expanding
entities or touching the network — the autouse network guard fails any test that tries)."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import pytest
from lxml import etree

from ingest.core.plugin import MalformedPayload
from ingest.plugins.edgar_nport import parser
from ingest.plugins.edgar_nport.parser import (
    HOLDING_COLUMNS,
    accession_from,
    flow_month,
    parse_nport,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "edgar" / "nport_fixture.xml"
NS = "{http://www.sec.gov/edgar/nport}"


@pytest.fixture(scope="module")
def fixture_body() -> bytes:
    return FIXTURE.read_bytes()


@pytest.fixture(scope="module")
def document(fixture_body: bytes):
    return parse_nport(fixture_body, "0001752724-24-190002")


# -- what a filing says -------------------------------------------------------------------


def test_filing_row_reads_parts_a_and_b1(document) -> None:
    filing = document.filing
    assert filing["series_id"] == "S000006408"
    assert filing["cik"] == "0001064641"
    assert filing["series_name"] == "Fixture Technology Fund & Co"  # &amp; unescaped
    assert filing["submission_type"] == "NPORT-P" and filing["is_amendment"] is False
    assert filing["period_end"] == dt.date(2024, 6, 28)         # repPdDate
    assert filing["fiscal_year_end"] == dt.date(2024, 9, 30)    # repPdEnd, not the period
    assert (filing["total_assets_usd"], filing["total_liabilities_usd"],
            filing["net_assets_usd"]) == (1000500.0, 500.0, 1000000.0)
    assert filing["holdings_count"] == 5
    assert filing["class_ids"] == "C000017615,C000099999"


@pytest.mark.parametrize("series_id", ["absent", "", "N/A"])
def test_a_filing_without_series_id_is_a_unit_investment_trust(fixture_body: bytes,
                                                                series_id: str) -> None:
    """A unit investment trust (SPY, DIA, MDY, QQQ) files N-PORT without series or class:
    no seriesClassInfo, and genInfo/seriesId absent (the schema makes it optional), empty
    or "N/A". The filing, its B.6 flows and its holdings land with a null series id and
    the registrant's CIK, which staging turns into the stand-in key 'CIK' + CIK."""
    header = (b"<seriesClassInfo>\n        <seriesId>S000006408</seriesId>\n"
              b"        <classId>C000017615</classId>\n        <classId>C000099999</classId>\n"
              b"      </seriesClassInfo>")
    assert header in fixture_body
    body = fixture_body.replace(header, b"")
    element = b"<seriesId>S000006408</seriesId>"
    replacement = b"" if series_id == "absent" else b"<seriesId>%s</seriesId>" % (
        series_id.encode())
    assert body.count(element) == 1
    body = body.replace(element, replacement)
    assert b"S000006408" not in body
    document = parse_nport(body, "0001999999-24-000212")
    assert document.filing["series_id"] is None
    assert document.filing["class_ids"] is None
    assert document.filing["cik"] == "0001064641"
    assert [r["series_id"] for r in document.monthly_flows] == [None, None, None]
    assert [r["sales_usd"] for r in document.monthly_flows] == [
        r["sales_usd"] for r in parse_nport(fixture_body, "x").monthly_flows]
    assert len(document.holdings) == 5


def test_month_one_is_the_first_month_of_the_period_ending_at_rep_pd_date(document) -> None:
    """Form N-PORT Items B.5/B.6 report "each of the preceding three months"; the SEC's
    N-PORT data sets call mon1 "the first month of the reporting period". With repPdDate
    2024-06-28 and a fiscal year ending 2024-09-30, months 1-3 are April-June 2024."""
    months = {r["month_number"]: r["flow_month"] for r in document.monthly_flows}
    assert months == {1: dt.date(2024, 4, 1), 2: dt.date(2024, 5, 1), 3: dt.date(2024, 6, 1)}
    returns = {(r["class_id"], r["month_number"]): r["return_month"]
               for r in document.monthly_returns}
    assert returns[("C000017615", 3)] == dt.date(2024, 6, 1)


def test_flow_month_crosses_year_ends() -> None:
    assert flow_month(dt.date(2023, 1, 31), 1) == dt.date(2022, 11, 1)
    assert flow_month(dt.date(2023, 1, 31), 2) == dt.date(2022, 12, 1)
    assert flow_month(dt.date(2023, 1, 31), 3) == dt.date(2023, 1, 1)
    with pytest.raises(ValueError):
        flow_month(dt.date(2023, 1, 31), 4)


def test_monthly_flows_and_returns_as_filed_with_na_as_null(document) -> None:
    flows = {r["month_number"]: r for r in document.monthly_flows}
    assert (flows[1]["sales_usd"], flows[1]["reinvestments_usd"],
            flows[1]["redemptions_usd"]) == (100000.0, 0.0, 25000.0)
    assert flows[2]["sales_usd"] is None and flows[2]["redemptions_usd"] is None  # "N/A"
    assert flows[3]["reinvestments_usd"] == 1000.0
    returns = {(r["class_id"], r["month_number"]): r["total_return_pct"]
               for r in document.monthly_returns}
    assert returns[("C000017615", 2)] == -0.5
    assert returns[("C000099999", 3)] is None  # "N/A"
    assert len(returns) == 6


def test_holdings_columns_and_types(document) -> None:
    holdings = document.holdings
    assert list(holdings.columns) == list(HOLDING_COLUMNS)
    assert holdings["line_number"].tolist() == [1, 2, 3, 4, 5]
    assert (holdings["accession_number"] == "0001752724-24-190002").all()
    apple, bond, nestle, future, repo = (holdings.iloc[i] for i in range(5))
    assert (apple["cusip"], apple["isin"], apple["ticker"]) == ("037833100", "US0378331005",
                                                               "AAPL")
    assert apple["value_usd"] == 200000.0 and apple["pct_of_net_assets"] == 20.0
    assert apple["is_on_loan"] is True and apple["loan_value"] == 50000.0
    assert bond["units"] == "PA" and bond["debt_maturity_date"] == "2034-02-15"
    assert bond["debt_coupon_kind"] == "Fixed" and bond["debt_annualized_rate"] == 4.0
    assert bond["debt_is_default"] is False and bond["is_on_loan"] is False
    assert nestle["cusip"] is None  # "N/A"
    assert (nestle["currency"], nestle["exchange_rate"]) == ("CHF", 0.895)
    assert repo["repo_category"] == "Repurchase" and repo["repo_rate"] == 5.3
    assert repo["other_id"] == "REPO-20240628" and repo["other_id_desc"] == "Internal repo id"
    assert math.isnan(repo["derivative_notional_amount"])
    assert future["payoff_profile"] is None  # "N/A" for derivatives


def test_nested_reference_instruments_do_not_leak_into_the_holding(document) -> None:
    """The future references a nested future (other counterparty, EUR, expiry 2030): the
    row describes the top-level instrument only."""
    future = document.holdings.iloc[3]
    assert future["name"] == "E-mini S&P 500 Future Sep 2024"
    assert future["ticker"] == "ESU4"
    assert future["derivative_category"] == "FUT"
    assert future["derivative_counterparty_name"] == "Top Clearing House"
    assert future["derivative_notional_amount"] == 820000.0
    assert future["derivative_currency"] == "USD"
    assert future["derivative_expiration_date"] == "2024-09-20"
    assert future["derivative_unrealized_appreciation"] == -1250.75
    assert future["value_usd"] == -1250.75


@pytest.mark.parametrize("pool", [False, True], ids=["in process", "worker processes"])
def test_elements_of_another_namespace_inside_a_holding_are_not_its_fields(
    fixture_body: bytes, pool: bool, monkeypatch,
) -> None:
    """Pieces are parsed without the N-PORT default namespace where they declare none of
    their own (cheaper tags); a piece that declares one keeps every namespace as filed."""
    monkeypatch.setattr(parser, "PIECE_BYTES", 1)
    monkeypatch.setattr(parser, "POOL_MIN_BYTES", 0 if pool else 1 << 62)
    body = fixture_body.replace(
        b"<name>Apple Inc</name>",
        b'<name>Apple Inc</name><name xmlns="urn:elsewhere">Not A Field</name>')
    names = parse_nport(body, "X").holdings["name"].tolist()
    assert names == parse_nport(fixture_body, "X").holdings["name"].tolist()
    assert names[0] == "Apple Inc"


def test_amendments_and_non_public_forms_are_recognised(fixture_body: bytes) -> None:
    amended = fixture_body.replace(b"<submissionType>NPORT-P</submissionType>",
                                   b"<submissionType>NPORT-P/A</submissionType>")
    assert parse_nport(amended, "A").filing["is_amendment"] is True
    private = fixture_body.replace(b"<submissionType>NPORT-P</submissionType>",
                                   b"<submissionType>NPORT-NP</submissionType>")
    assert parse_nport(private, "B").filing["submission_type"] == "NPORT-NP"


def test_leading_whitespace_and_bom_before_the_declaration(fixture_body: bytes) -> None:
    for prefix in (b"\n", b"  \r\n\t", b"\xef\xbb\xbf\n"):
        assert parse_nport(prefix + fixture_body, "X").filing["holdings_count"] == 5


def test_large_filings_are_read_in_pieces_with_consecutive_line_numbers(
    fixture_body: bytes,
) -> None:
    """Many pieces of PIECE_BYTES: the pieces join without gaps or repeats."""
    start = fixture_body.index(b"<invstOrSec>")
    end = fixture_body.index(b"</invstOrSec>") + len(b"</invstOrSec>")
    one = fixture_body[start:end]
    body = fixture_body[:start] + one * 9000 + fixture_body[end:]
    holdings = parse_nport(body, "BIG").holdings
    assert len(holdings) == 9000 + 4
    assert holdings["line_number"].tolist() == list(range(1, 9005))
    assert holdings["value_usd"].iloc[:9000].eq(200000.0).all()


def test_accession_numbers_from_urls_and_file_names() -> None:
    assert accession_from("/Archives/edgar/data/1064641/000175272424190002/primary_doc.xml"
                          ) == "0001752724-24-190002"
    assert accession_from("/data/nport/0001752724-24-190002.xml") == "0001752724-24-190002"
    assert accession_from("/data/nport/real_ast_bond_portfolio_2022_S000030880_2022-12.xml"
                          ) is None


# -- bad input ------------------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edgarSubmission xmlns="http://www.sec.gov/edgar/nport"><headerData>
<submissionType>&lol9;</submissionType></headerData></edgarSubmission>
"""


def _with_doctype(body: bytes, doctype: bytes) -> bytes:
    declaration_end = body.index(b"?>") + 2
    return body[:declaration_end] + b"\n" + doctype + body[declaration_end:]


def test_billion_laughs_is_refused_without_expansion() -> None:
    started = time.perf_counter()
    with pytest.raises(MalformedPayload, match="document type declaration"):
        parse_nport(BILLION_LAUGHS, "X")
    assert time.perf_counter() - started < 1.0  # nothing was expanded


def test_external_entities_are_refused_and_never_fetched(fixture_body: bytes,
                                                        tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for system_id in (secret.as_uri().encode(), b"http://example.com/evil.dtd",
                      b"https://www.sec.gov/nport.dtd"):
        doctype = (b'<!DOCTYPE edgarSubmission [ <!ENTITY xxe SYSTEM "' + system_id
                   + b'"> ]>')
        body = _with_doctype(fixture_body, doctype).replace(
            b"<regName>Fixture Sector Trust</regName>", b"<regName>&xxe;</regName>")
        with pytest.raises(MalformedPayload, match="document type declaration"):
            parse_nport(body, "X")
    external_dtd = _with_doctype(
        fixture_body, b'<!DOCTYPE edgarSubmission SYSTEM "http://example.com/nport.dtd">')
    with pytest.raises(MalformedPayload, match="document type declaration"):
        parse_nport(external_dtd, "X")


def test_a_doctype_hidden_behind_a_long_prolog_is_still_refused(fixture_body: bytes) -> None:
    """The fast prolog scan reads 64 KB; a DOCTYPE after a longer comment still fails,
    from the parser's own document info, and its entities were not expanded."""
    padding = b"<!--" + b"x" * 70_000 + b"-->\n"
    laughs_doctype = BILLION_LAUGHS[BILLION_LAUGHS.index(b"<!DOCTYPE"):
                                    BILLION_LAUGHS.index(b"]>") + 2]
    body = _with_doctype(fixture_body, padding + laughs_doctype).replace(
        b"<regName>Fixture Sector Trust</regName>", b"<regName>&lol9;</regName>")
    started = time.perf_counter()
    with pytest.raises(MalformedPayload, match="document type declaration|malformed"):
        parse_nport(body, "X")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b'{"fields": []}', "not XML"),
        (b"<html><body><h1>Request Rate Threshold Exceeded</h1></body></html>",
         "not an N-PORT document: root element is html"),
        (b'<?xml version="1.0"?><edgarSubmission xmlns="http://www.sec.gov/edgar/ncen">'
         b"<headerData/></edgarSubmission>",
         "not an N-PORT document: root element is {http://www.sec.gov/edgar/ncen}"),
        (b"<?xml version='1.0'?><edgarSubmission xmlns='http://www.sec.gov/edgar/nport'>"
         b"<headerData><submissionType>N-CEN</submissionType></headerData>"
         b"</edgarSubmission>",
         "not an N-PORT filing: submissionType is 'N-CEN'"),
        (b"<?xml version='1.0'?><edgarSubmission xmlns='http://www.sec.gov/edgar/nport'>"
         b"<headerData><submissionType>NPORT-P</submissionType></headerData><formData>"
         b"<genInfo><repPdDate>2024-06-28</repPdDate></genInfo></formData>"
         b"</edgarSubmission>", "fundInfo"),
        (b"<?xml version='1.0'?><edgarSubmission xmlns='http://www.sec.gov/edgar/nport'>"
         b"<unclosed></edgarSubmission>", "malformed or truncated XML"),
        ("<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"), "not XML"),
    ],
)
def test_bad_documents_fail_with_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        parse_nport(body, "X")
    assert reason in str(caught.value)


def test_truncated_filings_are_malformed(fixture_body: bytes) -> None:
    for cut in (len(fixture_body) // 3, len(fixture_body) - 40):
        with pytest.raises(MalformedPayload, match="malformed or truncated XML"):
            parse_nport(fixture_body[:cut], "X")


@pytest.mark.parametrize("pool", [False, True], ids=["in process", "worker processes"])
def test_a_value_that_is_not_a_number_names_the_holding_and_column(
    fixture_body: bytes, pool: bool, monkeypatch,
) -> None:
    monkeypatch.setattr(parser, "PIECE_BYTES", 1)  # the holding is in the second piece
    monkeypatch.setattr(parser, "POOL_MIN_BYTES", 0 if pool else 1 << 62)
    body = fixture_body.replace(b"<valUSD>295000.50000000</valUSD>",
                                b"<valUSD>29S000.5O</valUSD>")
    with pytest.raises(MalformedPayload, match=r"holding 2: value_usd is not a number"):
        parse_nport(body, "X")
    body = fixture_body.replace(b"<repPdDate>2024-06-28</repPdDate>",
                                b"<repPdDate>June 2024</repPdDate>")
    with pytest.raises(MalformedPayload, match="repPdDate: not a date"):
        parse_nport(body, "X")


# -- the real public filings (skipped when ../shared/data is absent) -------------------------


def _real_filings(shared_data_dir: Path) -> list[Path]:
    folder = shared_data_dir / "nport"
    if not folder.is_dir():
        pytest.skip("../shared/data/nport is not present")
    return sorted(folder.glob("*.xml"))


def test_real_filings_parse_with_every_holding_and_value(shared_data_dir: Path) -> None:
    """Each real N-PORT document: as many holdings as a full-tree read of the same file
    finds, and every balance, value and weight equal to the number in the XML."""
    files = _real_filings(shared_data_dir)
    assert files
    for path in files:
        body = path.read_bytes()
        document = parse_nport(body, path.stem)
        expected = etree.fromstring(body.lstrip()).findall(f".//{NS}invstOrSec")
        holdings = document.holdings
        assert len(holdings) == len(expected) == document.filing["holdings_count"], path.name
        for row, element in zip(holdings.itertuples(), expected, strict=True):
            for column, tag in (("value_usd", "valUSD"), ("balance", "balance"),
                                ("pct_of_net_assets", "pctVal")):
                text = element.findtext(f"{NS}{tag}")
                filed = None if text is None or text.strip() == "N/A" else float(text)
                got = getattr(row, column)
                assert (math.isnan(got) if filed is None else got == filed), (path.name,
                                                                             column, text)
            cusip = element.findtext(f"{NS}cusip")
            assert row.cusip == (None if cusip == "N/A" else cusip)
            assert row.name == element.findtext(f"{NS}name")


def test_real_filing_with_negative_redemptions_and_a_leading_blank_line(
    shared_data_dir: Path,
) -> None:
    path = shared_data_dir / "nport" / "real_ast_bond_portfolio_2022_S000030880_2022-12.xml"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    body = path.read_bytes()
    assert not body.startswith(b"<")  # the blank line before <?xml is real
    document = parse_nport(body, "real")
    filing = document.filing
    assert filing["period_end"] == dt.date(2022, 12, 30)       # repPdDate
    assert filing["fiscal_year_end"] == dt.date(2022, 12, 31)  # repPdEnd
    assert filing["series_id"] == "S000030880" and filing["is_final_filing"] is True
    flows = {r["flow_month"]: r for r in document.monthly_flows}
    assert set(flows) == {dt.date(2022, 10, 1), dt.date(2022, 11, 1), dt.date(2022, 12, 1)}
    assert flows[dt.date(2022, 10, 1)]["redemptions_usd"] == -10925162.46  # as filed
    assert flows[dt.date(2022, 10, 1)]["sales_usd"] == 30926.10
    assert flows[dt.date(2022, 12, 1)]["redemptions_usd"] == -13756139.08


def test_sec_samples_with_na_values(shared_data_dir: Path) -> None:
    path = shared_data_dir / "nport" / "sec_sample_3.xml"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    document = parse_nport(path.read_bytes(), "sample3")
    flows = {r["month_number"]: r for r in document.monthly_flows}
    assert flows[1]["sales_usd"] == 5.123456789012
    assert flows[2]["sales_usd"] is None and flows[3]["redemptions_usd"] is None  # "N/A"
    assert document.filing["net_assets_usd"] == float("-123456789012345678901234")
