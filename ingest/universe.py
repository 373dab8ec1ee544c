"""The ETF universe.

* ``seed_tickers()`` - the curated seed ``dbt_project/seeds/etf_universe.csv``: the CLI's
  default ingest universe and the always-included core of the full one.
* ``etfflow universe refresh`` - discovers the full US ETF list: the SEC's mutual fund and
  ETF ticker file (the N-PORT plugin's ``fund_map`` stage lands it in
  ``raw.sec_fund_classes``) and etfdb's category listings (``raw.etfdb_categories``), then
  builds ``dim_etf`` (dbt: ``int_etf_universe_members`` -> ``int_etf_attributes_blended``
  -> the SCD2 snapshot ``snp_etf_attributes`` -> ``dim_etf`` / ``dim_etf_history``).
* ``etfflow universe show`` - lists it from ``dim_etf`` (the seed when nothing is built).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.table import Table

from ingest.core.config import PROJECT_ROOT, Settings
from ingest.core.errors import ConfigError, EtfflowError
from ingest.core.runner import RunResult

UNIVERSE_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "etf_universe.csv"
SOURCES = ("seed", "etfdb", "sec")
SEC_PLUGIN = "edgar_nport"


def seed_tickers() -> tuple[str, ...]:
    with UNIVERSE_SEED.open(newline="", encoding="utf-8") as fh:
        return tuple(row["ticker"] for row in csv.DictReader(fh))


def issuer_seed_tickers(issuer: str) -> tuple[str, ...]:
    """The seed funds of one issuer (the seed's ``issuer`` column, e.g. ``"iShares"``,
    ``"State Street"``): the default tickers of that issuer's plugin."""
    with UNIVERSE_SEED.open(newline="", encoding="utf-8") as fh:
        return tuple(row["ticker"] for row in csv.DictReader(fh)
                     if row["issuer"].strip().lower() == issuer.strip().lower())


@dataclass(frozen=True)
class Member:
    """One ticker of the universe as dim_etf describes it."""

    ticker: str
    fund_name: str | None
    category: str | None
    asset_class: str | None
    discovered_by: str
    listing_status: str | None


def universe_members(duckdb_path: Path, source: str | None = None) -> list[Member]:
    """The universe from ``dim_etf`` (optionally only tickers known from ``source``); the
    seed alone when the warehouse has no dim_etf yet."""
    if source is not None and source not in SOURCES:
        raise EtfflowError(f"unknown universe source {source!r} (one of {', '.join(SOURCES)})")
    rows = _dim_etf_rows(duckdb_path)
    if rows is None:
        with UNIVERSE_SEED.open(newline="", encoding="utf-8") as fh:
            rows = [Member(r["ticker"], r["fund_name"], r["category"], r["asset_class"],
                           "seed", None) for r in csv.DictReader(fh)]
    if source:
        rows = [m for m in rows if source in m.discovered_by.split(",")]
    return rows


def _dim_etf_rows(duckdb_path: Path) -> list[Member] | None:
    if not Path(duckdb_path).exists():
        return None
    try:
        # Not read_only: after a refresh, dbt (run in-process) still holds the file open
        # read-write, and DuckDB refuses a second connection with another configuration.
        with duckdb.connect(str(duckdb_path)) as con:
            records = con.execute(
                """select ticker, fund_name, category, asset_class, discovered_by,
                          listing_status
                   from main.dim_etf order by ticker"""
            ).fetchall()
    except duckdb.CatalogException:
        return None
    return [Member(*r) for r in records]


# -- refresh ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshStep:
    name: str
    status: str          # success | partial | failed | skipped
    detail: str


