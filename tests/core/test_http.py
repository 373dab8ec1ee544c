"""PoliteSession and HostRateLimiter: retries, Retry-After, timeouts, rate limits, SEC User-Agent.

Every server here is on loopback (pytest-httpserver or a raw socket server in a thread).
"""

from __future__ import annotations

import dataclasses
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request as WzRequest
from werkzeug import Response as WzResponse

from ingest.core import http as http_mod
from ingest.core.config import Settings
from ingest.core.errors import ConfigError, FetchError
from ingest.core.http import MAX_RETRY_AFTER_S, HostRateLimiter, PoliteSession, _retry_after_s


def _sequence(*responses: WzResponse):
    """A handler answering with ``responses`` in order (the last one repeats)."""
    calls: list[float] = []

    def handler(_request: WzRequest) -> WzResponse:
        calls.append(time.monotonic())
        return responses[min(len(calls), len(responses)) - 1]

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


# -- retries on HTTP status ------------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_delay(httpserver: HTTPServer, settings: Settings):
    handler = _sequence(
        WzResponse("slow down", status=429, headers={"Retry-After": "1"}),
        WzResponse("ok", status=200),
    )
    httpserver.expect_request("/limited").respond_with_handler(handler)
    with PoliteSession(settings) as session:
        started = time.monotonic()
        response = session.get(httpserver.url_for("/limited"))
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.text == "ok"
    assert session.requests_made == 2
    assert len(handler.calls) == 2
    # backoff_s is 0.01, so only Retry-After can explain a ~1 s gap between the attempts.
    assert handler.calls[1] - handler.calls[0] >= 0.9
    assert elapsed < 10  # loose sanity: it did not hang


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(httpserver: HTTPServer, settings: Settings, status: int):
    handler = _sequence(
        WzResponse("oops", status=status), WzResponse("oops", status=status), WzResponse("{}")
    )
    httpserver.expect_request("/flaky").respond_with_handler(handler)
    with PoliteSession(settings) as session:  # max_retries=2: three attempts allowed
        response = session.get(httpserver.url_for("/flaky"))
    assert response.status_code == 200
    assert response.json() == {}
    assert session.requests_made == 3
    assert len(handler.calls) == 3


def test_exhausted_status_retries_return_the_last_response(
    httpserver: HTTPServer, settings: Settings
):
    handler = _sequence(
        WzResponse("first", status=500),
        WzResponse("second", status=502),
        WzResponse("last", status=503),
    )
    httpserver.expect_request("/down").respond_with_handler(handler)
    with PoliteSession(settings) as session:
        response = session.get(httpserver.url_for("/down"))
    # By design the caller gets the last answer (it is archived like any other body).
    assert response.status_code == 503
    assert response.text == "last"
    assert session.requests_made == settings.max_retries + 1 == len(handler.calls)


def test_4xx_other_than_429_is_not_retried(httpserver: HTTPServer, settings: Settings):
    handler = _sequence(WzResponse("missing", status=404))
    httpserver.expect_request("/nope").respond_with_handler(handler)
    with PoliteSession(settings) as session:
        response = session.get(httpserver.url_for("/nope"))
    assert response.status_code == 404
    assert session.requests_made == 1 == len(handler.calls)


def test_max_retries_zero_means_one_attempt(httpserver: HTTPServer, settings: Settings):
    handler = _sequence(WzResponse("busy", status=503), WzResponse("ok"))
    httpserver.expect_request("/once").respond_with_handler(handler)
    with PoliteSession(dataclasses.replace(settings, max_retries=0)) as session:
        response = session.get(httpserver.url_for("/once"))
    assert response.status_code == 503
    assert session.requests_made == 1


# -- Retry-After parsing ---------------------------------------------------------------------


def _response_with(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_retry_after_seconds_and_cap():
    assert _retry_after_s(_response_with({})) is None
    assert _retry_after_s(_response_with({"Retry-After": "3"})) == 3.0
    assert _retry_after_s(_response_with({"Retry-After": "-5"})) == 0.0
    assert _retry_after_s(_response_with({"Retry-After": "86400"})) == MAX_RETRY_AFTER_S


def test_retry_after_http_date():
    soon = time.time() + 30
    header = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(soon))
    seconds = _retry_after_s(_response_with({"Retry-After": header}))
    assert seconds is not None and 25 <= seconds <= 31
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert _retry_after_s(_response_with({"Retry-After": past})) == 0.0


def test_unparseable_retry_after_falls_back_to_backoff():
    # A garbage header must not crash the request: no hint, so our own backoff applies.
    assert _retry_after_s(_response_with({"Retry-After": "soon"})) is None


def test_retry_after_date_without_zone_is_read_as_gmt():
    past = "Wed, 21 Oct 2015 07:28:00"  # no zone: HTTP dates are GMT by definition
    assert _retry_after_s(_response_with({"Retry-After": past})) == 0.0
    soon = time.strftime("%a, %d %b %Y %H:%M:%S", time.gmtime(time.time() + 30))
    seconds = _retry_after_s(_response_with({"Retry-After": soon}))
    assert seconds is not None and 25 <= seconds <= 31


