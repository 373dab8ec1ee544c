"""iShares plugin: the real IVV download lands exactly, variants of the real layouts
(tests/fixtures/ishares, written for the tests), the screener and its follow-ups, faults
through the loopback server, the sample renderer and a file ingest."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.ishares.plugin import (
    SCREENER_URL,
    IsharesPlugin,
    holdings_request,
    parse_screener,
)
from ingest.plugins.issuer_files import ISSUER_FUND_DAYS, ISSUER_FUNDS, ISSUER_HOLDINGS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ishares"
REAL_IVV = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "issuers" / \
    "ishares_IVV_holdings_2022-12-30.csv"
PAGE = "https://www.ishares.com/us/products/239726/ishares-example-equity-etf"
FETCHED_AT = dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
D = dt.date
MAR_10 = D(2026, 3, 10)


def holdings_payload(body: bytes, ticker: str = "EXEQ", day: dt.date = MAR_10,
                     status: int = 200) -> Payload:
    request = holdings_request(PAGE, ticker, day, today=D(2026, 3, 11))
    return Payload(request, body, status, request.url, hashlib.sha256(body).hexdigest(),
                   FETCHED_AT)


def parse(body: bytes, ticker: str = "EXEQ", **kwargs) -> tuple[dict, list[dict]]:
    out = IsharesPlugin().parse(holdings_payload(body, ticker, **kwargs))
    (day,) = out[ISSUER_FUND_DAYS.name]
    return day, list(out[ISSUER_HOLDINGS.name])


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- the real file -------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_IVV.exists(), reason="../shared/data/issuers is absent")
def test_real_ivv_download_lands_every_holding_with_its_values() -> None:
    body = REAL_IVV.read_bytes()
    day, holdings = parse(body, "IVV", day=D(2022, 12, 30))

    assert day["as_of_date"] == D(2022, 12, 30)
    assert day["shares_outstanding"] == 753_450_000
    assert day["nav"] is None and day["total_net_assets"] is None

    # the table counted and read independently: from its header line to the first line
    # that is blank once stripped (the file's is a lone NBSP), read by pandas
    lines = body.decode("utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Ticker,Name,"))
    count = next(i for i in range(start + 1, len(lines)) if not lines[i].strip()) - start - 1
    table = pd.read_csv(io.StringIO("\n".join(lines[start:start + count + 1])),
                        thousands=",", na_values="-", keep_default_na=False)
    assert count == len(table) == len(holdings) == 508
    assert [h["line_number"] for h in holdings] == list(range(1, 509))
    assert [h["holding_ticker"] for h in holdings] == table["Ticker"].tolist()
    assert [h["holding_name"] for h in holdings] == table["Name"].tolist()
    for column, header in (("market_value", "Market Value"), ("quantity", "Quantity"),
                           ("weight_pct", "Weight (%)"), ("price", "Price"),
                           ("notional_value", "Notional Value")):
        assert [h[column] for h in holdings] == pytest.approx(
            table[header].astype(float).tolist()), column
    assert day["holdings_market_value"] == pytest.approx(table["Market Value"].sum())
    # the fund's NAV implied by the sum of its holdings: IVV closed 2022 near $384
    assert 380 < day["holdings_market_value"] / day["shares_outstanding"] < 388
    apple = holdings[0]
    assert apple == {**apple, "holding_ticker": "AAPL", "sector": "Information Technology",
                     "asset_class": "Equity", "market_value": 17_447_821_037.88,
                     "quantity": 134_286_316.0, "price": 129.93, "exchange": "NASDAQ",
                     "location": "United States", "currency": "USD"}
    futures = next(h for h in holdings if h["asset_class"] == "Futures")
    assert futures["location"] is None and futures["notional_value"] > 0


# -- variants of the real layouts ----------------------------------------------------------


def test_equity_fixture_lands_header_facts_and_lines() -> None:
    day, holdings = parse(fixture("EXEQ_holdings.csv"))
    assert day == {"ticker": "EXEQ", "as_of_date": D(2026, 3, 10), "source": "ishares",
                   "shares_outstanding": 12_345_678.0, "nav": None, "total_net_assets": None,
                   "holdings_market_value": pytest.approx(2_058_000.00)}
    assert [h["holding_ticker"] for h in holdings] == ["EXA", "EXB", "ESM6", "USD"]
    assert holdings[0]["market_value"] == 1_234_567.89
    assert holdings[2]["notional_value"] == 250_000.0 and holdings[2]["location"] is None
    assert holdings[3]["exchange"] is None


def test_fixed_income_column_set_maps_by_name() -> None:
    day, holdings = parse(fixture("EXBD_holdings.csv"), "EXBD", day=D(2022, 1, 3))
    assert day["as_of_date"] == D(2022, 1, 3) and day["shares_outstanding"] == 2_000_000
    first, second, cash = holdings
    assert first["holding_ticker"] is None  # the fixed-income set has no Ticker column
    assert (first["cusip"], first["isin"], first["sedol"]) == ("912828ZZ1", "US912828ZZ19",
                                                              "BMX0000")
    assert first["quantity"] == 150_000_000.0  # Par Value
    assert first["maturity_date"] == D(2031, 2, 15) and first["coupon_pct"] == 4.13
    assert second["maturity_date"] == D(2033, 3, 15)  # "03/15/2033"
    assert second["sedol"] is None
    assert cash["maturity_date"] is None and cash["asset_class"] == "Money Market"
    assert day["holdings_market_value"] == pytest.approx(150_112_500 + 49_000_000 + 887_500)


def _rewrite(body: bytes, *, crlf: bool = False, bom: bool = True,
             blank: str = "\u00a0") -> bytes:
    text = body.decode("utf-8-sig").replace("\n\u00a0\n", f"\n{blank}\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    return (("\ufeff" if bom else "") + text).encode()


@pytest.mark.parametrize("variant", [
    {"crlf": True}, {"bom": False}, {"blank": " "}, {"blank": ""},
    {"crlf": True, "bom": False, "blank": " "},
])
def test_crlf_bom_and_blank_line_variants_land_the_same(variant: dict) -> None:
    expected = parse(fixture("EXEQ_holdings.csv"))
    assert parse(_rewrite(fixture("EXEQ_holdings.csv"), **variant)) == expected


def _table(body: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    """(lines before the table header, the table's rows with the header first, the rest)."""
    lines = body.decode("utf-8-sig").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(("Ticker,", "Name,")))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    rows = list(csv.reader(lines[start:end]))
    return lines[:start], rows, lines[end:]


