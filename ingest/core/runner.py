"""Run one plugin: plan -> fetch (live or replay) -> parse -> land, with a run-log entry.

A payload that cannot be parsed is quarantined and the run goes on; a source error
(unknown ticker, HTTP 404) is recorded per request in the run log. Parsed payloads land
in batches of ``Settings.land_batch_payloads``, one transaction each, so an interrupted
run never leaves a partial batch and a re-run lands whatever was not committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
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
) -> RunResult:
    """Run ``plugin`` for ``params``; ``requests`` overrides the plan (e.g. local files)."""
    planned = list(plugin.plan(params) if requests is None else requests)
    result = RunResult(run_id=uuid.uuid4().hex, plugin=plugin.name)
    log_params = {
        "tickers": list(params.tickers),
        "start": params.start,
        "end": params.end,
        "offline": settings.offline,
        **params.extra,
    }
    with Warehouse(settings.duckdb_path) as wh, HttpClient(settings) as client:
        wh.ensure_tables(plugin.tables)
        wh.start_run(result.run_id, plugin.name, log_params)
        try:
            fetchable = (_robots_allowed(client, plugin, planned, result)
                         if plugin.respect_robots_txt else planned)
            pending: list[tuple[dict[RawTable, Rows], BatchMeta]] = []
            with _progress(show_progress, f"{plugin.name}", len(fetchable)) as advance:
                for payload in _fetch_all(client, plugin, fetchable):
                    batch = _parse_payload(wh, plugin, payload, result)
                    if batch:
                        pending.append(batch)
                    if len(pending) >= settings.land_batch_payloads:
                        result.rows_landed += wh.land_many(pending)
                        pending.clear()
                    advance()
            result.rows_landed += wh.land_many(pending)
            result.status = _final_status(result, len(planned))
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


def _fetch_all(client: HttpClient, plugin: Plugin, planned: list[Request]) -> Iterator[Payload]:
    """Fetch in a small thread pool (the session enforces per-host rates), in plan order."""
    transport = plugin.transport(client.session)
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        yield from pool.map(lambda r: client.fetch(plugin.name, r, transport), planned)


def _parse_payload(
    wh: Warehouse, plugin: Plugin, payload: Payload, result: RunResult
) -> tuple[dict[RawTable, Rows], BatchMeta] | None:
    """The payload's rows ready to land, or None after recording why there are none."""
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
    return batch, BatchMeta(result.run_id, payload.url, payload.sha256, payload.fetched_at)


def _final_status(result: RunResult, planned: int) -> str:
    if not result.errors:
        return "success"
    return "failed" if len(result.errors) >= planned else "partial"


class _progress:
    """A rich progress bar when asked for, else a no-op; yields an ``advance()`` callable."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self._bar = (
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), transient=True)
            if enabled else None
        )
        self._label, self._total = label, total

    def __enter__(self):
        if self._bar is None:
            return lambda: None
        self._bar.start()
        task = self._bar.add_task(self._label, total=self._total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
