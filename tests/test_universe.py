"""Universe: the seed (the CLI's default), discovery and `etfflow universe refresh|show`,
`etfflow sources`, plugin options on `etfflow ingest`, and the fund dimension's SCD2
history (a re-categorisation between two etfdb fetches becomes a second version)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import _plugin_options, main
from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
from ingest.core.landing import Warehouse
from ingest.core.plugin import PlanParams
from ingest.core.runner import run_plugin
from ingest.plugins.etfdb import EtfdbPlugin
from ingest.sources import Freshness, _state, freshness_by_table, source_statuses
from ingest.universe import seed_tickers, universe_members


@pytest.fixture(autouse=True)
def dbt_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))


def test_seed_is_the_default_universe() -> None:
    tickers = seed_tickers()
    assert len(tickers) == 64 and tickers[0] == "SPY" and len(set(tickers)) == 64


def test_show_falls_back_to_the_seed_without_a_warehouse(tmp_path: Path) -> None:
    members = universe_members(tmp_path / "none.duckdb")
    assert [m.ticker for m in members] == list(seed_tickers())
    assert {m.discovered_by for m in members} == {"seed"}
    assert universe_members(tmp_path / "none.duckdb", "etfdb") == []
    with pytest.raises(EtfflowError, match="unknown universe source"):
        universe_members(tmp_path / "none.duckdb", "nasdaq")
    out = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "universe", "show",
                                    "--plain"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == ",".join(seed_tickers())


def test_plugin_options() -> None:
    assert _plugin_options(("series=DGS10,VIXCLS", "datasets=categories")) == {
        "series": ("DGS10", "VIXCLS"), "datasets": "categories"}
    with pytest.raises(EtfflowError, match="expected KEY=VALUE"):
        _plugin_options(("series",))


def test_ingest_passes_plugin_options(tmp_path: Path) -> None:
    from ingest.core.archive import Archive
    from ingest.plugins.fred.plugin import FredPlugin

    archive = Archive(tmp_path / "archive")
    fetched = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    for request in FredPlugin().plan(PlanParams(extra={"series": ("DGS10",)})):
        archive.put("fred", request, body=b"observation_date,DGS10\n2024-12-31,4.57\n",
                    status=200, url=request.url, fetched_at=fetched)
    db = tmp_path / "w.duckdb"
    out = CliRunner().invoke(main, ["--db", str(db), "--archive", str(tmp_path / "archive"),
                                    "ingest", "fred", "--offline", "-o", "series=DGS10"])
    assert out.exit_code == 0, out.output
    with duckdb.connect(str(db)) as con:
        assert con.execute("select series_id, value from raw.fred_observations").fetchall() == [
            ("DGS10", 4.57)]


def test_freshness_thresholds_come_from_the_dbt_sources() -> None:
    rules = freshness_by_table()
    assert rules["etfdb_fund_pages"] == Freshness(8 * 24.0, 35 * 24.0)
    assert rules["fred_observations"] == Freshness(3 * 24.0, 10 * 24.0)
    assert rules["yahoo_prices"] == Freshness(2 * 24.0, 7 * 24.0)
    limits = Freshness(48.0, 168.0)
    assert [_state(h, limits) for h in (None, 1.0, 50.0, 200.0)] == [
        "never", "fresh", "warn", "stale"]
    assert _state(5.0, Freshness(None, None)) == "unchecked"


def test_sources_reports_last_success_and_freshness(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    now = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)
    with Warehouse(db) as wh:
        for run_id, plugin, started, status in (
            ("r1", "fred", dt.datetime(2025, 1, 9, 12), "success"),
            ("r2", "etfdb", dt.datetime(2024, 12, 1, 12), "success"),
            ("r3", "etfdb", dt.datetime(2025, 1, 10, 11), "failed"),
        ):
            wh.con.execute("insert into raw.ingest_runs (run_id, plugin, started_at, "
                           "finished_at, status) values (?, ?, ?, ?, ?)",
                           [run_id, plugin, started, started + dt.timedelta(minutes=5), status])
    by_plugin = {s.plugin: s for s in source_statuses(db, now=now)}
    fred, etfdb, yahoo = by_plugin["fred"], by_plugin["etfdb"], by_plugin["yahoo"]
    assert (fred.state, round(fred.age_hours, 2)) == ("fresh", 23.92)
    assert etfdb.state == "stale"  # last success 40 days ago, error after 35
    assert etfdb.last_run_status == "failed" and etfdb.runs == 2
    assert etfdb.last_success_at == dt.datetime(2024, 12, 1, 12, 5)
    assert (yahoo.state, yahoo.runs) == ("never", 0)
    out = CliRunner().invoke(main, ["--db", str(db), "sources", "--json"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert {line["plugin"]: line["state"] for line in lines}["fred"] in {"fresh", "warn",
                                                                         "stale"}


def test_refresh_discovers_and_history_keeps_the_recategorisation(tmp_path: Path) -> None:
    """Two etfdb fetches (mid-2024, end-2024) of the sample archive: KRE moves from
    Financials Equities to Regional Banks Equities. Snapshotting after each fetch gives KRE
    two versions whose boundary is the second fetch (data time), the others one; ETFs
    that only category pages list are discovered, and the SEC ticker file (replayed through
    the N-PORT plugin) adds identifiers but none of its mutual fund classes."""
    from ingest.dbt import run_dbt
    from ingest.sample import build_sample_archive
    from ingest.sample import etfdb as sample_etfdb
    from ingest.sample.world import load_universe

    archive, db = tmp_path / "archive", tmp_path / "w.duckdb"
    build_sample_archive(archive, ["SPY", "KRE"])
    settings = Settings(duckdb_path=db, archive_dir=archive, offline=True)
    universe = {t: load_universe()[t] for t in ("SPY", "KRE")}
    (first, first_at), (second, second_at) = sample_etfdb.run_params(("SPY", "KRE"), universe)
    pages = PlanParams(first.tickers, extra={"datasets": ("pages",)})

    run_plugin(EtfdbPlugin(), pages, settings.with_overrides(replay_as_of=first_at))
    run_plugin(EtfdbPlugin(), first, settings.with_overrides(replay_as_of=first_at))
    built = run_dbt(["build", "--select", "+dim_etf", "+dim_etf_history", "--indirect-selection",
                     "buildable"], db, quiet=True)
    assert built.success, built.failures

    run_plugin(EtfdbPlugin(), pages, settings.with_overrides(replay_as_of=second_at))
    categories = [f"--category={slug}" for slug in second.extra["categories"]]
    out = CliRunner().invoke(main, ["--db", str(db), "--archive", str(archive), "universe",
                                    "refresh", "--offline", *categories])
    assert out.exit_code == 0, out.output
    assert "etfdb categories: success" in out.output
    assert "sec ticker file: success" in out.output  # the N-PORT plugin's fund map, replayed

    with duckdb.connect(str(db)) as con:
        history = con.execute(
            """select version_number, category, valid_from, valid_to, is_current
               from dim_etf_history where ticker = 'KRE' order by version_number"""
        ).fetchall()
        boundary = second_at.astimezone(dt.UTC).replace(tzinfo=None)
        assert history == [
            (1, "Financials Equities", first_at.replace(tzinfo=None), boundary, False),
            (2, "Regional Banks Equities", boundary, None, True),
        ]
        (spy_versions,) = con.execute(
            "select count(*) from dim_etf_history where ticker = 'SPY'").fetchone()
        assert spy_versions == 1
        current = dict(con.execute(
            "select ticker, category from dim_etf where ticker in ('SPY', 'KRE')").fetchall())
        assert current == {"SPY": "Large Cap Blend Equities", "KRE": "Regional Banks Equities"}
        discovered = {t for (t,) in con.execute(
            "select ticker from dim_etf where not in_seed_universe").fetchall()}
        assert {"IAT", "IJH", "VUG"} <= discovered
        (seeded,) = con.execute("select count(*) from dim_etf where in_seed_universe").fetchone()
        assert seeded == 64  # the whole seed is always in, fetched or not
        kre = con.execute("select discovered_by, sec_series_id from dim_etf where ticker = 'KRE'"
                          ).fetchone()
        assert kre[0] == "seed,etfdb,sec" and kre[1].startswith("S")
        mutual_funds = con.execute("select ticker from raw.sec_fund_classes "
                                   "where ticker like '%X' and length(ticker) >= 5").fetchall()
        assert mutual_funds  # the SEC file lists mutual fund classes too ...
        (leaked,) = con.execute(
            "select count(*) from dim_etf where ticker in (select ticker from "
            "raw.sec_fund_classes where ticker like '%X' and length(ticker) >= 5)").fetchone()
        assert leaked == 0  # ... which are not ETFs
    shown = CliRunner().invoke(main, ["--db", str(db), "universe", "show", "--source", "etfdb",
                                      "--plain"])
    assert "IAT" in shown.output.split(",") and "KRE" in shown.output.split(",")
