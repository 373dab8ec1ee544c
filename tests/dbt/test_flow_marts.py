"""The flow marts against the demo's simulated truth.

On the session's demo build (``demo_build`` in tests/conftest.py; models are rebuilt on
copies of its warehouse, dbt target and logs in temporary folders). The simulated world
(``ingest.sample.world``) is re-run for the funds under test, so every expectation comes
from the simulation, not from the marts. Checks: flows are whole creation units x NAV on
the simulated days; the T/T-1 share convention; splits are not flows; first days are
null; the manifest's injected episodes (institutional events, premium/discount episodes,
a sector rotation) are found by the smart-money, basket-arbitrage and sector marts; the
AUM decomposition ties out across grains; the N-PORT reconciliation publishes its
accuracy; and an incremental run rebuilds exactly what a full build built.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

pytest.importorskip("dbt.cli.main")

from ingest.sample import world  # noqa: E402

# incremental models: (relation, date column, key columns); the per-fund evidence models
# (no date column) keep their state as counts and are rebuilt as of the cutoff instead
INCREMENTAL = (
    ("int_etf_days_aligned", "as_of_date", ("ticker", "as_of_date")),
    # the share-count checks, each rebuilt from its persisted state
    ("int_etf_flows_aum_based", "as_of_date", ("ticker", "as_of_date")),
    ("int_etf_shares_lag_detected", None, ("ticker",)),
    ("int_etf_creation_units_inferred", None, ("ticker",)),
    ("int_shares_outstanding_normalized", "as_of_date", ("ticker", "as_of_date")),
    ("int_shares_checks_episodes", "as_of_date", ("ticker", "as_of_date")),
    ("int_shares_checks_unit_multiples", "as_of_date", ("ticker", "as_of_date")),
    ("int_shares_checks_stale_runs", "as_of_date", ("ticker", "as_of_date")),
    ("int_shares_outstanding_checked", "as_of_date", ("ticker", "as_of_date")),
    ("int_etf_shares_lag_adjusted", "as_of_date", ("ticker", "as_of_date")),
    ("fct_etf_flows_daily", "as_of_date", ("ticker", "as_of_date")),
    ("fct_etf_flow_windows", "as_of_date", ("ticker", "as_of_date")),
    ("fct_basket_arbitrage", "as_of_date", ("ticker", "as_of_date")),
    ("fct_aum_changes", "period_end_date", ("ticker", "period", "period_start_date")),
    ("fct_etf_flows_dual_method", "as_of_date", ("ticker", "as_of_date")),
    ("agg_category_flows_daily", "as_of_date", ("category_level", "category", "as_of_date",
                                                "flow_window")),
    ("agg_sector_flows_daily", "as_of_date", ("sector", "as_of_date", "flow_window")),
)
EVIDENCE = [relation for relation, column, _ in INCREMENTAL if column is None]
PROJECT_VARS = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]


@dataclass(frozen=True)
class Demo:
    duckdb_path: Path
    manifest: dict[str, Any]
    tmp: Path


@pytest.fixture(scope="module")
def demo(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The session's demo build (tests/conftest.py); tests that rebuild models do it on
    copies under ``tmp``."""
    return Demo(demo_build.duckdb_path, demo_build.manifest,
                tmp_path_factory.mktemp("flow_marts"))


def query(demo: Demo, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(demo.duckdb_path)) as con:
        return con.execute(sql, params or []).fetchall()


@cache
def simulated(ticker: str) -> world.FundPath:
    calendar = world.trading_days(world.DEMO_START, world.DEMO_END)
    spec = world.fund_spec(ticker, world.load_universe().get(ticker))
    return world.simulate(spec, calendar, world.market_factors(len(calendar)))


def share_error_days(demo: Demo, ticker: str) -> set[world.dt.date]:
    """Days whose share change reads a deliberately wrong reported count (the manifest's
    injected_share_errors, checked by the share-count quality models): the wrong days
    and the trading day after each, whose change starts from a wrong count."""
    path = simulated(ticker)
    out: set[world.dt.date] = set()
    for error in demo.manifest.get("injected_share_errors", []):
        if error["ticker"] != ticker:
            continue
        for iso in error["dates"] + error.get("days", []):
            k = path.days.index(world.dt.date.fromisoformat(iso))
            out.update(path.days[k:k + 2])
    return out


