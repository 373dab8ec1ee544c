"""`etfflow ingest nport --file …` and `etfflow holdings TICKER` (the ETFHoldingsChange
shape), the latter against hand-made mart rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from ingest.cli import main

EDGAR_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edgar"
JSON_FIELDS = [  # the old script's ETFHoldingsChange fields first, in its order, then ours
    "ticker", "filing_date", "previous_filing_date", "total_positions", "top_10_weight",
    "sector_allocation", "holdings_added", "holdings_removed", "turnover_rate",
    "largest_additions", "largest_deletions",
    "series_id", "series_name", "nport_status", "nport_status_reason", "accession_number",
    "period_end", "previous_period_end", "net_assets_usd", "holdings_increased",
    "holdings_decreased", "holdings_unchanged",
]


@pytest.fixture
def marts_db(tmp_path: Path) -> Path:
    """The three marts `etfflow holdings` reads, with hand-made rows: XLK's two reports
    (six additions, one deletion in the later one), GLD, a grantor trust, and SPY, a unit
    investment trust filing under its CIK (one report)."""
    db = tmp_path / "marts.duckdb"
    d = dt.date
    dim = pd.DataFrame([
        {"ticker": "XLK", "fund_name": "Technology Select Sector SPDR Fund",
         "series_id": "S1", "nport_status": "reports",
         "nport_status_reason": "public N-PORT reports landed for its series"},
        {"ticker": "GLD", "fund_name": "SPDR Gold Shares", "series_id": None,
         "nport_status": "not_required",
         "nport_status_reason": "grantor trust, not a registered investment company: "
                                "files no N-PORT"},
        {"ticker": "SPY", "fund_name": "SPDR S&P 500 ETF Trust",
         "series_id": "CIK0000884394", "nport_status": "reports",
         "nport_status_reason": "public N-PORT reports landed for its trust (a unit "
                                "investment trust files under its CIK, without series)"},
    ])
    base = {"series_id": "S1", "ticker": "XLK", "etf_tickers": "XLK", "series_name": "Tech",
            "net_assets_usd": 1e9, "total_positions": 60, "top10_weight": 0.62}
    changes = pd.DataFrame([
        {**base, "accession_number": "A1", "period_end": d(2024, 3, 28),
         "filing_date": d(2024, 5, 24), "previous_accession_number": None,
         "previous_period_end": None, "previous_filing_date": None, "turnover_rate": None,
         "holdings_added": None, "holdings_removed": None, "holdings_increased": None,
         "holdings_decreased": None, "holdings_unchanged": None},
        {**base, "accession_number": "A2", "period_end": d(2024, 6, 28),
         "filing_date": d(2024, 8, 26), "previous_accession_number": "A1",
         "previous_period_end": d(2024, 3, 28), "previous_filing_date": d(2024, 5, 24),
         "turnover_rate": 0.034, "holdings_added": 6, "holdings_removed": 1,
         "holdings_increased": 40, "holdings_decreased": 12, "holdings_unchanged": 1},
        {**base, "series_id": "CIK0000884394", "ticker": "SPY", "etf_tickers": "SPY",
         "series_name": "SPDR S&P 500 ETF Trust", "accession_number": "U1",
         "period_end": d(2024, 9, 30), "filing_date": d(2024, 11, 26),
         "previous_accession_number": None, "previous_period_end": None,
         "previous_filing_date": None, "turnover_rate": None, "holdings_added": None,
         "holdings_removed": None, "holdings_increased": None, "holdings_decreased": None,
         "holdings_unchanged": None},
    ])
    movers = [{"series_id": "S1", "period_end": d(2024, 6, 28), "status": "added",
               "security_name": f"New Co {i}", "security_title": "Common Stock",
               "security_key": f"CUSIP:00000000{i}", "cusip": f"00000000{i}", "isin": None,
               "value_before_usd": 0.0, "value_after_usd": 1e6 * i,
               "weight_before": 0.0, "weight_after": 0.001 * i} for i in range(1, 7)]
    movers.append({"series_id": "S1", "period_end": d(2024, 6, 28), "status": "removed",
                   "security_name": "Old Co", "security_title": "Common Stock",
                   "security_key": "CUSIP:111111111", "cusip": "111111111", "isin": None,
                   "value_before_usd": 5e6, "value_after_usd": 0.0,
                   "weight_before": 0.005, "weight_after": 0.0})
    positions = pd.DataFrame(movers)
    with duckdb.connect(str(db)) as con:
        for name, frame in (("dim_etf_nport", dim), ("fct_holdings_changes", changes),
                            ("fct_holding_position_changes", positions)):
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
    return db


def test_holdings_json_has_the_documented_shape(marts_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "xlk",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    change = json.loads(result.output)
    assert list(change) == JSON_FIELDS
    assert change["period_end"] == "2024-06-28" and change["previous_period_end"] == "2024-03-28"
    assert (change["holdings_added"], change["holdings_removed"]) == (6, 1)
    assert change["turnover_rate"] == 0.034 and change["top_10_weight"] == 0.62
    assert change["sector_allocation"] is None  # agg_holdings_allocation is not built here
    additions = change["largest_additions"]
    assert [a["name"] for a in additions] == [f"New Co {i}" for i in (6, 5, 4, 3, 2)]  # top 5
    assert additions[0] == {"name": "New Co 6", "title": "Common Stock",
                            "security_key": "CUSIP:000000006", "cusip": "000000006",
                            "isin": None, "value_usd": 6e6, "weight": 0.006}
    assert [d["name"] for d in change["largest_deletions"]] == ["Old Co"]
    assert change["largest_deletions"][0]["value_usd"] == 5e6  # value before


def test_holdings_text(marts_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "XLK"])
    assert result.exit_code == 0, result.output
    assert "as of 2024-06-28" in result.output and "2024-03-28" in result.output
    assert "added / removed   6 / 1" in result.output
    assert "3.40%" in result.output and "New Co 6" in result.output


def test_holdings_of_a_unit_investment_trust_name_its_cik(marts_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "SPY"])
    assert result.exit_code == 0, result.output
    assert "(filed under CIK 0000884394, no series)" in result.output
    assert "as of 2024-09-30" in result.output


def test_a_fund_that_files_no_nport_says_so(marts_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "GLD",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    change = json.loads(result.output)
    assert change["nport_status"] == "not_required"
    assert "grantor trust" in change["nport_status_reason"]
    assert change["total_positions"] is None and change["holdings_added"] is None  # not 0
    text = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "GLD"]).output
    assert "no N-PORT holdings report" in text


def test_holdings_errors_are_one_line(marts_db: Path, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(main, ["--db", str(marts_db), "holdings", "ZZZZ"])
    assert unknown.exit_code == 1 and "unknown ticker ZZZZ" in unknown.output
    missing = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "holdings",
                                        "XLK"])
    assert missing.exit_code == 1 and "no warehouse" in missing.output
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    unbuilt = CliRunner().invoke(main, ["--db", str(empty), "holdings", "XLK"])
    assert unbuilt.exit_code == 1 and "etfflow build" in unbuilt.output
    for result in (unknown, missing, unbuilt):
        assert "Traceback" not in result.output
        assert result.output.strip().count("\n") == 0


def test_ingest_nport_from_files(tmp_path: Path) -> None:
    db, archive = tmp_path / "w.duckdb", tmp_path / "archive"
    common = ["--db", str(db), "--archive", str(archive), "ingest"]
    result = CliRunner().invoke(main, [*common, "nport", "--file",
                                       str(EDGAR_FIXTURES / "nport_fixture.xml")])
    assert result.exit_code == 0, result.output
    assert "edgar_nport: success" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.nport_holdings").fetchone() == (5,)
    both = CliRunner().invoke(main, [*common, "nport", "--tickers", "XLK", "--file",
                                     str(EDGAR_FIXTURES / "nport_fixture.xml")])
    assert both.exit_code == 1 and "not both" in both.output
    wrong = CliRunner().invoke(main, [*common, "yahoo", "--file", "x.xml"])
    assert wrong.exit_code == 1 and "does not read local files (--file)" in wrong.output
    gone = CliRunner().invoke(main, [*common, "nport", "--file", str(tmp_path / "gone.xml")])
    assert gone.exit_code == 1 and "no such file or directory" in gone.output


def test_ingest_nport_tickers_notes_what_was_not_found(tmp_path: Path) -> None:
    """Replaying the SAMPLE archive: SPY (a unit investment trust) is found by CIK and its
    filings land; GLD's CIK lists none; ZZZZ is in neither SEC ticker file."""
    from ingest.sample import build_sample_archive

    archive = tmp_path / "archive"
    manifest = build_sample_archive(archive, ["XLK", "SPY", "GLD"])
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "--archive", str(archive), "ingest",
                                       "nport", "--tickers", "XLK,SPY,GLD,ZZZZ", "--offline"])
    assert result.exit_code == 0, result.output
    assert "EDGAR lists no N-PORT filings for: GLD" in result.output
    assert "in neither SEC ticker file (no series, no CIK): ZZZZ" in result.output
    funds = manifest["edgar_nport"]["funds"]
    with duckdb.connect(str(db), read_only=True) as con:
        (landed,) = con.execute("select count(*) from raw.nport_filings").fetchone()
        (without_series,) = con.execute(
            "select count(*) from raw.nport_filings where series_id is null").fetchone()
    assert landed == len(funds["XLK"]["filings"]) + len(funds["SPY"]["filings"])
    assert without_series == len(funds["SPY"]["filings"])
