"""Seed-compatible reports read the demo marts: text, JSON and CSV, and clear empty cases."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import main


@pytest.fixture
def etfflow(demo_build):
    def run(*args: str):
        return CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), *args])
    return run


def mart(demo_build, sql: str) -> list[tuple]:
    with duckdb.connect(str(demo_build.duckdb_path)) as con:
        return con.execute(sql).fetchall()


def test_flows_json_matches_the_mart_in_millions(etfflow, demo_build) -> None:
    result = etfflow("flows", "SPY", "--days", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["sample_data"] is True
    expected = mart(demo_build, """select as_of_date, net_flow_usd from fct_etf_flows_daily
                                   where ticker = 'SPY' order by as_of_date desc limit 3""")
    assert [(r["as_of_date"], r["net_flow_musd"]) for r in doc["rows"]] == [
        (d.isoformat(), None if f is None else round(f / 1e6, 3)) for d, f in expected]


def test_seed_examples_print(etfflow) -> None:
    for args in (["flows", "SPY"], ["signals", "SPY,QQQ,IWM"], ["top", "bond", "10"],
                 ["sectors"], ["arbitrage"], ["reconcile"]):
        result = etfflow(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "SAMPLE DATA" in result.output, args


def test_new_reports_rows_carry_ticker_name_and_date(etfflow) -> None:
    for args in (["flows", "SPY", "--days", "2"], ["signals", "SPY,QQQ"], ["top", "bond", "3"]):
        doc = json.loads(etfflow(*args, "--format", "json").stdout)
        assert doc["rows"], args
        for row in doc["rows"]:
            assert {"ticker", "name", "as_of_date", "date"} <= set(row), args
            assert row["date"] == row["as_of_date"] and row["name"], args
            keys = list(row)
            assert keys.index("date") == keys.index("as_of_date") + 1, args


def test_top_bond_is_ranked_bond_inflows(etfflow, demo_build) -> None:
    result = etfflow("top", "bond", "5", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert 0 < len(rows) <= 5
    bonds = {t for (t,) in mart(demo_build,
                                "select ticker from dim_etf where asset_class = 'bond'")}
    assert {r["ticker"] for r in rows} <= bonds
    flows = [float(r["flow_musd"]) for r in rows]
    assert flows == sorted(flows, reverse=True)


def test_signals_cover_each_ticker_once(etfflow) -> None:
    doc = json.loads(etfflow("signals", "SPY,QQQ,IWM", "--format", "json").output)
    assert sorted(r["ticker"] for r in doc["rows"]) == ["IWM", "QQQ", "SPY"]
    assert all(r["signal"] in {"BUY", "SELL", "NEUTRAL"} for r in doc["rows"])


def test_unknown_ticker_and_non_nport_fund_say_why(etfflow) -> None:
    unknown = etfflow("flows", "ZZZZ")
    assert unknown.exit_code == 1
    assert "error: unknown ticker 'ZZZZ'" in unknown.output
    grantor_trust = etfflow("reconcile", "GLD")
    assert grantor_trust.exit_code == 1
    assert "GLD is a grantor trust: it files no N-PORT" in grantor_trust.output
    # a unit investment trust files N-PORT (under its CIK): its months are reconciled
    uit = etfflow("reconcile", "SPY", "--format", "json")
    assert uit.exit_code == 0, uit.output
    assert {r["ticker"] for r in json.loads(uit.output)["rows"]} == {"SPY"}


def test_reports_need_a_warehouse(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "sectors"])
    assert result.exit_code == 1
    assert "error: no warehouse at" in result.output
