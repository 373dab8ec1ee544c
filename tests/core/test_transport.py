"""The HTTP client's real-site manners: a browser-impersonating transport for the hosts that
need one, a request budget per host, no second request to a host that refused us (403), and
immutable requests served from the archive.

Every server is on loopback; the impersonation is configured for the server's host name (over
plain http, where the only Chrome trait visible to a server is the HTTP/2 upgrade offer curl
makes with the profile's SETTINGS: the TLS fingerprint needs https).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import os
import socket
import struct
import threading
import time

import pytest
import requests
from curl_adapter import CurlCffiAdapter
from curl_cffi.const import CurlECode
from curl_cffi.curl import CurlError
from pytest_httpserver import HTTPServer
from werkzeug import Request as WzRequest
from werkzeug import Response as WzResponse

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.errors import ArchiveMiss, BudgetExhausted, ConfigError, FetchError, HostRefused
from ingest.core.http import HttpClient, PoliteSession
from ingest.core.plugin import Request

# Chrome's HTTP/2 SETTINGS frame (the "1:65536;2:0;4:6291456;6:262144" of its Akamai
# fingerprint): header table size, push disabled, initial window size, max header list size.
# libcurl's own defaults differ (it announces max concurrent streams and a 32 MiB window).
CHROME_HTTP2_SETTINGS = {1: 65536, 2: 0, 4: 6291456, 6: 262144}
FETCHED_AT = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)


def _http2_settings(header: str) -> dict[int, int]:
    """Decode an ``HTTP2-Settings`` header (RFC 7540 3.2.1: base64url of a SETTINGS payload)."""
    raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    return dict(struct.unpack(">HI", raw[i:i + 6]) for i in range(0, len(raw), 6))


class _Recorder:
    """A handler answering with ``responses`` in order (the last repeats), keeping the
    headers of every request it saw."""

    def __init__(self, *responses: WzResponse) -> None:
        self.responses = responses
        self.headers: list[dict[str, str]] = []
        self.times: list[float] = []

    def __call__(self, request: WzRequest) -> WzResponse:
        self.headers.append(dict(request.headers))
        self.times.append(time.monotonic())
        return self.responses[min(len(self.headers), len(self.responses)) - 1]


@pytest.fixture
def chrome(settings: Settings, httpserver: HTTPServer) -> Settings:
    """Settings impersonating a browser toward the loopback server's host."""
    return dataclasses.replace(settings, impersonate_hosts=(httpserver.host,))


def _by_other_name(url: str) -> str:
    """The same loopback server under its other name: another host to the client."""
    if "//localhost:" in url:
        return url.replace("//localhost:", "//127.0.0.1:")
    return url.replace("//127.0.0.1:", "//localhost:")


# -- which transport a URL gets -------------------------------------------------------------


def test_configured_host_suffixes_get_the_curl_adapter(settings: Settings):
    configured = dataclasses.replace(settings, impersonate_hosts=("yahoo.com", "ishares.com"))
    with PoliteSession(configured) as session:
        curl = session.browser_adapter
        assert isinstance(curl, CurlCffiAdapter)
        assert session.get_adapter("https://query2.finance.yahoo.com/v8/finance/chart/SPY") is curl
        assert session.get_adapter("https://fc.yahoo.com") is curl
        assert session.get_adapter("https://YAHOO.COM/x") is curl
        assert session.get_adapter("https://www.ishares.com/us/products/239726/") is curl
        for plain in ("https://notyahoo.com/", "https://www.sec.gov/Archives/",
                      "https://yahoo.com.example.org/", "http://127.0.0.1:8000/"):
            assert isinstance(session.get_adapter(plain), requests.adapters.HTTPAdapter), plain


def test_no_impersonated_hosts_means_plain_requests_everywhere(settings: Settings):
    with PoliteSession(settings) as session:  # the fixture configures none
        assert session.browser_adapter is None
        adapter = session.get_adapter("https://query2.finance.yahoo.com/")
        assert isinstance(adapter, requests.adapters.HTTPAdapter)


