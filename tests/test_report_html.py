"""`etfflow report --html`: one self-contained file whose charts read the marts, checked as
data (figures against the marts, units, labels), as a file (no network references,
plotly.js inlined once) and drawn in a real headless Chromium.

The browser test keeps a full-page screenshot and a copy of the report in
``data/test-artifacts/`` (override with ETFFLOW_TEST_ARTIFACTS); it skips, saying why, only
when Chromium is not installed or cannot be launched."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from rich.console import Console

from ingest.cli import main
from ingest.demo import REPORT_NAME, DemoResult, print_report
from ingest.report_html import build_charts, issuer_vendor_split, quality_chart
from ingest.reports import connect, sample_label

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ETFFLOW_TEST_ARTIFACTS", REPO_ROOT / "data" / "test-artifacts"))
CHART_IDS = ["chart-top-flows", "chart-sector-flows", "chart-fund", "chart-reconciliation",
             "chart-quality"]
UNIT = re.compile(r"\((USD millions|USD|%|bps|count)\)$")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def demo_charts(demo_build):
    """The demo report's figures (default ticker and window), built from the warehouse."""
    with connect(demo_build.duckdb_path) as con:
        return build_charts(con, None, "5d", sample_label(con))


def demo_report(demo_build) -> Path:
    return demo_build.duckdb_path.parent / REPORT_NAME


def mart(demo_build, sql: str) -> list[tuple]:
    with connect(demo_build.duckdb_path) as con:
        return con.execute(sql).fetchall()


def axis_key(ref: str) -> str:
    """A trace's axis reference ('x', 'y3') as its layout key ('xaxis', 'yaxis3')."""
    return f"{ref[0]}axis{ref[1:]}"


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- the file ---------------------------------------------------------------------------------


def test_demo_writes_a_self_contained_report(demo_build) -> None:
    page = demo_report(demo_build).read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1            # the library, inlined once
    # nothing loaded from elsewhere (the browser test also refuses every non-file request;
    # the URLs inside plotly.js belong to map traces, which the report does not use)
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(https?:", page)
    for chart_id in CHART_IDS:
        assert page.count(f'id="{chart_id}"') == 1, chart_id
    assert page.count("SAMPLE DATA") >= 1 + len(CHART_IDS)  # the banner and every chart


def test_demo_prints_the_report_path(demo_build) -> None:
    console = Console(record=True, width=250)
    print_report(DemoResult(demo_build.duckdb_path, 1.0, report_path=demo_report(demo_build)),
                 console)
    assert f"HTML:    {demo_report(demo_build)}" in console.export_text()


def test_cli_report_is_deterministic_and_takes_ticker_and_window(demo_build, tmp_path) -> None:
    db = str(demo_build.duckdb_path)
    same = CliRunner().invoke(main, ["--db", db, "report", "--html", str(tmp_path / "a.html")])
    assert same.exit_code == 0, same.output
    assert (tmp_path / "a.html").read_bytes() == demo_report(demo_build).read_bytes()
    other = tmp_path / "sub" / "qqq.html"
    result = CliRunner().invoke(main, ["--db", db, "report", "--html", str(other),
                                       "--ticker", "qqq", "--window", "20d"])
    assert result.exit_code == 0, result.output
    assert f"wrote {other}" in result.stdout and "MB, 5 charts" in result.stdout
    assert "SAMPLE DATA" in result.stdout
    page = other.read_text(encoding="utf-8")
    assert "Invesco QQQ Trust: daily flows" in page and "over 20 trading days" in page


def test_cli_report_errors_write_nothing(demo_build, tmp_path) -> None:
    out = tmp_path / "r.html"
    bad = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), "report", "--html",
                                    str(out), "--ticker", "ZZZZ"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: unknown ticker 'ZZZZ'")
    assert list(tmp_path.iterdir()) == []               # no report, no partial file
    missing = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "report",
                                        "--html", str(out)])
    assert missing.exit_code == 1 and "error: no warehouse at" in missing.stderr


# -- the figures against the marts --------------------------------------------------------------


def test_every_axis_has_a_title_with_its_unit_and_every_chart_the_label(demo_charts) -> None:
    assert [chart.chart_id for chart in demo_charts] == CHART_IDS
    for chart in demo_charts:
        layout = chart.figure.layout
        assert "SAMPLE DATA" in layout.title.text, chart.chart_id
        for trace in chart.figure.data:
            for ref, values in ((trace.xaxis or "x", trace.x), (trace.yaxis or "y", trace.y)):
                axis = layout[axis_key(ref)]
                if axis.matches:  # a shared axis: titled once, on the axis it matches
                    axis = layout[axis_key(axis.matches)]
                title = axis.title.text
                assert title, (chart.chart_id, ref)
                if any(is_number(v) for v in values or ()):   # a value axis: needs a unit
                    assert UNIT.search(title), (chart.chart_id, title)