def daily_rows(demo: Demo, ticker: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(demo.duckdb_path)) as con:
        cursor = con.execute(
            "select * from fct_etf_flows_daily where ticker = ? order by as_of_date", [ticker])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_flow_mart_has_rows(demo: Demo) -> None:
    marts = ("fct_etf_flows_daily", "fct_etf_creation_redemption", "fct_aum_changes",
             "fct_flow_price_divergence", "fct_smart_money_flows", "fct_basket_arbitrage",
             "agg_arbitrage_follow_through", "agg_top_flows", "agg_sector_flows_daily",
             "agg_category_flows_daily", "sig_flow_momentum")
    for mart in marts:
        assert query(demo, f"select count(*) from {mart}")[0][0] > 0, mart
    (signals,) = query(demo, "select count(distinct signal) from sig_flow_momentum")[0]
    assert signals == 3  # BUY, SELL and NEUTRAL all occur
    labels = {label for (label,) in query(
        demo, "select distinct divergence_label_20d from fct_flow_price_divergence")}
    assert {"inflows_into_weakness", "outflows_into_strength", "confirming", "none"} <= labels


def issuer_of(demo: Demo, ticker: str) -> str | None:
    """The issuer plugin whose files the sample renders for ``ticker`` (None: vendor only)."""
    return next((source for source, section in demo.manifest["issuer_sources"].items()
                 if ticker in section["funds"]), None)


def count_days(demo: Demo, ticker: str) -> set[world.dt.date]:
    """The days a count for ``ticker`` was published by the source the flow engine reads:
    the issuer's files (every trading day from its first file, less the dates it published
    none), else Yahoo's shares history."""
    path = simulated(ticker)
    source = issuer_of(demo, ticker)
    if source is None:
        return {path.days[k] for k in path.report_days.tolist()}
    first = world.dt.date.fromisoformat(
        demo.manifest["issuer_sources"][source].get("first_file_date", {}).get(
            ticker, path.days[0].isoformat()))
    missing = {world.dt.date.fromisoformat(d) for defect in demo.manifest["issuer_defects"]
               if defect["ticker"] == ticker and defect["kind"] == "no_holdings_published"
               for d in defect["dates"]}
    return {d for d in path.days if d >= first} - missing


@pytest.mark.parametrize("ticker", ["SPY", "AGG", "GLD", "IYZ", "UNG", "VGT", "HYG"])
def test_flows_are_simulated_units_times_nav(demo: Demo, ticker: str) -> None:
    """On a day with a count after a day with one, the share change is that day's simulated
    creation units x the fund's unit size, and the flow is that x NAV; the count itself
    equals the simulated one on every day with a count (days around deliberately wrong
    vendor counts aside: the quality models own those). The count comes from the fund's
    issuer where it has one (iShares, State Street: with the issuer's NAV, the simulated
    one to the cent), else from Yahoo (no NAV: the close)."""
    path = simulated(ticker)
    assert ticker not in world.LAGGED_SHARE_REPORTS
    day_index = {day: k for k, day in enumerate(path.days)}
    reported = count_days(demo, ticker)
    issuer = issuer_of(demo, ticker)
    skip = share_error_days(demo, ticker) if issuer is None else set()
    cu = path.spec.creation_unit
    checked = nav_checked = 0
    for row in daily_rows(demo, ticker):
        assert row["shares_source"] == (issuer or "yahoo"), row
        if row["as_of_date"] in skip:
            continue
        k = day_index[row["as_of_date"]]
        if row["as_of_date"] in reported:
            assert row["shares_outstanding"] == path.shares[k]
        if row["flow_status"] != "reported" or path.days[k - 1] not in reported:
            continue
        units = int(path.units[k])
        assert row["shares_outstanding_change"] == units * cu, row
        # every fund under test has its unit size from N-CEN or inferred, never assumed
        assert (row["creation_unit_size"], row["creation_unit_size_assumed"]) == (cu, False)
        assert row["net_creation_units"] == pytest.approx(units)
        assert row["net_flow_usd"] == pytest.approx(units * cu * row["nav"], abs=0.01)
        if row["nav_source"] == "issuer":  # the issuer's NAV is the simulated one
            sim_flow = units * cu * float(path.nav[k])
            assert row["net_flow_usd"] == pytest.approx(sim_flow, rel=1e-3, abs=1.0)
            nav_checked += 1
        checked += 1
    assert checked > 0.85 * (len(path.days) - 1)
    if issuer:
        assert nav_checked > 0.85 * (len(path.days) - 1)
    else:
        assert nav_checked == 0  # a vendor publishes no NAV: Yahoo's navPrice is no NAV


