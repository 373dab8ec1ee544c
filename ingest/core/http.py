"""HTTP client: per-host rate limits, declared User-Agent, timeouts, retries, archive, replay.

``PoliteSession`` is a ``requests.Session`` so libraries that accept a caller-supplied
session (yfinance) inherit our rate limits, retries and User-Agent. Hosts configured in
``Settings.impersonate_hosts`` are reached through a browser-impersonating transport
(curl_cffi as Chrome, via curl-adapter's ``CurlCffiAdapter``) because they refuse the
``requests`` TLS fingerprint; every other host uses requests' own adapter. The session also
keeps this run's manners: a request budget per host (``Settings.host_budgets``) and a host
that answered 403 is not asked again. ``HttpClient`` adds the archive: live fetches are
stored, immutable requests already answered 2xx are served from it, and in offline mode
every request is. ``file://`` requests (local files) are read from disk and archived the
same way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from curl_adapter import CurlCffiAdapter
from curl_cffi.const import CurlECode
from curl_cffi.curl import CurlError
from requests.adapters import BaseAdapter
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from urllib3.exceptions import NameResolutionError

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.errors import ArchiveMiss, BudgetExhausted, ConfigError, FetchError, HostRefused
from ingest.core.plugin import Payload, Request, Transport

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
STREAM_CHUNK_BYTES = 1 << 20  # a large body is read and archived 1 MiB at a time
REFUSED_STATUS = 403
# curl_cffi's newest Chrome profile: its TLS ClientHello and HTTP/2 settings. curl-adapter
# turns off the profile's default headers, so requests carry the session's own headers.
IMPERSONATE_BROWSER = "chrome"
MAX_RETRY_AFTER_S = 120.0
TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class RetryableStatus(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def matching_suffix(host: str, suffixes: Iterable[str]) -> str | None:
    """The configured suffix ``host`` falls under: the host itself or a parent domain, on a
    label boundary (``www.sec.gov`` is under ``sec.gov``, ``notsec.gov`` is not)."""
    for suffix in suffixes:
        if host == suffix or host.endswith("." + suffix):
            return suffix
    return None


class HostRateLimiter:
    """At most ``rate`` requests per second per host (thread-safe, spacing-based)."""

    def __init__(self, rates: dict[str, float], default_rate: float) -> None:
        self._rates = rates
        self._default = default_rate
        self._next_slot: dict[str, float] = {}
        self._min_interval: dict[str, float] = {}
        self._lock = threading.Lock()

    def _bucket(self, host: str) -> tuple[str, float]:
        """The budget a host draws on: its configured suffix (shared by subdomains), or itself."""
        suffix = matching_suffix(host, self._rates)
        return (suffix, self._rates[suffix]) if suffix else (host, self._default)

    def rate_for(self, host: str) -> float:
        return self._bucket(host)[1]

    def slow_down(self, host: str, interval_s: float) -> None:
        """Space this host's requests at least ``interval_s`` apart (robots.txt Crawl-delay)."""
        key = self._bucket(host)[0]
        with self._lock:
            self._min_interval[key] = max(self._min_interval.get(key, 0.0), interval_s)

    def wait(self, host: str) -> None:
        key, rate = self._bucket(host)
        interval = max(1.0 / rate, self._min_interval.get(key, 0.0))
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(key, now))
            self._next_slot[key] = slot + interval
        if slot > now:
            time.sleep(slot - now)


class HostBudget:
    """At most ``budgets[suffix]`` requests per run to the hosts under each suffix
    (thread-safe); hosts under no configured suffix are unlimited."""

    def __init__(self, budgets: Mapping[str, int]) -> None:
        self._budgets = dict(budgets)
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, host: str) -> None:
        """Count one request to ``host``; BudgetExhausted (and nothing counted) past the budget."""
        suffix = matching_suffix(host, self._budgets)
        if suffix is None:
            return
        with self._lock:
            used = self._used.get(suffix, 0)
            if used >= self._budgets[suffix]:
                raise BudgetExhausted(
                    f"request budget for {suffix} used up: {used} requests made this run "
                    f"(host_budgets, ETFFLOW_HOST_BUDGETS); {host} is not asked again in this "
                    "run, a re-run resumes from here"
                )
            self._used[suffix] = used + 1


def _retry_after_s(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None  # unparseable: fall back to our own backoff
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)  # HTTP dates are GMT
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _unresolvable_host(exc: BaseException) -> bool:
    """DNS failure: retrying will not help, so fail at once with a clear message."""
    for _ in range(10):  # requests -> urllib3 MaxRetryError -> NameResolutionError, or CurlError
        if exc is None:
            return False
        if isinstance(exc, NameResolutionError | socket.gaierror):
            return True
        if isinstance(exc, CurlError) and exc.code == CurlECode.COULDNT_RESOLVE_HOST:
            return True
        wrapped = next((a for a in exc.args if isinstance(a, BaseException)), None)
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "reason", None) or wrapped
    return False


