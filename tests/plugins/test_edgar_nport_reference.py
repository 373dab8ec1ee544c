"""The streaming N-PORT parser against a plain reference: the whole document loaded with
lxml, each holding's fields looked up one by one. Every field of every holding must be
identical (same value, same Python type, NaN where the reference has no number) on the
real filings in ../shared/data, the hand-written fixture, a filing with the edge cases
written out below, and a generated multi-asset filing like the bench's."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ingest.plugins.edgar_nport import parser
from ingest.plugins.edgar_nport.parser import HOLDING_COLUMNS, parse_nport

NS = "http://www.sec.gov/edgar/nport"
N = {"n": NS}
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "edgar" / "nport_fixture.xml"

# -- the reference ----------------------------------------------------------------------

_TEXT = {"name": "name", "lei": "lei", "title": "title", "cusip": "cusip",
         "balance": "balance", "units": "units", "descOthUnits": "units_desc",
         "valUSD": "value_usd", "pctVal": "pct_of_net_assets",
         "payoffProfile": "payoff_profile", "invCountry": "country",
         "invOthCountry": "other_country", "isRestrictedSec": "is_restricted",
         "fairValLevel": "fair_value_level"}
_DEBT = {"maturityDt": "debt_maturity_date", "couponKind": "debt_coupon_kind",
         "annualizedRt": "debt_annualized_rate", "isDefault": "debt_is_default",
         "areIntrstPmntsInArrs": "debt_is_interest_in_arrears",
         "isPaidKind": "debt_is_paid_in_kind"}
_REPO = {"transCat": "repo_category", "repurchaseRt": "repo_rate",
         "maturityDt": "repo_maturity_date"}
_DERIVATIVE = {"notionalAmt": "derivative_notional_amount", "curCd": "derivative_currency",
               "expDate": "derivative_expiration_date", "expDt": "derivative_expiration_date",
               "terminationDt": "derivative_expiration_date",
               "unrealizedAppr": "derivative_unrealized_appreciation",
               "putOrCall": "option_put_or_call", "writtenOrPur": "option_written_or_purchased",
               "exercisePrice": "option_exercise_price"}
_FLAGS = {"Y": True, "N": False, "true": True, "false": False}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _raw_fields(holding: etree._Element) -> dict[str, Any]:
    """One holding's fields as filed (text or attribute), from its own child elements:
    a repeated simple element counts by its last occurrence, a repeated field of a
    section (identifiers, debt, repo, derivative) by its first value."""
    raw: dict[str, Any] = {}
    for child in holding:
        tag = _local(child)
        if tag in _TEXT:
            raw[_TEXT[tag]] = child.text
        elif tag in ("curCd", "assetCat", "issuerCat"):
            raw[{"curCd": "currency", "assetCat": "asset_category",
                 "issuerCat": "issuer_category"}[tag]] = child.text
        elif tag == "currencyConditional":
            raw["currency"], raw["exchange_rate"] = child.get("curCd"), child.get("exchangeRt")
        elif tag == "assetConditional":
            raw["asset_category"] = child.get("assetCat")
            raw["asset_category_desc"] = child.get("desc")
        elif tag == "issuerConditional":
            raw["issuer_category"] = child.get("issuerCat")
            raw["issuer_category_desc"] = child.get("desc")
        elif tag == "identifiers":
            for ident in child:
                kind = {"isin": "isin", "ticker": "ticker", "other": "other_id"}.get(
                    _local(ident))
                if kind and raw.get(kind) is None and ident.get("value") is not None:
                    raw[kind] = ident.get("value")
                    if kind == "other_id":
                        raw["other_id_desc"] = ident.get("otherDesc")
        elif tag in ("debtSec", "repurchaseAgrmt"):
            fields = _DEBT if tag == "debtSec" else _REPO
            for field in child:
                column = fields.get(_local(field))
                if column and raw.get(column) is None:
                    raw[column] = field.text
        elif tag == "derivativeInfo" and len(child):
            _derivative_fields(child[0], raw)
        elif tag == "securityLending":
            for field in child:
                name = _local(field)
                if name == "isLoanByFund":
                    raw["is_on_loan"] = field.text
                elif name == "loanByFundCondition":
                    raw["is_on_loan"] = field.get("isLoanByFund")
                    raw["loan_value"] = field.get("loanVal")
                elif name == "cashCollateralCondition":
                    raw["cash_collateral_value"] = field.get("cashCollateralVal")
                elif name == "nonCashCollateralCondition":
                    raw["non_cash_collateral_value"] = field.get("nonCashCollateralVal")
    return raw


def _derivative_fields(instrument: etree._Element, raw: dict[str, Any]) -> None:
    """The top-level instrument only (fwdDeriv, futrDeriv, swapDeriv, optionSwaption…):
    its reference instruments are nested deeper and never read."""
    raw["derivative_category"] = instrument.get("derivCat")
    for field in instrument:
        name = _local(field)
        if name in _DERIVATIVE and raw.get(_DERIVATIVE[name]) is None:
            raw[_DERIVATIVE[name]] = field.text
        elif name == "counterparties" and raw.get("derivative_counterparty_name") is None:
            raw["derivative_counterparty_name"] = field.findtext(f"{{{NS}}}counterpartyName")
            raw["derivative_counterparty_lei"] = field.findtext(f"{{{NS}}}counterpartyLei")
        elif (name == "notionalAmts" and len(field)
              and raw.get("derivative_notional_amount") is None):
            raw["derivative_notional_amount"] = field[0].get("amt")
            raw["derivative_currency"] = field[0].get("curCd")


def _typed(column: str, value: Any) -> Any:
    kind = HOLDING_COLUMNS[column]
    if kind == "DOUBLE":
        text = None if value is None else value.strip()
        return math.nan if text in (None, "", "N/A") else float(text)
    if kind == "BOOLEAN":
        return _FLAGS.get(value)
    return None if value == "N/A" else value


def reference_holdings(body: bytes, accession_number: str) -> list[dict[str, Any]]:
    root = etree.fromstring(body.lstrip(b"\xef\xbb\xbf \t\r\n"),
                            etree.XMLParser(resolve_entities=False, no_network=True,
                                            remove_comments=True, remove_pis=True))
    out = []
    for line_number, holding in enumerate(root.iter(f"{{{NS}}}invstOrSec"), start=1):
        raw = _raw_fields(holding)
        row = {"accession_number": accession_number, "line_number": line_number}
        row.update({c: _typed(c, raw.get(c)) for c in tuple(HOLDING_COLUMNS)[2:]})
        out.append(row)
    return out


def assert_same_as_reference(body: bytes, label: str) -> int:
    document = parse_nport(body, "0000000000-24-000001")
    expected = reference_holdings(body, "0000000000-24-000001")
    got = document.holdings
    assert list(got.columns) == list(HOLDING_COLUMNS)
    assert len(got) == len(expected) == document.filing["holdings_count"], label
    for row, want in zip(got.to_dict("records"), expected, strict=True):
        for column, value in want.items():
            have = row[column]
            if isinstance(value, float) and math.isnan(value):
                assert isinstance(have, float) and math.isnan(have), (label, row, column)
            else:
                assert have == value and type(have) is type(value), (
                    label, want["line_number"], column, have, value)
    for column in document.null_columns:  # left out of the landing: truly null everywhere
        assert all(_is_null(r[column]) for r in expected), (label, column)
    return len(expected)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- documents ----------------------------------------------------------------------------

EDGE_CASES = b"""
<!-- edge cases: missing optional elements, repeated identifiers, negative values,
     derivatives with nested reference instruments, conditionals, N/A, blanks -->
