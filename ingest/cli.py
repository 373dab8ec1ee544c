"""The ``etfflow`` command line: ingest, backfill, build, daily, publish, docs, demo, runs."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest import reports, seed_reports, spark
from ingest.core.config import Settings
from ingest.core.errors import EtfflowError
from ingest.core.landing import RUN_LOG_TABLES, Warehouse
from ingest.core.lock import warehouse_lock
from ingest.core.plugin import PlanParams, Plugin, discover_plugins, load_plugin
from ingest.core.runner import RunResult, run_plugin
from ingest.dbt import daily_build_args, generate_docs, run_dbt
from ingest.raw_export import export_raw
from ingest.serving import SERVING_FILE, publish
from ingest.universe import issuer_seed_tickers, seed_tickers, universe

console = Console(stderr=False)
err_console = Console(stderr=True, soft_wrap=True)

DAILY_PLUGINS = ("yahoo", "ishares", "spdr")
DATE = click.DateTime(formats=["%Y-%m-%d"])
QUARTER = re.compile(r"^\s*(\d{4})\s*[qQ]\s*([1-4])\s*$")


class DateOrQuarter(click.ParamType):
    """YYYY-MM-DD, or a quarter YYYYQn meaning its first day (backfill --start 2019Q4)."""

    name = "date"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, dt.datetime):
            return value
        match = QUARTER.match(str(value))
        if match:
            return dt.datetime(int(match[1]), 3 * int(match[2]) - 2, 1)
        return DATE.convert(value, param, ctx)
# DuckDB's refusal when another process holds the file (one writer or many readers).
DUCKDB_LOCK_ERROR = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in '
    r"(?P<program>.+?) \(PID (?P<pid>\d+)\)"
)


class EtfflowGroup(click.Group):
    """Expected failures become one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EtfflowError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(1)
        except duckdb.IOException as exc:
            err_console.print(f"[bold red]error:[/] {_describe_io_error(exc, ctx.obj)}",
                              highlight=False)
            sys.exit(1)


def _describe_io_error(exc: duckdb.IOException, settings: object) -> str:
    """DuckDB's lock conflict as one line naming the holder and the serving file."""
    held = DUCKDB_LOCK_ERROR.search(str(exc))
    if not held:
        return f"cannot open the warehouse: {' '.join(str(exc).split())}"
    locked = Path(held["file"])
    serving = (settings.serving_root
               if isinstance(settings, Settings)
               and locked.resolve() == settings.duckdb_path.resolve()
               else locked.parent / "serving")
    return (f"the warehouse {locked} is open in another process ({held['program']}, PID "
            f"{held['pid']}); DuckDB lets one process write a file or many read it, never "
            f"both. Point BI tools and ad-hoc SQL at the read-only serving copy "
            f"{serving / SERVING_FILE} (refreshed by every build, or `etfflow publish`) "
            f"and close that connection to the warehouse.")


WAIT = click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=0,
                    show_default=True, metavar="SECONDS",
                    help="If another etfflow command is writing the warehouse, wait this "
                         "long for it instead of failing at once.")


@contextmanager
def _writing(duckdb_path: Path, wait_s: float) -> Iterator[None]:
    """Hold the warehouse's writer lock (one etfflow writer at a time, see core/lock.py)."""
    command = " ".join(["etfflow", *sys.argv[1:]])[:200]
    with warehouse_lock(duckdb_path, command, wait_s):
        yield


def _tickers(value: str | None) -> tuple[str, ...]:
    if not value:
        return seed_tickers()
    return tuple(dict.fromkeys(t.upper() for t in re.split(r"[,\s]+", value) if t))


def _plugin_tickers(plugin: Plugin, value: str | None) -> tuple[str, ...]:
    """--tickers, else the plugin's default: an issuer plugin's are its issuer's seed funds,
    every other plugin's the whole seed."""
    if value or not plugin.issuer:
        return _tickers(value)
    return issuer_seed_tickers(plugin.issuer)


