"""One etfflow writer per warehouse (ingest/core/lock.py), and runs of dead processes marked
``interrupted`` by the next start (ingest/core/landing.py). The end-to-end versions with
real processes are in tests/test_concurrency.py."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import duckdb
import pytest

from ingest.core.landing import INGEST_RUNS, Warehouse
from ingest.core.lock import WarehouseBusy, lock_path, read_holder, warehouse_lock


def test_second_writer_is_refused_with_the_holders_name(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with warehouse_lock(db, "etfflow daily --offline"):
        holder = read_holder(db)
        assert (holder.pid, holder.host, holder.command) == (
            os.getpid(), socket.gethostname(), "etfflow daily --offline")
        with pytest.raises(WarehouseBusy) as refused, warehouse_lock(db, "etfflow build"):
            pass
    message = str(refused.value)
    assert f"PID {os.getpid()}" in message and "`etfflow daily --offline`" in message
    assert "--wait SECONDS" in message and "\n" not in message
    with warehouse_lock(db, "etfflow build"):  # released: the next one gets it
        assert read_holder(db).command == "etfflow build"
    assert lock_path(db).read_text() == ""  # nobody holds it


def test_wait_queues_behind_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with warehouse_lock(db, "first"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with warehouse_lock(db, "second", wait_s=10):
        waited = time.monotonic() - started
        assert read_holder(db).command == "second"
    thread.join()
    assert 0.3 < waited < 5

    with (warehouse_lock(db, "third"),
          pytest.raises(WarehouseBusy, match="after waiting 0.3 s"),
          warehouse_lock(db, "fourth", wait_s=0.3)):
        pass


def test_runs_left_running_by_a_dead_process_become_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:  # a run log written before runs recorded their PID
        con.execute("create schema raw")
        con.execute("""create table raw.ingest_runs (run_id varchar, plugin varchar,
                       params json, started_at timestamp, finished_at timestamp,
                       status varchar, rows_landed bigint, requests_made integer,
                       payloads integer, errors json)""")
        con.execute("""insert into raw.ingest_runs (run_id, plugin, started_at, status)
                       values ('legacy', 'yahoo', now(), 'running'),
                              ('done', 'yahoo', now(), 'success')""")
    with Warehouse(db) as wh:  # the next start: columns added, the dead run marked
        assert [r[0] for r in wh.con.execute("describe raw.ingest_runs").fetchall()] == list(
            INGEST_RUNS.columns)
        wh.start_run("mine", "fred", {})
        wh.con.execute("""insert into raw.ingest_runs (run_id, plugin, started_at, status, pid,
                          host) values ('killed', 'edgar_nport', now(), 'running', 999999, ?)""",
                       [socket.gethostname()])
        rows = dict(wh.con.execute("select run_id, status from raw.ingest_runs").fetchall())
        assert rows == {"legacy": "interrupted", "done": "success", "mine": "running",
                        "killed": "running"}
    with Warehouse(db) as wh:  # the next start marks the killed one; its own live run stays
        assert wh.con.execute("select run_id from raw.ingest_runs where status = 'running'"
                              ).fetchall() == [("mine",)]
        wh.con.execute("update raw.ingest_runs set pid = 999998 where run_id = 'mine'")
        assert wh.mark_interrupted_runs() == 1  # now it looks like another process's
        finished, errors = wh.con.execute(
            "select finished_at, errors from raw.ingest_runs where run_id = 'killed'").fetchone()
        (status,) = wh.con.execute(
            "select status from raw.ingest_runs where run_id = 'killed'").fetchone()
    assert status == "interrupted" and finished is not None
    (note,) = json.loads(errors)
    assert note.startswith(f"interrupted: process 999999 on {socket.gethostname()} ended "
                           "without logging its end; noticed at ")
