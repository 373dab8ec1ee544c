"""``etfflow ingest ncen``: chain the N-CEN plugin's stages through the core runner.

Discovery starts from the CIKs the N-PORT fund map landed (raw.sec_fund_classes: a
series fund's registrant; raw.sec_company_tickers: a unit investment trust's own CIK);
when no fund map is landed yet, the edgar_nport plugin's fund_map stage runs first. Each
registrant's filing list is then read, and the filings not landed yet (filed within
--start/--end) are fetched. A CIK whose list has no N-CEN (a grantor trust or commodity
pool: not a registered investment company) is reported, not an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.core.config import Settings
from ingest.core.landing import Warehouse
from ingest.core.plugin import PlanParams
from ingest.core.runner import RunResult, run_plugin
from ingest.plugins.edgar_ncen.plugin import FILINGS, FILINGS_INDEX, EdgarNcenPlugin
from ingest.plugins.edgar_nport.plugin import COMPANY_TICKERS, FUND_CLASSES, EdgarNportPlugin

FILINGS_PER_RUN = 100


@dataclass
class NcenIngest:
    runs: list[RunResult] = field(default_factory=list)
    ciks: dict[str, str] = field(default_factory=dict)        # ticker -> registrant CIK
    unmapped_tickers: list[str] = field(default_factory=list)
    ciks_without_filings: list[str] = field(default_factory=list)
    filings_planned: int = 0


def ingest_files(settings: Settings, paths: Sequence[Path | str], *,
                 show_progress: bool = False) -> NcenIngest:
    """Land N-CEN full submission texts or primary documents from disk."""
    plugin = EdgarNcenPlugin()
    params = PlanParams(extra={"stage": "local_files"})
    requests = plugin.local_requests(paths, params)
    run = run_plugin(plugin, params, settings, show_progress=show_progress,
                     requests=requests)
    return NcenIngest([run], filings_planned=len(requests))


def ingest_tickers(settings: Settings, tickers: Sequence[str], *,
                   start: dt.date | None = None, end: dt.date | None = None,
                   show_progress: bool = False) -> NcenIngest:
    """Registrant CIKs of the tickers (fund map), their N-CEN lists, the new filings."""
    plugin = EdgarNcenPlugin()
    chosen = tuple(dict.fromkeys(t.upper() for t in tickers))
    out = NcenIngest()
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables(EdgarNportPlugin.tables)
        has_map = wh.con.execute(f"select count(*) from raw.{FUND_CLASSES.name}").fetchone()[0]
    if not has_map:
        out.runs.append(run_plugin(EdgarNportPlugin(),
                                   PlanParams(chosen, extra={"stage": "fund_map"}), settings,
                                   show_progress=show_progress))
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables(plugin.tables)
        out.ciks = registrant_ciks(wh, chosen)
    out.unmapped_tickers = [t for t in chosen if t not in out.ciks]
    ciks = sorted(set(out.ciks.values()))
    if not ciks:
        return out
    out.runs.append(run_plugin(plugin, PlanParams(chosen, start, end, {
        "stage": "filings_index", "ciks": ciks}), settings, show_progress=show_progress))
    with Warehouse(settings.duckdb_path) as wh:
        listed = {c for (c,) in wh.con.execute(
            f"select distinct cik from raw.{FILINGS_INDEX.name} where cik in "
            "(select unnest(?))", [ciks]).fetchall()}
        todo = _filings_to_fetch(wh, ciks, start, end)
    out.ciks_without_filings = [c for c in ciks if c not in listed]
    out.filings_planned = len(todo)
    for first in range(0, len(todo), FILINGS_PER_RUN):
        batch = todo[first:first + FILINGS_PER_RUN]
        out.runs.append(run_plugin(plugin, PlanParams(chosen, start, end, {
            "stage": "filings", "filings": batch}), settings, show_progress=show_progress))
    return out


def registrant_ciks(wh: Warehouse, tickers: Sequence[str]) -> dict[str, str]:
    """ticker -> the CIK that files its N-CEN: the registrant of its series in the fund
    ticker file, else its CIK in the company ticker file (a unit investment trust)."""
    if not tickers:
        return {}
    rows = wh.con.execute(
        f"""with by_series as (
                select ticker, cik, 1 as preference from raw.{FUND_CLASSES.name}
                where ticker in (select unnest(?)) and series_id is not null
            ),
            by_company as (
                select ticker, cik, 2 as preference from raw.{COMPANY_TICKERS.name}
                where ticker in (select unnest(?))
            )
            select ticker, cik from (select * from by_series union all select * from by_company)
            qualify row_number() over (partition by ticker order by preference, cik) = 1""",
        [list(tickers), list(tickers)],
    ).fetchall()
    return dict(rows)


def _filings_to_fetch(wh: Warehouse, ciks: list[str], start: dt.date | None,
                      end: dt.date | None) -> list[list[object]]:
    rows = wh.con.execute(
        f"""select distinct i.cik, i.accession_number, i.filing_date
            from raw.{FILINGS_INDEX.name} i
            where i.cik in (select unnest(?))
              and (?::date is null or i.filing_date >= ?::date)
              and (?::date is null or i.filing_date <= ?::date)
              and not exists (select 1 from raw.{FILINGS.name} f
                              where f.accession_number = i.accession_number)
            order by i.filing_date, i.accession_number""",
        [ciks, start, start, end, end],
    ).fetchall()
    return [[int(cik), accession] for cik, accession, _ in rows]