def _plugin_options(options: tuple[str, ...]) -> dict[str, object]:
    """``KEY=VALUE`` pairs for PlanParams.extra; a value with commas becomes a tuple."""
    extra: dict[str, object] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise EtfflowError(f"--option {option!r}: expected KEY=VALUE")
        items = tuple(v.strip() for v in value.split(",") if v.strip())
        extra[key.strip()] = items if "," in value else value.strip()
    return extra


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _report_run(result: RunResult) -> None:
    colour = {"success": "green", "partial": "yellow"}.get(result.status, "red")
    console.print(
        f"[{colour}]{result.plugin}: {result.status}[/] — {result.payloads} payloads, "
        f"{result.rows_landed:,} rows landed (new or changed), {result.quarantined} quarantined, "
        f"{result.requests_made} HTTP requests (run {result.run_id[:12]})",
        highlight=False,
    )
    for error in result.errors[:20]:
        err_console.print(f"  [yellow]warning:[/] {error}", highlight=False)
    if len(result.errors) > 20:
        err_console.print(f"  … and {len(result.errors) - 20} more (see `etfflow runs`)")


def _build(settings: Settings, args: list[str], *, daily: bool = False) -> None:
    """`dbt build`; the daily one builds only what the daily sources feed, skips dbt unit
    tests and tests only the rebuilt days."""
    if daily:
        changed = [t.name for name in DAILY_PLUGINS for t in load_plugin(name).tables]
        changed += [t.name for t in RUN_LOG_TABLES]
        command = daily_build_args(settings.duckdb_path, changed)
    else:
        command = ["build"]
    outcome = run_dbt([*command, *args], settings.duckdb_path,
                      test_scope="recent" if daily else "all")
    if not outcome.success:
        raise EtfflowError("dbt build failed: " + ("; ".join(outcome.failures[:5]) or "see above"))


def _publish(settings: Settings) -> None:
    """Publish the serving layer (the caller holds the writer lock) and say where it is."""
    result = publish(settings.duckdb_path, settings.serving_root)
    console.print(result.summary(), highlight=False, soft_wrap=True)
    if result.missing:
        err_console.print(f"  [yellow]warning:[/] not in the warehouse, not published: "
                          f"{', '.join(result.missing)}", highlight=False)


@click.group(cls=EtfflowGroup)
@click.option("--db", "duckdb_path", type=click.Path(path_type=Path),
              help="DuckDB warehouse file [env ETFFLOW_DUCKDB_PATH; default data/warehouse.duckdb]")
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              help="Raw-payload archive directory [env ETFFLOW_ARCHIVE_DIR; default data/archive]")
@click.option("--serving-dir", type=click.Path(path_type=Path),
              help="Where `publish` puts the read-only copy for BI tools [env "
                   "ETFFLOW_SERVING_DIR; default: serving/ beside the warehouse]")
@click.version_option(package_name="etfflow")
@click.pass_context
def main(ctx: click.Context, duckdb_path: Path | None, archive_dir: Path | None,
         serving_dir: Path | None) -> None:
    """etfflow: ETF fund flows from creations and redemptions, in DuckDB + dbt."""
    ctx.obj = Settings.from_env().with_overrides(duckdb_path=duckdb_path, archive_dir=archive_dir,
                                                 serving_dir=serving_dir)


@main.command()
def plugins() -> None:
    """List installed source plugins and their raw tables."""
    table = Table("plugin", "description", "raw tables")
    for name, cls in discover_plugins().items():
        table.add_row(name, cls.description, ", ".join(f"raw.{t.name}" for t in cls.tables))
    console.print(table)


@main.command()
@click.argument("plugin_name")
@click.option("--tickers", help="Tickers, comma- or space-separated [default: the seed universe]")
@click.option("--start", type=DATE, help="First date (YYYY-MM-DD) [plugin default]")
@click.option("--end", type=DATE, help="Last date (YYYY-MM-DD) [default: today]")
@click.option("--offline", is_flag=True, help="Replay from the archive; no network.")
@click.option("-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Plugin option, repeatable; commas make a list (e.g. fred: series=DGS10,"
                   "VIXCLS; etfdb: datasets=categories, categories=oil-gas).")
@click.option("--file", "files", multiple=True, type=click.Path(path_type=Path),
              help="Land downloaded files through the plugin's parser, a directory meaning "
                   "its files (repeatable): nport N-PORT XML, ishares holdings CSV (named "
                   "…TICKER_holdings….csv, or -o ticker=TICKER), spdr xlsx workbooks, ncen "
                   "N-CEN .txt/.xml, sec_nport_datasets quarter .zip files.")
