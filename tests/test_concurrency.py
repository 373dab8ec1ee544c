"""Concurrency end to end, with real processes (`python -m ingest.cli`) on copies of the
session's demo warehouse and archive:

- a BI reader holds the serving file while `etfflow daily` runs: the run succeeds, the
  reader's results do not change mid-session, a fresh connection sees the new day;
- a second `etfflow daily` meanwhile is refused in one line naming the holder, and one
  started with `--wait` queues behind it;
- a reader holding the *build* warehouse gets one error line naming the serving file;
- an ingest killed with SIGKILL is marked `interrupted` by the next start, and re-running
  it gives the raw tables a clean run gives.

The demo archive holds one backfill and daily snapshots, not a `daily` run's own
requests; the fixture adds the requests `etfflow daily --end <last day>` makes for the
demo's last day (the backfill's answers, cut to the window as Yahoo would) and takes that
day out of the warehouse copy, so the daily has a day to add.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest

from ingest.core.archive import Archive
from ingest.core.lock import read_holder
from ingest.core.plugin import PlanParams
from ingest.plugins.yahoo import YahooPlugin
from ingest.sample.world import DEMO_END, DEMO_START, FETCHED_AT
from ingest.serving import publish, serving_paths
from ingest.universe import seed_tickers

LOOKBACK_DAYS = 7  # `etfflow daily`'s default window
DAILY_FACT = "fct_etf_flows_daily"
TIMEOUT_S = 900  # generous: two cores shared with other work


@dataclass(frozen=True)
class Replay:
    warehouse: Path
    archive: Path
    serving_file: Path
    last_day: dt.date
    prepared_at: dt.datetime
    env: dict[str, str]


def cli_env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETFFLOW_")}
    return {**env, "DO_NOT_TRACK": "1", "DBT_TARGET_PATH": str(scratch / "target"),
            "DBT_LOG_PATH": str(scratch / "logs"), "PYTHONUNBUFFERED": "1"}


def cli(warehouse: Path, archive: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ingest.cli", "--db", str(warehouse), "--archive",
            str(archive), *args]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def popen(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_until(condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def window_body(body: bytes, start_epoch: int, end_epoch: int) -> bytes:
    """A Yahoo chart or shares-timeseries answer cut to [start, end), as a request for that
    period gets it."""
    data = json.loads(body)
    root = "chart" if "chart" in data else "timeseries"
    result = data[root]["result"][0]
    keep = [i for i, t in enumerate(result["timestamp"]) if start_epoch <= t < end_epoch]
    result["timestamp"] = [result["timestamp"][i] for i in keep]
    if root == "timeseries":
        result["shares_out"] = [result["shares_out"][i] for i in keep]
    else:
        for block in (*result["indicators"]["quote"], *result["indicators"]["adjclose"]):
            for name, values in block.items():
                block[name] = [values[i] for i in keep]
        for kind, events in result.get("events", {}).items():
            result["events"][kind] = {k: v for k, v in events.items()
                                      if start_epoch <= int(k) < end_epoch}
    return json.dumps(data).encode()


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


@pytest.fixture(scope="module")
def day_before(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    """The demo as it stood the evening before its last day's run, with the archive holding
    that run's answers, and a serving layer published from it."""
    root = tmp_path_factory.mktemp("concurrency")
    warehouse, archive = root / "warehouse.duckdb", root / "archive"
    shutil.copy2(demo_build.duckdb_path, warehouse)
    shutil.copytree(demo_build.archive_dir, archive)
    with duckdb.connect(str(warehouse)) as con:
        (last_day,) = con.execute("select max(as_of_date) from raw.yahoo_prices").fetchone()
        tables = con.execute(
            """select c.table_schema, c.table_name from information_schema.columns c
               join information_schema.tables t using (table_catalog, table_schema, table_name)
               where c.column_name = 'as_of_date' and t.table_type = 'BASE TABLE'
                 and (c.table_schema = 'main' or c.table_name like 'yahoo%')""").fetchall()
        for schema, table in tables:  # raw Yahoo rows and every table built from them
            con.execute(f'delete from "{schema}"."{table}" where as_of_date >= ?', [last_day])
    plugin, store, tickers = YahooPlugin(), Archive(archive), seed_tickers()
    backfill = {r.label: r for r in plugin.plan(
        PlanParams(tickers, DEMO_START, DEMO_END, {"history_only": True}))}
    start = last_day - dt.timedelta(days=LOOKBACK_DAYS)
    window = PlanParams(tickers, start, last_day, {"datasets": ("prices", "shares")})
    for request in plugin.plan(window):  # the quote summaries are archived already
        past = store.get(plugin.name, backfill[request.label])
        store.put(plugin.name, request,
                  window_body(past.body, _epoch(start), _epoch(last_day + dt.timedelta(1))),
                  status=200, url=f"{request.url}?{urlencode(request.params)}",
                  fetched_at=FETCHED_AT)
    serving_dir = root / "serving"
    published = publish(warehouse, serving_dir)
    assert published.as_of_date < last_day
    return Replay(warehouse, archive, serving_paths(serving_dir)[0], last_day,
                  dt.datetime.now(dt.UTC).replace(tzinfo=None), cli_env(root))


READER = textwrap.dedent("""
    import duckdb, json, sys
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    print("open", flush=True)
    for line in sys.stdin:
        if line.strip() == "fresh":
            con.close()
            con = duckdb.connect(path, read_only=True)
        build = con.execute("select build_id from etfflow.publish").fetchone()[0]
        row = con.execute("select max(as_of_date)::varchar, count(*), sum(net_flow_usd) "
                          "from fct_etf_flows_daily").fetchone()
        print(json.dumps([build, *row]), flush=True)
""")