@pytest.mark.parametrize("ticker", ["VOO", "PDBC"])
def test_share_counts_follow_the_as_of_close_convention(demo: Demo, ticker: str) -> None:
    """T/T-1: a count dated D is read as the close of the trading day L days before D,
    L = shares_report_lag_days (0 unless configured or detected). These funds really
    report the prior day's close: with L = 0 the warehouse shows their flows exactly one
    trading day late; with L = 1 on the right day."""
    path = simulated(ticker)
    assert ticker in world.LAGGED_SHARE_REPORTS
    assert ticker in demo.manifest["lagged_share_report_funds"]
    day_index = {day: k for k, day in enumerate(path.days)}
    reported = {path.days[k] for k in path.report_days.tolist()}
    skip = share_error_days(demo, ticker)
    cu = path.spec.creation_unit
    checked = 0
    for row in daily_rows(demo, ticker):
        lag = row["shares_report_lag_days"]
        assert lag in (0, 1)
        k = day_index[row["as_of_date"]]
        # the reports behind this day's and the previous day's counts
        this_report, previous_report = k + lag, k + lag - 1
        if (row["flow_status"] != "reported" or row["as_of_date"] in skip or k < 2
                or this_report >= len(path.days)
                or not {path.days[this_report], path.days[previous_report]} <= reported):
            continue
        # a report dated D carries the close of the trading day before D
        assert row["shares_outstanding_change"] == int(path.units[this_report - 1]) * cu
        checked += 1
    assert checked > 400


def test_splits_are_not_flows(demo: Demo) -> None:
    splits = demo.manifest["splits"]
    assert {(s["ticker"], s["ratio"]) for s in splits} == {("VGT", 4.0), ("UNG", 0.25)}
    for split in splits:
        path = simulated(split["ticker"])
        k = path.days.index(world.dt.date.fromisoformat(split["date"]))
        (row,) = query(
            demo,
            """select split_ratio, shares_outstanding_prev, shares_outstanding,
                      shares_outstanding_change, flow_pct_aum, flow_status
               from fct_etf_flows_daily where ticker = ? and as_of_date = ?""",
            [split["ticker"], split["date"]])
        ratio, prev, shares, change, pct, status = row
        assert ratio == split["ratio"]
        if path.days[k] in share_error_days(demo, split["ticker"]):
            # the vendor's count is deliberately wrong around this split (the quality
            # models repair or drop it): whatever is left must not be a split-sized flow
            assert pct is None or abs(pct) < 25
            continue
        assert status == "reported"
        assert change == int(path.units[k]) * path.spec.creation_unit  # only real creations
        assert shares == path.shares[k] and prev == path.shares[k - 1] * ratio
        assert abs(pct) < 1.0


def test_first_days_have_null_flows(demo: Demo) -> None:
    rows = query(demo, """
        select ticker, as_of_date, flow_status, net_flow_usd
        from fct_etf_flows_daily
        qualify row_number() over (partition by ticker order by as_of_date) = 1""")
    assert len(rows) == len(demo.manifest["tickers"])
    assert all(status == "first_day" and flow is None for _, _, status, flow in rows)
    first = {ticker: day for ticker, day, _, _ in rows}
    assert first["IYZ"].isoformat() == demo.manifest["launched_funds"][0]["launch_date"]


def test_injected_institutional_events_are_smart_money(demo: Demo) -> None:
    events = [e for e in demo.manifest["injected_events"] if e["kind"] == "institutional"]
    assert len(events) >= 4
    ranked = query(demo, """
        select ticker, as_of_date, direction,
               rank() over (order by abs(flow_z) desc) as z_rank
        from fct_smart_money_flows""")
    by_key = {(t, d.isoformat()): (direction, rank) for t, d, direction, rank in ranked}
    for event in events:
        (day,) = event["flow_days"]
        (units,) = event["flow_units"]
        direction, rank = by_key[(event["ticker"], day)]
        assert direction == ("creation" if units > 0 else "redemption")
        # within the top fifth of all events by |z| (SPY's, against the busiest flows of
        # the universe, ranks lowest)
        assert rank <= 0.2 * len(ranked), (event, rank, len(ranked))
    top_five = {(t, d) for t, d, _, r in ranked if r <= 5}
    injected = {(e["ticker"], world.dt.date.fromisoformat(e["flow_days"][0])) for e in events}
    assert len(top_five & injected) >= 3


