"""One etfflow writer per warehouse: an advisory lock on ``<warehouse>.lock``.

DuckDB itself lets one process write a file or many read it, and refuses the rest with
"Could not set lock on file". Two scheduled runs colliding should not learn that from
DuckDB halfway through an ingest: every command that writes the warehouse (ingest,
backfill, build, daily, publish, docs, demo) first takes an exclusive ``flock`` on the
lock file beside it and writes who holds it (PID, host, command, since when), so a
second one can say whom it is waiting for, or queue for a while (``--wait SECONDS``).
The lock dies with its process (the kernel drops it on exit, SIGKILL included).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.core.errors import EtfflowError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX (Windows): DuckDB's own lock remains
    fcntl = None  # type: ignore[assignment]

POLL_INTERVAL_S = 0.25


class WarehouseBusy(EtfflowError):
    """Another etfflow process holds the warehouse's writer lock."""


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str | None
    command: str | None
    since: str | None

    def describe(self) -> str:
        if self.pid is None:
            return "another etfflow process"
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        what = f"`{self.command}`" if self.command else "etfflow"
        since = f", since {self.since} UTC" if self.since else ""
        return f"{what} (PID {self.pid}{where}{since})"


def lock_path(duckdb_path: Path) -> Path:
    path = Path(duckdb_path)
    return path.with_name(path.name + ".lock")


def read_holder(duckdb_path: Path) -> LockHolder:
    """Who wrote the lock file last (the holder, while the lock is held)."""
    try:
        info = json.loads(lock_path(duckdb_path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    return LockHolder(info.get("pid"), info.get("host"), info.get("command"),
                      info.get("since"))


@contextmanager
def warehouse_lock(duckdb_path: Path, command: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the writer lock of ``duckdb_path`` for the block; wait up to ``wait_s`` seconds
    for a holder to finish, else raise WarehouseBusy naming it."""
    if fcntl is None:
        yield
        return
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait_s, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_s:g} s" if wait_s > 0 else ""
                    raise WarehouseBusy(
                        f"the warehouse {duckdb_path} is busy{waited}: "
                        f"{read_holder(duckdb_path).describe()} is writing it; "
                        f"pass --wait SECONDS to queue behind it"
                    ) from None
                time.sleep(POLL_INTERVAL_S)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                  "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