class Reader:
    """A BI tool in another process: one read-only connection kept open on a file."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", READER, str(path)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "open"

    def ask(self, command: str = "query") -> list:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


def test_a_reader_on_the_build_warehouse_gets_one_line_naming_the_serving_file(
    day_before: Replay,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], "
         "read_only=True); print('open', flush=True); sys.stdin.read()",
         str(day_before.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        for args in (["build"], ["daily", "--offline", "--end", str(day_before.last_day)]):
            refused = run(cli(day_before.warehouse, day_before.archive, *args), day_before.env)
            assert refused.returncode == 1, refused.stderr
            (line,) = error_lines(refused.stderr)
            assert line.startswith(f"error: the warehouse {day_before.warehouse} is open in "
                                   f"another process")
            assert f"PID {holder.pid})" in line
            assert f"serving copy {day_before.serving_file} " in line
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_daily_runs_while_bi_reads_the_serving_file_and_a_second_daily_waits_its_turn(
    day_before: Replay,
) -> None:
    replay = day_before
    daily = ["daily", "--offline", "--end", str(replay.last_day)]
    reader = Reader(replay.serving_file)
    try:
        before = reader.ask()
        assert before[1] < str(replay.last_day)

        first = popen(cli(replay.warehouse, replay.archive, *daily), replay.env)
        wait_until(lambda: read_holder(replay.warehouse).pid == first.pid
                   or first.poll() is not None)
        assert first.poll() is None, first.communicate()

        refused = run(cli(replay.warehouse, replay.archive, *daily), replay.env)
        assert refused.returncode == 1
        (line,) = error_lines(refused.stderr)
        assert line.startswith(f"error: the warehouse {replay.warehouse} is busy: `etfflow ")
        assert f"daily --offline --end {replay.last_day}` (PID {first.pid}, since " in line
        assert "pass --wait SECONDS to queue" in line

        queued = popen(cli(replay.warehouse, replay.archive, *daily, "--wait", "900"),
                       replay.env)
        out, err = first.communicate(timeout=TIMEOUT_S)
        assert first.returncode == 0, err
        assert "yahoo: success" in out and "published" in out

        assert reader.ask() == before  # the open connection kept its snapshot
        after = reader.ask("fresh")  # a new connection sees the new build and the new day
        assert after[0] != before[0]
        assert after[1] == str(replay.last_day) and after[2] > before[2]

        out, err = queued.communicate(timeout=TIMEOUT_S)
        assert queued.returncode == 0, err
        assert "published" in out
    finally:
        reader.close()
    with duckdb.connect(str(replay.warehouse), read_only=True) as con:
        runs = con.execute(
            "select started_at, finished_at, status, pid from raw.ingest_runs "
            "where plugin = 'yahoo' and started_at >= ? order by started_at",
            [replay.prepared_at]).fetchall()
    assert [(status, pid) for _, _, status, pid in runs] == [
        ("success", first.pid), ("success", queued.pid)]
    assert runs[1][0] >= runs[0][1]  # the queued one started after the first had finished


def test_a_killed_ingest_is_marked_interrupted_and_a_rerun_matches_a_clean_run(
    demo_build, tmp_path: Path
) -> None:
    env, archive = cli_env(tmp_path), demo_build.archive_dir  # replays only read it
    ingest = ["ingest", "nport", "--offline"]
    clean, killed = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    done = run(cli(clean, archive, *ingest), env)
    assert done.returncode == 0, done.stderr

    victim = popen(cli(killed, archive, *ingest), env)
    wal = killed.with_name(killed.name + ".wal")
    # two batches of filings committed, more to come: kill it mid-run
    wait_until(lambda: (wal.exists() and wal.stat().st_size > 2_000_000)
               or victim.poll() is not None)
    assert victim.poll() is None, "the ingest finished before it could be killed"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)

    with duckdb.connect(str(killed), read_only=True) as con:  # a reader does not mark runs
        left = con.execute("select run_id, pid from raw.ingest_runs where status = 'running'"
                           ).fetchall()
    assert [pid for _, pid in left] == [victim.pid]
    shown = run(cli(killed, archive, "runs", "--json"), env)  # the next start notices
    assert shown.returncode == 0, shown.stderr
    runs = {row["run_id"]: row for row in map(json.loads, shown.stdout.splitlines())}
    interrupted = runs[left[0][0]]
    assert interrupted["status"] == "interrupted" and interrupted["finished_at"]
    assert f"process {victim.pid} on " in json.loads(interrupted["errors"])[-1]

    resumed = run(cli(killed, archive, *ingest), env)
    assert resumed.returncode == 0, resumed.stderr
    with duckdb.connect(str(clean), read_only=True) as a, \
            duckdb.connect(str(killed), read_only=True) as b:
        tables = [name for (name,) in a.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_name not in ('ingest_runs', 'quarantine') order by 1").fetchall()]
        assert "nport_holdings" in tables
        for table in tables:
            query = f"select * exclude (_run_id, _loaded_at) from raw.{table} order by all"
            expected = a.execute(query).fetchall()
            assert expected and b.execute(query).fetchall() == expected, table
        quarantine = ("select * exclude (run_id, quarantined_at) from raw.quarantine "
                      "order by all")
        assert b.execute(quarantine).fetchall() == a.execute(quarantine).fetchall()
        assert b.execute("select count(*) from raw.ingest_runs where status = 'running'"
                         ).fetchone() == (0,)
