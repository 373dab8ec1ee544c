"""Run one plugin: plan -> fetch (live or replay) -> parse -> land, with a run-log entry.

A payload that cannot be parsed is quarantined and the run goes on; a source error
(unknown ticker, HTTP 404) is recorded per request in the run log. Parsed payloads land
in batches of ``Settings.land_batch_payloads``, one transaction each, so an interrupted
run never leaves a partial batch and a re-run lands whatever was not committed.

A payload whose rows are streamed (``RowStream``: a data-set zip too large for one frame)
lands on its own, right after it parses: the stream is read while landing, so a
MalformedPayload found mid-stream rolls that payload back and quarantines it.

Follow-ups: after a payload parses, ``plugin.follow_up()`` may ask for more requests (a
fund list naming each fund's download); they are fetched in the next wave, waves repeat
until none are asked for, and each wave keeps plan order. A host that refused us
(``HostRefused``) or whose request budget this run has used (``BudgetExhausted``) is one
run error per host saying how many requests were not made; the run goes on (partial).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.core.config import Settings
from ingest.core.errors import BudgetExhausted, EtfflowError, FetchError, HostRefused
from ingest.core.http import HttpClient
from ingest.core.landing import BatchMeta, Warehouse
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    RowStream,
    SourceError,
)
from ingest.core.robots import check_plan

FETCH_WORKERS = 4


@dataclass
class RunResult:
    run_id: str
    plugin: str
    status: str = "running"
    rows_landed: int = 0
    payloads: int = 0
    requests_made: int = 0
    errors: list[str] = field(default_factory=list)
    quarantined: int = 0


def run_plugin(
    plugin: Plugin,
    params: PlanParams,
    settings: Settings,
    *,
    show_progress: bool = False,
    requests: list[Request] | None = None,
    warehouse: Warehouse | None = None,
) -> RunResult:
    """Run ``plugin`` for ``params``; ``requests`` overrides the plan (e.g. local files).
    ``warehouse``: an open connection to land through (the demo replays 80 runs through
    one; opening and checkpointing the file per run was a fifth of its ingest time), else
    the run opens and closes ``settings.duckdb_path`` itself."""
    planned = list(plugin.plan(params) if requests is None else requests)
    result = RunResult(run_id=uuid.uuid4().hex, plugin=plugin.name)
    log_params = {
        "tickers": list(params.tickers),
        "start": params.start,
        "end": params.end,
        "offline": settings.offline,
        **params.extra,
    }
    opened = (contextlib.nullcontext(warehouse) if warehouse is not None
              else Warehouse(settings.duckdb_path))
    with opened as wh, HttpClient(settings) as client:
        wh.ensure_tables(plugin.tables)
        wh.start_run(result.run_id, plugin.name, log_params)
        not_made = _NotMadeLog()
        total = 0
        try:
            pending: list[tuple[dict[RawTable, Rows], BatchMeta]] = []
            wave = planned
            with _progress(show_progress, f"{plugin.name}", 0) as bar:
                while wave:
                    fetchable = (_robots_allowed(client, plugin, wave, result)
                                 if plugin.respect_robots_txt else wave)
                    total += len(wave)
                    bar.grow(len(fetchable))
                    follow_ups: list[Request] = []
                    for fetched in _fetch_all(client, plugin, fetchable):
                        bar.advance()
                        if isinstance(fetched, _NotMade):
                            not_made.add(fetched)
                            continue
                        parsed = _parse_payload(wh, plugin, fetched, result)
                        if parsed is None:
                            continue
                        rows, batch = parsed
                        if any(isinstance(r, RowStream) for r in rows.values()):
                            result.rows_landed += wh.land_many(pending)
                            pending.clear()
                            result.rows_landed += _land_stream(wh, plugin, fetched, batch,
                                                               result)
                            follow_ups += _follow_ups(plugin, fetched, rows, params, result)
                            continue
                        pending.append(batch)
                        if len(pending) >= settings.land_batch_payloads:
                            result.rows_landed += wh.land_many(pending)
                            pending.clear()
                        follow_ups += _follow_ups(plugin, fetched, rows, params, result)
                    wave = follow_ups
            result.rows_landed += wh.land_many(pending)
            result.errors.extend(not_made.errors())
            result.status = _final_status(result, total)
        except KeyboardInterrupt:
            result.status = "interrupted"
            raise
        except EtfflowError as exc:
            result.status = "failed"
            result.errors.append(str(exc))
            raise
        except Exception as exc:  # a bug, not an expected failure: still log the run as failed
            result.status = "failed"
            result.errors.append(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            result.requests_made = client.requests_made
            wh.finish_run(result.run_id, result.status, result.rows_landed,
                          result.requests_made, result.payloads, result.errors)
    return result


@dataclass(frozen=True)
class _NotMade:
    """A request the client would not make: its host refused us or its budget is used up."""

    request: Request
    reason: FetchError

    @property
    def host(self) -> str:
        return (urlsplit(self.request.url).hostname or "").lower()


class _NotMadeLog:
    """Requests not made, per host and reason; one run error each at the end."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, type], FetchError] = {}
        self._count: dict[tuple[str, type], int] = {}

    def add(self, item: _NotMade) -> None:
        key = (item.host, type(item.reason))
        self._first.setdefault(key, item.reason)
        self._count[key] = self._count.get(key, 0) + 1

    def errors(self) -> list[str]:
        out = []
        for (host, kind), reason in self._first.items():
            n = self._count[(host, kind)]
            if issubclass(kind, HostRefused):
                out.append(f"{host} refused: {reason}; {n} requests not made")
            else:
                out.append(f"{host}: {reason}; {n} requests not made; re-run to resume")
        return out