@WAIT
@click.pass_obj
def ingest(settings: Settings, plugin_name: str, tickers: str | None, start, end,
           offline: bool, options: tuple[str, ...], files: tuple[Path, ...],
           wait_s: float) -> None:
    """Fetch, archive, parse and land one source (e.g. `etfflow ingest yahoo`)."""
    with _writing(settings.duckdb_path, wait_s):
        _ingest(settings, plugin_name, tickers, start, end, offline, options, files)


def _ingest(settings: Settings, plugin_name: str, tickers: str | None, start, end,
            offline: bool, options: tuple[str, ...], files: tuple[Path, ...]) -> None:
    if plugin_name in ("nport", "edgar_nport"):
        _ingest_nport(settings.with_overrides(offline=offline or None), tickers, start, end,
                      files)
        return
    if plugin_name in ("ncen", "edgar_ncen"):
        _ingest_ncen(settings.with_overrides(offline=offline or None), tickers, start, end,
                     files)
        return
    plugin = load_plugin(plugin_name)
    settings = settings.with_overrides(offline=offline or None)
    if files and tickers:
        raise EtfflowError("give --tickers or --file, not both")
    params = PlanParams(tickers=() if files else _plugin_tickers(plugin, tickers),
                        start=_date(start), end=_date(end), extra=_plugin_options(options))
    requests = plugin.local_requests(files, params) if files else None
    result = run_plugin(plugin, params, settings, show_progress=True, requests=requests)
    _report_run(result)
    if result.status == "failed":
        sys.exit(1)


def _ingest_nport(settings: Settings, tickers: str | None, start, end,
                  files: tuple[Path, ...]) -> None:
    """N-PORT: fund map -> each series' (or UIT's CIK's) filing list -> new filings; or
    local files."""
    from ingest.plugins.edgar_nport.pipeline import ingest_files, ingest_tickers

    if files and tickers:
        raise EtfflowError("give --tickers or --file, not both")
    outcome = (ingest_files(settings, files, show_progress=True) if files else
               ingest_tickers(settings, _tickers(tickers), start=_date(start), end=_date(end),
                              show_progress=True))
    for result in outcome.runs:
        _report_run(result)
    if outcome.unmapped_tickers:
        err_console.print(f"  note: in neither SEC ticker file (no series, no CIK): "
                          f"{', '.join(outcome.unmapped_tickers)}", highlight=False)
    if outcome.tickers_without_filings:
        err_console.print(f"  note: EDGAR lists no N-PORT filings for: "
                          f"{', '.join(outcome.tickers_without_filings)}", highlight=False)
    if any(r.status == "failed" for r in outcome.runs):
        sys.exit(1)


def _ingest_ncen(settings: Settings, tickers: str | None, start, end,
                 files: tuple[Path, ...]) -> None:
    """N-CEN: the tickers' registrant CIKs (the N-PORT fund map) -> each registrant's N-CEN
    list -> new filings (full submission text); or local files."""
    from ingest.plugins.edgar_ncen.pipeline import ingest_files, ingest_tickers

    if files and tickers:
        raise EtfflowError("give --tickers or --file, not both")
    outcome = (ingest_files(settings, files, show_progress=True) if files else
               ingest_tickers(settings, _tickers(tickers), start=_date(start), end=_date(end),
                              show_progress=True))
    for result in outcome.runs:
        _report_run(result)
    if outcome.unmapped_tickers:
        err_console.print(f"  note: no registrant CIK in the SEC ticker files for: "
                          f"{', '.join(outcome.unmapped_tickers)}", highlight=False)
    if outcome.ciks_without_filings:
        err_console.print(f"  note: EDGAR lists no N-CEN for CIK(s) "
                          f"{', '.join(outcome.ciks_without_filings)} (not registered "
                          "investment companies)", highlight=False)
    if any(r.status == "failed" for r in outcome.runs):
        sys.exit(1)


@main.command()
@click.option("--source", "plugin_name", required=True, help="Plugin to backfill, e.g. yahoo.")
@click.option("--start", type=DateOrQuarter(), required=True,
              help="First date (YYYY-MM-DD), or a quarter (YYYYQn, e.g. 2019Q4).")