def test_garbage_retry_after_is_still_retried(httpserver: HTTPServer, settings: Settings):
    handler = _sequence(
        WzResponse("slow down", status=429, headers={"Retry-After": "whenever"}),
        WzResponse("ok"),
    )
    httpserver.expect_request("/garbage").respond_with_handler(handler)
    with PoliteSession(settings) as session:
        response = session.get(httpserver.url_for("/garbage"))
    assert response.status_code == 200
    assert session.requests_made == 2


# -- transient errors ------------------------------------------------------------------------


def test_timeout_is_retried_then_raises_fetch_error(httpserver: HTTPServer, settings: Settings):
    release = threading.Event()

    def stall(_request: WzRequest) -> WzResponse:
        release.wait(5)  # far longer than timeout_s; released at the end of the test
        return WzResponse("too late")

    httpserver.expect_request("/slow").respond_with_handler(stall)
    fast = dataclasses.replace(settings, timeout_s=0.2, max_retries=1)
    try:
        with PoliteSession(fast) as session, pytest.raises(FetchError) as excinfo:
            session.get(httpserver.url_for("/slow"))
        assert "Timeout" in str(excinfo.value)
        assert "/slow" in str(excinfo.value)
        assert session.requests_made == 2  # first attempt + one retry
    finally:
        release.set()


def test_connection_refused_raises_fetch_error_after_retries(settings: Settings):
    with socket.socket() as probe:  # find a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with PoliteSession(settings) as session, pytest.raises(FetchError, match="ConnectionError"):
        session.get(f"http://127.0.0.1:{port}/")
    assert session.requests_made == settings.max_retries + 1


class _TruncatingServer(socketserver.ThreadingTCPServer):
    """Raw HTTP: the first answer declares more bytes than it sends, then hangs up."""

    daemon_threads = True
    allow_reuse_address = True
    body = b'{"ok": true, "padding": "' + b"x" * 200 + b'"}'

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TruncatingHandler)
        self.connections = 0
        self.lock = threading.Lock()


class _TruncatingHandler(socketserver.BaseRequestHandler):
    server: _TruncatingServer

    def handle(self) -> None:
        self.request.recv(65536)
        with self.server.lock:
            self.server.connections += 1
            attempt = self.server.connections
        body = self.server.body
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        sent = body[:20] if attempt == 1 else body
        self.request.sendall(head.encode() + sent)
        self.request.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def truncating_server() -> Iterator[_TruncatingServer]:
    server = _TruncatingServer()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_truncated_body_is_retried(truncating_server: _TruncatingServer, settings: Settings):
    port = truncating_server.server_address[1]
    with PoliteSession(settings) as session:
        response = session.get(f"http://127.0.0.1:{port}/data.json")
    assert response.content == truncating_server.body
    assert response.json()["ok"] is True
    assert truncating_server.connections == 2
    assert session.requests_made == 2


