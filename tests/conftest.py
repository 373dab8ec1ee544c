"""Shared fixtures: a network guard (tests never reach the internet) and tmp settings."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from curl_cffi.curl import Curl, CurlOpt
from pytest_httpserver import HTTPServer

from ingest.core.archive import Archive
from ingest.core.config import Settings

pytest_plugins = ["pytester"]  # used to prove the network guard fails tests that swallow it

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real data lives beside the repo (never copied into it); tests skip when it is absent.
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address."""


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0].lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkGuard:
    """What the guard refused during one test; the test fails at teardown if non-empty."""

    blocked: list[str] = field(default_factory=list)
    error_type: ClassVar[type[Exception]] = NetworkBlocked

    def check(self, family: int | None, address: object) -> None:
        if family == getattr(socket, "AF_UNIX", object()):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if not _is_loopback(host):
            self.blocked.append(repr(address))
            raise NetworkBlocked(f"test tried to open a non-loopback connection to {address!r}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark comparison first: the longest module (about 4 minutes), it must not be
    the tail of a run on two workers (pyproject's addopts); the other worker takes the
    rest meanwhile. A stable sort: every other test keeps its place."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


@pytest.fixture(scope="session", autouse=True)
def dbt_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dbt writes target/ (manifest, partial-parse file, compiled SQL) and logs/ under the
    project unless told otherwise: pytest-xdist's workers, each running dbt, would share
    them. Each session (each worker) gets its own; fixtures that set their own keep them."""
    root = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(root / "target"))
        mp.setenv("DBT_LOG_PATH", str(root / "logs"))
        yield


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Refuse every non-loopback connect (and DNS lookup) for the duration of a test.

    The refusal raises, and the attempt is also recorded so a library that swallows the
    exception (broad ``except Exception``) still cannot hide it: teardown fails the test.
    libcurl (curl_cffi, the browser-impersonating transport) opens its sockets and resolves
    names in C, past the socket module: its URL and proxy options are checked instead.
    """
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo
    real_curl_setopt = Curl.setopt

    def connect(self: socket.socket, address: object) -> None:
        guard.check(self.family, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard.check(self.family, address)
        return real_connect_ex(self, address)

    def create_connection(address: tuple, *args: object, **kwargs: object) -> socket.socket:
        guard.check(None, address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if host is not None:
            guard.check(None, (host,))
        return real_getaddrinfo(host, *args, **kwargs)

    def curl_setopt(self: Curl, option: CurlOpt, value: Any) -> int:
        if option in (CurlOpt.URL, CurlOpt.PROXY) and value:
            text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            guard.check(None, (urlsplit(text if "://" in text else "//" + text).hostname,))
        return real_curl_setopt(self, option, value)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(Curl, "setopt", curl_setopt)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard
    if guard.blocked:
        pytest.fail(f"test attempted non-loopback network access: {guard.blocked}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with the warehouse and archive under tmp_path and tiny backoffs/timeouts."""
    return Settings(
        duckdb_path=tmp_path / "warehouse.duckdb",
        archive_dir=tmp_path / "archive",
        offline=False,
        user_agent="etfflow-tests/0 (+loopback)",
        sec_user_agent=None,
        timeout_s=2.0,
        max_retries=2,
        backoff_s=0.01,
        host_rates={},
        default_rate=1000.0,
        impersonate_hosts=(),  # tests opt in, naming their loopback host
        host_budgets={},
    )


@pytest.fixture
def archive(settings: Settings) -> Archive:
    return Archive(settings.archive_dir)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data_dir() -> Path:
    return SHARED_DATA


class _QuickStopHTTPServer(HTTPServer):
    """pytest-httpserver polls for shutdown every 0.5 s; poll faster so stop() is quick."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


@pytest.fixture
def private_httpserver() -> Iterator[HTTPServer]:
    """A loopback server for one test, which (unlike the shared ``httpserver``) may be stopped
    to prove that a replay makes no request."""
    server = _QuickStopHTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    if server.is_running():
        server.stop()


@dataclass(frozen=True)
class DemoBuild:
    """One `etfflow demo` build shared by the whole session (it takes about a minute)."""

    duckdb_path: Path
    archive_dir: Path
    manifest: dict
    result: Any  # ingest.demo.DemoResult


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    import json

    from rich.console import Console

    from ingest.demo import run_demo
    from ingest.sample.world import MANIFEST

    root = tmp_path_factory.mktemp("demo_build")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(root / "target"))
        mp.setenv("DBT_LOG_PATH", str(root / "logs"))
        result = run_demo(root / "demo", Console(quiet=True))
    archive = root / "demo" / "archive"
    manifest = json.loads((archive / MANIFEST).read_text(encoding="utf-8"))
    return DemoBuild(result.duckdb_path, archive, manifest, result)


@dataclass(frozen=True)
class SmallWorld:
    """A sample archive for a few funds that still carry the defects tests look for."""

    tickers: tuple[str, ...]
    archive_dir: Path
    manifest: dict


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> SmallWorld:
    """iShares funds with a repeated block (AGG) and a mid-period launch (IYZ), State
    Street funds (SPY, XLK), an amended N-PORT report (XLK), a unit investment trust that
    files N-PORT (SPY) and a grantor trust that files none (GLD), rendered once per session.
    Tests only read it (a replay appends nothing)."""
    from ingest.sample import build_sample_archive

    tickers = ("XLK", "AGG", "SPY", "IYZ", "HYG", "GLD")
    archive = tmp_path_factory.mktemp("small_world") / "archive"
    return SmallWorld(tickers, archive, build_sample_archive(archive, list(tickers)))