def test_top_flows_are_the_marts_largest_inflows_and_outflows(demo_build, demo_charts) -> None:
    inflows, outflows = demo_charts[0].figure.data
    expected = mart(demo_build, """
        select ticker, flow_usd / 1e6, flow_usd > 0 from agg_top_flows
        where flow_window = '5d' and as_of_date = (select max(as_of_date) from agg_top_flows)
          and ((flow_usd > 0 and inflow_rank_overall <= 10)
               or (flow_usd < 0 and outflow_rank_overall <= 10))""")
    assert dict(zip(inflows.y, inflows.x, strict=True)) == pytest.approx(
        {t: f for t, f, up in expected if up})
    assert dict(zip(outflows.y, outflows.x, strict=True)) == pytest.approx(
        {t: f for t, f, up in expected if not up})
    assert len(inflows.y) == len(outflows.y) == 10


def test_sector_bars_are_consecutive_windows_of_the_mart(demo_build, demo_charts) -> None:
    bars = [t for t in demo_charts[1].figure.data if t.type == "bar"]
    sectors = {t for (t,) in mart(demo_build, "select distinct sector from "
                                              "agg_sector_flows_daily")}
    assert {t.name for t in bars} == sectors
    days = sorted(set(bars[0].x))
    assert len(days) == 26
    trading_days = [d for (d,) in mart(demo_build, """
        select distinct as_of_date from agg_sector_flows_daily order by 1 desc limit 130""")]
    assert days == sorted(trading_days[::5])            # every 5th day back from the latest
    (sector, day, flow), = mart(demo_build, f"""
        select sector, as_of_date, net_flow_usd / 1e6 from agg_sector_flows_daily
        where flow_window = '5d' and sector = '{bars[0].name}'
          and as_of_date = '{days[-1]}'""")
    assert bars[0].y[list(bars[0].x).index(day)] == pytest.approx(flow)


def test_fund_chart_is_the_largest_funds_flows_price_and_premium(demo_build,
                                                                 demo_charts) -> None:
    flows, close, nav, premium = demo_charts[2].figure.data
    (largest,), = mart(demo_build, """
        select ticker from fct_etf_flows_daily
        where as_of_date = (select max(as_of_date) from fct_etf_flows_daily)
        order by aum_usd desc limit 1""")
    expected = mart(demo_build, f"""
        select as_of_date, net_flow_usd / 1e6, close, premium_discount_bps
        from fct_etf_flows_daily where ticker = '{largest}'
        order by as_of_date desc limit 250""")[::-1]
    assert demo_charts[2].figure.layout.title.text.startswith(f"{largest} — ")
    assert list(flows.x) == [d for d, *_ in expected]
    assert list(flows.y) == pytest.approx([f for _, f, _, _ in expected], nan_ok=True)
    assert list(close.y) == [c for _, _, c, _ in expected]
    assert list(premium.y) == [p for *_, p in expected]
    (nav_days,) = mart(demo_build, f"""
        select count(*) from (select nav_source from fct_etf_flows_daily
                              where ticker = '{largest}' order by as_of_date desc limit 250)
        where nav_source = 'issuer'""")[0]
    assert sum(v is not None for v in premium.y) == nav_days > 0  # only against a NAV


def test_reconciliation_counts_what_the_summary_counts(demo_build, demo_charts) -> None:
    figure = demo_charts[3].figure
    within = next(t for t in figure.data if t.name.startswith("within 2%"))
    outside = next(t for t in figure.data if t.name.startswith("outside 2%"))
    (comparable, in_band), = mart(demo_build, """
        select comparable_fund_months, fund_months_within from agg_nport_reconciliation_summary
        where segment = 'all' and tolerance_pct = 2""")
    assert (len(within.x), len(within.x) + len(outside.x)) == (in_band, comparable)
    for x, y in zip(within.x, within.y, strict=True):      # inside the drawn band
        assert abs(y - x) <= 0.02 * abs(x) + 1e-9
    assert any(abs(y - x) > 0.02 * abs(x) for x, y in zip(outside.x, outside.y, strict=True))
    assert f"{in_band} of {comparable}" in figure.layout.title.text


# -- the quality panel on a hand-built warehouse ------------------------------------------------

FLOW_DAYS = [  # ticker, day, net flow (USD), the plugin whose share count the day used
    ("AAA", "2024-01-02", 30e6, "issuer"), ("BBB", "2024-01-02", -10e6, "vendor"),
    ("CCC", "2024-01-02", None, None),
    ("AAA", "2024-01-03", -10e6, "issuer"), ("BBB", "2024-01-03", 50e6, "vendor"),
    ("DDD", "2024-01-03", 40e6, "issuer"),
    ("AAA", "2024-02-01", 20e6, "issuer"),
]
FLAG_DAYS = [  # day, spike_revert, stale, not_unit_multiple, split_unadjusted, scale_error
    ("2024-01-02", 1, 0, 0, 0, 0), ("2024-01-03", 0, 2, 0, 0, 1),
]


