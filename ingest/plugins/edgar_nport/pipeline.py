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
    COMPANY_TICKERS,
    FILINGS,
    FILINGS_INDEX,
    FUND_CLASSES,
    EdgarNportPlugin,
    cik_key,
    local_requests,
)

FILINGS_PER_RUN = 200  # the runner keeps a run's fetched bodies in memory until parsed


@dataclass
class NportIngest:
    runs: list[RunResult] = field(default_factory=list)
    unmapped_tickers: list[str] = field(default_factory=list)  # in neither SEC ticker file
    cik_tickers: dict[str, str] = field(default_factory=dict)  # ticker -> CIK (no series)
    tickers_without_filings: list[str] = field(default_factory=list)  # EDGAR lists none
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