@click.option("--end", type=DATE, help="Last date [default: today].")
@click.option("--chunk-days", default=365, show_default=True, help="Days per chunk (one run each).")
@click.option("--tickers", help="Tickers [default: the seed universe].")
@click.option("--offline", is_flag=True, help="Replay from the archive; no network.")
@click.option("-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Plugin option, repeatable (e.g. sec_nport_datasets: holdings=true).")
@WAIT
@click.pass_obj
def backfill(settings: Settings, plugin_name: str, start, end, chunk_days: int,
             tickers: str | None, offline: bool, options: tuple[str, ...],
             wait_s: float) -> None:
    """Load history in date chunks (a quarter-by-quarter source such as sec_nport_datasets:
    one quarter per chunk); chunks that already succeeded are skipped (resumable)."""
    with _writing(settings.duckdb_path, wait_s):
        _backfill(settings, plugin_name, start, end, chunk_days, tickers, offline, options)


def _backfill(settings: Settings, plugin_name: str, start, end, chunk_days: int,
              tickers: str | None, offline: bool, options: tuple[str, ...] = ()) -> None:
    from rich.progress import track

    plugin = load_plugin(plugin_name)
    settings = settings.with_overrides(offline=offline or None)
    by_quarter = getattr(plugin, "backfill_unit", "days") == "quarter"
    today = dt.date.today()
    # a quarter's data set is published after the quarter ends: by default, the last one
    first = start.date()
    last = _date(end) or (dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
                          - dt.timedelta(days=1) if by_quarter else today)
    if first > last:
        raise EtfflowError(f"--start {first} is after --end {last}")
    chosen = () if by_quarter else _plugin_tickers(plugin, tickers)
    extra = {"history_only": True, **_plugin_options(options)}
    chunks = []
    while first <= last:
        chunk_end = min(_quarter_end(first) if by_quarter
                        else first + dt.timedelta(days=chunk_days - 1), last)
        chunks.append(PlanParams(chosen, first, chunk_end, extra))
        first = chunk_end + dt.timedelta(days=1)
    with Warehouse(settings.duckdb_path) as wh:
        done = wh.succeeded_chunks(plugin.name, _plugin_options(options))
    todo = [c for c in chunks if (c.tickers, c.start, c.end) not in done]
    console.print(f"{plugin.name}: {len(chunks)} chunks, {len(chunks) - len(todo)} already done")
    failed = 0
    for chunk in track(todo, description=f"backfill {plugin.name}", console=console):
        result = run_plugin(plugin, chunk, settings)
        console.print(f"  {chunk.start} .. {chunk.end}: ", end="")
        _report_run(result)
        failed += result.status == "failed"
    if failed:
        raise EtfflowError(f"{failed} of {len(todo)} chunks failed; re-run to resume")