# -- through the curl adapter, against the loopback server ----------------------------------


def test_impersonated_request_goes_through_curl_with_our_headers(
    httpserver: HTTPServer, chrome: Settings
):
    recorder = _Recorder(WzResponse("ok", headers={"Set-Cookie": "A3=token; Path=/"}))
    httpserver.expect_request("/quote").respond_with_handler(recorder)
    with PoliteSession(chrome) as session:
        first = session.get(httpserver.url_for("/quote"), params={"symbols": "SPY"},
                            headers={"Accept-Language": "en-US"})
        second = session.get(httpserver.url_for("/quote"))

    assert (first.status_code, first.text) == (200, "ok")
    assert first.url == httpserver.url_for("/quote") + "?symbols=SPY"
    assert first.curl_info["primary_port"] == httpserver.port  # only curl-adapter responses
    sent = recorder.headers[0]
    assert sent["User-Agent"] == chrome.user_agent  # ours, not a browser's
    assert sent["Accept-Language"] == "en-US"
    assert _http2_settings(sent["Http2-Settings"]) == CHROME_HTTP2_SETTINGS
    # The server's cookie reached the session's jar and went back (yfinance's handshake).
    assert session.cookies.get("A3") == "token"
    assert recorder.headers[1]["Cookie"] == "A3=token"
    assert second.status_code == 200
    assert session.requests_made == 2


def test_hosts_not_configured_are_not_impersonated(httpserver: HTTPServer, settings: Settings):
    recorder = _Recorder(WzResponse("ok"))
    httpserver.expect_request("/plain").respond_with_handler(recorder)
    with PoliteSession(settings) as session:
        response = session.get(httpserver.url_for("/plain"))
    assert response.status_code == 200
    assert not hasattr(response, "curl_info")
    assert "Http2-Settings" not in recorder.headers[0]
    assert recorder.headers[0]["User-Agent"] == settings.user_agent


def test_gzip_bodies_are_decoded_through_curl(httpserver: HTTPServer, chrome: Settings):
    body = b"Ticker,Name,Shares\n" * 200
    httpserver.expect_request("/holdings.csv").respond_with_data(
        gzip.compress(body), headers={"Content-Encoding": "gzip"}, content_type="text/csv"
    )
    with HttpClient(chrome) as client:
        payload = client.fetch("test", Request.get(httpserver.url_for("/holdings.csv")))
    assert payload.body == body  # archived decoded, as with plain requests


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_through_curl(httpserver: HTTPServer, chrome: Settings, status: int):
    recorder = _Recorder(WzResponse("oops", status=status), WzResponse("oops", status=status),
                         WzResponse("{}"))
    httpserver.expect_request("/flaky").respond_with_handler(recorder)
    with PoliteSession(chrome) as session:  # max_retries=2: three attempts
        response = session.get(httpserver.url_for("/flaky"))
    assert response.status_code == 200
    assert len(recorder.headers) == 3 == session.requests_made
    assert all("Http2-Settings" in sent for sent in recorder.headers)  # every attempt via curl


def test_429_with_retry_after_backs_off_through_curl(httpserver: HTTPServer, chrome: Settings):
    recorder = _Recorder(WzResponse("slow down", status=429, headers={"Retry-After": "1"}),
                         WzResponse("ok"))
    httpserver.expect_request("/limited").respond_with_handler(recorder)
    with PoliteSession(chrome) as session:
        response = session.get(httpserver.url_for("/limited"))
    assert (response.status_code, response.text) == (200, "ok")
    assert len(recorder.times) == 2 == session.requests_made
    # backoff_s is 0.01: only Retry-After explains a gap of about a second.
    assert recorder.times[1] - recorder.times[0] >= 0.9


