"""Golden tests: the old script's invocations print its JSON shapes (a top-level list, its
field names first and in order, amounts in USD millions), filled with the marts' figures.

The field lists are the old dataclasses' (ETF Flow Tracker), written out here on purpose
rather than imported: they are the contract the commands must keep."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import main

ETF_FLOW = ["ticker", "name", "date", "net_flow", "aum", "flow_as_pct_aum", "price", "volume",
            "volume_avg_ratio", "price_change_1d", "flow_price_divergence"]
FLOW_MOMENTUM_SIGNAL = ["ticker", "name", "signal", "signal_strength", "flow_score",
                        "price_score", "volume_score", "reason", "aum_millions", "flow_1d",
                        "flow_5d", "flow_20d"]
TOP_FLOWS = ["ticker", "name", "flow_5d_avg", "flow_pct_aum", "aum", "price_change_5d"]
SECTOR_FLOW = ["sector", "date", "net_flow_millions", "num_etfs", "avg_flow_pct_aum",
               "smart_money_flow", "price_momentum", "flow_momentum"]
ETF_CREATION_REDEMPTION = ["ticker", "date", "creation_units", "redemption_units",
                           "net_creation", "shares_outstanding_change",
                           "implied_flow_millions", "nav_premium_discount"]
ETF_HOLDINGS_CHANGE = ["ticker", "filing_date", "previous_filing_date", "total_positions",
                       "top_10_weight", "sector_allocation", "holdings_added",
                       "holdings_removed", "turnover_rate", "largest_additions",
                       "largest_deletions"]


def millions(usd: float | None) -> float | None:
    return None if usd is None else usd / 1e6


def close(a: float | None, b: float | None) -> bool:
    """Equal up to the dollar for USD millions (the shapes round to 6 decimals)."""
    return (a is None and b is None) or (a is not None and b is not None
                                         and a == pytest.approx(b, abs=1e-6, rel=1e-12))


@pytest.fixture
def old(demo_build):
    """Run the CLI and return (exit code, stdout parsed as JSON, stderr)."""
    def run(*args: str):
        result = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout), result.stderr
    return run


@pytest.fixture
def mart(demo_build):
    def query(sql: str, params: list | None = None) -> list[dict]:
        with duckdb.connect(str(demo_build.duckdb_path)) as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return query


def keys_start_with(row: dict, fields: list[str]) -> bool:
    return list(row)[:len(fields)] == fields


def test_etf_flows_spy_30_json(old, mart) -> None:
    rows, stderr = old("etf-flows", "SPY", "30", "json")
    assert isinstance(rows, list) and len(rows) == 30
    assert "SAMPLE DATA" in stderr  # the label stays off stdout, which is the old list
    assert all(keys_start_with(row, ETF_FLOW) for row in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)  # oldest first
    expected = {m["as_of_date"].isoformat(): m for m in mart(
        "select * from fct_etf_flows_daily where ticker = 'SPY' order by as_of_date desc "
        "limit 30")}
    assert set(expected) == {r["date"] for r in rows}
    for row in rows:
        m = expected[row["date"]]
        assert row["ticker"] == "SPY" and row["name"] == "SPDR S&P 500 ETF Trust"
        assert close(row["net_flow"], millions(m["net_flow_usd"]))       # USD millions
        assert close(row["aum"], millions(m["aum_usd"]))                 # USD millions
        assert row["flow_as_pct_aum"] == m["flow_pct_aum"]               # %
        assert (row["price"], row["volume"]) == (m["close"], m["volume"])
        assert row["volume_avg_ratio"] == m["volume_avg_ratio_30d"]
        assert row["price_change_1d"] == m["price_change_1d_pct"]        # %
        assert row["flow_price_divergence"] == m["flow_price_divergence"]
    # ΔSO × NAV, not the old volume × price proxy
    assert any(r["net_flow"] != pytest.approx(r["volume"] * r["price"] / 1e6) for r in rows)


def test_etf_flows_defaults_and_output_without_days(old) -> None:
    rows, _ = old("etf-flows", "json")           # the old defaults: SPY, 30 days
    assert len(rows) == 30 and {r["ticker"] for r in rows} == {"SPY"}
    rows, _ = old("etf-flows", "qqq", "json")    # DAYS left out, the output still read
    assert len(rows) == 30 and {r["ticker"] for r in rows} == {"QQQ"}


def test_flow_signals_json(old, mart) -> None:
    rows, _ = old("flow-signals", "SPY,QQQ,IWM", "json")
    assert sorted(r["ticker"] for r in rows) == ["IWM", "QQQ", "SPY"]
    assert all(keys_start_with(row, FLOW_MOMENTUM_SIGNAL) for row in rows)
    strengths = [r["signal_strength"] for r in rows]
    assert strengths == sorted(strengths, reverse=True)                 # strongest first
    latest = {m["ticker"]: m for m in mart(
        "select * from sig_flow_momentum where ticker in ('SPY', 'QQQ', 'IWM') "
        "qualify as_of_date = max(as_of_date) over (partition by ticker)")}
    for row in rows:
        m = latest[row["ticker"]]
        assert (row["signal"], row["reason"], row["name"]) == (m["signal"], m["reason"],
                                                               m["fund_name"])
        assert close(row["aum_millions"], millions(m["aum_usd"]))
        assert close(row["flow_1d"], millions(m["flow_1d_usd"]))
        # the script's flow_5d / flow_20d were average daily flows, in USD millions
        assert close(row["flow_5d"], millions(m["flow_5d_avg_usd"]))
        assert close(row["flow_20d"], millions(m["flow_20d_avg_usd"]))


def test_top_flows_bond_10_json(old, mart) -> None:
    rows, _ = old("top-flows", "bond", "10", "json")
    assert 0 < len(rows) <= 10
    assert all(keys_start_with(row, TOP_FLOWS) for row in rows)
    magnitudes = [abs(r["flow_5d_avg"]) for r in rows]
    assert magnitudes == sorted(magnitudes, reverse=True)              # the script's ranking
    window = {m["ticker"]: m for m in mart(
        "select * from agg_top_flows where flow_window = '5d' and category_group = 'bond' "
        "and as_of_date = (select max(as_of_date) from agg_top_flows where flow_window = '5d')"
    )}
    for row in rows:
        m = window[row["ticker"]]
        assert close(row["flow_5d_avg"], millions(m["flow_avg_daily_usd"]))
        assert close(row["aum"], millions(m["aum_usd"]))
        assert row["flow_pct_aum"] == m["flow_pct_aum"]
        assert row["price_change_5d"] == m["return_pct"]
    assert len(rows) == min(10, sum(m["flow_usd"] is not None for m in window.values()))


def test_sector_flows_json(old, mart) -> None:
    rows, _ = old("sector-flows", "json")
    assert all(keys_start_with(row, SECTOR_FLOW) for row in rows)
    latest = {m["sector"]: m for m in mart(
        "select * from agg_sector_flows_daily where flow_window = '5d' and as_of_date = "
        "(select max(as_of_date) from agg_sector_flows_daily)")}
    assert {r["sector"] for r in rows} == set(latest) and len(rows) == len(latest)
    for row in rows:
        m = latest[row["sector"]]
        assert row["date"] == m["as_of_date"].isoformat()
        assert close(row["net_flow_millions"], millions(m["net_flow_usd"]))
        assert close(row["smart_money_flow"], millions(m["smart_money_flow_usd"]))
        assert close(row["flow_momentum"], millions(m["flow_momentum_usd"]))
        assert (row["num_etfs"], row["avg_flow_pct_aum"], row["price_momentum"]) == (
            m["num_etfs"], m["avg_flow_pct_aum"], m["price_momentum_pct"])


def test_creations_json(old, mart) -> None:
    rows, _ = old("creations", "XLK", "--days", "10", "--format", "json")
    assert 0 < len(rows) <= 10
    assert all(keys_start_with(row, ETF_CREATION_REDEMPTION) for row in rows)
    assert all(r["ticker"] == "XLK" and r["name"] for r in rows)
    days = {m["as_of_date"].isoformat(): m for m in mart(
        "select * from fct_etf_creation_redemption where ticker = 'XLK' and as_of_date in "
        "(select as_of_date from fct_etf_flows_daily where ticker = 'XLK' "
        " order by as_of_date desc limit 10)")}
    assert [r["date"] for r in rows] == sorted(days)
    for row in rows:
        m = days[row["date"]]
        assert (row["creation_units"], row["redemption_units"], row["net_creation"]) == (
            m["creation_units"], m["redemption_units"], m["net_creation_units"])
        assert row["shares_outstanding_change"] == m["shares_outstanding_change"]
        assert close(row["implied_flow_millions"], millions(m["implied_flow_usd"]))
        if m["premium_discount_bps"] is None:
            assert row["nav_premium_discount"] is None
        else:  # percent of NAV
            assert row["nav_premium_discount"] == pytest.approx(m["premium_discount_bps"] / 100)


def test_holdings_json_is_the_old_etf_holdings_change(old, mart) -> None:
    change, _ = old("holdings", "IWM", "--format", "json")
    assert list(change)[:len(ETF_HOLDINGS_CHANGE)] == ETF_HOLDINGS_CHANGE
    expected = mart("""select bucket_label, weight from agg_holdings_allocation
                       where ticker = 'IWM' and dimension = 'sector' and period_end = ?""",
                    [change["period_end"]])
    assert change["sector_allocation"] == pytest.approx(
        {m["bucket_label"]: m["weight"] for m in expected})
    weights = list(change["sector_allocation"].values())
    assert weights == sorted(weights, reverse=True) and len(weights) > 1


def test_text_output_and_csv(demo_build) -> None:
    def run(*args: str):
        return CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), *args])
    for args in (["etf-flows", "SPY", "5"], ["flow-signals", "SPY,QQQ", "text"],
                 ["top-flows", "equity", "5"], ["sector-flows"], ["creations", "SPY"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "SAMPLE DATA" in result.stdout, args
    csv_rows = run("top-flows", "bond", "3", "--format", "csv").stdout.splitlines()
    assert csv_rows[0].split(",")[:len(TOP_FLOWS)] == TOP_FLOWS and len(csv_rows) == 4


@pytest.mark.parametrize(("args", "message"), [
    (["etf-flows", "SPY", "30", "json", "extra"], "unexpected argument 'extra'"),
    (["etf-flows", "SPY", "thirty"], "DAYS must be a whole number above 0, got 'thirty'"),
    (["top-flows", "bonds", "10"], "unknown category 'bonds'"),
    (["top-flows", "bond", "0", "json"], "LIMIT must be a whole number above 0"),
    (["flow-signals", "SPY,ZZZZ", "json"], "unknown ticker 'ZZZZ'"),
    (["sector-flows", "json", "--format", "csv"], "disagree"),
])
def test_bad_old_invocations_fail_in_one_line(demo_build, args, message) -> None:
    result = CliRunner().invoke(main, ["--db", str(demo_build.duckdb_path), *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
