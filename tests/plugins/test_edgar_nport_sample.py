"""The SAMPLE archive's EDGAR payloads (ingest/sample/edgar.py): valid N-PORT XML, B.6
flows consistent with the simulated creations and redemptions, holdings that change
between reports, unit investment trusts filing without series under their CIK, and no
N-PORT for funds that file none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from ingest.plugins.edgar_nport.parser import parse_nport
from ingest.sample import edgar
from ingest.sample.world import (
    DEMO_END,
    DEMO_START,
    fund_spec,
    load_universe,
    market_factors,
    simulate,
    trading_days,
)

CALENDAR = trading_days(DEMO_START, DEMO_END)


@pytest.fixture(scope="module")
def paths():
    universe = load_universe()
    factors = market_factors(len(CALENDAR))
    return {t: simulate(fund_spec(t, universe.get(t)), CALENDAR, factors)
            for t in ("XLK", "AGG", "PDBC", "EEM", "IYZ", "VTI", "GLD", "SPY", "QQQ")}


@pytest.fixture(scope="module")
def schema(shared_data_dir_module: Path) -> etree.XMLSchema:
    xsd = shared_data_dir_module / "nport" / "schema" / "eis_NPORT_Filer.xsd"
    if not xsd.exists():
        pytest.skip("the SEC's N-PORT schema (../shared/data/nport/schema) is not present")
    return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.fixture(scope="module")
def shared_data_dir_module() -> Path:
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_rendered_filings_are_valid_against_the_sec_schema(paths, schema) -> None:
    checked = 0
    for ticker in ("XLK", "AGG", "PDBC", "EEM", "IYZ", "SPY"):
        path = paths[ticker]
        for filing in edgar.filing_schedule(path.spec, CALENDAR):
            body, _ = edgar.render_filing(path, filing)
            document = etree.fromstring(body)
            assert schema.validate(document), (ticker, filing.period_end,
                                               str(schema.error_log.last_error))
            checked += 1
    assert checked >= 30


def test_schedule_quarter_ends_filed_55_to_60_days_later_by_demo_end(paths) -> None:
    for ticker in ("XLK", "AGG", "IYZ", "SPY"):
        schedule = edgar.filing_schedule(paths[ticker].spec, CALENDAR)
        originals = [f for f in schedule if f.submission_type == "NPORT-P"]
        assert originals
        fye = originals[0].registrant.fiscal_year_end_month
        for f in originals:
            assert (f.period_end.month - fye) % 3 == 0  # third month of a fiscal quarter
            assert 55 <= (f.filing_date - f.period_end).days <= 64  # + weekends/holidays
            assert f.filing_date <= DEMO_END and f.filing_date in CALENDAR
            assert f.period_end in CALENDAR and (f.period_end + dt.timedelta(days=7)).month \
                != f.period_end.month  # the month's last trading day
            assert f.fiscal_year_end.month == fye and f.fiscal_year_end >= f.period_end
    launched = edgar.filing_schedule(paths["IYZ"].spec, CALENDAR)
    assert min(f.period_end for f in launched) > paths["IYZ"].spec.launch
    amended = [f for f in edgar.filing_schedule(paths["XLK"].spec, CALENDAR)
               if f.submission_type == "NPORT-P/A"]
    assert [f.period_end for f in amended] == [edgar.AMENDED[1]]


def test_b6_flows_follow_the_simulated_creations_and_redemptions(paths) -> None:
    """Each report's three months of sales minus redemptions match the simulated daily
    creation/redemption units x unit size x NAV over those months, within the noise (NAV
    +-15 bps per trade) and the month-end trades booked a month late."""
    for ticker in ("XLK", "AGG", "VTI", "SPY"):
        path = paths[ticker]
        history = edgar.monthly_history(path)
        value = path.units * path.spec.creation_unit * path.nav
        months = np.array([edgar._month_index(d) for d in path.days])
        for filing in edgar.filing_schedule(path.spec, CALENDAR):
            last = edgar._month_index(filing.period_end)
            window = (months >= last - 2) & (months <= last)
            simulated_gross = float(np.abs(value[window]).sum())
            flows = history.flows_for(filing.period_end)
            reported_net = sum(s - r for s, r in flows)
            reported_gross = sum(s + r for s, r in flows)
            edge = float(np.abs(value[(months == last) | (months == last - 3)]).max(initial=0))
            assert abs(reported_net - float(value[window].sum())) <= \
                0.01 * simulated_gross + 2 * edge, (ticker, filing.period_end)
            assert reported_gross > 0
    # a fund's B.6 over its whole history equals its simulated net creations within 0.5%
    path = paths["VTI"]
    history = edgar.monthly_history(path)
    net = sum(s - r for s, r in history.flows.values())
    simulated = float((path.units * path.spec.creation_unit * path.nav).sum())
    gross = float(np.abs(path.units * path.spec.creation_unit * path.nav).sum())
    assert abs(net - simulated) <= 0.005 * gross


def test_monthly_returns_compound_to_the_simulated_nav(paths) -> None:
    path = paths["AGG"]  # monthly distributions: total return > price return
    history = edgar.monthly_history(path)
    months = sorted(history.wealth)
    growth = np.prod([1 + r / 100 for m in months[1:] for r in
                      [history.returns_for(_month_end(m))[2]] if r is not None])
    assert growth == pytest.approx(history.wealth[months[-1]] / history.wealth[months[0]],
                                   rel=1e-3)
    iyz = edgar.monthly_history(paths["IYZ"])
    first = edgar.filing_schedule(paths["IYZ"].spec, CALENDAR)[0]
    assert iyz.returns_for(first.period_end)[0] is None  # before the launch: "N/A"


def _month_end(month_index: int) -> dt.date:
    year, month = divmod(month_index, 12)
    first_next = dt.date(2023 + year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def test_holdings_change_between_reports(paths) -> None:
    """Across a fund's reports positions are added and removed (listings, ranking), and
    balances move (flows, rebalancing); values add up to net assets."""
    for ticker in ("VTI", "AGG", "PDBC", "QQQ"):
        path = paths[ticker]
        reports = []
        for filing in edgar.filing_schedule(path.spec, CALENDAR):
            body, summary = edgar.render_filing(path, filing)
            holdings = parse_nport(body, filing.accession_number).holdings
            assert holdings["value_usd"].sum() == pytest.approx(summary["net_assets"],
                                                                rel=0.02)
            reports.append(dict(zip(holdings["cusip"].fillna(holdings["name"]),
                                    holdings["balance"], strict=True)))
        added = sum(len(set(b) - set(a)) for a, b in zip(reports, reports[1:], strict=False))
        removed = sum(len(set(a) - set(b)) for a, b in zip(reports, reports[1:], strict=False))
        changed = sum(sum(a[k] != b[k] for k in set(a) & set(b))
                      for a, b in zip(reports, reports[1:], strict=False))
        assert added > 0 and removed > 0 and changed > 0, ticker


def test_unit_investment_trusts_file_without_series_under_their_cik(paths) -> None:
    """SPY and QQQ (unit investment trusts) file N-PORT as their own registrants, with no
    series or class: in the company ticker file, not in the fund ticker file, followed by
    CIK, documents without seriesId. Their holdings are the index's stocks only (no
    futures, no money-market sweep: the trust's cash is not a Part C investment)."""
    assert set(edgar.filers(paths)) == {"XLK", "AGG", "PDBC", "EEM", "IYZ", "VTI", "SPY",
                                        "QQQ"}
    for ticker in ("SPY", "QQQ"):
        path = paths[ticker]
        registrant = edgar.registrant_of(path.spec)
        schedule = edgar.filing_schedule(path.spec, CALENDAR)
        assert len(schedule) >= 6
        assert {(f.series_id, f.class_id, f.registrant) for f in schedule} == {
            (None, None, registrant)}
        body, summary = edgar.render_filing(path, schedule[-1])
        root = etree.fromstring(body)
        ns = {"n": "http://www.sec.gov/edgar/nport"}
        assert root.find(".//n:seriesClassInfo", ns) is None
        assert root.find(".//n:genInfo/n:seriesId", ns) is None
        assert root.findtext(".//n:genInfo/n:regCik", namespaces=ns) == f"{registrant.cik:010d}"
        assert root.find(".//n:monthlyTotReturn", ns).get("classId") is None
        document = parse_nport(body, schedule[-1].accession_number)
        assert document.filing["series_id"] is None
        assert len(document.monthly_flows) == 3
        assert sum(r["sales_usd"] + r["redemptions_usd"] for r in document.monthly_flows) > 0
        holdings = document.holdings
        assert set(holdings["asset_category"]) == {"EC"}  # stocks only
        assert 0.99 <= holdings["value_usd"].sum() / summary["net_assets"] < 1.0
    # the seed classes QQQ as a Technology fund: it holds technology stocks only
    first = edgar.filing_schedule(paths["QQQ"].spec, CALENDAR)[0]
    body, _ = edgar.render_filing(paths["QQQ"], first)
    held = set(parse_nport(body, first.accession_number).holdings["cusip"])
    assert held <= {s.cusip for s in edgar.security_master()["us:Technology"]}