def _follow_ups(plugin: Plugin, payload: Payload, rows: Mapping[str, Rows],
                params: PlanParams, result: RunResult) -> list[Request]:
    """What ``payload`` asks to fetch next; a SourceError raised after the last yield is
    recorded as one run error and what was yielded before it is kept."""
    found: list[Request] = []
    try:
        found.extend(plugin.follow_up(payload, rows, params))
    except SourceError as exc:
        result.errors.append(f"{payload.request.label}: {exc}")
    return found


def _robots_allowed(
    client: HttpClient, plugin: Plugin, planned: list[Request], result: RunResult
) -> list[Request]:
    """The planned requests robots.txt allows; each refusal becomes a run-log error and each
    host's Crawl-delay slows its rate limit."""
    transport = plugin.transport(client.session)
    check = check_plan(planned, client.session.headers["User-Agent"],
                       lambda r: client.fetch(plugin.name, r, transport))
    result.errors.extend(check.refused)
    for host, delay in check.crawl_delays.items():
        client.session.limiter.slow_down(host, delay)
    return check.allowed


def _fetch_all(client: HttpClient, plugin: Plugin,
               planned: list[Request]) -> Iterator[Payload | _NotMade]:
    """Fetch in a small thread pool (the session enforces per-host rates; a replay reads
    in this thread), in plan order; a request the client refuses to make (host refused,
    budget used) comes back as ``_NotMade`` and the others still run. Other fetch errors
    end the run."""
    transport = plugin.transport(client.session)

    def fetch(request: Request) -> Payload | _NotMade:
        try:
            return client.fetch(plugin.name, request, transport)
        except (HostRefused, BudgetExhausted) as exc:
            return _NotMade(request, exc)

    if client.settings.offline:
        # a replay reads the archive: CPU work under the GIL, where threads only contend
        # (the demo's ~10k iShares and Yahoo reads: 4.1 s CPU in four threads, 1.3 s in one)
        yield from map(fetch, planned)
        return
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        yield from pool.map(fetch, planned)


def _parse_payload(
    wh: Warehouse, plugin: Plugin, payload: Payload, result: RunResult
) -> tuple[Mapping[str, Rows], tuple[dict[RawTable, Rows], BatchMeta]] | None:
    """The payload's rows by table name and ready to land, or None after recording why
    there are none."""
    result.payloads += 1
    label = payload.request.label
    try:
        parsed = plugin.parse(payload)
    except SourceError as exc:
        result.errors.append(f"{label}: {exc}")
        return None
    except MalformedPayload as exc:
        wh.quarantine(result.run_id, plugin.name, label, payload.url, payload.sha256, str(exc))
        result.quarantined += 1
        result.errors.append(f"{label}: quarantined: {exc}")
        return None
    batch = {plugin.table(name): rows for name, rows in parsed.items()}
    return parsed, (batch, BatchMeta(result.run_id, payload.url, payload.sha256,
                                     payload.fetched_at))


def _land_stream(wh: Warehouse, plugin: Plugin, payload: Payload,
                 batch: tuple[dict[RawTable, Rows], BatchMeta], result: RunResult) -> int:
    """Land one streamed payload in its own transaction; malformed content found while
    streaming rolls it back and quarantines it."""
    try:
        return wh.land_many([batch])
    except MalformedPayload as exc:
        label = payload.request.label
        wh.quarantine(result.run_id, plugin.name, label, payload.url, payload.sha256, str(exc))
        result.quarantined += 1
        result.errors.append(f"{label}: quarantined: {exc}")
        return 0


def _final_status(result: RunResult, planned: int) -> str:
    if not result.errors:
        return "success"
    return "failed" if len(result.errors) >= planned else "partial"


class _progress:
    """A rich progress bar when asked for, else a no-op; yields an object with
    ``advance()`` and ``grow(n)`` (follow-up waves add to the total)."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self._bar = (
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), transient=True)
            if enabled else None
        )
        self._label, self._total = label, total
        self._task = None

    def __enter__(self) -> _progress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total)
        return self

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def grow(self, n: int) -> None:
        self._total += n
        if self._bar is not None:
            self._bar.update(self._task, total=self._total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