<invstOrSec><name>Bare Minimum Co</name><balance>10</balance><valUSD>-0.5</valUSD>
</invstOrSec>
<invstOrSec>
  <name><![CDATA[Alpha & Omega Holdings]]></name><lei/><title> </title>
  <cusip>N/A</cusip>
  <identifiers><isin value="US0000000001"/><isin value="US0000000002"/>
    <ticker value="AAA"/><other otherDesc="SEDOL" value="B000001"/>
    <other otherDesc="Internal" value="X-9"/></identifiers>
  <identifiers><ticker value="BBB"/><isin value="US0000000003"/></identifiers>
  <balance> -1.5e3 </balance>
  <units>OU</units><descOthUnits>Contracts</descOthUnits>
  <currencyConditional curCd="EUR" exchangeRt="0.9321"/>
  <valUSD>-1234567.89</valUSD><pctVal>-0.0123</pctVal><payoffProfile>Short</payoffProfile>
  <assetConditional assetCat="OTHER" desc="Litigation claim"/>
  <issuerConditional issuerCat="OTHER" desc="Trust"/>
  <invCountry>XX</invCountry><invOthCountry>GG</invOthCountry>
  <isRestrictedSec>Y</isRestrictedSec><fairValLevel>3</fairValLevel>
  <securityLending><isCashCollateral>Y</isCashCollateral>
    <cashCollateralCondition isCashCollateral="Y" cashCollateralVal="100.5"/>
    <nonCashCollateralCondition isNonCashCollateral="Y" nonCashCollateralVal="-7"/>
    <loanByFundCondition isLoanByFund="Y" loanVal="2500"/></securityLending>