def test_timeout_through_curl_is_retried_then_raises_fetch_error(
    httpserver: HTTPServer, chrome: Settings
):
    release = threading.Event()
    recorder = _Recorder(WzResponse("too late"))

    def stall(request: WzRequest) -> WzResponse:
        recorder(request)
        release.wait(5)  # far longer than the timeout; released at the end of the test
        return WzResponse("too late")

    httpserver.expect_request("/slow").respond_with_handler(stall)
    # curl's read timeout counts whole seconds (LOW_SPEED_TIME): 0.2 s becomes 1 s.
    fast = dataclasses.replace(chrome, timeout_s=0.2, max_retries=1)
    try:
        started = time.monotonic()
        with PoliteSession(fast) as session, pytest.raises(FetchError) as excinfo:
            session.get(httpserver.url_for("/slow"))
        assert "Timeout" in str(excinfo.value)
        assert "/slow" in str(excinfo.value)
        assert session.requests_made == 2  # the server is single-threaded: it saw the first
        assert "Http2-Settings" in recorder.headers[0]
        assert time.monotonic() - started < 4.5
    finally:
        release.set()


def test_connection_refused_through_curl_raises_fetch_error(settings: Settings):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    chrome = dataclasses.replace(settings, impersonate_hosts=("127.0.0.1",))
    with PoliteSession(chrome) as session, pytest.raises(FetchError, match="ConnectionError"):
        assert session.impersonates(url)
        session.get(url)
    assert session.requests_made == chrome.max_retries + 1