def test_the_sec_ticker_files_and_the_demo_plan(paths) -> None:
    """The fund ticker file lists series filers only; the company ticker file lists every
    fund (a series trust's ETFs under the trust's CIK, a UIT and a grantor trust under
    their own); the demo asks for the series of series filers and the CIK of the rest."""
    specs = {t: p.spec for t, p in paths.items()}
    fund_map = edgar.fund_map_json([specs[t] for t in ("XLK", "AGG")])
    assert b'"SPY"' not in fund_map and b'"GLD"' not in fund_map
    company = json.loads(edgar.company_tickers_json(list(specs.values())))
    assert list(company) == [str(i) for i in range(len(company))]  # {"0": ..., "1": ...}
    cik_of = {e["ticker"]: e["cik_str"] for e in company.values()}
    assert set(specs) <= set(cik_of)
    assert cik_of["SPY"] == edgar.UIT_TRUSTS["SPY"].cik
    assert cik_of["XLK"] == edgar.REGISTRANTS["select_sector"].cik
    assert cik_of["GLD"] not in {r.cik for r in edgar.REGISTRANTS.values()} | {
        r.cik for r in edgar.UIT_TRUSTS.values()}
    runs = edgar.demo_runs(("XLK", "SPY", "GLD"), CALENDAR)
    assert [p.extra["stage"] for p in runs] == ["fund_map", "filings_index", "filings"]
    assert runs[1].extra["series"] == [edgar.series_id("XLK")]
    assert runs[1].extra["ciks"] == [cik_of["SPY"], cik_of["GLD"]]
    planned = {accession for _, accession in runs[2].extra["filings"]}
    spy = {f.accession_number for f in edgar.filing_schedule(specs["SPY"], CALENDAR)}
    assert spy and spy <= planned


