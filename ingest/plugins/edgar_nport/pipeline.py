"""``etfflow ingest nport``: chain the plugin's stages through the core runner.

The plugin itself only plans and parses. This module is the orchestration the CLI calls:
run a stage with ``run_plugin``, read what it landed in ``raw.*`` to plan the next stage,
and so on. Filings already landed are not fetched again (EDGAR documents never change;
an amendment is a new accession).

Discovery: a ticker with a series in the SEC's fund ticker file is followed by its series;
a ticker without one but listed in the SEC's company ticker file is followed by its
registrant's CIK (a unit investment trust files N-PORT under the trust's CIK, without
series). A CIK that the fund ticker file lists with series is not followed by CIK: that
would fetch every series of a trust for one ticker.

Many local files (``etfflow ingest nport --file DIR``) are parsed in a process pool
(PARSE_WORKERS processes, a few files ahead of the runner, in plan order): the runner
still archives, quarantines and lands each payload as it comes; only the parse moves to
the workers, which read the same file (a file whose bytes changed in between is parsed
again in the runner). Below POOL_MIN_BYTES in all, one process is faster than starting
the pool (``scripts/bench.py --nport`` measures the speed-up).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ingest.core.ahead import submitted_ahead
from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
from ingest.core.landing import Warehouse
from ingest.core.plugin import Payload, PlanParams, Rows
from ingest.core.runner import RunResult, run_plugin
from ingest.plugins.edgar_nport.parser import NportDocument, parse_nport
from ingest.plugins.edgar_nport.plugin import (
    COMPANY_TICKERS,
    FILINGS,
    FILINGS_INDEX,
    FUND_CLASSES,
    EdgarNportPlugin,
    cik_key,
    filing_accession,
    filing_rows,
    local_requests,
)

FILINGS_PER_RUN = 200  # the runner keeps a run's fetched bodies in memory until parsed
PARSE_WORKERS = 2  # processes parsing local filings (this machine has 2 cores)
POOL_MIN_BYTES = 8 * 1024 * 1024  # less XML than this in all: parse in the runner
PARSE_AHEAD = 2  # files queued per worker beyond the one it parses (bounds memory)


@dataclass
class NportIngest:
    runs: list[RunResult] = field(default_factory=list)
    unmapped_tickers: list[str] = field(default_factory=list)  # in neither SEC ticker file
    cik_tickers: dict[str, str] = field(default_factory=dict)  # ticker -> CIK (no series)
    tickers_without_filings: list[str] = field(default_factory=list)  # EDGAR lists none
    filings_planned: int = 0


def ingest_files(settings: Settings, paths: Sequence[Path | str], *,
                 show_progress: bool = False, workers: int = PARSE_WORKERS) -> NportIngest:
    """Land N-PORT XML files from disk through the same parser and landing path, parsed
    in a pool of ``workers`` processes when there are several files and enough XML."""
    requests = local_requests(paths)
    params = PlanParams(extra={"stage": "local_files", "files": len(requests)})
    files = [_file_path(r.url) for r in requests]
    if workers < 2 or len(files) < 2 or sum(f.stat().st_size for f in files) < POOL_MIN_BYTES:
        run = run_plugin(EdgarNportPlugin(), params, settings, show_progress=show_progress,
                         requests=requests)
        return NportIngest([run], filings_planned=len(requests))
    with parse_pool(workers) as pool:
        plugin = _ParsedAhead(parse_files(pool, files, ahead=workers * PARSE_AHEAD))
        run = run_plugin(plugin, params, settings, show_progress=show_progress,
                         requests=requests)
    return NportIngest([run], filings_planned=len(requests))


def parse_pool(workers: int) -> ProcessPoolExecutor:
    # fork: workers start in milliseconds with the parser already imported; they are
    # started by the first submissions, before the runner opens the warehouse
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


ParsedFile = tuple[str, NportDocument]  # the sha256 of the bytes parsed, the document


def parse_file(path: Path) -> ParsedFile:
    """Read and parse one local N-PORT file (a pool worker's task: the pool's processes
    already share the cores, so the parse forks no workers of its own)."""
    body = path.read_bytes()
    sha256 = hashlib.sha256(body).hexdigest()
    return sha256, parse_nport(body, filing_accession(path.as_uri(), sha256), workers=1)


def parse_files(pool: ProcessPoolExecutor, paths: Sequence[Path], *, ahead: int
                ) -> Iterator[tuple[Path, Future[ParsedFile]]]:
    """Each path with the future of its parse, in order, keeping ``ahead`` parses queued
    or running: results wait for the reader, never more than ``ahead`` of them."""
    return submitted_ahead(pool, parse_file, paths, ahead=ahead)


class _ParsedAhead(EdgarNportPlugin):
    """The N-PORT plugin with its local filings already parsed by ``parse_files``: the
    payloads arrive in the same order; a MalformedPayload raised in a worker is raised
    here, so the runner quarantines the file as it would have."""

    def __init__(self, parsed: Iterator[tuple[Path, Future[ParsedFile]]]) -> None:
        self._parsed = parsed
        self._waiting: dict[Path, Future[ParsedFile]] = {}

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        if payload.status >= 400 or not payload.request.url.startswith("file:"):
            return super().parse(payload)
        future = self._future(_file_path(payload.request.url))
        if future is None:
            return super().parse(payload)
        sha256, document = future.result()
        if sha256 != payload.sha256:  # the file changed after the runner read it
            return super().parse(payload)
        return filing_rows(document)

    def _future(self, path: Path) -> Future[ParsedFile] | None:
        if path in self._waiting:
            return self._waiting.pop(path)
        for parsed_path, future in self._parsed:
            if parsed_path == path:
                return future
            self._waiting[parsed_path] = future
        return None


def ingest_tickers(settings: Settings, tickers: Sequence[str], *,
                   start: dt.date | None = None, end: dt.date | None = None,
                   show_progress: bool = False) -> NportIngest:
    """Fund map, then each ticker's filing list (its series', else its registrant's by
    CIK), then the filings not yet landed (filed within [start, end] when given)."""
    plugin = EdgarNportPlugin()
    chosen = tuple(dict.fromkeys(t.upper() for t in tickers))
    out = NportIngest()
    out.runs.append(run_plugin(plugin, PlanParams(chosen, extra={"stage": "fund_map"}),
                               settings, show_progress=show_progress))
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables(plugin.tables)
        series = _series_of(wh, chosen)
        out.cik_tickers = _ciks_of(wh, tuple(t for t in chosen if t not in series))
    out.unmapped_tickers = [t for t in chosen if t not in series and t not in out.cik_tickers]
    if not series and not out.cik_tickers:
        return out
    series_ids = sorted(set(series.values()))
    ciks = sorted(set(out.cik_tickers.values()))
    extra: dict[str, object] = {"stage": "filings_index", "series": series_ids}
    if ciks:
        extra["ciks"] = ciks
    out.runs.append(run_plugin(plugin, PlanParams(chosen, start, end, extra), settings,
                               show_progress=show_progress))
    keys = {**series, **{t: cik_key(c) for t, c in out.cik_tickers.items()}}
    with Warehouse(settings.duckdb_path) as wh:
        listed = _keys_with_filings(wh, sorted(set(keys.values())))
        todo = _filings_to_fetch(wh, sorted(set(keys.values())), start, end)
    out.tickers_without_filings = [t for t in chosen if t in keys and keys[t] not in listed]
    out.filings_planned = len(todo)
    for first in range(0, len(todo), FILINGS_PER_RUN):
        batch = todo[first:first + FILINGS_PER_RUN]
        out.runs.append(run_plugin(
            plugin, PlanParams(chosen, start, end, {"stage": "filings", "filings": batch}),
            settings, show_progress=show_progress))
    return out


def _series_of(wh: Warehouse, tickers: tuple[str, ...]) -> dict[str, str]:
    """ticker -> series id, from the latest fund map landed for each ticker."""
    if not tickers:
        return {}
    rows = wh.con.execute(
        f"""select ticker, series_id from raw.{FUND_CLASSES.name}
            where ticker in (select unnest(?)) and series_id is not null
            qualify row_number() over (partition by ticker order by _fetched_at desc nulls last,
                                       class_id) = 1""",
        [list(tickers)],
    ).fetchall()
    return dict(rows)


def _ciks_of(wh: Warehouse, tickers: tuple[str, ...]) -> dict[str, str]:
    """ticker -> registrant CIK from the latest company ticker file landed for each ticker,
    leaving out registrants the fund ticker file lists with series (they file per series)."""
    if not tickers:
        return {}
    rows = wh.con.execute(
        f"""select ticker, cik from raw.{COMPANY_TICKERS.name} c
            where ticker in (select unnest(?))
            qualify row_number() over (partition by ticker order by _fetched_at desc nulls last,
                                       cik) = 1""",
        [list(tickers)],
    ).fetchall()
    with_series = {cik for (cik,) in wh.con.execute(
        f"select distinct cik from raw.{FUND_CLASSES.name} where series_id is not null"
    ).fetchall()}
    return {ticker: cik for ticker, cik in rows if cik not in with_series}


def _keys_with_filings(wh: Warehouse, keys: list[str]) -> set[str]:
    rows = wh.con.execute(
        f"""select distinct series_id from raw.{FILINGS_INDEX.name}
            where series_id in (select unnest(?))""", [keys]).fetchall()
    return {key for (key,) in rows}


def _filings_to_fetch(wh: Warehouse, series_ids: list[str], start: dt.date | None,
                      end: dt.date | None) -> list[list[object]]:
    rows = wh.con.execute(
        f"""select distinct i.cik, i.accession_number, i.filing_date
            from raw.{FILINGS_INDEX.name} i
            where i.series_id in (select unnest(?))
              and (?::date is null or i.filing_date >= ?::date)
              and (?::date is null or i.filing_date <= ?::date)
              and not exists (select 1 from raw.{FILINGS.name} f
                              where f.accession_number = i.accession_number)
            order by i.filing_date, i.accession_number""",
        [series_ids, start, start, end, end],
    ).fetchall()
    return [[int(cik), accession] for cik, accession, _ in rows]


def require_inputs(tickers: Sequence[str], files: Sequence[Path | str]) -> None:
    if tickers and files:
        raise EtfflowError("give either --tickers or --file, not both")