class PoliteSession(requests.Session):
    """One run's session: rate limits, retries, User-Agent, a browser-impersonating
    transport for the hosts that need one, a request budget per host, and no second
    request to a host that refused us (403) during the run."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.limiter = HostRateLimiter(settings.host_rates, settings.default_rate)
        self.budget = HostBudget(settings.host_budgets)
        self.headers["User-Agent"] = settings.user_agent
        self.requests_made = 0
        self._count_lock = threading.Lock()
        self._refused: dict[str, str] = {}  # host -> the URL it answered 403
        # One curl handle per thread (the runner fetches from a thread pool).
        self.browser_adapter: CurlCffiAdapter | None = (
            CurlCffiAdapter(impersonate_browser_type=IMPERSONATE_BROWSER)
            if settings.impersonate_hosts else None
        )
        backoff = wait_exponential_jitter(
            multiplier=settings.backoff_s, max=60, jitter=settings.backoff_s
        )

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = _retry_after_s(exc.response) if isinstance(exc, RetryableStatus) else None
            return max(backoff(state), retry_after or 0.0)

        self._send_with_retries = retry(
            retry=retry_if_exception(
                lambda e: isinstance(e, (RetryableStatus, *TRANSIENT_ERRORS))
                and not _unresolvable_host(e)
            ),
            wait=wait,
            stop=stop_after_attempt(settings.max_retries + 1),
            reraise=True,
        )(self._send_once)

    def impersonates(self, url: str) -> bool:
        """Whether ``url`` goes through the browser-impersonating transport."""
        return (
            urlsplit(url).scheme.lower() in {"http", "https"}
            and matching_suffix(host_of(url), self.settings.impersonate_hosts) is not None
        )

    def get_adapter(self, url: str) -> BaseAdapter:
        # By host suffix, which mount()'s URL-prefix matching cannot express.
        if self.browser_adapter is not None and self.impersonates(url):
            return self.browser_adapter
        return super().get_adapter(url)

    def close(self) -> None:
        super().close()
        if self.browser_adapter is not None:
            self.browser_adapter.close()

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        host = host_of(url)
        headers = dict(kwargs.pop("headers", None) or {})
        if host == "sec.gov" or host.endswith(".sec.gov"):
            if not self.settings.sec_user_agent:
                raise ConfigError(
                    "SEC requires a declared User-Agent with a contact: "
                    "set ETFFLOW_SEC_USER_AGENT='Your Name you@example.com'"
                )
            headers["User-Agent"] = self.settings.sec_user_agent
        kwargs["headers"] = headers
        kwargs.setdefault("timeout", self.settings.timeout_s)
        try:
            return self._send_with_retries(host, method, url, *args, **kwargs)
        except RetryableStatus as exc:
            return exc.response  # retries exhausted: hand back the last answer
        except TRANSIENT_ERRORS as exc:
            if _unresolvable_host(exc):
                raise FetchError(f"cannot resolve {host} (offline? use --offline to replay "
                                 "the archive)") from exc
            raise FetchError(f"{method} {url}: {type(exc).__name__} after retries: {exc}") from exc

    def _send_once(self, host: str, method: str, url: str, *args, **kwargs) -> requests.Response:
        with self._count_lock:
            refused_url = self._refused.get(host)
        if refused_url is not None:
            raise HostRefused(
                f"{host} refused this run's request for {refused_url} (HTTP 403); "
                f"not asking {host} again in this run"
            )
        self.budget.spend(host)
        self.limiter.wait(host)
        with self._count_lock:
            self.requests_made += 1
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == REFUSED_STATUS:
            with self._count_lock:
                self._refused.setdefault(host, response.url or url)
        if response.status_code in RETRY_STATUSES:
            raise RetryableStatus(response)
        return response


class HttpClient:
    """Fetch a plugin's requests live (archiving every body) or replay them from the archive."""

    def __init__(self, settings: Settings, archive: Archive | None = None) -> None:
        self.settings = settings
        self.archive = archive or Archive(settings.archive_dir)
        self.session = PoliteSession(settings)

    @property
    def requests_made(self) -> int:
        return self.session.requests_made

    def fetch(self, source: str, request: Request, transport: Transport | None = None) -> Payload:
        """The request's answer: a ``file://`` read, a replay (offline), an immutable
        request's archived 2xx answer (no request made), or a live GET, archived.
        Live, raises HostRefused for a host that answered 403 earlier in this run and
        BudgetExhausted once the host's request budget is used."""
        if urlsplit(request.url).scheme == "file":
            return self._fetch_file(source, request)
        if self.settings.offline:
            return self.archive.get(source, request, as_of=self.settings.replay_as_of)
        if request.immutable:
            try:
                return self.archive.get(source, request, ok_only=True)
            except ArchiveMiss:
                pass  # never answered 2xx: ask
        if request.large:
            return self._fetch_large(source, request)
        get = transport or (lambda url, params: self.session.get(url, params=params))
        response = get(request.url, dict(request.params))
        return self.archive.put(
            source,
            request,
            body=response.content,
            status=response.status_code,
            url=response.url,
            fetched_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )

    def _fetch_large(self, source: str, request: Request) -> Payload:
        """A large body, streamed into the archive as it arrives (the session's rate limit,
        retries on the status and User-Agent apply; no plugin transport)."""
        response = self.session.get(request.url, params=dict(request.params), stream=True)
        fetched_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        try:
            return self.archive.put_stream(source, request,
                                           response.iter_content(STREAM_CHUNK_BYTES),
                                           response.status_code, response.url, fetched_at)
        except TRANSIENT_ERRORS as exc:
            raise FetchError(f"GET {request.url}: the download broke off ({type(exc).__name__})"
                             "; re-run to fetch it again") from exc
        finally:
            response.close()

    def _fetch_file(self, source: str, request: Request) -> Payload:
        """A ``file://`` request (local files for backfills and tests): read from disk,
        live or offline (no network either way), and archived like any other body (a
        large request's file is copied in chunks, never read whole)."""
        path = Path(url2pathname(urlsplit(request.url).path))
        if request.large:
            try:
                with path.open("rb") as fh:
                    return self.archive.put_stream(
                        source, request, iter(lambda: fh.read(STREAM_CHUNK_BYTES), b""), 200,
                        request.url, dt.datetime.now(dt.UTC).replace(microsecond=0))
            except OSError as exc:
                raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return self.archive.put(source, request, body=body, status=200, url=request.url,
                                fetched_at=dt.datetime.now(dt.UTC).replace(microsecond=0))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
