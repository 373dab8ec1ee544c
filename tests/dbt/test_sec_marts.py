"""N-CEN in the demo warehouse (the session's demo build): every fund with an N-CEN in the
sample flows with its real creation-unit size, never the assumed default, and the
creations report says so; dim_etf_creation_units is one unbroken history per fund; the
AP marts add up to the simulated creations and redemptions; the latest N-PORT data-set
quarter lands beside the XML filings without doubling them."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

import duckdb
import pytest
from click.testing import CliRunner

pytest.importorskip("dbt.cli.main")

from ingest.cli import main  # noqa: E402
from ingest.sample import sec as sample_sec  # noqa: E402
from ingest.sample import world  # noqa: E402


def _query(demo_build, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(demo_build.duckdb_path)) as con:
        return con.execute(sql, params or []).fetchall()


@cache
def _simulated(ticker: str) -> world.FundPath:
    calendar = world.trading_days(world.DEMO_START, world.DEMO_END)
    spec = world.fund_spec(ticker, world.load_universe().get(ticker))
    return world.simulate(spec, calendar, world.market_factors(len(calendar)))


def _ncen_sizes(manifest: dict) -> dict[str, list[tuple[dt.date, int]]]:
    """ticker -> [(report period end, unit size)] from the sample's N-CEN filings."""
    out: dict[str, list[tuple[dt.date, int]]] = {}
    for filing in manifest["edgar_ncen"]["filings"]:
        for ticker, size in filing["creation_unit_sizes"].items():
            out.setdefault(ticker, []).append((dt.date.fromisoformat(filing["period_end"]),
                                               size))
    return {t: sorted(v) for t, v in out.items()}


def test_no_fund_with_an_ncen_assumes_its_unit_size(demo_build) -> None:
    sizes = _ncen_sizes(demo_build.manifest)
    assert len(sizes) >= 50
    rows = _query(demo_build, """
        select ticker, count(*), count(*) filter (where creation_unit_size_assumed),
               count(*) filter (where creation_unit_size_source = 'ncen')
        from fct_etf_flows_daily where ticker in (select unnest(?)) group by ticker""",
                  [list(sizes)])
    assert {t for t, *_ in rows} == set(sizes)
    assert [(t, assumed) for t, _, assumed, _ in rows if assumed] == []
    # from the first report's period end on, the day uses its N-CEN's size - the world's
    for ticker, reports in sizes.items():
        first = reports[0][0]
        wrong = _query(demo_build, """
            select count(*) from fct_etf_flows_daily
            where ticker = ? and as_of_date >= ?
              and (creation_unit_size_source <> 'ncen' or creation_unit_size <> ?)""",
                       [ticker, first, _simulated(ticker).spec.creation_unit])
        assert wrong == [(0,)], ticker
    assert {size for reports in sizes.values() for _, size in reports} >= {25_000, 50_000,
                                                                          100_000}


def test_a_fund_launched_after_its_trusts_report_is_inferred_until_its_own(demo_build) -> None:
    """IYZ launched in 2023 after its trust's 2023 report: the share history's size until
    the 2024 report names it; the inferred size is the world's, so the units agree."""
    (first_report,) = [d for d, _ in _ncen_sizes(demo_build.manifest)["IYZ"]][:1]
    sources = _query(demo_build, """
        select creation_unit_size_source, min(as_of_date), max(as_of_date),
               min(creation_unit_size), max(creation_unit_size)
        from fct_etf_flows_daily where ticker = 'IYZ' group by 1 order by 2""")
    assert [s for s, *_ in sources] == ["inferred", "ncen"]
    assert sources[0][2] < first_report <= sources[1][1]
    assert {s[3] for s in sources} == {s[4] for s in sources} == {25_000}