</invstOrSec>
<invstOrSec><name>Swap On Index</name><balance>1</balance><units>NC</units>
  <curCd>USD</curCd><valUSD>-2500</valUSD><pctVal>-0.25</pctVal>
  <assetCat>DIR</assetCat><issuerCat>CORP</issuerCat><invCountry>US</invCountry>
  <derivativeInfo><swapDeriv derivCat="SWP">
    <counterparties><counterpartyName>Bank A</counterpartyName>
      <counterpartyLei>5493000000000000AAAA</counterpartyLei></counterparties>
    <descRefInstrmnt><indexBasketInfo><indexName>Index</indexName>
      <indexIdentifier>IDX</indexIdentifier></indexBasketInfo></descRefInstrmnt>
    <terminationDt>2027-03-31</terminationDt>
    <notionalAmts><notionalAmt amt="-5000000" curCd="JPY"/>
      <notionalAmt amt="7" curCd="USD"/></notionalAmts>
    <unrealizedAppr>-2500</unrealizedAppr></swapDeriv></derivativeInfo>
  <securityLending><isLoanByFund>N</isLoanByFund></securityLending>
</invstOrSec>
<invstOrSec><name>Put Option</name><balance>-20</balance><units>NC</units>
  <curCd>USD</curCd><valUSD>-300.25</valUSD><pctVal>N/A</pctVal>
  <assetCat>DE</assetCat><issuerCat>CORP</issuerCat><invCountry>US</invCountry>
  <derivativeInfo><optionSwaptionWarrantDeriv derivCat="OPT">
    <counterparties><counterpartyName>N/A</counterpartyName>
      <counterpartyLei>N/A</counterpartyLei></counterparties>
    <putOrCall>Put</putOrCall><writtenOrPur>Written</writtenOrPur>
    <descRefInstrmnt><otherRefInst><issuerName>Nested Co</issuerName>
      <identifiers><ticker value="NEST"/></identifiers></otherRefInst></descRefInstrmnt>
    <shareNo>100</shareNo><exercisePrice>42.5</exercisePrice><exercisePriceCurCd>USD</exercisePriceCurCd>
    <expDt>2025-01-17</expDt><delta>-0.3</delta><unrealizedAppr>12.5</unrealizedAppr>
  </optionSwaptionWarrantDeriv></derivativeInfo>
</invstOrSec>
<invstOrSec><name>Bond In Default</name><balance>1e6</balance><units>PA</units>
  <curCd>GBP</curCd><valUSD>0</valUSD><pctVal>0.0</pctVal><assetCat>DBT</assetCat>
  <issuerCat>CORP</issuerCat><invCountry>GB</invCountry>
  <debtSec><maturityDt>2030-06-30</maturityDt><couponKind>Floating</couponKind>
    <annualizedRt>-0.125</annualizedRt><isDefault>Y</isDefault>
    <areIntrstPmntsInArrs>N</areIntrstPmntsInArrs><isPaidKind>N/A</isPaidKind></debtSec>
