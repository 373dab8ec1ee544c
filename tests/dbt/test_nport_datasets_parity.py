"""The two routes N-PORT lands by give the same marts: the same SAMPLE filings landed as
their primary_doc.xml (edgar_nport) in one warehouse and through the SEC's quarterly data
sets (sec_nport_datasets, holdings included) in another build identical
fct_nport_monthly_flows, row for row and value for value, and the same current filings.
A warehouse holding both keeps one row per filing (the XML's)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("dbt.cli.main")

from ingest.core.config import Settings  # noqa: E402
from ingest.core.plugin import PlanParams  # noqa: E402
from ingest.core.runner import run_plugin  # noqa: E402
from ingest.dbt import run_dbt  # noqa: E402
from ingest.plugins.edgar_nport.pipeline import ingest_tickers  # noqa: E402
from ingest.plugins.edgar_nport.plugin import EdgarNportPlugin  # noqa: E402
from ingest.plugins.sec_nport_datasets import SecNportDatasetsPlugin  # noqa: E402

SELECT = ["build", "--select", "+fct_nport_monthly_flows", "+stg_edgar__nport_holdings",
          "--exclude", "resource_type:unit_test"]
FLOWS = "select * from fct_nport_monthly_flows order by series_id, flow_month"
FILINGS = """select accession_number, series_id, cik, registrant_name, series_name, class_ids,
                    submission_type, is_amendment, period_end, fiscal_year_end, filing_date,
                    total_assets_usd, total_liabilities_usd, net_assets_usd, holdings_count,
                    versions_filed
             from stg_edgar__nport_filings order by accession_number"""


@dataclass(frozen=True)
class Warehouses:
    xml: Path
    datasets: Path
    both: Path
    manifest: dict


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def warehouses(small_world, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouses]:
    from ingest.sample.world import FETCHED_AT

    tmp = tmp_path_factory.mktemp("parity")
    archive, manifest = small_world.archive_dir, small_world.manifest
    quarters = tuple(manifest["sec_nport_datasets"]["quarters"])

    def settings(name: str) -> Settings:
        return Settings(duckdb_path=tmp / name / "warehouse.duckdb", archive_dir=archive,
                        offline=True, replay_as_of=FETCHED_AT)

    xml, datasets, both = settings("xml"), settings("datasets"), settings("both")
    for target in (xml, both):
        assert all(r.status == "success" for r in ingest_tickers(target, small_world.tickers).runs)
    for target in (datasets, both):
        # the same fund map (ticker -> series), then every quarter's zip
        fund_map = run_plugin(EdgarNportPlugin(),
                              PlanParams(small_world.tickers, extra={"stage": "fund_map"}), target)
        landed = run_plugin(SecNportDatasetsPlugin(), PlanParams(
            extra={"quarters": quarters, "holdings": "true"}), target)
        assert (fund_map.status, landed.status) == ("success", "success")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(tmp / "target"))
        mp.setenv("DBT_LOG_PATH", str(tmp / "logs"))
        for target in (xml, datasets, both):
            outcome = run_dbt(SELECT, target.duckdb_path, quiet=True)
            assert outcome.success, outcome.failures
    yield Warehouses(xml.duckdb_path, datasets.duckdb_path, both.duckdb_path, manifest)


def test_monthly_flows_are_identical_either_way(warehouses: Warehouses) -> None:
    from_xml = _query(warehouses.xml, FLOWS)
    from_datasets = _query(warehouses.datasets, FLOWS)
    filings = sum(len(f["filings"]) for f in warehouses.manifest["edgar_nport"]["funds"].values())
    assert filings > 20 and len(from_xml) > 40
    assert from_datasets == from_xml  # every column, every value
    # the unit investment trust's months are there under its CIK key, with its ticker
    assert any(row[0].startswith("CIK") and row[2] == "SPY" for row in from_xml)


def test_the_current_filings_are_the_same_filings(warehouses: Warehouses) -> None:
    xml = _query(warehouses.xml, FILINGS)
    datasets = _query(warehouses.datasets, FILINGS)
    assert [r[0] for r in datasets] == [r[0] for r in xml]
    # the amended XLK report: the NPORT-P/A is current either way
    amended = [r for r in xml if r[7]]
    assert len(amended) == 1 and amended == [r for r in datasets if r[7]]
    assert datasets == xml  # net assets, dates, classes, holdings counts alike
    assert _query(warehouses.datasets, "select distinct data_source from "
                                       "stg_edgar__nport_filings") == [("dataset",)]


def test_a_filing_landed_both_ways_counts_once(warehouses: Warehouses) -> None:
    assert _query(warehouses.both, FLOWS) == _query(warehouses.xml, FLOWS)
    assert _query(warehouses.both, "select distinct data_source from "
                                   "stg_edgar__nport_filings") == [("xml",)]
    (holdings_xml,) = _query(warehouses.xml, "select count(*) from stg_edgar__nport_holdings")
    assert _query(warehouses.both, "select count(*) from stg_edgar__nport_holdings") == [
        holdings_xml]


def test_data_set_holdings_match_the_xml_holdings(warehouses: Warehouses) -> None:
    columns = ("accession_number, line_number, cusip, isin, security_ticker, lei, "
               "security_name, security_title, asset_category, issuer_category, country, "
               "payoff_profile, fair_value_level, is_restricted, balance, units, currency, "
               "exchange_rate, value_usd, pct_of_net_assets")
    sql = f"select {columns} from stg_edgar__nport_holdings order by 1, 2"
    from_xml = _query(warehouses.xml, sql)
    assert len(from_xml) > 1000
    assert _query(warehouses.datasets, sql) == from_xml


def test_datasets_alone_cover_funds_never_fetched_one_by_one(warehouses: Warehouses) -> None:
    """The data-set warehouse fetched no primary_doc.xml at all, yet every filer's months
    are there: the reconciliation covers every fund that files."""
    assert _query(warehouses.datasets, "select count(*) from raw.nport_filings") == [(0,)]
    tickers = {t for (t,) in _query(warehouses.datasets, "select distinct ticker from "
                                                         "fct_nport_monthly_flows")}
    assert tickers == {"XLK", "AGG", "SPY", "IYZ", "HYG"}  # GLD files no N-PORT