def test_premium_episodes_are_followed_by_creations(demo: Demo) -> None:
    episodes = [e for e in demo.manifest["injected_events"]
                if e["kind"] in ("premium", "discount")]
    assert {e["kind"] for e in episodes} == {"premium", "discount"}
    for episode in episodes:
        for day in episode["days"]:
            (row,) = query(demo, """
                select premium_discount_bps, opportunity, follow_through
                from fct_basket_arbitrage where ticker = ? and as_of_date = ?""",
                           [episode["ticker"], day])
            premium, opportunity, follow_through = row
            assert premium == pytest.approx(episode["premium_bps"], abs=5.0)
            assert opportunity == ("create" if episode["kind"] == "premium" else "redeem")
            assert follow_through is True
    tickers = sorted({e["ticker"] for e in episodes})
    rows = query(demo, f"""
        select ticker, premium_follow_through_pct, discount_follow_through_pct
        from agg_arbitrage_follow_through
        where ticker in ({", ".join("?" * len(tickers))})""", tickers)
    assert len(rows) == len(tickers)


def test_sector_rotation_shows_in_sector_flows(demo: Demo) -> None:
    rotation = [e for e in demo.manifest["injected_events"] if e["kind"] == "rotation"]
    last_day = max(d for e in rotation for d in e["days"])
    rows = query(demo, """
        select sector, aum_weighted_flow_pct, net_flow_usd
        from agg_sector_flows_daily
        where flow_window = '20d' and as_of_date = ?
        order by aum_weighted_flow_pct""", [last_day])
    assert rows[0][0] == "Energy" and rows[0][1] < -3.0
    by_sector = {sector: (pct, usd) for sector, pct, usd in rows}
    assert by_sector["Technology"][1] == max(usd for _, usd in by_sector.values())
    # the basket is its members: the 1-day basket flow is the sum of member flows
    (members,) = query(demo, """
        select sum(f.net_flow_usd) from fct_etf_flows_daily f
        join dim_etf d using (ticker)
        where d.sector_basket = 'Energy' and f.as_of_date = ?""", [last_day])[0]
    (basket,) = query(demo, """
        select net_flow_usd from agg_sector_flows_daily
        where sector = 'Energy' and flow_window = '1d' and as_of_date = ?""", [last_day])[0]
    assert basket == pytest.approx(members, abs=0.01)


def test_aum_changes_tie_out_across_grains(demo: Demo) -> None:
    mismatched = query(demo, """
        with daily as (
            select ticker, date_trunc('month', as_of_date) as month,
                   sum(net_flow_usd) as flow, sum(market_effect_usd) as market,
                   sum(distributions_usd) as distributions, count(*) as days
            from fct_etf_flows_daily group by all
        )
        select m.ticker, m.period_start_date
        from fct_aum_changes m
        join daily d on d.ticker = m.ticker and d.month = m.period_start_date
        where m.period = 'month' and (
            m.trading_days <> d.days
            or abs(coalesce(m.flow_effect_usd, 0) - coalesce(d.flow, 0)) > 0.01
            or abs(coalesce(m.market_effect_usd, 0) - coalesce(d.market, 0)) > 0.01
            or abs(coalesce(m.distributions_usd, 0) - coalesce(d.distributions, 0)) > 0.01)""")
    assert mismatched == []
    (months, with_distributions, residual_months) = query(demo, """
        select count(*), count(case when distributions_usd < 0 then 1 end),
               count(case when abs(residual_usd) > 1 then 1 end)
        from fct_aum_changes where period = 'month'""")[0]
    assert months >= len(demo.manifest["tickers"]) * 20
    assert with_distributions > months / 3  # monthly bond payers, quarterly equity
    # only a fund's first month (no start-of-month flow) leaves a residual in the demo
    assert residual_months <= len(demo.manifest["tickers"])


