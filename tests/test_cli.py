"""The `etfflow` CLI through click's CliRunner: listing, errors, ingest, backfill, runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import ingest.sample as sample_generator
from ingest.cli import main
from ingest.core.plugin import discover_plugins

TICKERS = "SPY,XLK"


@pytest.fixture(scope="module")
def generator():
    return sample_generator


@pytest.fixture
def sample_archive(tmp_path: Path, generator) -> Path:
    root = tmp_path / "archive"
    generator.build_sample_archive(root, tickers=TICKERS.split(","), include_bad_ticker="ZZZZ")
    return root


def invoke(tmp_path: Path, archive: Path, *args: str):
    db = tmp_path / "warehouse.duckdb"
    return CliRunner().invoke(main, ["--db", str(db), "--archive", str(archive), *args])


def test_plugins_lists_yahoo_and_its_tables() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    assert "yahoo" in result.output
    assert "raw.yahoo_prices" in result.output


def test_unknown_plugin_is_one_error_line(tmp_path: Path) -> None:
    result = invoke(tmp_path, tmp_path / "archive", "ingest", "nosuch", "--offline")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    installed = ", ".join(discover_plugins())
    assert lines == [f"error: unknown plugin 'nosuch' (installed: {installed})"]


def test_offline_miss_names_the_request(tmp_path: Path) -> None:
    result = invoke(tmp_path, tmp_path / "empty", "ingest", "yahoo", "--tickers", "SPY",
                    "--start", "2024-01-02", "--end", "2024-01-31", "--offline")
    assert result.exit_code == 1
    assert "error: not in archive" in result.output
    assert "query2.finance.yahoo.com/v8/finance/chart/SPY" in result.output
    assert "Traceback" not in result.output


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(tmp_path, tmp_path, "ingest", "yahoo", "--start", "2024-13-01")
    assert result.exit_code == 2
    assert "Invalid value for '--start'" in result.output


def test_offline_ingest_with_unknown_ticker_is_partial(tmp_path, sample_archive, generator):
    result = invoke(tmp_path, sample_archive, "ingest", "yahoo", "--tickers", TICKERS + ",ZZZZ",
                    "--start", str(generator.DEMO_START), "--end", str(generator.DEMO_END),
                    "--offline")
    assert result.exit_code == 0, result.output
    assert "yahoo: partial" in result.output
    assert "ZZZZ chart: No data found, symbol may be delisted" in result.output
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    tickers = {t for (t,) in con.execute("select distinct ticker from raw.yahoo_prices").fetchall()}
    assert tickers == {"SPY", "XLK"}

    runs = invoke(tmp_path, sample_archive, "runs", "--json")
    assert runs.exit_code == 0
    (run,) = [json.loads(line) for line in runs.output.splitlines()]
    assert run["status"] == "partial"
    assert any("ZZZZ" in e for e in json.loads(run["errors"]))


def test_backfill_runs_chunks_and_resumes(tmp_path, generator) -> None:
    archive = tmp_path / "archive"
    generator.build_sample_archive(archive, tickers=["XLK"])
    # Backfill chunks plan different date ranges than the demo, so record them live from
    # the sample bodies: copy each planned chunk's payloads into the archive first.
    from ingest.core.archive import Archive
    from ingest.core.plugin import PlanParams
    from ingest.plugins.yahoo import YahooPlugin

    store = Archive(archive)
    full = {r.label: store.get("yahoo", r) for r in YahooPlugin().plan(
        PlanParams(("XLK",), generator.DEMO_START, generator.DEMO_END))}
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    chunk_days = 183
    first = start
    while first <= end:
        last = min(first + dt.timedelta(days=chunk_days - 1), end)
        params = PlanParams(("XLK",), first, last, {"history_only": True})
        for request in YahooPlugin().plan(params):
            p = full[request.label]
            store.put("yahoo", request, p.body, p.status, p.url, p.fetched_at)
        first = last + dt.timedelta(days=1)

    args = ["backfill", "--source", "yahoo", "--start", str(start), "--end", str(end),
            "--chunk-days", str(chunk_days), "--tickers", "XLK", "--offline"]
    first_run = invoke(tmp_path, archive, *args)
    assert first_run.exit_code == 0, first_run.output
    assert "2 chunks, 0 already done" in first_run.output
    second_run = invoke(tmp_path, archive, *args)
    assert second_run.exit_code == 0, second_run.output
    assert "2 chunks, 2 already done" in second_run.output

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    (snapshots,) = con.execute("select count(*) from raw.yahoo_fund_snapshots").fetchone()
    assert snapshots == 0  # backfills plan history only, never point-in-time snapshots
    (runs,) = con.execute("select count(*) from raw.ingest_runs").fetchone()
    assert runs == 2


def test_backfill_rejects_reversed_range(tmp_path: Path) -> None:
    result = invoke(tmp_path, tmp_path, "backfill", "--source", "yahoo",
                    "--start", "2024-02-01", "--end", "2024-01-01")
    assert result.exit_code == 1
    assert "error: --start 2024-02-01 is after --end 2024-01-01" in result.output


def test_runs_without_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke(tmp_path, tmp_path, "runs")
    assert result.exit_code == 1
    assert "error: no warehouse at" in result.output


@pytest.mark.parametrize("status", ["success", "failed"])
def test_daily_builds_incrementally_with_recent_tests_only_after_a_clean_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    """`etfflow daily` ingests the daily sources up to today, then runs the data build with
    the `recent` test scope and publishes the serving layer; a failed ingest stops before
    dbt with one error line."""
    import ingest.cli as cli
    from ingest.core.runner import RunResult
    from ingest.dbt import DATA_BUILD, DbtOutcome
    from ingest.serving import PublishResult

    ingested, built, published = [], [], []

    def fake_run_plugin(plugin, params, settings, **_):
        ingested.append((plugin.name, params.start, params.end))
        return RunResult("run", plugin.name, status=status)

    def fake_run_dbt(args, duckdb_path, **kwargs):
        built.append((args, kwargs))
        return DbtOutcome(success=True)

    def fake_publish(duckdb_path, serving_dir):
        published.append((duckdb_path, serving_dir))
        return PublishResult(serving_dir / "warehouse.duckdb", serving_dir / "parquet",
                             serving_dir / "parquet" / "manifest.json", "build")

    def fake_daily_build_args(duckdb_path, changed_tables):
        return [*DATA_BUILD, "--select", *sorted(changed_tables)]

    monkeypatch.setattr(cli, "run_plugin", fake_run_plugin)
    monkeypatch.setattr(cli, "run_dbt", fake_run_dbt)
    monkeypatch.setattr(cli, "daily_build_args", fake_daily_build_args)
    monkeypatch.setattr(cli, "publish", fake_publish)
    result = invoke(tmp_path, tmp_path / "archive", "daily", "--lookback-days", "3")
    today = dt.date.today()
    assert ingested == [(name, today - dt.timedelta(days=3), today)
                        for name in cli.DAILY_PLUGINS]
    if status == "success":
        assert result.exit_code == 0, result.output
        ((args, kwargs),) = built
        assert kwargs == {"test_scope": "recent"} and args[:len(DATA_BUILD)] == DATA_BUILD
        # the build is limited to what the daily sources (and the run log) feed
        changed = set(args[len(DATA_BUILD) + 1:])
        assert {"yahoo_prices", "issuer_fund_days", "ingest_runs"} <= changed
        assert not changed & {"nport_holdings", "etfdb_fund_pages", "fred_observations"}
        assert published == [(tmp_path / "warehouse.duckdb", tmp_path / "serving")]
    else:
        assert result.exit_code == 1
        assert "error: ingest failed; not building" in result.output
        assert built == [] and published == []


def test_plugins_lists_the_issuer_plugins_and_their_tables() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    for name in ("ishares", "spdr", "raw.issuer_fund_days", "raw.issuer_holdings"):
        assert name in result.output


def test_issuer_plugins_default_to_their_issuers_seed_funds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.cli as cli
    from ingest.core.runner import RunResult

    seen = {}

    def fake_run_plugin(plugin, params, settings, **_):
        seen[plugin.name] = params.tickers
        return RunResult("run", plugin.name, status="success")

    monkeypatch.setattr(cli, "run_plugin", fake_run_plugin)
    for name in ("ishares", "spdr", "yahoo"):
        assert invoke(tmp_path, tmp_path / "archive", "ingest", name).exit_code == 0
    assert "IVV" in seen["ishares"] and "SPY" not in seen["ishares"]
    assert "SPY" in seen["spdr"] and "IVV" not in seen["spdr"]
    assert {"SPY", "IVV", "VTI"} <= set(seen["yahoo"])


def test_daily_builds_when_only_an_issuer_run_failed_then_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issuer files are preferred, not required: a refused issuer leaves the vendor counts,
    so the build runs, and the exit code still reports the failure."""
    import ingest.cli as cli
    from ingest.core.runner import RunResult
    from ingest.dbt import DbtOutcome

    ingested, built = [], []

    def fake_run_plugin(plugin, params, settings, **_):
        ingested.append((plugin.name, params.tickers))
        return RunResult("run", plugin.name,
                         status="failed" if plugin.name == "ishares" else "success")

    monkeypatch.setattr(cli, "run_plugin", fake_run_plugin)
    monkeypatch.setattr(cli, "run_dbt", lambda *a, **k: built.append(a) or DbtOutcome(True))
    monkeypatch.setattr(cli, "daily_build_args", lambda path, tables: ["build"])
    monkeypatch.setattr(cli, "_publish", lambda settings: None)
    result = invoke(tmp_path, tmp_path / "archive", "daily", "--tickers", "SPY,QQQ")
    assert result.exit_code == 0, result.output  # no iShares fund asked for: no ishares run
    assert [name for name, _ in ingested] == ["yahoo", "spdr"]
    assert dict(ingested)["spdr"] == ("SPY",)

    ingested.clear()
    result = invoke(tmp_path, tmp_path / "archive", "daily", "--tickers", "SPY,IVV")
    assert len(built) == 2  # built both times
    assert result.exit_code == 1
    assert "error: issuer files not fetched (ishares)" in result.output


def test_backfill_ishares_offline_is_resumable(tmp_path: Path, generator) -> None:
    from ingest.sample.ishares import NO_DATA_DAYS

    root = tmp_path / "archive"
    generator.build_sample_archive(root, tickers=["IVV"])
    no_data = dict(NO_DATA_DAYS)["IVV"]  # 2024-06-12, inside the second chunk
    args = ("backfill", "--source", "ishares", "--start", "2024-06-03", "--end", "2024-06-16",
            "--chunk-days", "7", "--tickers", "IVV", "--offline")
    first = invoke(tmp_path, root, *args)
    assert first.exit_code == 0, first.output
    assert "ishares: 2 chunks, 0 already done" in first.output
    assert f"no holdings published for IVV as of {no_data:%Y%m%d}" in first.output
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    days = [d for (d,) in con.execute(
        "select as_of_date from raw.issuer_fund_days order by 1").fetchall()]
    con.close()
    weekdays = [dt.date(2024, 6, d) for d in (3, 4, 5, 6, 7, 10, 11, 13, 14)]
    assert days == weekdays  # every weekday but the one without a file
    again = invoke(tmp_path, root, *args)
    assert "ishares: 2 chunks, 1 already done" in again.output  # the partial one re-runs