def test_truncated_body_every_time_raises_fetch_error(
    truncating_server: _TruncatingServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    # Every attempt is the first kind: the body never arrives whole.
    def always_first(self: _TruncatingHandler) -> None:
        self.request.recv(65536)
        with self.server.lock:
            self.server.connections += 1
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\npartial")
        self.request.shutdown(socket.SHUT_RDWR)

    monkeypatch.setattr(_TruncatingHandler, "handle", always_first)
    port = truncating_server.server_address[1]
    with PoliteSession(settings) as session, pytest.raises(FetchError, match="ChunkedEncoding"):
        session.get(f"http://127.0.0.1:{port}/data.json")
    assert truncating_server.connections == settings.max_retries + 1


# -- per-host rate limits ----------------------------------------------------------------------


class _FakeClock:
    """Stands in for the ``time`` module inside ingest.core.http: sleeping advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.advance_on_sleep = True

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.advance_on_sleep:
            self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _FakeClock:
    fake = _FakeClock()
    monkeypatch.setattr(http_mod, "time", fake)
    return fake


def test_rate_for_matches_host_suffixes_on_label_boundaries():
    limiter = HostRateLimiter({"sec.gov": 10.0, "yahoo.com": 5.0}, default_rate=2.0)
    assert limiter.rate_for("sec.gov") == 10.0
    assert limiter.rate_for("www.sec.gov") == 10.0
    assert limiter.rate_for("data.sec.gov") == 10.0
    assert limiter.rate_for("query2.finance.yahoo.com") == 5.0
    assert limiter.rate_for("notsec.gov") == 2.0  # a suffix match must start at a dot
    assert limiter.rate_for("example.org") == 2.0


def test_calls_to_one_host_are_spaced_at_its_rate(clock: _FakeClock):
    limiter = HostRateLimiter({"sec.gov": 10.0}, default_rate=1.0)
    started = clock.now
    for _ in range(5):
        limiter.wait("www.sec.gov")
    # First call goes at once, each later one 1/10 s after the previous.
    assert clock.now - started == pytest.approx(4 / 10)
    assert clock.sleeps == pytest.approx([0.1, 0.1, 0.1, 0.1])


def test_hosts_under_one_suffix_share_its_budget(clock: _FakeClock):
    # SEC's 10 requests/s is per client, whichever sec.gov host is asked.
    limiter = HostRateLimiter({"sec.gov": 10.0}, default_rate=1.0)
    started = clock.now
    for host in ["www.sec.gov", "data.sec.gov", "www.sec.gov", "efts.sec.gov"]:
        limiter.wait(host)
    assert clock.now - started == pytest.approx(3 / 10)


def test_different_hosts_do_not_block_each_other(clock: _FakeClock):
    limiter = HostRateLimiter({"slow.example": 1.0}, default_rate=1.0)
    limiter.wait("slow.example")
    limiter.wait("other.example")  # its own budget: no wait
    limiter.wait("third.example")
    assert clock.sleeps == []
    limiter.wait("slow.example")  # a second call to the first host waits a full second
    assert clock.sleeps == pytest.approx([1.0])


def test_rate_limit_in_real_time(httpserver: HTTPServer, settings: Settings):
    httpserver.expect_request("/r").respond_with_data("ok")
    rate, calls = 50.0, 6
    with PoliteSession(dataclasses.replace(settings, default_rate=rate)) as session:
        started = time.monotonic()
        for _ in range(calls):
            assert session.get(httpserver.url_for("/r")).status_code == 200
        elapsed = time.monotonic() - started
    assert elapsed >= (calls - 1) / rate * 0.95


def test_rate_limit_holds_across_threads(clock: _FakeClock):
    clock.advance_on_sleep = False  # time stands still: each thread's wait shows its slot
    limiter = HostRateLimiter({}, default_rate=20.0)
    # Slots are handed out under a lock, so concurrent callers get distinct slots.
    threads = [threading.Thread(target=limiter.wait, args=("h.example",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(clock.sleeps) == pytest.approx([i / 20 for i in range(1, 8)])


# -- SEC User-Agent ------------------------------------------------------------------------------


class _Captured:
    def __init__(self) -> None:
        self.requests: list[requests.PreparedRequest] = []


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> _Captured:
    """Replace the transport adapter: requests are prepared as usual, nothing is sent."""
    box = _Captured()

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        box.requests.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.url = request.url or ""
        response.request = request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return box


def test_sec_request_without_user_agent_raises_before_any_network(
    settings: Settings, captured: _Captured, network_guard
):
    session = PoliteSession(settings)
    with session, pytest.raises(ConfigError, match="ETFFLOW_SEC_USER_AGENT"):
        session.get("https://www.sec.gov/cgi-bin/browse-edgar")
    assert captured.requests == []
    assert session.requests_made == 0
    assert network_guard.blocked == []


def test_sec_bare_domain_also_needs_the_user_agent(settings: Settings, captured: _Captured):
    with PoliteSession(settings) as session, pytest.raises(ConfigError):
        session.get("https://sec.gov/files/company_tickers_mf.json")
    assert captured.requests == []


def test_sec_request_sends_the_declared_user_agent(settings: Settings, captured: _Captured):
    sec_ua = "Jane Analyst jane@example.com"
    with PoliteSession(dataclasses.replace(settings, sec_user_agent=sec_ua)) as session:
        session.get("https://www.sec.gov/x", headers={"User-Agent": "something else"})
        session.get("https://query2.finance.yahoo.com/v8/finance/chart/SPY")
    sec, yahoo = captured.requests
    assert sec.headers["User-Agent"] == sec_ua
    assert yahoo.headers["User-Agent"] == settings.user_agent
    assert session.requests_made == 2


def test_default_timeout_is_applied(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    seen: dict[str, object] = {}

    def send(self, request, **kwargs):
        seen.update(kwargs)
        response = requests.Response()
        response.status_code = 200
        response._content = b""
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    with PoliteSession(dataclasses.replace(settings, timeout_s=7.5)) as session:
        session.get("http://127.0.0.1:9/")
        assert seen["timeout"] == 7.5
        session.get("http://127.0.0.1:9/", timeout=1.25)
        assert seen["timeout"] == 1.25


def test_unresolvable_host_fails_at_once_with_a_clear_message(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """No network (DNS fails): retrying cannot help, so one attempt and a plain message."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    calls = {"n": 0}

    def no_dns(self, method, url, *args, **kwargs):
        calls["n"] += 1
        reason = NameResolutionError("nowhere.invalid", None, socket.gaierror(-2, "unknown"))
        raise requests.ConnectionError(MaxRetryError(None, url, reason=reason))

    monkeypatch.setattr(requests.Session, "request", no_dns)
    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.invalid \(offline\?"):
        PoliteSession(settings).get("https://nowhere.invalid/x")
    assert calls["n"] == 1
