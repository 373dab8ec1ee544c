"""``etfflow ingest nport``: chain the plugin's stages through the core runner.

The plugin itself only plans and parses. This module is the orchestration the CLI calls:
run a stage with ``run_plugin``, read what it landed in ``raw.*`` to plan the next stage,
and so on. Filings already landed are not fetched again (EDGAR documents never change;
an amendment is a new accession).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
from ingest.core.landing import Warehouse
from ingest.core.plugin import PlanParams
from ingest.core.runner import RunResult, run_plugin
from ingest.plugins.edgar_nport.plugin import (
    FILINGS,
    FILINGS_INDEX,
    FUND_CLASSES,
    EdgarNportPlugin,
    local_requests,
)

FILINGS_PER_RUN = 200  # the runner keeps a run's fetched bodies in memory until parsed


@dataclass
class NportIngest:
    runs: list[RunResult] = field(default_factory=list)
    unmapped_tickers: list[str] = field(default_factory=list)  # not in SEC's fund map
    filings_planned: int = 0


def ingest_files(settings: Settings, paths: Sequence[Path | str], *,
                 show_progress: bool = False) -> NportIngest:
    """Land N-PORT XML files from disk through the same parser and landing path."""
    requests = local_requests(paths)
    params = PlanParams(extra={"stage": "local_files", "files": len(requests)})
    run = run_plugin(EdgarNportPlugin(), params, settings, show_progress=show_progress,
                     requests=requests)
    return NportIngest([run], filings_planned=len(requests))


def ingest_tickers(settings: Settings, tickers: Sequence[str], *,
                   start: dt.date | None = None, end: dt.date | None = None,
                   show_progress: bool = False) -> NportIngest:
    """Fund map, then each ticker's series filing list, then the filings not yet landed
    (filed within [start, end] when given)."""
    plugin = EdgarNportPlugin()
    chosen = tuple(dict.fromkeys(t.upper() for t in tickers))
    out = NportIngest()
    out.runs.append(run_plugin(plugin, PlanParams(chosen, extra={"stage": "fund_map"}),
                               settings, show_progress=show_progress))
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables(plugin.tables)
        series = _series_of(wh, chosen)
    out.unmapped_tickers = [t for t in chosen if t not in series]
    if not series:
        return out
    series_ids = sorted(set(series.values()))
    out.runs.append(run_plugin(
        plugin, PlanParams(chosen, start, end, {"stage": "filings_index", "series": series_ids}),
        settings, show_progress=show_progress))
    with Warehouse(settings.duckdb_path) as wh:
        todo = _filings_to_fetch(wh, series_ids, start, end)
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
