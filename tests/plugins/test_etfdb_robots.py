"""robots.txt is checked in code before the etfdb plugin fetches: a disallowed page is never
requested and is reported; RFC 9309 status rules; Crawl-delay slows the host; the
robots.txt payload is archived so an offline replay makes the same decision."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from ingest.core.config import Settings
from ingest.core.errors import FetchError
from ingest.core.http import HostRateLimiter
from ingest.core.plugin import Payload, PlanParams, Request
from ingest.core.robots import RobotsRules, check_plan, product_token, robots_url
from ingest.core.runner import run_plugin
from ingest.plugins.etfdb.plugin import EtfdbPlugin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "etfdb"
UA = "etfflow-tests/0 (+loopback)"  # the settings fixture's User-Agent


def _pages(server: HTTPServer, *tickers: str) -> list[Request]:
    return [Request.get(server.url_for(f"/etf/{t}/"), f"{t} etfdb page") for t in tickers]


def _serve_pages(server: HTTPServer, *tickers: str) -> None:
    body = (FIXTURES / "etf_IAU.html").read_bytes()
    for ticker in tickers:
        server.expect_request(f"/etf/{ticker}/").respond_with_data(body,
                                                                   content_type="text/html")


def _requested_paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def test_disallowed_page_is_never_requested(private_httpserver: HTTPServer,
                                            settings: Settings) -> None:
    server = private_httpserver
    server.expect_request("/robots.txt").respond_with_data(
        (FIXTURES / "robots.txt").read_bytes(), content_type="text/plain")
    _serve_pages(server, "IAU", "ZZZZ")
    result = run_plugin(EtfdbPlugin(), PlanParams(("IAU", "ZZZZ")), settings,
                        requests=_pages(server, "IAU", "ZZZZ"))
    assert "/etf/ZZZZ/" not in _requested_paths(server)
    assert _requested_paths(server) == ["/robots.txt", "/etf/IAU/"]
    assert result.status == "partial"
    assert result.errors == [
        f"ZZZZ etfdb page: robots.txt of {server.host}:{server.port} disallows "
        f"{server.url_for('/etf/ZZZZ/')}"]
    with duckdb.connect(str(settings.duckdb_path)) as con:
        assert con.execute("select ticker from raw.etfdb_fund_pages").fetchall() == [("IAU",)]
        (errors,) = con.execute("select errors from raw.ingest_runs").fetchone()
        assert "disallows" in errors

    # The robots.txt answer was archived: an offline replay decides the same, asking nothing.
    server.clear_log()
    offline = dataclasses.replace(settings, offline=True)
    replay = run_plugin(EtfdbPlugin(), PlanParams(("IAU", "ZZZZ")), offline,
                        requests=_pages(server, "IAU", "ZZZZ"))
    assert replay.errors == result.errors
    assert _requested_paths(server) == []


def test_missing_robots_allows_everything(private_httpserver: HTTPServer,
                                          settings: Settings) -> None:
    server = private_httpserver
    server.expect_request("/robots.txt").respond_with_data("not here", status=404)
    _serve_pages(server, "IAU", "ZZZZ")
    result = run_plugin(EtfdbPlugin(), PlanParams(()), settings,
                        requests=_pages(server, "IAU", "ZZZZ"))
    assert result.status == "success"
    assert sorted(_requested_paths(server)) == ["/etf/IAU/", "/etf/ZZZZ/", "/robots.txt"]


def test_robots_server_error_disallows_everything(private_httpserver: HTTPServer,
                                                  settings: Settings) -> None:
    server = private_httpserver
    server.expect_request("/robots.txt").respond_with_data("down", status=503)
    _serve_pages(server, "IAU")
    result = run_plugin(EtfdbPlugin(), PlanParams(()), settings,
                        requests=_pages(server, "IAU"))
    assert result.status == "failed"
    assert set(_requested_paths(server)) == {"/robots.txt"}  # retried, never the page
    assert "disallows" in result.errors[0]


def test_plugins_that_do_not_crawl_skip_robots(private_httpserver: HTTPServer,
                                               settings: Settings) -> None:
    from ingest.plugins.fred.plugin import FredPlugin

    server = private_httpserver
    server.expect_request("/graph/fredgraph.csv").respond_with_data(
        "observation_date,DGS10\n2024-12-31,4.57\n")
    request = Request.get(server.url_for("/graph/fredgraph.csv"), "DGS10 csv", id="DGS10")
    result = run_plugin(FredPlugin(), PlanParams(()), settings, requests=[request])
    assert result.status == "success"
    assert _requested_paths(server) == ["/graph/fredgraph.csv"]


def _robots_payload(text: bytes, status: int = 200) -> Payload:
    request = Request.get("https://etfdb.com/robots.txt", "robots.txt etfdb.com")
    return Payload(request, text, status, request.url, hashlib.sha256(text).hexdigest(),
                   dt.datetime(2024, 12, 31, tzinfo=dt.UTC))


def test_rules_match_our_product_token() -> None:
    rules = RobotsRules.from_payload(_robots_payload((FIXTURES / "robots.txt").read_bytes()))
    assert product_token(UA) == "etfflow-tests"
    assert not rules.allows("etfflow/0.1 (+https://github.com/etfflow/etfflow)",
                            "https://etfdb.com/etf/ZZZZ/")
    assert rules.allows("etfflow/0.1", "https://etfdb.com/etf/SPY/")
    # our group applies, not "*": /screener/ is disallowed only for others
    assert rules.allows("etfflow/0.1", "https://etfdb.com/screener/")
    assert not rules.allows("SomeBot/2.0", "https://etfdb.com/screener/")
    assert rules.crawl_delay_s("etfflow/0.1") == 2.0


def test_unreachable_host_is_disallowed_and_reported() -> None:
    def fetch(request: Request) -> Payload:
        raise FetchError("connection refused after retries")

    check = check_plan([Request.get("https://etfdb.com/etf/SPY/", "SPY etfdb page")], UA,
                       fetch)
    assert check.allowed == []
    assert check.refused[0].startswith("robots.txt etfdb.com: unreachable")


def test_one_robots_fetch_per_host_and_crawl_delay() -> None:
    fetched: list[str] = []

    def fetch(request: Request) -> Payload:
        fetched.append(request.url)
        return _robots_payload(b"User-agent: *\nCrawl-delay: 3\nDisallow: /members/\n")

    planned = [Request.get(f"https://etfdb.com/etf/{t}/", t) for t in ("SPY", "IAU")]
    planned.append(Request.get("https://etfdb.com/members/x/", "members"))
    check = check_plan(planned, UA, fetch)
    assert fetched == ["https://etfdb.com/robots.txt"]
    assert [r.label for r in check.allowed] == ["SPY", "IAU"]
    assert check.crawl_delays == {"etfdb.com": 3.0}
    assert robots_url("https://ETFDB.com:8443/etf/SPY/?x=1") == "https://etfdb.com:8443/robots.txt"


def test_crawl_delay_slows_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 100.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr("ingest.core.http.time.monotonic", lambda: clock["now"])
    monkeypatch.setattr("ingest.core.http.time.sleep", sleep)
    limiter = HostRateLimiter({"etfdb.com": 1.0}, default_rate=5.0)
    limiter.slow_down("etfdb.com", 3.0)
    for _ in range(3):
        limiter.wait("etfdb.com")
    assert slept == [3.0, 3.0]
    limiter.slow_down("etfdb.com", 0.5)  # never faster than the configured rate
    limiter.wait("etfdb.com")
    assert slept[-1] == 3.0