def _write(head: list[str], rows: list[list[str]], tail: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return ("\ufeff" + "\n".join(head) + "\n" + out.getvalue() + "\n".join(tail)).encode()


def test_reordered_missing_and_extra_columns_map_by_name() -> None:
    head, rows, tail = _table(fixture("EXEQ_holdings.csv"))
    keep = [c for c in reversed(range(len(rows[0]))) if rows[0][c] not in ("Price", "Sector")]
    changed = [[row[c] for c in keep] + [extra] for row, extra in
               zip(rows, ["Comment", "a", "b", "c", "d"], strict=True)]
    # the Quantity column under its older name, "Shares"
    changed[0] = ["Shares" if h == "Quantity" else h for h in changed[0]]
    day, holdings = parse(_write(head, changed, tail))
    _, expected = parse(fixture("EXEQ_holdings.csv"))
    for got, want in zip(holdings, expected, strict=True):
        assert got["price"] is None and got["sector"] is None
        assert {k: v for k, v in got.items() if v is not None} == {
            k: v for k, v in want.items() if k not in ("price", "sector") and v is not None}
    assert day["holdings_market_value"] == pytest.approx(2_058_000.00)


def test_repeated_block_lands_the_first_block_only() -> None:
    body = fixture("EXEQ_holdings.csv").decode("utf-8-sig")
    block = body[: body.index('"The content')]
    second = block.replace('"Mar 10, 2026"', '"Mar 09, 2026"').replace("1,234,567.89", "1.00")
    doubled = ("\ufeff" + block + second + body[body.index('"The content'):]).encode()
    assert parse(doubled) == parse(fixture("EXEQ_holdings.csv"))
    # and without a blank line between the blocks
    tight = ("\ufeff" + block.rstrip("\n\u00a0") + "\n" + second).encode()
    assert parse(tight) == parse(fixture("EXEQ_holdings.csv"))


def test_a_holiday_request_lands_under_the_files_own_date() -> None:
    day, holdings = parse(fixture("EXEQ_holdings.csv"), day=D(2026, 3, 11))
    assert day["as_of_date"] == D(2026, 3, 10)
    assert {h["as_of_date"] for h in holdings} == {D(2026, 3, 10)}


def test_dash_as_of_is_a_source_error_naming_the_fund_and_date() -> None:
    body = fixture("EXEQ_holdings.csv").replace(b'"Mar 10, 2026"', b'"-"')
    with pytest.raises(SourceError, match=r"no holdings published for EXEQ as of 20260310"):
        parse(body)


@pytest.mark.parametrize("status, body", [
    (200, b"<!DOCTYPE html><html><head><title>Access check</title></head></html>"),
    (200, b"\xef\xbb\xbf\n  <html><body>Please verify you are a human</body></html>"),
    (403, b"Forbidden"),
])
def test_bot_check_page_and_403_name_the_file_fallback(status: int, body: bytes) -> None:
    with pytest.raises(SourceError) as excinfo:
        parse(body, status=status)
    message = str(excinfo.value)
    assert "EXEQ holdings" in message
    assert "etfflow ingest ishares --file PATH" in message


@pytest.mark.parametrize("body, reason", [
    (b"Ticker,Name\n", "no 'Fund Holdings as of' line"),
    (b'Fund X\nFund Holdings as of,"Mar 10, 2026"\nShares Outstanding,"1.00"\n',
     "no holdings table"),
    (b'Fund X\nFund Holdings as of,"Mar 10, 2026"\nShares Outstanding,"lots"\n'
     b'Ticker,Name,Market Value\n"A","B","1.00"\n', "not a number: 'lots'"),
    (b'Fund X\nFund Holdings as of,"Mar 10, 2026"\n'
     b'Ticker,Name,Sector,Market Value\n"A","B","C","12,x"\n', "line 4: column market_value"),
    (b'Fund X\nFund Holdings as of,"Someday"\nTicker,Name,Weight (%)\n', "not a date"),
])
def test_malformed_files_are_quarantined_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        parse(body)


# -- the screener and its follow-ups --------------------------------------------------------


def screener_payload(body: bytes | None = None) -> Payload:
    body = fixture("screener.json") if body is None else body
    request = next(iter(IsharesPlugin().plan(PlanParams())))
    return Payload(request, body, 200, SCREENER_URL, hashlib.sha256(body).hexdigest(),
                   FETCHED_AT)


def test_plan_is_the_screener_request() -> None:
    (request,) = IsharesPlugin().plan(PlanParams(("IVV",), D(2024, 1, 1), D(2024, 1, 31)))
    assert request.url.startswith("https://www.ishares.com/us/product-screener/"
                                  "product-screener-v3.1.jsn?dcrPath=")
    assert request.url.endswith("&siteEntryPassthrough=true")


def test_screener_lists_etfs_by_key_and_ignores_the_rest() -> None:
    funds = {f["ticker"]: f for f in parse_screener(fixture("screener.json"))}
    assert set(funds) == {"EXEQ", "EXBD", "EXNEW"}  # not the mutual fund, not the junk
    assert funds["EXEQ"] == {
        "source": "ishares", "ticker": "EXEQ", "fund_id": "239726",
        "fund_name": "iShares Example Equity ETF", "product_url": PAGE,
        "inception_date": D(2022, 1, 3), "net_assets_usd": 2_058_000.0}
    assert funds["EXBD"]["net_assets_usd"] is None
    assert funds["EXNEW"]["fund_id"] == "333011"  # the key when portfolioId is missing
    assert funds["EXNEW"]["product_url"] == ("https://www.ishares.com/us/products/333011/"
                                             "ishares-example-new-etf")
    with_bom = parse_screener(b"\xef\xbb\xbf" + fixture("screener.json"))
    assert len(with_bom) == 3


@pytest.mark.parametrize("body, reason", [
    (b"[1, 2]", "JSON list"), (b"{not json", "not JSON"), (b'{"1": "junk"}', "no ETF"),
])
def test_unreadable_screener_is_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        parse_screener(body)


def test_follow_up_asks_one_file_per_wanted_fund_and_weekday_from_inception() -> None:
    plugin = IsharesPlugin()
    payload = screener_payload()
    rows = plugin.parse(payload)
    params = PlanParams(("exeq", "EXNEW"), D(2026, 3, 6), D(2026, 3, 12))
    requests = list(plugin.follow_up(payload, rows, params))
    labels = [r.label for r in requests]
    assert labels == ["EXEQ holdings 2026-03-06", "EXEQ holdings 2026-03-09",
                      "EXEQ holdings 2026-03-10", "EXEQ holdings 2026-03-11",
                      "EXEQ holdings 2026-03-12",
                      # EXNEW's inception is 2026-03-11: nothing before it
                      "EXNEW holdings 2026-03-11", "EXNEW holdings 2026-03-12"]
    first = requests[0]
    assert first.url == PAGE + "/1467271812596.ajax"
    assert dict(first.params) == {"fileType": "csv", "fileName": "EXEQ_holdings",
                                  "dataType": "fund", "asOfDate": "20260306"}
    assert first.immutable  # a dated file from the past never changes
    today = dt.date.today()
    future = holdings_request(PAGE, "EXEQ", today, today)
    assert not future.immutable


def test_follow_up_reports_wanted_funds_the_screener_lacks_after_the_rest() -> None:
    plugin = IsharesPlugin()
    payload = screener_payload()
    rows = plugin.parse(payload)
    found: list[Request] = []
    with pytest.raises(SourceError, match="not in the iShares product screener.*: SPY, QQQ"):
        for request in plugin.follow_up(payload, rows, PlanParams(
                ("SPY", "EXEQ", "QQQ"), D(2026, 3, 9), D(2026, 3, 10))):
            found.append(request)
    assert [r.label for r in found] == ["EXEQ holdings 2026-03-09", "EXEQ holdings 2026-03-10"]
    assert list(plugin.follow_up(holdings_payload(b""), rows, PlanParams(("EXEQ",)))) == []


# -- end to end through the runner and the loopback server ---------------------------------


def _serve(server: HTTPServer, holdings_status: int = 200,
           holdings_body: bytes | None = None) -> IsharesPlugin:
    """The fixture screener and EXEQ's files from the loopback server, by rewriting the
    screener's product pages onto it."""
    base = server.url_for("").rstrip("/")
    screener = fixture("screener.json").replace(b"/us/products/", f"{base}/us/products/".encode())
    server.expect_request("/screener.jsn").respond_with_data(screener)
    server.expect_request("/us/products/239726/ishares-example-equity-etf/1467271812596.ajax") \
        .respond_with_data(holdings_body or fixture("EXEQ_holdings.csv"), status=holdings_status,
                           content_type="text/csv")

    class LoopbackIshares(IsharesPlugin):
        def plan(self, params: PlanParams):
            yield Request.get(f"{base}/screener.jsn", "iShares product screener")

    return LoopbackIshares()


def test_run_lands_screener_then_follow_ups_and_replays_offline(
        private_httpserver: HTTPServer, settings: Settings) -> None:
    plugin = _serve(private_httpserver)
    params = PlanParams(("EXEQ", "NOPE"), D(2026, 3, 9), D(2026, 3, 10))
    result = run_plugin(plugin, params, settings)

    assert result.status == "partial"  # NOPE is no iShares fund: one warning
    assert result.errors == ["iShares product screener: not in the iShares product screener "
                             "(not an iShares ETF?): NOPE"]
    assert result.payloads == result.requests_made == 3
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        funds = con.execute("select count(*) from raw.issuer_funds").fetchone()
        days = con.execute("select ticker, as_of_date, shares_outstanding "
                           "from raw.issuer_fund_days").fetchall()
        lines = con.execute("select count(*), count(distinct as_of_date) "
                            "from raw.issuer_holdings").fetchone()
    assert funds == (3,)
    # both requests answered the Mar 10 file: one fund-day, its lines once
    assert days == [("EXEQ", D(2026, 3, 10), 12_345_678.0)]
    assert lines == (4, 1)

    private_httpserver.stop()
    replay = run_plugin(plugin, params, dataclasses.replace(settings, offline=True))
    assert replay.errors == result.errors and replay.rows_landed == 0


@pytest.mark.parametrize("status, body", [
    (403, b"Forbidden"), (200, b"<html><body>Are you a robot?</body></html>")])
def test_refusal_is_one_recorded_error_naming_the_fallback(
        private_httpserver: HTTPServer, settings: Settings, status: int, body: bytes) -> None:
    plugin = _serve(private_httpserver, status, body)
    result = run_plugin(plugin, PlanParams(("EXEQ",), D(2026, 3, 10), D(2026, 3, 10)), settings)
    assert result.status == "partial"
    (error,) = result.errors
    assert error.startswith("EXEQ holdings 2026-03-10: EXEQ holdings: iShares ")
    assert "etfflow ingest ishares --file PATH" in error
    assert len(private_httpserver.log) == 2  # screener + one holdings request, no retries


# -- local files ---------------------------------------------------------------------------


def test_local_files_take_the_ticker_from_the_name_or_the_option(tmp_path: Path) -> None:
    plugin = IsharesPlugin()
    named = tmp_path / "EXEQ_holdings (1).csv"
    named.write_bytes(fixture("EXEQ_holdings.csv"))
    (request,) = plugin.local_requests([tmp_path], PlanParams())
    assert dict(request.params) == {"ticker": "EXEQ"} and request.url.startswith("file://")
    other = tmp_path / "sub" / "download.csv"
    other.parent.mkdir()
    other.write_bytes(fixture("EXEQ_holdings.csv"))
    with pytest.raises(Exception, match="cannot tell the fund of download.csv"):
        plugin.local_requests([other], PlanParams())
    (request,) = plugin.local_requests([other], PlanParams(extra={"ticker": "exeq"}))
    assert dict(request.params) == {"ticker": "EXEQ"}


def test_cli_ingest_file_lands_its_count_and_date(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ingest.cli import main

    path = tmp_path / "EXBD_holdings_2022-01-03.csv"
    path.write_bytes(fixture("EXBD_holdings.csv"))
    db = tmp_path / "warehouse.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "archive"),
                                       "ingest", "ishares", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "ishares: success" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select ticker, as_of_date, shares_outstanding, source "
                           "from raw.issuer_fund_days").fetchall() == [
            ("EXBD", D(2022, 1, 3), 2_000_000.0, "ishares")]
        assert con.execute("select count(*) from raw.issuer_holdings").fetchone() == (3,)

    missing = CliRunner().invoke(main, ["--db", str(db), "ingest", "ishares", "--file",
                                        str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "no such file or directory" in missing.output


@pytest.mark.skipif(not REAL_IVV.exists(), reason="../shared/data/issuers is absent")
def test_cli_ingest_real_ivv_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ingest.cli import main

    db = tmp_path / "warehouse.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "archive"),
                                       "ingest", "ishares", "--file", str(REAL_IVV)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select ticker, as_of_date, shares_outstanding "
                           "from raw.issuer_fund_days").fetchall() == [
            ("IVV", D(2022, 12, 30), 753_450_000.0)]
        assert con.execute("select count(*) from raw.issuer_holdings").fetchone() == (508,)


# -- the sample renderer -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_ishares(tmp_path_factory: pytest.TempPathFactory):
    from ingest.sample import ishares as sample
    from ingest.sample.world import simulated_paths

    paths = simulated_paths(["IVV", "AGG", "IYZ", "SPY"])
    root = tmp_path_factory.mktemp("ishares_sample")
    section = sample.write_archive(Archive(root), paths)
    return sample, paths, Archive(root), section


def test_sample_files_parse_back_to_the_worlds_counts_and_assets(sample_ishares) -> None:
    sample, paths, archive, section = sample_ishares
    assert section["funds"] == ["IVV", "AGG", "IYZ"]  # SPY is State Street's
    plugin = IsharesPlugin()
    screener = archive.get("ishares", next(iter(plugin.plan(PlanParams()))))
    funds = {f["ticker"]: f for f in plugin.parse(screener)[ISSUER_FUNDS.name]}
    assert set(funds) == {"IVV", "AGG", "IYZ"}  # the sample mutual fund is ignored
    for ticker in ("IVV", "AGG", "IYZ"):
        path = paths[ticker]
        for k in (0, len(path.days) // 2, len(path.days) - 1):
            day = path.days[k]
            request = holdings_request(funds[ticker]["product_url"], ticker, day, day)
            fund_day, holdings = _parsed(plugin, archive.get("ishares", request))
            assert fund_day["as_of_date"] == day
            assert fund_day["shares_outstanding"] == int(path.shares[k])
            assets = float(path.nav[k]) * float(path.shares[k])
            assert math.isclose(fund_day["holdings_market_value"], assets, abs_tol=0.02)
            assert 5 <= len(holdings) <= 20
    # IYZ's files start at its launch
    assert section["first_file_date"]["IYZ"] == paths["IYZ"].days[0].isoformat() == "2023-09-12"


def _parsed(plugin: IsharesPlugin, payload: Payload) -> tuple[dict, list[dict]]:
    out = plugin.parse(payload)
    (fund_day,) = out[ISSUER_FUND_DAYS.name]
    return fund_day, list(out[ISSUER_HOLDINGS.name])


def test_sample_defects_are_in_the_archive_as_the_manifest_lists_them(sample_ishares) -> None:
    sample, paths, archive, section = sample_ishares
    plugin = IsharesPlugin()
    screener = archive.get("ishares", next(iter(plugin.plan(PlanParams()))))
    pages = {f["ticker"]: f["product_url"] for f in plugin.parse(screener)[ISSUER_FUNDS.name]}
    kinds = {(d["kind"], d["ticker"]): d for d in section["defects"]}

    holiday = kinds[("holiday_previous_file", "IVV")]
    assert "2023-07-04" in holiday["dates"]
    for asked, served in zip(holiday["dates"], holiday["served_dates"], strict=True):
        request = holdings_request(pages["IVV"], "IVV", D.fromisoformat(asked), D(2025, 1, 1))
        fund_day, _ = _parsed(plugin, archive.get("ishares", request))
        assert fund_day["as_of_date"] == D.fromisoformat(served) < D.fromisoformat(asked)

    (no_data,) = kinds[("no_holdings_published", "IVV")]["dates"]
    request = holdings_request(pages["IVV"], "IVV", D.fromisoformat(no_data), D(2025, 1, 1))
    with pytest.raises(SourceError, match="no holdings published for IVV"):
        plugin.parse(archive.get("ishares", request))

    assert ("repeated_block", "AGG") in kinds
    day = paths["AGG"].days[10]
    payload = archive.get("ishares", holdings_request(pages["AGG"], "AGG", day, day))
    assert payload.body.count(b"Fund Holdings as of") == 2
    _, holdings = _parsed(plugin, payload)
    assert len(holdings) == len(sample.basket(paths["AGG"].spec)) + 1  # lines + cash, once
    assert payload.body.startswith(b"\xef\xbb\xbf") and b"\n\xc2\xa0\n" in payload.body
    assert holdings[0]["maturity_date"] is not None  # the fixed-income column set


def test_demo_runs_expect_one_error_per_no_data_day() -> None:
    from ingest.sample import demo_runs
    from ingest.sample.ishares import ISSUER_DAILY_RUNS, NO_DATA_DAYS
    from ingest.universe import seed_tickers

    runs = [r for r in demo_runs(seed_tickers()) if r.plugin == "ishares"]
    backfill, *daily = runs
    assert backfill.params.extra == {"history_only": True}
    assert backfill.expected_errors == len(NO_DATA_DAYS)
    assert all(r.params.start == r.params.end for r in daily)
    assert len(daily) == ISSUER_DAILY_RUNS
    assert sum(r.expected_errors for r in daily) == 0
    assert "IVV" in backfill.params.tickers and "SPY" not in backfill.params.tickers


def test_demo_warehouse_has_an_issuer_count_for_every_fund_day(demo_build) -> None:
    """The demo replays the iShares files through the plugin: one fund-day row per fund and
    trading day from its first file, except the manifest's no-data days; holiday requests
    added no day of their own."""
    manifest = demo_build.manifest
    funds = manifest["issuer_sources"]["ishares"]["funds"]
    holidays = set(manifest["calendar"]["holidays"])
    no_data = {(d["ticker"], day) for d in manifest["issuer_defects"]
               if d["kind"] == "no_holdings_published" for day in d["dates"]}
    # not read_only: dbt, run in-process by the demo, still holds the file open read-write
    with duckdb.connect(str(demo_build.duckdb_path)) as con:
        landed = {(t, d.isoformat()): shares for t, d, shares in con.execute(
            "select ticker, as_of_date, shares_outstanding from raw.issuer_fund_days "
            "where source = 'ishares'").fetchall()}
        prices = con.execute("select ticker, count(*) from raw.yahoo_prices group by 1").fetchall()
    days_per_fund = {t: n for t, n in prices if t in funds}
    assert set(days_per_fund) == set(funds) and len(funds) == 19
    assert len(landed) == sum(days_per_fund.values()) - len(no_data)
    assert not no_data & set(landed)
    assert not {d for _, d in landed} & holidays
    assert all(shares and shares > 0 for shares in landed.values())