def test_rendering_is_deterministic(paths) -> None:
    path = paths["XLK"]
    filing = edgar.filing_schedule(path.spec, CALENDAR)[0]
    assert edgar.render_filing(path, filing)[0] == edgar.render_filing(path, filing)[0]
    assert edgar.series_id("XLK") != edgar.series_id("XLF")


UNIT_INVESTMENT_TRUSTS = ("DIA", "MDY", "QQQ", "SPY")


def test_demo_unit_investment_trusts_report_b6_months_and_reconcile(demo_build) -> None:
    """In the demo warehouse SPY, DIA, MDY and QQQ report on N-PORT like any filer: keyed
    'CIK' + their trust's CIK, every landed report in dim_etf_nport, each report's three B.6
    months in fct_nport_monthly_flows as filed, holdings changes, and months reconciled
    against our daily flows. GLD (a grantor trust) still files none."""
    import duckdb

    funds = demo_build.manifest["edgar_nport"]["funds"]
    assert demo_build.manifest["edgar_nport"]["files_without_series"] == list(
        UNIT_INVESTMENT_TRUSTS)
    with duckdb.connect(str(demo_build.duckdb_path), read_only=True) as con:
        status = {t: rest for t, *rest in con.execute(
            """select ticker, series_id, nport_status, reports_landed from dim_etf_nport
               where ticker in ('DIA', 'MDY', 'QQQ', 'SPY', 'GLD')""").fetchall()}
        assert status["GLD"] == [None, "not_required", None]
        for ticker in UNIT_INVESTMENT_TRUSTS:
            fund = funds[ticker]
            key = f"CIK{fund['cik']:010d}"
            assert status[ticker] == [key, "reports", len(fund["filings"])], ticker
            months = con.execute(
                """select flow_month, accession_number, sales_usd, redemptions_usd, ticker
                   from fct_nport_monthly_flows where series_id = ? order by flow_month""",
                [key]).fetchall()
            assert {m[4] for m in months} == {ticker}
            latest = max(fund["filings"], key=lambda f: f["period_end"])
            reported = [(round(s, 2), round(r, 2)) for _, a, s, r, _ in months
                        if a == latest["accession_number"]]
            assert reported == [(f["sales"], f["redemptions"]) for f in latest["flows"]]
            assert len(months) == 3 * len(fund["filings"])  # quarterly: months never overlap
            (changes,) = con.execute(
                """select count(previous_accession_number) from fct_holdings_changes
                   where ticker = ?""", [ticker]).fetchone()
            assert changes == len(fund["filings"]) - 1
            (reconciled, comparable) = con.execute(
                """select count(our_net_flow_usd), count(case when is_comparable then 1 end)
                   from fct_nport_flow_reconciliation where ticker = ?""", [ticker]).fetchone()
            assert reconciled == len(months) and comparable >= len(months) - 2, ticker
