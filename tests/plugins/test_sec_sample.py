"""The SAMPLE archive's N-CEN filings and N-PORT data sets (ingest/sample/sec.py): N-CEN
in the real filing's layout with the world's unit sizes and AP activity equal to the
simulated creations and redemptions; every registered fund covered from before the demo
starts; the quarter zips in the SEC's layout."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import pytest

from ingest.plugins.edgar_ncen.parser import parse_ncen, parse_sgml_header
from ingest.plugins.sec_nport_datasets.plugin import Quarter
from ingest.sample import edgar, sec
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
TICKERS = ("XLK", "AGG", "HYG", "IYZ", "SPY", "GLD", "VTI")


@pytest.fixture(scope="module")
def paths():
    universe = load_universe()
    factors = market_factors(len(CALENDAR))
    return {t: simulate(fund_spec(t, universe.get(t)), CALENDAR, factors) for t in TICKERS}


def test_ncen_schedule_covers_every_registered_fund_from_before_the_demo(paths) -> None:
    schedule = sec.ncen_schedule(p.spec for p in paths.values())
    reported = {t for f in schedule for t in f.tickers}
    assert reported == {"XLK", "AGG", "HYG", "IYZ", "SPY", "VTI"}  # not GLD, a grantor trust
    for filing in schedule:
        assert filing.filing_date <= DEMO_END and filing.filing_date.weekday() < 5
        assert 60 <= (filing.filing_date - filing.period_end).days <= 77
        fye = filing.registrant.fiscal_year_end_month
        assert filing.period_end.month == fye
        assert (filing.period_end + dt.timedelta(days=1)).day == 1  # the month's last day
    for ticker in reported - {"IYZ"}:
        assert min(f.period_end for f in schedule if ticker in f.tickers) <= DEMO_START
    iyz = min(f.period_end for f in schedule if "IYZ" in f.tickers)
    assert iyz > paths["IYZ"].spec.launch  # a fund appears once launched
    assert {f.is_uit for f in schedule if "SPY" in f.tickers} == {True}


def test_full_text_is_the_real_layout_with_the_worlds_unit_sizes(paths) -> None:
    schedule = sec.ncen_schedule(p.spec for p in paths.values())
    filing = next(f for f in schedule if "AGG" in f.tickers and "IYZ" in f.tickers)
    body = sec.ncen_full_text(filing, paths)
    assert body.startswith(f"<SEC-DOCUMENT>{filing.accession_number}.txt".encode())
    header = parse_sgml_header(body)
    assert header.fields["CONFORMED SUBMISSION TYPE"] == "N-CEN"
    assert header.fields["CENTRAL INDEX KEY"] == f"{filing.registrant.cik:010d}"
    assert header.class_of_ticker["AGG"] == (edgar.series_id("AGG"), edgar.class_id("AGG"))
    document = parse_ncen(body, None)
    assert document.filing["report_period_end"] == filing.period_end
    assert document.filing["filed_date"] == filing.filing_date
    assert {e["ticker"]: e["creation_unit_shares"] for e in document.etf_series} == {
        "AGG": 100_000, "HYG": 100_000, "IYZ": 25_000}
    uit = next(f for f in schedule if f.is_uit)
    (spy,) = parse_ncen(sec.ncen_full_text(uit, paths), None).etf_series
    assert spy["series_id"] == f"CIK{uit.registrant.cik:010d}" and spy["class_id"] is None


def test_ap_activity_is_the_worlds_creations_and_redemptions(paths) -> None:
    for ticker in ("AGG", "HYG", "XLK", "VTI"):
        path = paths[ticker]
        period_end = dt.date(2024, 6, 30)
        report = sec.etf_report(path, period_end)
        inside = np.array([period_end - dt.timedelta(days=365) < d <= period_end
                           for d in path.days])
        value = path.units * path.spec.creation_unit * path.nav
        assert report.purchases_usd == pytest.approx(value[inside & (value > 0)].sum(), abs=1)
        assert report.redemptions_usd == pytest.approx(-value[inside & (value < 0)].sum(),
                                                       abs=1)
        assert sum(p["purchases"] for p in report.participants) == pytest.approx(
            report.purchases_usd, abs=0.01 * len(report.participants))
        assert len(report.participants) >= 12
        assert len({p["lei"] for p in report.participants}) == len(report.participants)
    before = sec.etf_report(paths["AGG"], dt.date(2022, 7, 31))  # before the simulation
    assert before.purchases_usd == before.redemptions_usd == 0


def test_quarter_zips_are_in_the_secs_layout(paths) -> None:
    quarters = sec.dataset_quarters(paths, CALENDAR)
    filings = {f.accession_number: f for t in edgar.filers(paths)
               for f in edgar.filing_schedule(paths[t].spec, CALENDAR)}
    assert sum(len(q.fund_info) for q in quarters.values()) == len(filings)
    quarter, rows = next(iter(quarters.items()))
    with zipfile.ZipFile(io.BytesIO(rows.zip_bytes(quarter))) as zf:
        names = zf.namelist()
        assert {n.rsplit("/", 1)[1] for n in names} >= {
            "SUBMISSION.tsv", "REGISTRANT.tsv", "FUND_REPORTED_INFO.tsv",
            "MONTHLY_TOTAL_RETURN.tsv", "FUND_REPORTED_HOLDING.tsv", "IDENTIFIERS.tsv"}
        submission = zf.read(f"{quarter.label}_nport/SUBMISSION.tsv").decode().splitlines()
    assert submission[0].split("\t") == list(sec.SUBMISSION_COLUMNS)
    for line in submission[1:]:
        accession, filed, _, kind, fiscal, report, _ = line.split("\t")
        assert Quarter.of(filings[accession].filing_date) == quarter
        assert filed == sec.sec_date(filings[accession].filing_date)  # e.g. 30-SEP-2024
        assert kind in ("NPORT-P", "NPORT-P/A") and fiscal[-5] == "-" and report[2] == "-"
    assert sec.sec_date(dt.date(2024, 9, 30)) == "30-SEP-2024"
