"""State Street (spdr) plugin: the real SPY holdings workbook lands exactly, NAV-history and
holdings workbooks in the real layouts (written here with openpyxl), refusals and 404s, the
plan, the sample renderer (byte-identical output) and a file ingest."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from ingest.core.errors import EtfflowError
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.plugins.issuer_files import ISSUER_FUND_DAYS, ISSUER_HOLDINGS
from ingest.plugins.spdr.plugin import SpdrPlugin, holdings_request, navhist_request

REAL_SPY = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "issuers" / \
    "ssga_SPY_holdings_2023-01-10.xlsx"
FETCHED_AT = dt.datetime(2026, 8, 5, 1, 0, tzinfo=dt.UTC)
D = dt.date


def xlsx(rows: Sequence[Sequence[Any]], title: str = "Sheet1",
         extra_sheet_first: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if extra_sheet_first:
        sheet.title = "Notes"
        sheet.append(["Nothing to see here"])
        sheet = workbook.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def payload(body: bytes, request: Request, status: int = 200) -> Payload:
    return Payload(request, body, status, request.url, hashlib.sha256(body).hexdigest(),
                   FETCHED_AT)


def parse(body: bytes, request: Request, status: int = 200) -> dict[str, list[dict]]:
    return {k: list(v) for k, v in SpdrPlugin().parse(payload(body, request, status)).items()}


NAV_HEADER = ("Date", "NAV", "Shares Outstanding", "Total Net Assets")
NAVHIST_ROWS = [
    ("Fund Name:", "SPDR® Example Select Sector ETF"),
    ("Ticker Symbol:", "XLX"),
    ("NAV History",),
    NAV_HEADER,
    ("04-Aug-2026", 101.25, 50_100_000, 5_072_625_000.0),
    ("03-Aug-2026", 100.5, 50_000_000, 5_025_000_000.0),
    ("31-Jul-2026", 99.75, 49_950_000, 4_982_512_500.0),
    (),
    ("Past performance is not a reliable indicator of future performance.",),
]


def test_navhist_lands_every_day_with_nav_shares_and_assets() -> None:
    parsed = parse(xlsx(NAVHIST_ROWS), navhist_request("XLX"))
    assert set(parsed) == {ISSUER_FUND_DAYS.name}
    days = parsed[ISSUER_FUND_DAYS.name]
    assert days == [
        {"ticker": "XLX", "as_of_date": D(2026, 7, 31), "source": "spdr", "nav": 99.75,
         "shares_outstanding": 49_950_000.0, "total_net_assets": 4_982_512_500.0,
         "holdings_market_value": None},
        {"ticker": "XLX", "as_of_date": D(2026, 8, 3), "source": "spdr", "nav": 100.5,
         "shares_outstanding": 50_000_000.0, "total_net_assets": 5_025_000_000.0,
         "holdings_market_value": None},
        {"ticker": "XLX", "as_of_date": D(2026, 8, 4), "source": "spdr", "nav": 101.25,
         "shares_outstanding": 50_100_000.0, "total_net_assets": 5_072_625_000.0,
         "holdings_market_value": None},
    ]


def test_navhist_variants_find_the_table_by_content() -> None:
    expected = parse(xlsx(NAVHIST_ROWS), navhist_request("XLX"))
    # blank rows above the table, real spreadsheet dates, numbers as text with separators,
    # the columns reordered plus an extra one, and the disclaimer right under the table
    rows = [("Fund Name:", "SPDR® Example Select Sector ETF"), (), ("Ticker Symbol:", "XLX"),
            (), ("NAV History as of 04-Aug-2026",), (),
            ("Shares Outstanding", "Date", "Total Net Assets", "NAV", "Premium/Discount")]
    for date_text, nav, shares, assets in (r for r in NAVHIST_ROWS[4:7]):
        day = dt.datetime.strptime(date_text, "%d-%b-%Y")
        rows.append((f"{shares:,}", day, f"{assets:,.2f}", str(nav), "0.01%"))
    rows.append(("Fund data as of the dates shown.",))
    got = parse(xlsx(rows, title="NAV History", extra_sheet_first=True),
                navhist_request("XLX"))
    assert got == expected


def test_navhist_repeated_date_keeps_the_newest_row_and_bad_numbers_are_malformed() -> None:
    rows = [*NAVHIST_ROWS[:5], ("04-Aug-2026", 1.0, 2, 3.0), *NAVHIST_ROWS[5:]]
    (days,) = parse(xlsx(rows), navhist_request("XLX")).values()
    assert [d["nav"] for d in days] == [99.75, 100.5, 101.25]
    bad = [*NAVHIST_ROWS[:4], ("04-Aug-2026", "n.a.x", 50_100_000, 1.0)]
    with pytest.raises(MalformedPayload, match="nav history row 5: not a number: 'n.a.x'"):
        parse(xlsx(bad), navhist_request("XLX"))


HOLDINGS_ROWS = [
    ("Fund Name:", "SPDR® Example ETF Trust"), ("Ticker Symbol:", "XLX"),
    ("Holdings:", "As of 04-Aug-2026"), (),
    ("Name", "Ticker", "Identifier", "SEDOL", "Weight", "Sector", "Shares Held",
     "Local Currency"),
    ("Example Corp.", "EXA", "00000010", "2000001", "60.123456", "Information Technology",
     "1234567.000", "USD"),
    ("Example Bank Inc.", "EXB", "00000020", "-", "39.876544", "Financials", "765432.000",
     "USD"),
    (), ("Portfolio holdings are subject to change.",),
]


def test_holdings_workbook_lands_lines_with_the_stated_as_of_date() -> None:
    parsed = parse(xlsx(HOLDINGS_ROWS, title="holdings"), holdings_request("XLX"))
    assert set(parsed) == {ISSUER_HOLDINGS.name}  # no fund share count in a holdings file
    lines = parsed[ISSUER_HOLDINGS.name]
    assert [line["line_number"] for line in lines] == [1, 2]
    first, second = lines
    assert first == {
        "ticker": "XLX", "as_of_date": D(2026, 8, 4), "source": "spdr", "line_number": 1,
        "holding_ticker": "EXA", "holding_name": "Example Corp.", "sector":
        "Information Technology", "asset_class": None, "cusip": "00000010", "isin": None,
        "sedol": "2000001", "quantity": 1_234_567.0, "market_value": None,
        "notional_value": None, "weight_pct": 60.123456, "price": None, "currency": "USD",
        "location": None, "exchange": None, "maturity_date": None, "coupon_pct": None}
    assert second["sedol"] is None


def test_bond_holdings_columns_map_by_name() -> None:
    rows = [*HOLDINGS_ROWS[:4],
            ("Name", "ISIN", "Identifier", "Coupon", "Maturity Date", "Weight", "Par Value",
             "Market Value", "Local Currency"),
            ("EXAMPLE CORP 5.5 01/15/2030", "US0000000AA1", "0000000A", "5.500",
             "15-Jan-2030", "0.512", "1,000,000.000", "1,012,345.67", "USD"),
            ()]
    ((line,),) = parse(xlsx(rows, title="holdings"), holdings_request("XLX")).values()
    assert (line["isin"], line["cusip"], line["coupon_pct"]) == ("US0000000AA1", "0000000A",
                                                                 5.5)
    assert line["maturity_date"] == D(2030, 1, 15)
    assert (line["quantity"], line["market_value"]) == (1_000_000.0, 1_012_345.67)


@pytest.mark.skipif(not REAL_SPY.exists(), reason="../shared/data/issuers is absent")
def test_real_spy_holdings_workbook_lands_every_holding() -> None:
    (lines,) = parse(REAL_SPY.read_bytes(), holdings_request("SPY")).values()
    # counted independently with openpyxl: the rows under the "Name" header up to a blank
    sheet = openpyxl.load_workbook(REAL_SPY, read_only=True)["holdings"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "Name")
    table = []
    for row in rows[start + 1:]:
        if all(c is None or not str(c).strip() for c in row):
            break
        table.append(row)
    assert len(lines) == len(table) == 505
    assert {line["as_of_date"] for line in lines} == {D(2023, 1, 10)}
    assert [line["holding_ticker"] for line in lines] == [r[1] for r in table]
    def number(cell: str) -> float | None:
        return None if cell == "-" else float(cell)

    assert [line["quantity"] for line in lines] == [number(r[6]) for r in table]
    assert [line["weight_pct"] for line in lines] == [number(r[4]) for r in table]
    assert [line["cusip"] for line in lines] == [None if r[2] == "-" else r[2] for r in table]
    # the file's placeholder line ("DUMMY", every number "-") lands with null numbers
    dummy = next(line for line in lines if line["holding_name"] == "DUMMY")
    assert dummy["quantity"] is None and dummy["weight_pct"] is None
    assert lines[0]["holding_name"] == "Apple Inc." and lines[0]["cusip"] == "03783310"


@pytest.mark.parametrize("status, body, message", [
    (404, b"<!DOCTYPE html><html><body>Page not found</body></html>",
     "ZZZZ: not a State Street fund"),
    (200, b"<html><head></head><body>We could not find that page</body></html>",
     "ZZZZ: not a State Street fund"),
    (403, b"Forbidden", "etfflow ingest spdr --file PATH"),
    (500, b"oops", "HTTP 500"),
])
def test_answers_that_are_not_workbooks_are_source_errors(status: int, body: bytes,
                                                          message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse(body, navhist_request("ZZZZ"), status)


@pytest.mark.parametrize("body, reason", [
    (b"PK\x03\x04 not really a zip", "not a readable xlsx workbook"),
    (xlsx([("Fund Name:", "X"), ("Something", "else")]), "no NAV-history table"),
    (xlsx(NAVHIST_ROWS), "the workbook is for XLX, not SPY"),
])
def test_unreadable_or_foreign_workbooks_are_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        parse(body, navhist_request("SPY"))


def test_plan_datasets_and_backfill() -> None:
    plugin = SpdrPlugin()
    labels = [r.label for r in plugin.plan(PlanParams(("spy", "XLK")))]
    assert labels == ["SPY nav history", "SPY holdings", "XLK nav history", "XLK holdings"]
    (nav,) = plugin.plan(PlanParams(("SPY",), extra={"history_only": True}))
    assert nav.url == ("https://www.ssga.com/us/en/intermediary/etfs/library-content/products/"
                       "fund-data/etfs/us/navhist-us-en-spy.xlsx")
    (holdings,) = plugin.plan(PlanParams(("SPY",), extra={"datasets": "holdings"}))
    assert holdings.url.endswith("/holdings-daily-us-en-spy.xlsx")
    with pytest.raises(EtfflowError, match="unknown datasets"):
        list(plugin.plan(PlanParams(("SPY",), extra={"datasets": ("prices",)})))


# -- the sample renderer -------------------------------------------------------------------


@pytest.fixture(scope="module")
def spdr_paths():
    from ingest.sample.world import simulated_paths

    return simulated_paths(["SPY", "JNK"])


def test_sample_navhist_parses_back_to_the_worlds_nav_and_shares(spdr_paths) -> None:
    from ingest.sample.spdr import navhist_workbook

    path = spdr_paths["SPY"]
    body = navhist_workbook(path)
    (days,) = parse(body, navhist_request("SPY")).values()
    assert [d["as_of_date"] for d in days] == path.days
    assert [d["shares_outstanding"] for d in days] == [float(s) for s in path.shares]
    assert [d["nav"] for d in days] == [round(float(n), 2) for n in path.nav]
    assert all(d["total_net_assets"] == pytest.approx(d["nav"] * d["shares_outstanding"])
               for d in days)
    assert navhist_workbook(path) == body  # byte-identical on every run: no clock inside
    entries = zipfile.ZipFile(io.BytesIO(body)).infolist()
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    core = zipfile.ZipFile(io.BytesIO(body)).read("docProps/core.xml")
    assert b"2024-12-31T22:00:00Z" in core
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    first_rows = [r for _, r in zip(range(5), sheet.iter_rows(values_only=True), strict=False)]
    assert first_rows[3][:4] == NAV_HEADER
    assert isinstance(first_rows[4][0], str)  # dates as text, newest first
    assert first_rows[4][0] == path.days[-1].strftime("%d-%b-%Y")


@pytest.mark.parametrize("ticker", ["SPY", "JNK"])
def test_sample_holdings_parse_back_with_the_days_date(spdr_paths, ticker: str) -> None:
    from ingest.sample.baskets import basket, lines_on
    from ingest.sample.spdr import holdings_workbook

    path = spdr_paths[ticker]
    k = len(path.days) - 3
    lines = lines_on(path, basket(path.spec), k)
    body = holdings_workbook(path, lines, k)
    assert holdings_workbook(path, lines, k) == body
    (parsed,) = parse(body, holdings_request(ticker)).values()
    assert {p["as_of_date"] for p in parsed} == {path.days[k]}
    assert [p["quantity"] for p in parsed] == [line.quantity for line in lines]
    assert sum(p["weight_pct"] for p in parsed) == pytest.approx(100, abs=1e-3)
    # the real layout: every number as text
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True)["holdings"]
    assert all(isinstance(c, str) for r in list(sheet.iter_rows(values_only=True))[5:7]
               for c in r if c is not None)


def test_cli_ingest_spdr_file_lands_the_workbooks_rows(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ingest.cli import main

    (tmp_path / "navhist-us-en-xlx.xlsx").write_bytes(xlsx(NAVHIST_ROWS))
    (tmp_path / "holdings.xlsx").write_bytes(xlsx(HOLDINGS_ROWS, title="holdings"))
    db = tmp_path / "warehouse.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "archive"),
                                       "ingest", "spdr", "--file", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select ticker, max(as_of_date), count(*) from raw.issuer_fund_days "
                           "group by 1").fetchall() == [("XLX", D(2026, 8, 4), 3)]
        assert con.execute("select count(*) from raw.issuer_holdings").fetchone() == (2,)


def test_demo_warehouse_has_the_nav_history_and_daily_holdings(demo_build) -> None:
    section = demo_build.manifest["issuer_sources"]["spdr"]
    # not read_only: dbt, run in-process by the demo, still holds the file open read-write
    with duckdb.connect(str(demo_build.duckdb_path)) as con:
        per_fund = dict(con.execute(
            "select f.ticker, count(*) from raw.issuer_fund_days f "
            "join (select ticker, count(*) as n from raw.yahoo_prices group by 1) p "
            "using (ticker) where f.source = 'spdr' and f.nav is not null "
            "and f.total_net_assets is not null group by 1 having count(*) = any_value(p.n)"
        ).fetchall())
        holdings_days = [d.isoformat() for (d,) in con.execute(
            "select distinct as_of_date from raw.issuer_holdings where source = 'spdr' "
            "order by 1").fetchall()]
    assert sorted(per_fund) == sorted(section["funds"])  # every trading day of every fund
    assert holdings_days == section["holdings_days"]