def refresh(settings: Settings, *, categories: Sequence[str] = (), use_sec: bool = True,
            build: bool = True) -> list[RefreshStep]:
    """Ingest the discovery sources, then build dim_etf. SEC needs a declared User-Agent
    (ETFFLOW_SEC_USER_AGENT) when live: without one that step is skipped and said so."""
    from ingest.core.plugin import PlanParams, discover_plugins, load_plugin
    from ingest.core.runner import run_plugin
    from ingest.dbt import run_dbt

    steps: list[RefreshStep] = []
    if not use_sec:
        steps.append(RefreshStep("sec ticker file", "skipped", "--no-sec"))
    elif SEC_PLUGIN not in discover_plugins():
        steps.append(RefreshStep("sec ticker file", "skipped",
                                 f"plugin {SEC_PLUGIN!r} is not installed"))
    elif not settings.offline and not settings.sec_user_agent:
        steps.append(RefreshStep(
            "sec ticker file", "skipped",
            "set ETFFLOW_SEC_USER_AGENT='Your Name you@example.com' (SEC requires a contact)"))
    else:
        result = run_plugin(load_plugin(SEC_PLUGIN), PlanParams(extra={"stage": "fund_map"}),
                            settings, show_progress=True)
        steps.append(RefreshStep("sec ticker file", result.status, _summary(result)))

    extra: dict[str, object] = {"datasets": ("categories",)}
    if categories:
        extra["categories"] = tuple(categories)
    result = run_plugin(load_plugin("etfdb"), PlanParams(extra=extra), settings,
                        show_progress=True)
    steps.append(RefreshStep("etfdb categories", result.status, _summary(result)))

    if build:
        outcome = run_dbt(["build", "--select", "+dim_etf", "+dim_etf_history",
                           "--indirect-selection", "buildable"],
                          settings.duckdb_path, quiet=True)
        steps.append(RefreshStep("dbt build +dim_etf", "success" if outcome.success else "failed",
                                 outcome.summary() if outcome.success
                                 else "; ".join(outcome.failures[:3])))
    return steps


def _summary(result: RunResult) -> str:
    text = (f"{result.payloads} payloads, {result.rows_landed:,} rows landed, "
            f"{result.quarantined} quarantined")
    return text + (f"; first problem: {result.errors[0]}" if result.errors else "")


# -- CLI -------------------------------------------------------------------------------------

console = Console()


@click.group()
def universe() -> None:
    """The ETF universe: the seed list plus ETFs discovered in the SEC ticker file and on etfdb."""


@universe.command("refresh")
@click.option("--category", "categories", multiple=True,
              help="etfdb category slug to walk (repeatable) [default: the plugin's list].")
@click.option("--no-sec", is_flag=True, help="Skip the SEC ticker file.")
@click.option("--offline", is_flag=True, help="Replay from the archive; no network.")
@click.option("--skip-build", is_flag=True, help="Ingest only; do not rebuild dim_etf.")
@click.pass_obj
def refresh_command(settings: Settings, categories: tuple[str, ...], no_sec: bool,
                    offline: bool, skip_build: bool) -> None:
    """Discover the full US ETF list (SEC ticker file + etfdb categories) and rebuild dim_etf."""
    settings = settings.with_overrides(offline=offline or None)
    steps = refresh(settings, categories=categories, use_sec=not no_sec, build=not skip_build)
    colours = {"success": "green", "partial": "yellow", "skipped": "yellow"}
    for step in steps:
        colour = colours.get(step.status, "red")
        console.print(f"[{colour}]{step.name}: {step.status}[/] - {step.detail}",
                      highlight=False)
    if any(s.status == "failed" for s in steps):
        raise EtfflowError("universe refresh failed (see above and `etfflow runs`)")
    if not skip_build:
        members = universe_members(settings.duckdb_path)
        discovered = sum(1 for m in members if "seed" not in m.discovered_by.split(","))
        console.print(f"universe: {len(members):,} tickers ({len(members) - discovered} seed, "
                      f"{discovered:,} discovered) - `etfflow universe show`")


@universe.command("show")
@click.option("--source", type=click.Choice(SOURCES), help="Only tickers known from this source.")
@click.option("--plain", is_flag=True, help="Tickers only, comma-separated (for --tickers).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--limit", type=int, help="Show at most this many rows.")
@click.pass_obj
def show_command(settings: Settings, source: str | None, plain: bool, as_json: bool,
                 limit: int | None) -> None:
    """List the universe from dim_etf (the seed list if the warehouse has none yet)."""
    if plain and as_json:
        raise ConfigError("--plain and --json exclude each other")
    members = universe_members(settings.duckdb_path, source)
    shown = members[:limit] if limit is not None else members
    if plain:
        click.echo(",".join(m.ticker for m in shown))
        return
    if as_json:
        for m in shown:
            click.echo(json.dumps(m.__dict__))
        return
    table = Table("ticker", "fund name", "category", "asset class", "known from", "etfdb listing",
                  title=f"ETF universe: {len(members):,} tickers")
    for m in shown:
        table.add_row(m.ticker, m.fund_name or "", m.category or "", m.asset_class or "",
                      m.discovered_by, m.listing_status or "")
    console.print(table)
    if len(shown) < len(members):
        console.print(f"… {len(members) - len(shown):,} more (--limit)")