def test_funds_without_an_ncen_are_named_by_their_source(demo_build) -> None:
    """Grantor trusts and commodity pools file no N-CEN: their size is inferred (or the
    assumed default) and says so; dim_etf_creation_units gives every fund one unbroken
    history."""
    no_ncen = {t for t, p in ((t, _simulated(t)) for t in demo_build.manifest["tickers"])
               if p.spec.structure in ("grantor_trust", "commodity_pool")}
    assert {"GLD", "USO"} <= no_ncen
    rows = _query(demo_build, """select distinct ticker, creation_unit_size_source
                                 from fct_etf_flows_daily where ticker in (select unnest(?))""",
                  [sorted(no_ncen)])
    assert {s for _, s in rows} <= {"inferred", "configured", "default"}
    gaps = _query(demo_build, """
        select ticker from dim_etf_creation_units
        qualify lag(valid_to) over (partition by ticker order by version_number)
                is distinct from valid_from and version_number > 1""")
    assert gaps == []
    assert _query(demo_build, """select count(*) = count(distinct ticker)
                                 from dim_etf_creation_units where is_current""") == [(True,)]
    assert _query(demo_build, """select creation_unit_size, creation_unit_size_source
                                 from dim_etf_creation_units where ticker = 'AGG'
                                 and is_current""") == [(100_000, "ncen")]


def test_the_creations_report_shows_the_ncen_size(demo_build) -> None:
    result = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), "creations",
                                       "AGG", "--days", "10", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout[result.stdout.index("["):])
    assert rows and {(r["creation_unit_size"], r["creation_unit_size_source"],
                      r["creation_unit_size_assumed"]) for r in rows} == {(100_000, "ncen",
                                                                           False)}
    text = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), "creations", "AGG",
                                     "--days", "3"])
    assert text.exit_code == 0 and "CU src" in text.output and "ncen" in text.output
    flows = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), "flows", "AGG",
                                      "--days", "3", "--format", "json"])
    assert {r["creation_unit_size_source"] for r in
            json.loads(flows.stdout[flows.stdout.index("{"):])["rows"]} == {"ncen"}


def test_authorized_participants_add_up_to_the_simulated_flows(demo_build) -> None:
    rows = _query(demo_build, """
        select ticker, report_period_end, creations_usd, redemptions_usd, ap_count,
               active_ap_count, top_creator_share_pct
        from fct_authorized_participants""")
    sizes = _ncen_sizes(demo_build.manifest)
    assert len(rows) == sum(len(v) for v in sizes.values())
    in_simulation = 0
    for ticker, period_end, creations, redemptions, listed, active, top in rows:
        report = sample_sec.etf_report(_simulated(ticker), period_end)
        assert creations == pytest.approx(report.purchases_usd, abs=0.01 * listed)
        assert redemptions == pytest.approx(report.redemptions_usd, abs=0.01 * listed)
        assert active <= listed and listed >= 12
        if report.purchases_usd > 0:
            in_simulation += 1
            assert 0 < top <= 100
        else:  # a fiscal year before the simulation: no AP activity, no shares
            assert top is None
    assert in_simulation >= 50
    by_class = dict(_query(demo_build, """
        select e.asset_class, avg(a.top_creator_share_pct) from fct_authorized_participants a
        join dim_etf e using (ticker) where a.top_creator_share_pct is not null
        group by 1"""))
    assert by_class["bond"] > by_class["equity"] + 15  # bond ETFs lean on one or two APs


def test_the_latest_data_set_quarter_lands_beside_the_xml(demo_build) -> None:
    quarters = demo_build.manifest["sec_nport_datasets"]["quarters"]
    latest = max(quarters)
    assert _query(demo_build, "select count(*) from raw.nport_ds_fund_reported_info") == [
        (quarters[latest]["filings"],)]
    assert _query(demo_build, "select distinct data_source from stg_edgar__nport_filings") == [
        ("xml",)]  # every data-set filing also landed as XML: read once, from it
    assert _query(demo_build, """select count(*) from stg_edgar__nport_filings f
                                 join raw.nport_ds_submission s using (accession_number)""") \
        == [(quarters[latest]["filings"],)]