def _quarter_end(day: dt.date) -> dt.date:
    month = 3 * ((day.month - 1) // 3) + 3
    return dt.date(day.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--no-publish", is_flag=True, help="Do not refresh the serving layer.")
@WAIT
@click.pass_obj
def build(settings: Settings, dbt_args: tuple[str, ...], no_publish: bool,
          wait_s: float) -> None:
    """Run `dbt build` on the warehouse, then publish the serving layer; extra arguments go
    to dbt (e.g. --select marts). With --target spark: export the raw tables as Parquet
    and build on Spark instead (the serving layer is DuckDB's: not published)."""
    on_spark = spark.targets_spark(list(dbt_args))
    with _writing(settings.duckdb_path, wait_s):
        if on_spark:
            rows = spark.prepare(settings.duckdb_path, settings.spark_root)
            _print_export(rows, settings.spark_root / spark.RAW_DIR)
        _build(settings, list(dbt_args))
        if not (no_publish or on_spark):
            _publish(settings)


@main.group()
def export() -> None:
    """Export warehouse data for other engines."""


@export.command(name="raw")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder for the Parquet [default: spark/raw beside the warehouse].")
@WAIT
@click.pass_obj
def export_raw_command(settings: Settings, out_dir: Path | None, wait_s: float) -> None:
    """Every raw.* table as Parquet, one folder per table (what the spark target reads),
    swapped in whole."""
    out = out_dir or settings.spark_root / spark.RAW_DIR
    with _writing(settings.duckdb_path, wait_s):
        rows = export_raw(settings.duckdb_path, out)
    _print_export(rows, out)


def _print_export(rows: dict[str, int], out: Path) -> None:
    console.print(f"raw: {len(rows)} tables, {sum(rows.values()):,} rows as Parquet in {out}",
                  highlight=False)


@main.command()
@click.option("--lookback-days", default=7, show_default=True,
              help="Re-fetch this many days so late corrections land.")
@click.option("--tickers", help="Tickers [default: the seed universe].")
@click.option("--offline", is_flag=True, help="Replay from the archive; no network.")
@click.option("--end", type=DATE,
              help="Last day of the window (YYYY-MM-DD) [default: today]; with --offline, "
                   "replays that day's run from the archive.")
@click.option("--skip-build", is_flag=True, help="Ingest only.")
@click.option("--no-publish", is_flag=True, help="Do not refresh the serving layer.")
@WAIT
@click.pass_obj
def daily(settings: Settings, lookback_days: int, tickers: str | None, offline: bool,
          end, skip_build: bool, no_publish: bool, wait_s: float) -> None:
    """The scheduled run: ingest the latest days from every daily source, then `dbt build`:
    incremental models rebuild their last days and data tests check those days (dbt unit
    tests are left to the test suite; `etfflow build` tests everything); then publish the
    serving layer BI tools read. One daily at a time per warehouse (--wait to queue)."""
    settings = settings.with_overrides(offline=offline or None)
    last = _date(end) or dt.date.today()
    start = last - dt.timedelta(days=lookback_days)
    with _writing(settings.duckdb_path, wait_s):
        results = []
        for name in DAILY_PLUGINS:
            plugin = load_plugin(name)
            chosen = _plugin_tickers(plugin, tickers)
            if tickers and plugin.issuer:  # an issuer's plugin asks only for its own funds
                own = set(issuer_seed_tickers(plugin.issuer))
                chosen = tuple(t for t in chosen if t in own)
                if not chosen:
                    continue
            results.append(run_plugin(plugin, PlanParams(chosen, start, last), settings,
                                      show_progress=True))
        for result in results:
            _report_run(result)
        # Issuer files are the preferred count, not the only one: when an issuer refuses us
        # the flows fall back to vendor counts, so the build still runs (the exit says so).
        issuer_plugins = {name for name in DAILY_PLUGINS if load_plugin(name).issuer}
        if any(r.status == "failed" and r.plugin not in issuer_plugins for r in results):
            raise EtfflowError("ingest failed; not building (see `etfflow runs`)")
        if not skip_build:
            _build(settings, [], daily=True)
            if not no_publish:
                _publish(settings)
    failed_issuers = [r.plugin for r in results if r.status == "failed"]
    if failed_issuers:
        raise EtfflowError(f"issuer files not fetched ({', '.join(failed_issuers)}): flows "
                           "used vendor counts where the issuer's were missing (see "
                           "`etfflow runs`)")


@main.command(name="publish")
@WAIT
@click.pass_obj
def publish_command(settings: Settings, wait_s: float) -> None:
    """Publish the marts as a read-only serving layer for BI tools: a DuckDB file swapped in
    atomically and Parquet (ticker x day facts by year) with a manifest. Runs by itself at
    the end of every build, daily and demo."""
    with _writing(settings.duckdb_path, wait_s):
        _publish(settings)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Where the site goes [default: docs/ beside the warehouse].")
@WAIT
@click.pass_obj
def docs(settings: Settings, out_dir: Path | None, wait_s: float) -> None:
    """Build dbt's static documentation site (models, columns, tests, exposures, lineage)
    offline from the built warehouse: one self-contained static_index.html."""
    out = out_dir or settings.duckdb_path.parent / "docs"
    with _writing(settings.duckdb_path, wait_s):
        site = generate_docs(settings.duckdb_path, out)
    console.print(f"dbt docs: [bold]{site}[/] (open it in a browser; no server needed). "
                  f"Catalog and manifest: {out}", highlight=False, soft_wrap=True)


@main.command()
@click.option("--dir", "demo_dir", type=click.Path(path_type=Path), default=Path("data/demo"),
              show_default=True, help="Where the sample archive, the demo warehouse and its "
                                      "serving layer (serving/) go.")
@WAIT
def demo(demo_dir: Path, wait_s: float) -> None:
    """Build the whole warehouse offline from a generated SAMPLE archive, and report."""
    from ingest.demo import print_report, run_demo

    with _writing(demo_dir / "warehouse.duckdb", wait_s):
        print_report(run_demo(demo_dir, console), console)


@main.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_obj
def runs(settings: Settings, limit: int, as_json: bool) -> None:
    """Show the most recent ingest runs from raw.ingest_runs."""
    if not settings.duckdb_path.exists():
        raise EtfflowError(f"no warehouse at {settings.duckdb_path}; run `etfflow ingest` first")
    with Warehouse(settings.duckdb_path) as wh:
        rows = wh.recent_runs(limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    table = Table("run", "plugin", "started (UTC)", "status", "payloads", "rows", "requests",
                  "errors")
    for row in rows:
        errors = json.loads(row["errors"] or "[]")
        table.add_row(row["run_id"][:12], row["plugin"], str(row["started_at"])[:19],
                      row["status"], str(row["payloads"] or 0), f"{row['rows_landed'] or 0:,}",
                      str(row["requests_made"] or 0),
                      f"{len(errors)}: {errors[0][:60]}" if errors else "")
    console.print(table)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_obj
def sources(settings: Settings, as_json: bool) -> None:
    """Each source plugin with its last successful run and freshness (dbt's thresholds)."""
    from ingest.sources import describe_age, source_statuses

    statuses = source_statuses(settings.duckdb_path)
    if as_json:
        for s in statuses:
            click.echo(json.dumps(s.__dict__, default=lambda v: getattr(v, "__dict__", str(v))))
        return
    colours = {"fresh": "green", "warn": "yellow", "stale": "red", "never": "red"}
    table = Table("plugin", "last success (UTC)", "age", "freshness", "warn / error after",
                  "last run", "runs")
    for s in statuses:
        limits = " / ".join(describe_age(h) or "-" for h in (s.freshness.warn_after_hours,
                                                             s.freshness.error_after_hours))
        table.add_row(s.plugin, str(s.last_success_at or "never")[:19], describe_age(s.age_hours),
                      f"[{colours.get(s.state, 'white')}]{s.state}[/]", limits,
                      f"{s.last_run_status or ''} {str(s.last_run_at or '')[:16]}".strip(),
                      str(s.runs))
    console.print(table)


main.add_command(universe)


# -- reports: read the marts (never recompute) -------------------------------------------

FORMAT = click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="text",
                      show_default=True, help="Output format.")


def _show(settings: Settings, fmt: str, make: Callable[..., reports.Report], *args) -> None:
    with reports.connect(settings.duckdb_path) as con:
        label = reports.sample_label(con)
        report = make(con, *args)
    reports.render(report, fmt, console, label)


@main.command()
@click.argument("ticker")
@click.option("--days", default=30, show_default=True, help="Trading days to show.")
@FORMAT
@click.pass_obj
def flows(settings: Settings, ticker: str, days: int, fmt: str) -> None:
    """Daily creations and redemptions of one fund (ΔSO × NAV), latest first."""
    _show(settings, fmt, reports.flows, ticker.upper(), days)


@main.command()
@click.argument("tickers")
@FORMAT
@click.pass_obj
def signals(settings: Settings, tickers: str, fmt: str) -> None:
    """Latest flow-momentum signal (BUY/SELL/NEUTRAL) for funds, e.g. SPY,QQQ,IWM."""
    _show(settings, fmt, reports.signals, _tickers(tickers))


@main.command()
@click.argument("category_arg", metavar="[CATEGORY]", required=False,
                type=click.Choice(reports.CATEGORIES))
@click.argument("limit_arg", metavar="[LIMIT]", required=False, type=int)
@click.option("--category", type=click.Choice(reports.CATEGORIES), default="all",
              show_default=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--window", type=click.Choice(reports.WINDOWS), default="5d", show_default=True)
@click.option("--outflows", is_flag=True, help="Largest outflows instead of inflows.")
@FORMAT
@click.pass_obj
def top(settings: Settings, category_arg: str | None, limit_arg: int | None, category: str,
        limit: int, window: str, outflows: bool, fmt: str) -> None:
    """Largest inflows (or outflows) over a window, e.g. `etfflow top bond 10`."""
    _show(settings, fmt, reports.top, category_arg or category, limit_arg or limit, window,
          outflows)


@main.command()
@click.option("--window", type=click.Choice(reports.WINDOWS[:3]), default="5d",
              show_default=True)
@FORMAT
@click.pass_obj
def sectors(settings: Settings, window: str, fmt: str) -> None:
    """Net flows per sector basket over a window."""
    _show(settings, fmt, reports.sectors, window)


@main.command()
@click.option("--limit", default=20, show_default=True)
@FORMAT
@click.pass_obj
def arbitrage(settings: Settings, limit: int, fmt: str) -> None:
    """How often premiums were followed by creations and discounts by redemptions."""
    _show(settings, fmt, reports.arbitrage, limit)


@main.command()
@click.argument("ticker", required=False)
@FORMAT
@click.pass_obj
def reconcile(settings: Settings, ticker: str | None, fmt: str) -> None:
    """Our monthly flow sums against the funds' own N-PORT filings."""
    _show(settings, fmt, reports.reconcile, ticker.upper() if ticker else None)


@main.command()
@click.argument("ticker", required=False)
@click.option("--days", default=30, show_default=True,
              help="Recent trading days to show besides the flagged ones (with TICKER).")
@FORMAT
@click.pass_obj
def quality(settings: Settings, ticker: str | None, days: int, fmt: str) -> None:
    """Share-count checks: per fund, or one fund's flags and repaired series."""
    _show(settings, fmt, reports.quality, ticker.upper() if ticker else None, days)


@main.command()
@click.argument("ticker")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_obj
def holdings(settings: Settings, ticker: str, fmt: str) -> None:
    """Latest N-PORT holdings change of a fund against its previous report."""
    from ingest.plugins.edgar_nport.report import latest_holdings_change, render_text

    change = latest_holdings_change(settings.duckdb_path, ticker)
    click.echo(json.dumps(change, indent=2) if fmt == "json" else render_text(change))


@main.command()
@click.argument("ticker")
@click.option("--days", default=30, show_default=True, help="Trading days to show.")
@FORMAT
@click.pass_obj
def creations(settings: Settings, ticker: str, days: int, fmt: str) -> None:
    """Creation and redemption units of one fund per day (the old ETFCreationRedemption).

    JSON is the old script's list: creation_units, redemption_units, net_creation,
    shares_outstanding_change, implied_flow_millions (USD m), nav_premium_discount (%)."""
    ticker = ticker.upper()
    listing = partial(seed_reports.creations, ticker=ticker, days=days)
    _show_old(settings, fmt, listing,
              lambda con: seed_reports.creations_report(listing(con), ticker, days))


@main.command()
@click.option("--html", "html_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this HTML file (self-contained: opens offline).")
@click.option("--ticker", help="The fund drawn day by day [default: the largest by AUM].")
@click.option("--window", type=click.Choice(reports.WINDOWS), default="5d", show_default=True,
              help="Window of the top inflows/outflows and of the sector bars (ytd: 20d bars).")
@click.pass_obj
def report(settings: Settings, html_path: Path, ticker: str | None, window: str) -> None:
    """An HTML flow report with charts, read from the marts (one self-contained file)."""
    from ingest.report_html import write_report

    written = write_report(settings.duckdb_path, html_path,
                           ticker=ticker.upper() if ticker else None, window=window)
    if written.label:
        console.print(f"[bold yellow]{written.label}[/]", highlight=False)
    console.print(f"wrote {written.path} ({written.size_bytes / 1e6:.1f} MB, "
                  f"{len(written.chart_ids)} charts; self-contained, opens offline)",
                  highlight=False, soft_wrap=True)


# -- the old script's commands: its positional grammar and its JSON lists ------------------
# `etfflow etf-flows SPY 30 json` prints what `etf_flow_tracker.py etf-flows SPY 30 json`
# printed (old field names first, USD millions), with this warehouse's figures.

OLD_OUTPUTS = ("text", "json")
OLD_FORMAT = click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default=None,
                          help="Output format, instead of the trailing text|json (csv: the "
                               "JSON's keys as columns).")


def _old_grammar(command: str, tokens: tuple[str, ...], slots: tuple[str, ...],
                 fmt: str | None) -> tuple[list[str | None], str]:
    """The old positional arguments: values for ``slots`` in order, then optionally the
    output (text|json). Missing values are None (each command knows the old default)."""
    values: list[str] = []
    output = None
    for token in tokens:
        if token.lower() in OLD_OUTPUTS and output is None:
            output = token.lower()
        elif len(values) < len(slots) and output is None:
            values.append(token)
        else:
            usage = " ".join(f"[{slot}]" for slot in (*slots, "text|json"))
            raise EtfflowError(f"unexpected argument {token!r}; usage: etfflow {command} "
                               f"{usage}")
    if output and fmt and output != fmt:
        raise EtfflowError(f"{command}: output {output!r} and --format {fmt} disagree")
    return values + [None] * (len(slots) - len(values)), output or fmt or "text"


def _count(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise EtfflowError(f"{name} must be a whole number above 0, got {value!r}")
    return int(value)


def _show_old(settings: Settings, fmt: str, listing: Callable[..., list[dict]],
              table: Callable[..., reports.Report]) -> None:
    """JSON/CSV: the old list (the SAMPLE DATA label goes to stderr, so stdout stays the
    script's shape); text: the ``table`` report."""
    with reports.connect(settings.duckdb_path) as con:
        label = reports.sample_label(con)
        if fmt == "text":
            reports.render(table(con), "text", console, label)
            return
        rows = listing(con)
    if label:
        err_console.print(label, highlight=False)
    seed_reports.render(rows, fmt, console)


@main.command("etf-flows")
@click.argument("arguments", nargs=-1, metavar="[TICKER] [DAYS] [text|json]")
@OLD_FORMAT
@click.pass_obj
def etf_flows(settings: Settings, arguments: tuple[str, ...], fmt: str | None) -> None:
    """The old script's etf-flows (default SPY 30): a list of ETFFlow, oldest day first."""
    (ticker, days), fmt = _old_grammar("etf-flows", arguments, ("TICKER", "DAYS"), fmt)
    ticker, count = (ticker or "SPY").upper(), _count(days, "DAYS", 30)
    _show_old(settings, fmt, lambda con: seed_reports.etf_flows(con, ticker, count),
              lambda con: reports.flows(con, ticker, count))


@main.command("flow-signals")
@click.argument("arguments", nargs=-1, metavar="[T1,T2,…] [text|json]")
@OLD_FORMAT
@click.pass_obj
def flow_signals(settings: Settings, arguments: tuple[str, ...], fmt: str | None) -> None:
    """The old script's flow-signals (default SPY,QQQ,IWM): a list of FlowMomentumSignal."""
    (tickers,), fmt = _old_grammar("flow-signals", arguments, ("T1,T2,…",), fmt)
    chosen = _tickers(tickers or "SPY,QQQ,IWM")
    _show_old(settings, fmt, lambda con: seed_reports.flow_signals(con, chosen),
              lambda con: reports.signals(con, chosen))


@main.command("top-flows")
@click.argument("arguments", nargs=-1, metavar="[CATEGORY] [LIMIT] [text|json]")
@OLD_FORMAT
@click.pass_obj
def top_flows(settings: Settings, arguments: tuple[str, ...], fmt: str | None) -> None:
    """The old script's top-flows (default all 20): the latest 5-day flows, largest |flow|
    first; CATEGORY is all, equity, bond, commodity or sector."""
    (category, limit), fmt = _old_grammar("top-flows", arguments, ("CATEGORY", "LIMIT"), fmt)
    category = (category or "all").lower()
    if category not in reports.CATEGORIES:
        raise EtfflowError(f"unknown category {category!r}: one of "
                           f"{', '.join(reports.CATEGORIES)}")
    count = _count(limit, "LIMIT", 20)
    listing = partial(seed_reports.top_flows, category=category, limit=count)
    _show_old(settings, fmt, listing,
              lambda con: seed_reports.top_flows_report(listing(con), category))


@main.command("sector-flows")
@click.argument("arguments", nargs=-1, metavar="[text|json]")
@OLD_FORMAT
@click.pass_obj
def sector_flows(settings: Settings, arguments: tuple[str, ...], fmt: str | None) -> None:
    """The old script's sector-flows: a list of SectorFlow over the latest 5 trading days."""
    _, fmt = _old_grammar("sector-flows", arguments, (), fmt)
    _show_old(settings, fmt, seed_reports.sector_flows,
              lambda con: reports.sectors(con, seed_reports.SECTOR_FLOWS_WINDOW))


if __name__ == "__main__":
    main()
