"""Benchmarks (speed targets live here, not in unit tests).

    python scripts/bench.py --flows [--etfs 4000 --years 10]   # warehouse build at universe scale
    python scripts/bench.py --flows --etfs 400 --years 2       # a quick smoke run

Each section prints its figures and the targets they are held to; ``--json PATH`` also
writes them to a file. Timings are wall-clock on this machine: run on an otherwise idle
machine, they are not comparable while other work competes for the two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ingest.core.config import PROJECT_ROOT
from ingest.core.landing import Warehouse
from ingest.plugins.yahoo import YahooPlugin

GiB = 1024**3

# -- flows: the warehouse at full-universe scale -------------------------------------------


def _synthetic_raw(path: Path, etfs: int, years: int) -> int:
    """Random-walk prices and creation-unit share changes for ``etfs`` synthetic tickers
    over ``years`` of weekdays, written straight into the raw tables (no archive)."""
    with Warehouse(path) as wh:
        wh.ensure_tables(YahooPlugin.tables)
        con = wh.con
        con.execute("select setseed(0.42)")
        con.execute(
            f"""
            create temp table days as
            select day::date as as_of_date, row_number() over (order by day) as n
            from range(date '2025-01-01' - interval {years} year, date '2025-01-01',
                       interval 1 day) r(day)
            where isodow(day) <= 5;
            create temp table grid as
            select 'B' || lpad(t::varchar, 5, '0') as ticker, t, as_of_date, n,
                   0.0004 + 0.012 * (random() - 0.5) * 2 as log_ret,
                   case when random() < 0.25 then (floor(random() * 7) - 3) * 50000 else 0 end
                       as units_shares
            from range({etfs}) r(t) cross join days;
            insert into raw.yahoo_prices
                (ticker, as_of_date, open, high, low, close, adj_close, volume, currency,
                 _run_id, _loaded_at, _source_url, _payload_sha256, _fetched_at)
            select ticker, as_of_date, price, price * 1.01, price * 0.99, price, price,
                   (100000 + t * 10)::bigint, 'USD', 'bench', now(), 'bench', 'bench',
                   timestamp '2025-01-01 22:00:00'
            from (select *, (20 + t % 400) * exp(sum(log_ret) over (
                      partition by ticker order by n)) as price from grid);
            insert into raw.yahoo_shares_outstanding
                (ticker, as_of_date, reported_at, shares_outstanding,
                 _run_id, _loaded_at, _source_url, _payload_sha256, _fetched_at)
            select ticker, as_of_date, as_of_date::timestamp,
                   5000000 + 100000 * (t % 50) + sum(units_shares) over (
                       partition by ticker order by n),
                   'bench', now(), 'bench', 'bench', timestamp '2025-01-01 22:00:00'
            from grid;
            """
        )
        (rows,) = con.execute("select count(*) from raw.yahoo_prices").fetchone()
    return int(rows)


def _append_day(path: Path) -> None:
    """The next weekday for every ticker: what a daily ingest adds."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create temp table nxt as
            select ticker, max(as_of_date) + case when isodow(max(as_of_date)) = 5
                   then 3 else 1 end as as_of_date,
                   arg_max(close, as_of_date) * 1.001 as close,
                   arg_max(volume, as_of_date) as volume
            from raw.yahoo_prices group by ticker;
            insert into raw.yahoo_prices
                (ticker, as_of_date, open, high, low, close, adj_close, volume, currency,
                 _run_id, _loaded_at, _source_url, _payload_sha256, _fetched_at)
            select ticker, as_of_date, close, close, close, close, close, volume, 'USD',
                   'bench-day', now(), 'bench', 'bench', as_of_date + interval 22 hour
            from nxt;
            insert into raw.yahoo_shares_outstanding
                (ticker, as_of_date, reported_at, shares_outstanding,
                 _run_id, _loaded_at, _source_url, _payload_sha256, _fetched_at)
            select n.ticker, n.as_of_date, n.as_of_date::timestamp,
                   s.shares_outstanding + 50000, 'bench-day', now(), 'bench', 'bench',
                   n.as_of_date + interval 22 hour
            from nxt n join (select ticker, arg_max(shares_outstanding, as_of_date)
                                 as shares_outstanding
                             from raw.yahoo_shares_outstanding group by ticker) s
              using (ticker);
            """
        )


def _timed_subprocess(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in GiB) of one child process; raises SystemExit if it fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            out.seek(0)
            sys.stderr.write(out.read()[-4000:])
            raise SystemExit(f"bench: command failed: {' '.join(args)}")
    return seconds, usage.ru_maxrss * 1024 / GiB  # ru_maxrss is KiB on Linux


def _dbt(work: Path, db: Path, *extra: str) -> tuple[float, float]:
    env = {**os.environ, "DO_NOT_TRACK": "1", "ETFFLOW_DUCKDB_PATH": str(db),
           "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    dbt = str(Path(sys.executable).with_name("dbt"))
    return _timed_subprocess(
        [dbt, "--quiet", "build", "--project-dir", str(PROJECT_ROOT), "--profiles-dir",
         str(PROJECT_ROOT / "profiles"), *extra], env)


NAIVE_FLOWS = '''
import sys, duckdb, pandas as pd
con = duckdb.connect(sys.argv[1], read_only=True)
prices = con.sql("select ticker, as_of_date, close from raw.yahoo_prices").df()
shares = con.sql(
    "select ticker, as_of_date, shares_outstanding from raw.yahoo_shares_outstanding").df()
df = pd.merge_asof(prices.sort_values("as_of_date"), shares.sort_values("as_of_date"),
                   on="as_of_date", by="ticker").sort_values(["ticker", "as_of_date"])
df["net_flow_usd"] = df.groupby("ticker")["shares_outstanding"].diff() * df["close"]
print(len(df))
'''


def bench_flows(etfs: int, years: int) -> dict[str, float]:
    """Full and incremental `dbt build` on a synthetic universe, and a naive pandas flow."""
    work = Path(tempfile.mkdtemp(prefix="etfflow-bench-"))
    db = work / "warehouse.duckdb"
    try:
        started = time.perf_counter()
        rows = _synthetic_raw(db, etfs, years)
        generate_s = time.perf_counter() - started
        print(f"flows: {rows:,} ETF-days ({etfs:,} ETFs x {years} years) generated in "
              f"{generate_s:.1f} s")
        full_s, full_gib = _dbt(work, db, "--full-refresh")
        _append_day(db)
        daily_s, daily_gib = _dbt(work, db)
        naive_s, naive_gib = _timed_subprocess([sys.executable, "-c", NAIVE_FLOWS, str(db)],
                                               dict(os.environ))
        figures = {
            "etf_days": rows,
            "full_build_s": round(full_s, 1),
            "full_build_peak_gib": round(full_gib, 2),
            "daily_build_s": round(daily_s, 1),
            "daily_build_peak_gib": round(daily_gib, 2),
            "warehouse_gib": round(db.stat().st_size / GiB, 2),
            "naive_pandas_flows_s": round(naive_s, 1),
            "naive_pandas_peak_gib": round(naive_gib, 2),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(figures, {"full_build_s": 120, "daily_build_s": 15, "full_build_peak_gib": 8})
    return figures


def _print(figures: dict[str, float], targets: dict[str, float]) -> None:
    for name, value in figures.items():
        target = targets.get(name)
        verdict = "" if target is None else (
            f"  (target <= {target}: {'ok' if value <= target else 'MISSED'})")
        print(f"  {name:28} {value:>12,}{verdict}")


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, float]]] = {
    "flows": lambda args: bench_flows(args.etfs, args.years),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, run in SECTIONS.items():
        parser.add_argument(f"--{name}", action="store_true",
                            help=(run.__doc__ or f"run the {name} benchmark"))
    parser.add_argument("--etfs", type=int, default=4000, help="flows: synthetic ETFs")
    parser.add_argument("--years", type=int, default=10, help="flows: years of trading days")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    chosen = [name for name in SECTIONS if getattr(args, name)] or list(SECTIONS)
    results = {name: SECTIONS[name](args) for name in chosen}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
