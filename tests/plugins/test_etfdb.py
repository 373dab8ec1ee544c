"""etfdb plugin: plan(), parse() on recorded pages (tests/fixtures/etfdb/, see its README),
markup changes quarantined with the missing fields, the sample renderer's pages, and an
offline end-to-end run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.robots import robots_request
from ingest.core.runner import run_plugin
from ingest.plugins.etfdb.plugin import (
    CATEGORIES,
    CATEGORY_LISTINGS,
    CATEGORY_URL,
    FUND_FLOWS,
    FUND_PAGES,
    FUND_URL,
    EtfdbPlugin,
    parse_amount,
    parse_date,
    parse_percent,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "etfdb"
SHARED_ETFDB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "etfdb"
FETCHED_AT = dt.datetime(2024, 12, 31, 22, 0, tzinfo=dt.UTC)  # 17:00 New York
D = dt.date


def page(ticker: str, body: bytes, status: int = 200, url: str | None = None,
         fetched_at: dt.datetime = FETCHED_AT) -> Payload:
    request = Request.get(FUND_URL.format(ticker=ticker), f"{ticker} etfdb page")
    return Payload(request, body, status, url or request.url,
                   hashlib.sha256(body).hexdigest(), fetched_at)


def category(slug: str, body: bytes, status: int = 200) -> Payload:
    request = Request.get(CATEGORY_URL.format(slug=slug), f"etfdb category {slug}")
    return Payload(request, body, status, request.url, hashlib.sha256(body).hexdigest(),
                   FETCHED_AT)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parsed_page(ticker: str, name: str) -> tuple[dict, list[dict]]:
    out = EtfdbPlugin().parse(page(ticker, fixture(name)))
    (row,) = out[FUND_PAGES.name]
    return row, list(out[FUND_FLOWS.name])


# -- plan ------------------------------------------------------------------------------------


def test_plan_pages_then_categories() -> None:
    requests = list(EtfdbPlugin().plan(PlanParams(("SPY", "iau"))))
    assert [r.url for r in requests[:2]] == ["https://etfdb.com/etf/SPY/",
                                             "https://etfdb.com/etf/IAU/"]
    assert [r.url for r in requests[2:]] == [CATEGORY_URL.format(slug=s) for s in CATEGORIES]
    assert requests[0].label == "SPY etfdb page"


def test_plan_options() -> None:
    plugin = EtfdbPlugin()
    only_pages = list(plugin.plan(PlanParams(("SPY",), extra={"datasets": ("pages",)})))
    assert [r.url for r in only_pages] == ["https://etfdb.com/etf/SPY/"]
    chosen = list(plugin.plan(PlanParams((), extra={"categories": ["oil-gas"]})))
    assert [r.url for r in chosen] == ["https://etfdb.com/etfdb-category/oil-gas/"]
    # A backfill asks for history; etfdb pages are point-in-time, so there is nothing to do.
    assert list(plugin.plan(PlanParams(("SPY",), extra={"history_only": True}))) == []
    assert plugin.respect_robots_txt is True


# -- value readers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("$630,914.2 M", 630_914_200_000.0), ("1.23 B", 1_230_000_000.0), ("-456 M", -456e6),
    ("$-2,310.4 M", -2_310_400_000.0), ("-$1.2 B", -1.2e9), ("($1.21 B)", -1_210_000_000.0),
    ("25.5 K", 25_500.0), ("44,010,655", 44_010_655.0), ("0", 0.0), ("N/A", None),
    ("--", None), ("", None), ("1.5 t", 1.5e12), ("\u22123.4 M", -3.4e6),
])
def test_parse_amount(text: str, value: float | None) -> None:
    assert parse_amount(text) == pytest.approx(value) if value is not None else (
        parse_amount(text) is None)


@pytest.mark.parametrize("text", ["1.2.3 M", "twelve", "$ M", "5 X"])
def test_parse_amount_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_parse_percent_and_date() -> None:
    assert parse_percent("0.09%") == pytest.approx(0.0009)
    assert parse_percent(" 1.06 % ") == pytest.approx(0.0106)
    assert parse_percent("N/A") is None
    with pytest.raises(ValueError):
        parse_percent("25 bps")
    assert parse_date("Jan 22, 1993") == D(1993, 1, 22)
    assert parse_date("September 12,2023") == D(2023, 9, 12)
    assert parse_date("2005-01-21") == D(2005, 1, 21)
    assert parse_date("--") is None
    with pytest.raises(ValueError):
        parse_date("Q1 1993")


# -- fund pages ------------------------------------------------------------------------------


def test_fund_page_fields() -> None:
    row, flows = parsed_page("IAU", "etf_IAU.html")
    assert row["ticker"] == "IAU"
    assert row["as_of_date"] == D(2024, 12, 31)  # fetched 17:00 New York
    assert row["fund_name"] == "iShares Gold Trust"
    assert row["issuer"] == "BlackRock Financial Management"
    assert row["brand"] == "iShares"
    assert row["structure"] == "Grantor Trust"
    assert row["expense_ratio"] == pytest.approx(0.0025)
    assert row["inception_date"] == D(2005, 1, 21)
    assert row["index_tracked"] == "LBMA Gold Price PM ($/ozt)"
    assert row["category"] == "Precious Metals"
    assert row["asset_class"] == "Commodity"
    assert json.loads(row["themes"])["Commodity Exposure"] == "Physically-Backed"
    assert row["segment"] == "Commodities: Precious Metals Gold"
    assert (row["factset_category"], row["factset_focus"], row["factset_niche"]) == (
        "Precious Metals", "Gold", "Physically Held")
    assert row["factset_weighting_scheme"] == "Single Asset"
    # the AUM list sits after an ad slot, in a second list under the same heading
    assert row["aum_usd"] == pytest.approx(32_958.7e6)
    assert row["shares_outstanding"] == pytest.approx(653.6e6)
    assert row["avg_volume_1m"] == 5_971_624
    assert row["avg_volume_3m"] == 6_142_920
    assert row["flows_shown"] is True
    assert row["flows_as_of_date"] == D(2024, 12, 30)  # last bar of the chart's data-series
    assert set(row) == set(FUND_PAGES.columns)


def test_fund_page_flows_live_vocabulary() -> None:
    _, flows = parsed_page("IAU", "etf_IAU.html")
    by_window = {f["flow_window"]: f for f in flows}
    assert list(by_window) == ["5d", "1m", "3m", "6m", "1y", "3y", "5y", "10y"]
    assert by_window["5d"]["net_flows_usd"] == pytest.approx(25.5e6)
    assert by_window["1m"]["net_flows_usd"] == pytest.approx(412e6)
    assert by_window["3m"]["net_flows_usd"] == pytest.approx(1.23e9)
    assert by_window["3y"]["net_flows_usd"] == pytest.approx(-1.64e9)
    assert by_window["3y"]["net_flows_text"] == "-1.64 B"
    assert by_window["1m"]["window_label"] == "1 Month"
    assert {f["flows_as_of_date"] for f in flows} == {D(2024, 12, 30)}
    assert all(set(f) == set(FUND_FLOWS.columns) for f in flows)


def test_fund_page_older_flow_box_and_not_available_values() -> None:
    row, flows = parsed_page("SPY", "etf_SPY_older_flows.html")
    assert row["fund_name"] == "SPDR S&P 500 ETF Trust"  # entity in og:title decoded
    assert row["structure"] == "UIT"
    assert row["index_tracked"] is None and row["avg_volume_1m"] is None  # shown as N/A
    assert row["aum_usd"] == pytest.approx(630_914.2e6)
    assert row["flows_as_of_date"] is None  # no chart on this layout
    values = {f["flow_window"]: f["net_flows_usd"] for f in flows}
    assert values == pytest.approx({"1w": -2_310.4e6, "4w": -1.21e9, "ytd": 8.57e9,
                                    "1y": 19.2e9})


def test_page_without_flows_section_lands_without_flows() -> None:
    row, flows = parsed_page("IAU", "etf_IAU_no_flows.html")
    assert row["flows_shown"] is False and row["flows_as_of_date"] is None
    assert flows == []
    assert row["aum_usd"] == pytest.approx(32_958.7e6)


def test_changed_markup_is_quarantined_with_the_missing_fields() -> None:
    with pytest.raises(MalformedPayload) as caught:
        parsed_page("IAU", "etf_IAU_markup_changed.html")
    message = str(caught.value)
    assert message.startswith("missing expected fields: issuer, expense_ratio, inception_date")
    assert "blocks not found: Vitals" in message
    assert "category" not in message.split(";")[0]  # the other blocks still parse


def test_unreadable_value_is_quarantined() -> None:
    with pytest.raises(MalformedPayload, match=r"expense_ratio .*25 bps"):
        parsed_page("IAU", "etf_IAU_unreadable_expense.html")


def test_reworded_flows_section_is_quarantined() -> None:
    with pytest.raises(MalformedPayload, match="fund flows"):
        parsed_page("IAU", "etf_IAU_flows_reworded.html")


def test_challenge_page_is_quarantined_not_landed_as_nulls() -> None:
    with pytest.raises(MalformedPayload) as caught:
        parsed_page("IAU", "challenge_page.html")
    for name in ("fund_name", "issuer", "category", "segment", "aum_usd", "avg_volume_3m"):
        assert name in str(caught.value)


def test_http_errors_and_redirects_are_source_errors() -> None:
    plugin = EtfdbPlugin()
    with pytest.raises(SourceError, match="404"):
        plugin.parse(page("ZZZZ", b"<html><body>Not found</body></html>", status=404))
    with pytest.raises(SourceError, match="403"):
        plugin.parse(page("IAU", fixture("challenge_page.html"), status=403))
    with pytest.raises(SourceError, match="redirected to https://etfdb.com/"):
        plugin.parse(page("OLDX", fixture("challenge_page.html"), url="https://etfdb.com/"))


def test_not_html_is_quarantined() -> None:
    with pytest.raises(MalformedPayload, match="not an HTML document"):
        EtfdbPlugin().parse(page("IAU", b""))


def test_real_saved_page_when_present() -> None:
    pages = sorted(SHARED_ETFDB.glob("etf_*.html")) if SHARED_ETFDB.exists() else []
    if not pages:
        pytest.skip("no real etfdb page saved in ../shared/data/etfdb/")
    for saved in pages:
        ticker = saved.stem.split("_")[1].upper()
        (row,) = EtfdbPlugin().parse(page(ticker, saved.read_bytes()))[FUND_PAGES.name]
        assert row["fund_name"] and row["issuer"] and row["aum_usd"]


# -- category pages --------------------------------------------------------------------------


def test_category_listing() -> None:
    rows = EtfdbPlugin().parse(category("precious-metals",
                                        fixture("category_precious-metals.html")))
    listing = rows[CATEGORY_LISTINGS.name]
    assert [r["ticker"] for r in listing] == ["GLD", "IAU", "SLV", "PALL"]
    assert [r["list_rank"] for r in listing] == [1, 2, 3, 4]
    first = listing[0]
    assert first["category_name"] == "Precious Metals"
    assert first["asset_class"] == "Commodity"
    assert first["fund_name"] == "SPDR Gold Trust"
    assert first["total_assets_usd"] == pytest.approx(72_406.27e6)  # "$MM" column
    assert listing[3]["total_assets_usd"] is None  # N/A
    assert first["as_of_date"] == D(2024, 12, 31)
    assert set(first) == set(CATEGORY_LISTINGS.columns)


def test_category_without_listing_table_is_quarantined() -> None:
    with pytest.raises(MalformedPayload, match="ETF listing table"):
        EtfdbPlugin().parse(category("precious-metals", fixture("challenge_page.html")))


def test_unknown_page_kind() -> None:
    request = Request.get("https://etfdb.com/screener/", "screener")
    with pytest.raises(MalformedPayload, match="no parser"):
        EtfdbPlugin().parse(Payload(request, b"<html></html>", 200, request.url, "0",
                                    FETCHED_AT))


# -- the sample renderer speaks the same markup ----------------------------------------------


def test_sample_pages_parse_back_to_the_world() -> None:
    from ingest.sample import etfdb as sample
    from ingest.sample.world import load_universe, simulated_paths

    universe = load_universe()
    path = simulated_paths(["KRE"])["KRE"]
    fetched = sample.FETCHES[-1]
    fund = sample.etfdb_fund(path.spec, universe["KRE"], path, final=True)
    out = EtfdbPlugin().parse(page("KRE", sample.fund_page(fund, fetched), fetched_at=fetched))
    (row,) = out[FUND_PAGES.name]
    k = sample.flows_as_of(path, fetched)
    assert path.days[k] == D(2024, 12, 30) == row["flows_as_of_date"]
    assert row["aum_usd"] == pytest.approx(path.shares[k] * path.nav[k], abs=50_001)  # "$x.y M"
    assert row["category"] == "Regional Banks Equities"  # the re-categorisation (CHANGES)
    published = dict(sample.published_flows(path, fetched))
    for flow in out[FUND_FLOWS.name]:
        exact = published[flow["window_label"]]
        assert flow["net_flows_usd"] == pytest.approx(exact, rel=0.006, abs=5_000)
    before = sample.etfdb_fund(path.spec, universe["KRE"], path, final=False)
    assert before.category_slug == "financials-equities"


@pytest.mark.parametrize(("value", "text"), [
    (-1_234_567_890, "-1.23 B"), (456_780_000, "457 M"), (25_510_000, "25.5 M"),
    (999_600_000, "1.00 B"), (0, "0.00 M"), (1_520, "1.52 K"),
])
def test_three_significant_figures(value: float, text: str) -> None:
    from ingest.sample.etfdb import three_significant

    assert three_significant(value) == text
    assert parse_amount(text) == pytest.approx(value, rel=0.005, abs=1)


# -- end to end, offline ---------------------------------------------------------------------


def _store(archive: Archive, request: Request, body: bytes, at: dt.datetime) -> None:
    archive.put("etfdb", request, body=body, status=200, url=request.url, fetched_at=at)


def test_offline_run_quarantines_bad_pages_and_lands_the_rest(settings: Settings) -> None:
    archive = Archive(settings.archive_dir)
    plugin = EtfdbPlugin()
    params = PlanParams(("IAU", "SPY", "GLD"), extra={"categories": ["precious-metals"]})
    bodies = {"IAU": fixture("etf_IAU.html"), "SPY": fixture("etf_SPY_older_flows.html"),
              "GLD": fixture("etf_IAU_markup_changed.html")}
    _store(archive, robots_request(FUND_URL.format(ticker="IAU")), fixture("robots.txt"),
           FETCHED_AT)
    for request in plugin.plan(params):
        ticker = request.url.rstrip("/").rsplit("/", 1)[-1]
        _store(archive, request, bodies.get(ticker, fixture("category_precious-metals.html")),
               FETCHED_AT)
    offline = dataclasses.replace(settings, offline=True)
    result = run_plugin(plugin, params, offline)
    assert result.status == "partial"
    assert result.quarantined == 1
    assert any("GLD etfdb page: quarantined: missing expected fields: issuer" in e
               for e in result.errors)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        pages = con.execute("select ticker from raw.etfdb_fund_pages order by 1").fetchall()
        assert pages == [("IAU",), ("SPY",)]
        (flows,) = con.execute("select count(*) from raw.etfdb_fund_flows").fetchone()
        assert flows == 8 + 4
        (listed,) = con.execute("select count(*) from raw.etfdb_categories").fetchone()
        assert listed == 4
        reason = con.execute("select reason from raw.quarantine where plugin = 'etfdb'"
                             ).fetchone()[0]
        assert "missing expected fields: issuer, expense_ratio, inception_date" in reason
        # nothing of the quarantined page landed as nulls
        (gld,) = con.execute("select count(*) from raw.etfdb_fund_pages where ticker = 'GLD'"
                             ).fetchone()
        assert gld == 0
    again = run_plugin(plugin, params, offline)
    assert again.rows_landed == 0  # replaying the same payloads changes nothing