def test_curl_dns_failure_fails_at_once(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """curl resolves names itself: its 'could not resolve' is recognised like urllib3's."""
    calls: list[str] = []

    def no_dns(self: CurlCffiAdapter, request: requests.PreparedRequest, **kwargs: object):
        calls.append(request.url or "")
        error = CurlError("Could not resolve host: nowhere.yahoo.com",
                          code=CurlECode.COULDNT_RESOLVE_HOST)
        raise self.curl_error_map(error)(error, request=request)  # as the adapter's send()

    monkeypatch.setattr(CurlCffiAdapter, "send", no_dns)
    configured = dataclasses.replace(settings, impersonate_hosts=("yahoo.com",))
    with PoliteSession(configured) as session, pytest.raises(
        FetchError, match=r"cannot resolve nowhere\.yahoo\.com \(offline\?"
    ):
        session.get("https://nowhere.yahoo.com/x")
    assert len(calls) == 1


# -- host budget ---------------------------------------------------------------------------


def test_budget_stops_a_host_after_its_requests(httpserver: HTTPServer, settings: Settings):
    httpserver.expect_request("/day").respond_with_data("ok")
    budgeted = dataclasses.replace(settings, host_budgets={httpserver.host: 3})
    with HttpClient(budgeted) as client:
        for day in ("20240102", "20240103", "20240104"):
            payload = client.fetch("test", Request.get(httpserver.url_for("/day"), d=day))
            assert payload.status == 200
        with pytest.raises(BudgetExhausted) as excinfo:
            client.fetch("test", Request.get(httpserver.url_for("/day"), d="20240105"))
        # Another host is not under that budget (the same server, by another name).
        other = _by_other_name(httpserver.url_for("/day"))
        assert client.fetch("test", Request.get(other)).status == 200
    message = str(excinfo.value)
    assert httpserver.host in message and "3 requests" in message and "re-run resumes" in message
    assert len(httpserver.log) == 4  # the refused fetch made no request


def test_retries_count_against_the_budget(httpserver: HTTPServer, settings: Settings):
    httpserver.expect_request("/busy").respond_with_data("busy", status=503)
    budgeted = dataclasses.replace(settings, host_budgets={httpserver.host: 2})  # 3 attempts
    with PoliteSession(budgeted) as session, pytest.raises(BudgetExhausted, match="2 requests"):
        session.get(httpserver.url_for("/busy"))
    assert len(httpserver.log) == 2 == session.requests_made


def test_file_reads_and_archived_answers_do_not_count(
    httpserver: HTTPServer, settings: Settings, archive: Archive, tmp_path
):
    httpserver.expect_request("/live").respond_with_data("live")
    local = tmp_path / "IVV_holdings.csv"
    local.write_text("Fund Holdings as of,\"Dec 30, 2022\"\n")
    archived = Request.get(httpserver.url_for("/old"), immutable=True, asOfDate="20221230")
    archive.put("test", archived, b"archived", 200, archived.url, FETCHED_AT)
    budgeted = dataclasses.replace(settings, host_budgets={httpserver.host: 1})
    with HttpClient(budgeted) as client:
        for _ in range(3):
            assert client.fetch("test", Request.get(local.as_uri())).status == 200
            assert client.fetch("test", archived).body == b"archived"
        assert client.fetch("test", Request.get(httpserver.url_for("/live"))).body == b"live"
        with pytest.raises(BudgetExhausted):
            client.fetch("test", Request.get(httpserver.url_for("/live"), again="1"))
    assert len(httpserver.log) == 1


# -- a refusal is remembered for the run ---------------------------------------------------


def test_a_403_host_is_not_asked_again_this_run(
    httpserver: HTTPServer, settings: Settings, archive: Archive
):
    httpserver.expect_request("/fund/IVV").respond_with_data("Access Denied", status=403)
    httpserver.expect_request("/fund/IVW").respond_with_data("fine")
    refused = Request.get(httpserver.url_for("/fund/IVV"))
    with HttpClient(settings) as client:
        first = client.fetch("test", refused)  # returned and archived: parse() names the fallback
        with pytest.raises(HostRefused) as excinfo:
            client.fetch("test", Request.get(httpserver.url_for("/fund/IVW")))
        other = _by_other_name(httpserver.url_for("/fund/IVW"))
        assert client.fetch("test", Request.get(other)).body == b"fine"  # another host
        assert client.requests_made == 2
    assert (first.status, first.body) == (403, b"Access Denied")
    assert archive.get("test", refused).status == 403
    assert httpserver.host in str(excinfo.value) and "403" in str(excinfo.value)
    assert [entry.path for entry, _ in httpserver.log] == ["/fund/IVV", "/fund/IVW"]

    with HttpClient(dataclasses.replace(settings, offline=True)) as replay:  # unaffected
        assert replay.fetch("test", refused).status == 403
        assert replay.fetch("test", refused).status == 403

    with HttpClient(settings) as next_run:  # a new run asks again
        assert next_run.fetch("test", refused).status == 403
    assert len(httpserver.log) == 3


def test_a_403_through_curl_is_remembered_too(httpserver: HTTPServer, chrome: Settings):
    httpserver.expect_request("/x").respond_with_data("denied", status=403)
    with PoliteSession(chrome) as session:
        assert session.get(httpserver.url_for("/x")).status_code == 403
        with pytest.raises(HostRefused, match=httpserver.host):
            session.get(httpserver.url_for("/x"))
    assert len(httpserver.log) == 1


# -- immutable requests are not fetched twice ----------------------------------------------


def test_an_immutable_request_answered_2xx_is_served_from_the_archive(
    private_httpserver: HTTPServer, settings: Settings
):
    private_httpserver.expect_request("/navhist.xlsx").respond_with_data(b"PK workbook")
    request = Request.get(private_httpserver.url_for("/navhist.xlsx"), immutable=True)
    with HttpClient(settings) as client:
        live = client.fetch("test", request)
    private_httpserver.stop()  # a second network request would now fail

    with HttpClient(settings) as client:
        again = client.fetch("test", request)
        assert client.requests_made == 0
    assert (again.body, again.sha256, again.fetched_at) == (live.body, live.sha256, live.fetched_at)
    assert len(private_httpserver.log) == 1


def test_an_immutable_request_with_only_failed_answers_is_fetched_again(
    httpserver: HTTPServer, settings: Settings, archive: Archive
):
    httpserver.expect_request("/day.csv").respond_with_data("a,b\n1,2\n")
    request = Request.get(httpserver.url_for("/day.csv"), immutable=True, asOfDate="20240102")
    archive.put("test", request, b"busy", 503, request.url, FETCHED_AT)
    archive.put("test", request, b"gone", 404, request.url, FETCHED_AT + dt.timedelta(hours=1))
    with HttpClient(settings) as client:
        assert client.fetch("test", request).body == b"a,b\n1,2\n"
        assert client.fetch("test", request).body == b"a,b\n1,2\n"  # now from the archive
        assert client.requests_made == 1
    assert len(httpserver.log) == 1


def test_a_mutable_request_is_fetched_again(
    httpserver: HTTPServer, settings: Settings, archive: Archive
):
    httpserver.expect_request("/latest.csv").respond_with_data("new")
    request = Request.get(httpserver.url_for("/latest.csv"))
    archive.put("test", request, b"old", 200, request.url, FETCHED_AT)
    with HttpClient(settings) as client:
        assert client.fetch("test", request).body == b"new"
    assert len(httpserver.log) == 1


def test_archive_ok_only_picks_the_latest_2xx(archive: Archive):
    request = Request.get("https://www.ishares.com/x.ajax", asOfDate="20221230")
    archive.put("test", request, b"first", 200, request.url, FETCHED_AT)
    archive.put("test", request, b"second", 204, request.url, FETCHED_AT + dt.timedelta(days=1))
    archive.put("test", request, b"error", 500, request.url, FETCHED_AT + dt.timedelta(days=2))
    assert archive.get("test", request).body == b"error"
    assert archive.get("test", request, ok_only=True).body == b"second"
    failed = Request.get("https://www.ishares.com/y.ajax")
    archive.put("test", failed, b"denied", 403, failed.url, FETCHED_AT)
    with pytest.raises(ArchiveMiss, match="2xx"):
        archive.get("test", failed, ok_only=True)


# -- configuration -------------------------------------------------------------------------


def test_impersonated_hosts_and_budgets_from_the_environment():
    defaults = Settings.from_env({})
    assert defaults.impersonate_hosts == ("yahoo.com", "ishares.com")
    assert defaults.host_budgets == {"ishares.com": 5000, "ssga.com": 2000}
    assert Settings.from_env({"ETFFLOW_IMPERSONATE_HOSTS": ""}).impersonate_hosts == ()
    custom = Settings.from_env({
        "ETFFLOW_IMPERSONATE_HOSTS": " Yahoo.com, .blackrock.com ,",
        "ETFFLOW_HOST_BUDGETS": "ishares.com=10, ssga.com=0",
    })
    assert custom.impersonate_hosts == ("yahoo.com", "blackrock.com")
    assert custom.host_budgets == {"ishares.com": 10, "ssga.com": 0}
    assert Settings.from_env({"ETFFLOW_HOST_BUDGETS": ""}).host_budgets == {}


@pytest.mark.parametrize("value", ["ishares.com", "ishares.com=lots", "ssga.com=-1", "=5"])
def test_a_malformed_budget_is_a_config_error(value: str):
    with pytest.raises(ConfigError, match="ETFFLOW_HOST_BUDGETS"):
        Settings.from_env({"ETFFLOW_HOST_BUDGETS": value})


# -- yfinance takes our session ------------------------------------------------------------


def test_yfinance_accepts_our_session_without_disabling_curl_cffi(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    from yfinance._http import is_supported_session

    from ingest.plugins.yahoo.plugin import YahooPlugin

    monkeypatch.delenv("YF_DISABLE_CURL_CFFI", raising=False)
    with PoliteSession(dataclasses.replace(settings, impersonate_hosts=("yahoo.com",))) as session:
        assert is_supported_session(session)
        YahooPlugin().transport(session)  # would raise YFDataException for an unsupported one
        assert "YF_DISABLE_CURL_CFFI" not in os.environ
        assert session.impersonates("https://fc.yahoo.com")  # its cookie handshake too