</invstOrSec>
<invstOrSec><name>Reverse Repo</name><balance>500</balance><units>PA</units>
  <curCd>USD</curCd><valUSD>500</valUSD><pctVal>0.05</pctVal><assetCat>RA</assetCat>
  <repurchaseAgrmt><transCat>Reverse Repurchase</transCat><isCleared>N</isCleared>
    <repurchaseRt>-0.5</repurchaseRt><maturityDt>2024-07-01</maturityDt></repurchaseAgrmt>
</invstOrSec>
"""


def _with_edge_cases() -> bytes:
    body = FIXTURE.read_bytes()
    end = body.index(b"</invstOrSecs>")
    return body[:end] + EDGE_CASES + body[end:]


def _generated_filing(holdings: int) -> bytes:
    """The sample world's multi-asset filing, as scripts/bench.py --nport builds it:
    equities, bonds with their debt section, futures with their derivative section."""
    from ingest.sample import edgar
    from ingest.sample.world import fund_spec

    securities = [s for pool in edgar.security_master().values() for s in pool]
    spec = fund_spec("AGG", None)
    filing = edgar.Filing("BENCH", edgar.REGISTRANTS["ishares"], edgar.series_id("BENCH"),
                          edgar.class_id("BENCH"), dt.date(2024, 6, 28), dt.date(2024, 7, 31),
                          dt.date(2024, 8, 26), "0009990001-24-000001")
    futures = edgar._futures(spec, "commodity", 10, dt.date(2023, 11, 30), 5e9)
    positions = []
    for i in range(holdings):
        if i % 100 == 99:
            positions.append(futures[i // 100 % len(futures)])
            continue
        sec = securities[i % len(securities)]
        positions.append(edgar.Position(sec, 1000.0 + i, 12345.67 - 3 * i,
                                        "NS" if sec.kind == "equity" else "PA"))
    return edgar.nport_xml(filing, spec, positions, 5e9, [(1e6, 2e6)] * 3, [0.1, 0.2, None])


# -- the comparisons ------------------------------------------------------------------------


def test_fixture_is_read_as_the_reference_reads_it() -> None:
    assert assert_same_as_reference(FIXTURE.read_bytes(), "fixture") == 5


def test_edge_cases_are_read_as_the_reference_reads_them() -> None:
    body = _with_edge_cases()
    assert assert_same_as_reference(body, "edge cases") == 5 + 6
    holdings = parse_nport(body, "X").holdings.set_index("name")
    bare = holdings.loc["Bare Minimum Co"]
    assert bare["lei"] is None and bare["isin"] is None and bare["currency"] is None
    assert bare["value_usd"] == -0.5 and math.isnan(bare["pct_of_net_assets"])
    alpha = holdings.loc["Alpha & Omega Holdings"]
    assert (alpha["isin"], alpha["ticker"]) == ("US0000000001", "AAA")  # the first one
    assert (alpha["other_id"], alpha["other_id_desc"]) == ("B000001", "SEDOL")
    assert alpha["lei"] is None and alpha["title"] == " " and alpha["cusip"] is None
    assert alpha["balance"] == -1500.0  # surrounding blanks are not part of the number
    assert (alpha["currency"], alpha["exchange_rate"]) == ("EUR", 0.9321)
    assert alpha["non_cash_collateral_value"] == -7.0 and alpha["is_on_loan"] is True
    swap = holdings.loc["Swap On Index"]
    assert (swap["derivative_notional_amount"], swap["derivative_currency"]) == (-5e6, "JPY")
    assert swap["derivative_expiration_date"] == "2027-03-31"
    option = holdings.loc["Put Option"]
    assert option["ticker"] is None  # the reference instrument's ticker does not leak
    assert (option["option_put_or_call"], option["option_exercise_price"]) == ("Put", 42.5)
    assert option["derivative_counterparty_name"] is None  # "N/A"
    bond = holdings.loc["Bond In Default"]
    assert bond["debt_is_default"] is True and bond["debt_is_paid_in_kind"] is None
    assert holdings.loc["Reverse Repo"]["repo_rate"] == -0.5


@pytest.mark.parametrize("pool", [False, True], ids=["in process", "worker processes"])
def test_one_holding_per_piece_is_read_as_the_reference_reads_it(pool: bool,
                                                                monkeypatch) -> None:
    """Every holding its own piece: the pieces join without gaps, repeats or reordering,
    whether read here or by the worker processes a large filing gets."""
    monkeypatch.setattr(parser, "PIECE_BYTES", 1)
    monkeypatch.setattr(parser, "POOL_MIN_BYTES", 0 if pool else 1 << 62)
    assert assert_same_as_reference(_with_edge_cases(), "one holding per piece") == 11


@pytest.mark.parametrize("pool", [False, True], ids=["in process", "worker processes"])
@pytest.mark.parametrize("change", [
    "prefixed holdings", "an end tag in a comment", "an end tag in CDATA",
    "a declared Latin-1 encoding", "namespaces declared where the holdings stand"])
def test_documents_the_byte_cut_must_respect(change: str, pool: bool, monkeypatch) -> None:
    """Holdings cut out of the bytes (here at every end tag) are read as the whole
    document reads them: with the prefix the filing gives them, the namespaces in scope
    and the declared encoding; a cut that would land inside a comment or CDATA section
    falls back to the whole tree, also when a worker process meets it."""
    monkeypatch.setattr(parser, "PIECE_BYTES", 1)
    monkeypatch.setattr(parser, "POOL_MIN_BYTES", 0 if pool else 1 << 62)
    parsed_whole = []
    parse_whole = parser._parse_whole
    monkeypatch.setattr(parser, "_parse_whole",
                        lambda *args: parsed_whole.append(1) or parse_whole(*args))
    body = _with_edge_cases()
    if change == "prefixed holdings":
        body = body.replace(b"<invstOrSec>", b"<n:invstOrSec>").replace(
            b"</invstOrSec>", b"</n:invstOrSec>").replace(
            b"<edgarSubmission ", b'<edgarSubmission xmlns:n="%s" ' % NS.encode())
    elif change == "an end tag in a comment":
        body = body.replace(b"<name>Reverse Repo</name>",
                            b"<name>Reverse Repo</name><!-- </invstOrSec> -->")
    elif change == "an end tag in CDATA":
        body = body.replace(b"<![CDATA[Alpha & Omega Holdings]]>",
                            b"<![CDATA[Alpha </invstOrSec> Omega]]>")
    elif change == "a declared Latin-1 encoding":
        body = body.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
            b"<name>Bare Minimum Co</name>", "<name>Société Générale</name>".encode("latin-1"))
    else:
        body = body.replace(b"<invstOrSecs>", b'<invstOrSecs xmlns:h="urn:x">').replace(
            b"<name>Reverse Repo</name>", b'<name h:kind="repo">Reverse Repo</name>')
    assert assert_same_as_reference(body, change) == 11
    assert bool(parsed_whole) == change.startswith("an end tag in")
    names = set(parse_nport(body, "X").holdings["name"])
    assert ("Société Générale" in names) == (change == "a declared Latin-1 encoding")


def test_generated_multi_asset_filing_is_read_as_the_reference_reads_it() -> None:
    """Several pieces of PIECE_BYTES, so piece boundaries are compared too."""
    assert assert_same_as_reference(_generated_filing(9_000), "generated") == 9_000


def test_real_filings_are_read_as_the_reference_reads_them(shared_data_dir: Path) -> None:
    folder = shared_data_dir / "nport"
    if not folder.is_dir():
        pytest.skip("../shared/data/nport is not present")
    files = sorted(folder.glob("*.xml"))
    assert files
    total = sum(assert_same_as_reference(path.read_bytes(), path.name) for path in files)
    assert total >= 3_254 + 3_412  # SEC samples 4 and 5 carry thousands of holdings
