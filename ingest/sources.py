"""``etfflow sources``: each installed plugin with its last successful run and freshness.

Runs come from the run log ``raw.ingest_runs``. The freshness thresholds are the ones dbt
checks (``dbt source freshness``): the ``warn_after`` / ``error_after`` of the dbt source
whose tables are the plugin's raw tables, read from ``dbt_project/models/staging/*/
_*__sources.yml``, so the CLI and dbt agree on what "stale" means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from ingest.core.config import PROJECT_ROOT
from ingest.core.plugin import discover_plugins

STAGING = PROJECT_ROOT / "dbt_project" / "models" / "staging"
PERIOD_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24}


@dataclass(frozen=True)
class Freshness:
    warn_after_hours: float | None
    error_after_hours: float | None


@dataclass(frozen=True)
class SourceStatus:
    plugin: str
    description: str
    last_success_at: dt.datetime | None    # finished_at of the last successful run (UTC)
    last_run_at: dt.datetime | None        # started_at of the last run of any status
    last_run_status: str | None
    runs: int
    age_hours: float | None
    freshness: Freshness
    state: str                              # fresh | warn | stale | never | unchecked


def _hours(rule: dict | None) -> float | None:
    if not rule or rule.get("count") is None:
        return None
    return float(rule["count"]) * PERIOD_HOURS[rule.get("period", "hour")]


def freshness_by_table(staging: Path = STAGING) -> dict[str, Freshness]:
    """Raw table name -> the freshness dbt applies to it (table config over source config)."""
    out: dict[str, Freshness] = {}
    for path in sorted(staging.glob("*/_*__sources.yml")):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", []):
            source_rule = (source.get("config") or {}).get("freshness") or source.get("freshness")
            for table in source.get("tables", []):
                table_config = table.get("config") or {}
                rule = table_config.get("freshness", table.get("freshness", source_rule))
                name = table.get("identifier") or table["name"]
                out[name] = Freshness(_hours((rule or {}).get("warn_after")),
                                      _hours((rule or {}).get("error_after")))
    return out


def _plugin_freshness(tables: list[str], rules: dict[str, Freshness]) -> Freshness:
    """The strictest thresholds over a plugin's raw tables that dbt checks."""
    found = [rules[t] for t in tables if t in rules]
    warns = [f.warn_after_hours for f in found if f.warn_after_hours is not None]
    errors = [f.error_after_hours for f in found if f.error_after_hours is not None]
    return Freshness(min(warns) if warns else None, min(errors) if errors else None)


def _state(age_hours: float | None, freshness: Freshness) -> str:
    if age_hours is None:
        return "never"
    if freshness.error_after_hours is not None and age_hours > freshness.error_after_hours:
        return "stale"
    if freshness.warn_after_hours is not None and age_hours > freshness.warn_after_hours:
        return "warn"
    if freshness.warn_after_hours is None and freshness.error_after_hours is None:
        return "unchecked"
    return "fresh"


def source_statuses(duckdb_path: Path, now: dt.datetime | None = None) -> list[SourceStatus]:
    """One status per installed plugin, from the run log (empty history without a warehouse)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    runs: dict[str, tuple] = {}
    if Path(duckdb_path).exists():
        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            try:
                for row in con.execute(
                    """select plugin,
                              max(finished_at) filter (where status = 'success'),
                              max(started_at),
                              arg_max(status, started_at),
                              count(*)
                       from raw.ingest_runs group by plugin"""
                ).fetchall():
                    runs[row[0]] = row[1:]
            except duckdb.CatalogException:
                pass
    rules = freshness_by_table()
    statuses = []
    for name, cls in discover_plugins().items():
        last_success, last_run, last_status, count = runs.get(name, (None, None, None, 0))
        freshness = _plugin_freshness([t.name for t in cls.tables], rules)
        age = (now - last_success).total_seconds() / 3600 if last_success else None
        statuses.append(SourceStatus(name, cls.description, last_success, last_run, last_status,
                                     int(count), age, freshness, _state(age, freshness)))
    return statuses


def describe_age(hours: float | None) -> str:
    if hours is None:
        return ""
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"