def _copy_warehouse(demo: Demo, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo warehouse with its own dbt target and log paths."""
    copy = demo.tmp / name / demo.duckdb_path.name  # same file name: same catalog name
    copy.parent.mkdir(exist_ok=True)
    with duckdb.connect(str(demo.duckdb_path)) as con:  # the last tables may be in the WAL
        con.execute("checkpoint")
    shutil.copyfile(demo.duckdb_path, copy)
    monkeypatch.setenv("DBT_TARGET_PATH", str(demo.tmp / f"target-{name}"))
    monkeypatch.setenv("DBT_LOG_PATH", str(demo.tmp / f"logs-{name}"))
    monkeypatch.setenv("ETFFLOW_DUCKDB_PATH", str(copy))
    return copy


def test_daily_test_scope_checks_the_rebuilt_days_only(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With test_scope="recent" (`etfflow daily`), data tests read the days an incremental
    run rebuilds: a duplicate row a year old passes, one in the last days fails; the full
    scope catches both. A share-count check is tested on every day its latest run wrote."""
    from ingest.dbt import run_dbt

    copy = _copy_warehouse(demo, "test-scope", monkeypatch)
    unique_key_test = ["test", "--select",
                       "fct_etf_flows_daily,test_name:unique_combination_of_columns"]

    def duplicate(days_before_latest: int) -> None:
        with duckdb.connect(str(copy)) as con:
            con.execute("""
                insert into fct_etf_flows_daily
                select * from fct_etf_flows_daily
                where ticker = 'SPY' and as_of_date = (
                    select max(as_of_date) from fct_etf_flows_daily
                    where as_of_date <= (select max(as_of_date) from int_etf_days_aligned)
                                        - cast(? as integer))""", [days_before_latest])

    duplicate(365)
    assert run_dbt(unique_key_test, copy, quiet=True, test_scope="recent").success
    assert not run_dbt(unique_key_test, copy, quiet=True, test_scope="all").success
    duplicate(2)
    assert not run_dbt(unique_key_test, copy, quiet=True, test_scope="recent").success
    # the share-count checks rewrite each fund from its own state, older days too: their
    # tests read every day their latest run wrote (this full build: a fund's first day)
    with duckdb.connect(str(copy)) as con:
        con.execute("""
            insert into int_shares_checks_stale_runs
            select * from int_shares_checks_stale_runs
            where ticker = 'SPY' and as_of_date = (
                select min(as_of_date) from int_shares_checks_stale_runs where ticker = 'SPY')""")
    checks_key_test = ["test", "--select",
                       "int_shares_checks_stale_runs,test_name:unique_combination_of_columns"]
    assert not run_dbt(checks_key_test, copy, quiet=True, test_scope="recent").success
    # before the first build of int_etf_days_aligned (a fresh warehouse) every day is tested
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table int_etf_days_aligned cascade")
    outcome = run_dbt(unique_key_test, copy, quiet=True, test_scope="recent")
    assert dict(outcome.statuses) == {"fail": 1}, outcome.failures


def test_row_rules_fail_naming_each_broken_rule(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row_rules test (several per-row rules of one model, one scan) passes on the
    demo, fails once one row breaks a rule, and its stored failures name each broken
    rule with the number of rows breaking it."""
    from ingest.dbt import run_dbt

    copy = _copy_warehouse(demo, "row-rules", monkeypatch)
    rules_test = ["test", "--select", "fct_etf_flows_daily_row_rules", "--store-failures"]
    assert run_dbt(rules_test, copy, quiet=True).success
    with duckdb.connect(str(copy)) as con:  # one day's flow off its identities; a status
        con.execute("""
            update fct_etf_flows_daily
            set net_flow_usd = net_flow_usd + 1e6, flow_status = 'unknown'
            where rowid = (
                select rowid from fct_etf_flows_daily
                where net_flow_usd is not null and flow_status = 'reported'
                    and aum_start_usd is not null and aum_usd is not null
                order by ticker, as_of_date limit 1)""")
    outcome = run_dbt(rules_test, copy, quiet=True)
    assert dict(outcome.statuses) == {"fail": 1}, outcome.failures
    with duckdb.connect(str(copy)) as con:
        broken = con.execute("select rule_name, failing_rows from "
                             "main_dbt_test__audit.fct_etf_flows_daily_row_rules "
                             "order by rule_name").fetchall()
    assert broken == [("aum_identity", 1), ("flow_status_accepted_values", 1),
                      ("net_flow_identity", 1)]


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """The relation's columns but the run that wrote each row (dbt_run_started_at)."""
    return [name for (name,) in con.execute(
        "select column_name from information_schema.columns where table_name = ? "
        "order by ordinal_position", [relation]).fetchall() if name != "dbt_run_started_at"]


def _table(con: duckdb.DuckDBPyConnection, relation: str, keys: tuple[str, ...],
           columns: list[str]) -> list:
    return con.execute(f"select {', '.join(columns)} from {relation} "
                       f"order by {', '.join(keys)}").fetchall()


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def _boundaries(demo: Demo) -> dict[str, tuple[world.dt.date | None, int]]:
    """Where the incremental runs below resume: (last day kept, lookback days), so that
    the rebuild date R = last day kept - lookback falls where the checks' state matters."""
    errors = demo.manifest["injected_share_errors"]
    stale = max((e for e in errors if e["kind"] == "stale"), key=lambda e: e["dates"][-1])
    stale_days = [world.dt.date.fromisoformat(d) for d in stale["dates"]]
    scale = max((e for e in errors if e["kind"] == "scale_error" and len(e["dates"]) > 1),
                key=lambda e: e["dates"][-1])
    return {
        "last_15_days": (None, 10),
        # a stale run that starts before R and closes after the last day kept
        "stale_run_open": (stale_days[len(stale_days) // 2], 2),
        # a scale-error episode whose onset is before R and whose end comes after it
        "episode_open": (world.dt.date.fromisoformat(scale["dates"][-1]), 0),
    }


def _state_across(full: duckdb.DuckDBPyConnection, boundary: str, cutoff: world.dt.date,
                  rebuild_from: world.dt.date) -> str | None:
    """The fund whose state the boundary is about, checked on the full build: for
    stale_run_open a stale run that starts before the rebuild date and ends after the
    cutoff (another run follows it), for episode_open an episode whose onset is before the
    rebuild date and which still runs on it."""
    if boundary == "stale_run_open":
        row = full.execute("""
            select ticker, run_start_date from int_shares_checks_stale_runs as open_run
            where as_of_date = ? and run_start_date < ? and exists (
                select 1 from int_shares_checks_stale_runs as later
                where later.ticker = open_run.ticker and later.as_of_date > ?
                    and later.run_start_date = open_run.run_start_date and later.is_stale)
            and exists (
                select 1 from int_shares_checks_stale_runs as closed
                where closed.ticker = open_run.ticker and closed.as_of_date > ?
                    and closed.run_start_date > open_run.run_start_date)""",
            [cutoff, rebuild_from, cutoff, cutoff]).fetchone()
    elif boundary == "episode_open":
        row = full.execute("""
            select ticker, episode_start_date from int_shares_checks_episodes
            where episode_kind = 'scale_error' and episode_start_date < ? and as_of_date >= ?
            """, [rebuild_from, rebuild_from]).fetchone()
    else:
        return None
    assert row is not None, f"{boundary}: no state open across {rebuild_from}"
    return row[0]


@pytest.mark.parametrize("boundary", ["last_15_days", "stale_run_open", "episode_open"])
def test_incremental_run_rebuilds_what_a_full_build_built(
    demo: Demo, boundary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drop the days after a boundary from every incremental model and rebuild the
    per-fund evidence as of it (as if the warehouse had last run then), run the models
    incrementally: the rows come back as a full build built them.
    last_15_days: the daily path's lookback. stale_run_open: a stale run starts before the
    rebuild date and closes after the boundary, so the stale-run check resumes from the
    run its state holds (and rewrites that fund from the run's start only).
    episode_open: an injected scale error's onset lies before the rebuild date and its end
    on it, so the episodes resume from the reports before the change."""
    from ingest.dbt import run_dbt

    kept_until, lookback = _boundaries(demo)[boundary]
    copy = _copy_warehouse(demo, f"incremental-{boundary}", monkeypatch)
    with duckdb.connect(str(copy)) as con:
        (latest,) = con.execute("select max(as_of_date) from fct_etf_flows_daily").fetchone()
        cutoff = kept_until or latest - world.dt.timedelta(days=15)
        rebuild_from = cutoff - world.dt.timedelta(days=lookback)
        fund = _state_across(con, boundary, cutoff, rebuild_from)
        (built_at,) = con.execute(
            "select max(dbt_run_started_at) from int_shares_checks_stale_runs").fetchone()
        for relation, column, _ in INCREMENTAL:
            if column is not None:
                con.execute(f"delete from {relation} where {column} > ?", [cutoff])
    as_of_cutoff = run_dbt(["run", "--full-refresh", "--select", *EVIDENCE], copy, quiet=True)
    assert as_of_cutoff.success, as_of_cutoff.failures
    # the project's own lookback needs no --vars (and no parse of its own)
    other_lookback = ([] if lookback == PROJECT_VARS["flows_lookback_days"]
                      else ["--vars", f"{{flows_lookback_days: {lookback}}}"])
    outcome = run_dbt(["run", "--select", "config.materialized:incremental", *other_lookback],
                      copy, quiet=True)
    assert outcome.success, outcome.failures
    manifest = json.loads(
        (demo.tmp / f"target-incremental-{boundary}" / "manifest.json").read_text())
    incremental = {node["name"] for node in manifest["nodes"].values()
                   if node["config"].get("materialized") == "incremental"}
    assert incremental == {relation for relation, _, _ in INCREMENTAL}
    with duckdb.connect(str(demo.duckdb_path)) as full, \
            duckdb.connect(str(copy)) as incremental:
        for relation, _, keys in INCREMENTAL:
            columns = _columns(full, relation)
            expected = _table(full, relation, keys, columns)
            actual = _table(incremental, relation, keys, columns)
            assert len(actual) == len(expected), relation
            for want, got in zip(expected, actual, strict=True):
                assert all(_same(a, b) for a, b in zip(want, got, strict=True)), (
                    relation, want, got)
        # the checks went on from their state: funds were not rebuilt whole
        (rebuilt_whole,) = incremental.execute("""
            select count(distinct ticker) from int_shares_outstanding_normalized
            where dbt_run_started_at > ? and as_of_date < ?""", [built_at, rebuild_from]
        ).fetchone()
        (funds,) = incremental.execute(
            "select count(distinct ticker) from int_shares_outstanding_normalized").fetchone()
        assert rebuilt_whole < funds / 2
        if boundary == "stale_run_open":
            # that fund's runs were rebuilt from the start of a run open before the stale
            # one's start (the state), not from its first day
            (first_rewritten, first_day, run_start) = incremental.execute("""
                select min(as_of_date) filter (where dbt_run_started_at > ?), min(as_of_date),
                       max(run_start_date) filter (where as_of_date = ?)
                from int_shares_checks_stale_runs where ticker = ?""",
                [built_at, cutoff, fund]).fetchone()
            assert first_day < first_rewritten <= run_start < rebuild_from
            assert incremental.execute(
                "select count(*) from int_shares_checks_stale_runs "
                "where ticker = ? and run_start_date = ?", [fund, first_rewritten]
            ).fetchone()[0] > 0


def test_reconciliation_against_nport_reports_its_own_accuracy(demo: Demo) -> None:
    summary = {(segment, tolerance): (comparable, share) for segment, tolerance, comparable,
               share in query(demo, """
        select segment, tolerance_pct, comparable_fund_months, share_within_pct
        from agg_nport_reconciliation_summary""")}
    comparable, within_2 = summary[("all", 2.0)]
    _, within_5 = summary[("all", 5.0)]
    assert comparable >= 500
    assert 0 < within_2 <= within_5 <= 100
    non_filers = {t for (t,) in query(demo, "select ticker from dim_etf where not files_nport")}
    reconciled = {t for (t,) in query(
        demo, "select distinct ticker from fct_nport_flow_reconciliation")}
    assert non_filers and not non_filers & reconciled  # no zeros for funds without N-PORT
    # a one-day share-report lag the warehouse does not correct shows up as error
    applied = dict(query(demo, """
        select ticker, max(shares_report_lag_days) from fct_etf_flows_daily group by ticker"""))
    uncorrected = [t for t in demo.manifest["lagged_share_report_funds"] if applied[t] == 0]
    if uncorrected:
        marks = ", ".join("?" * len(uncorrected))
        (lagged_share, other_share) = query(demo, f"""
            select avg(case when ticker in ({marks}) then (abs(error_pct) <= 5)::int end),
                   avg(case when ticker not in ({marks}) then (abs(error_pct) <= 5)::int end)
            from fct_nport_flow_reconciliation where is_comparable""",
                                            uncorrected + uncorrected)[0]
        assert lagged_share < other_share