def tiny_warehouse(path: Path) -> Path:
    """Only the columns the quality panel reads."""
    with duckdb.connect(str(path)) as con:
        con.execute("create table fct_etf_flows_daily (ticker varchar, as_of_date date, "
                    "net_flow_usd double, shares_source_type varchar)")
        con.executemany("insert into fct_etf_flows_daily values (?, ?, ?, ?)", FLOW_DAYS)
        con.execute("create table dq_flow_quality_daily (as_of_date date, "
                    "spike_revert_flags bigint, stale_flags bigint, not_unit_multiple_flags "
                    "bigint, split_unadjusted_flags bigint, scale_error_flags bigint)")
        con.executemany("insert into dq_flow_quality_daily values (?, ?, ?, ?, ?, ?)",
                        FLAG_DAYS)
    return path


def test_quality_panel_splits_gross_flow_by_issuer_and_vendor(tmp_path) -> None:
    with connect(tiny_warehouse(tmp_path / "tiny.duckdb")) as con:
        chart = quality_chart(con, sample_label(con))
        split = issuer_vendor_split(con)
    traces = {t.name: t for t in chart.figure.data}
    january, february = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    # January: issuer |30| + |−10| + |40| = 80, vendor |−10| + |50| = 60 of a gross 140
    assert list(traces["issuer share counts"].x) == [january, february]
    assert list(traces["issuer share counts"].y) == pytest.approx([100 * 80 / 140, 100.0])
    assert list(traces["vendor share counts"].x) == [january]
    assert list(traces["vendor share counts"].y) == pytest.approx([100 * 60 / 140])
    assert list(traces["issuer share counts"].customdata) == [3, 1]   # fund-days
    assert dict(zip(split["count_source"], split["fund_days"], strict=True))[
        "no share count"] == 1
    assert "1 fund-days had no share count" in chart.note
    assert list(traces["stale"].y) == [0, 2] and list(traces["spike revert"].y) == [1, 0]
    assert "SAMPLE DATA" not in chart.figure.layout.title.text     # not the demo
    assert chart.figure.layout.yaxis.title.text == "Share of gross flow (%)"


# -- drawn in a real browser --------------------------------------------------------------------


def marks_expected(figure) -> tuple[int, int]:
    """(bars, markers) the figure should draw: one per non-null value."""
    bars = sum(y is not None for t in figure.data if t.type == "bar" for y in t.y)
    markers = sum(x is not None and y is not None for t in figure.data
                  if t.type == "scatter" and "markers" in (t.mode or "")
                  for x, y in zip(t.x, t.y, strict=True))
    return bars, markers


DRAWN = """id => {
    const chart = document.getElementById(id);
    const size = el => { const b = el.getBoundingClientRect(); return b.width * b.height; };
    return {
        svg: chart.querySelectorAll('svg.main-svg').length,
        traces: chart.querySelectorAll('g.trace').length,
        bars: chart.querySelectorAll('.barlayer g.point').length,
        visibleBars: [...chart.querySelectorAll('.barlayer g.point path')]
            .filter(p => size(p) > 0).length,
        markers: chart.querySelectorAll('.scatterlayer path.point').length,
        title: chart.querySelector('.gtitle')?.textContent || '',
        axisTitles: [...chart.querySelectorAll('.xtitle, .ytitle, [class^="g-x"] text, '
                                               + '[class^="g-y"] text')]
            .map(t => t.textContent).filter(Boolean).length,
    };
}"""


def test_report_draws_in_chromium(demo_build, demo_charts) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    executable = (os.environ.get("ETFFLOW_CHROMIUM") or shutil.which("chromium")
                  or shutil.which("chromium-browser"))
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run "
                    "installs it when missing)")
    report = demo_report(demo_build)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable,
                                                 args=CHROMIUM_ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"Chromium at {executable} could not be launched: "
                        f"{str(exc).strip().splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            foreign: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def offline(route) -> None:  # a self-contained file asks for nothing else
                if route.request.url.startswith(("file:", "data:", "blob:")):
                    route.continue_()
                else:
                    foreign.append(route.request.url)
                    route.abort()

            page.route("**/*", offline)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= "
                f"{2 * len(CHART_IDS)}", timeout=60_000)
            drawn = {chart_id: page.evaluate(DRAWN, chart_id) for chart_id in CHART_IDS}
            page.screenshot(path=str(ARTIFACTS / "report-chromium.png"), full_page=True)
        finally:
            browser.close()
    shutil.copyfile(report, ARTIFACTS / "report.html")
    assert errors == [] and foreign == []
    for chart in demo_charts:
        seen = drawn[chart.chart_id]
        bars, markers = marks_expected(chart.figure)
        assert seen["traces"] == len(chart.figure.data), (chart.chart_id, seen)
        assert (seen["bars"], seen["markers"]) == (bars, markers), (chart.chart_id, seen)
        assert seen["visibleBars"] + seen["markers"] > 0, (chart.chart_id, seen)
        assert "SAMPLE DATA" in seen["title"], chart.chart_id
        assert seen["axisTitles"] >= 2, (chart.chart_id, seen)
    assert (ARTIFACTS / "report-chromium.png").stat().st_size > 50_000
