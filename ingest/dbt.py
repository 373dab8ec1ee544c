"""Run dbt in-process against our project and profiles, pointed at a chosen DuckDB file."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.core.config import PROJECT_ROOT

PROFILES_DIR = PROJECT_ROOT / "profiles"
# dbt's fixed cost is parsing the project (about 300 nodes): 10-20 s from scratch, every
# time the warehouse path or the target folder changes (partial parsing keys on both).
# One process (the test suite, a demo then a daily) parses once per project version,
# --vars and catalog name, and hands the parsed manifest to every later invocation.
PARSE_FREE_COMMANDS = frozenset({"parse", "deps", "clean", "debug", "init", "source"})
_parsed_manifests: dict[tuple[str, ...], Any] = {}
# `dbt build` of the data: models, snapshots, seeds and data tests. dbt unit tests check
# the SQL against hand-computed rows, not the data, so the test suite runs them and the
# scheduled run and the demo skip them (about a third of a small build's dbt time).
DATA_BUILD = ["build", "--exclude", "resource_type:unit_test"]


@dataclass
class DbtOutcome:
    success: bool
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    nodes: list[Any] = field(default_factory=list)  # dbt's result per node, in run order

    def summary(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        return f"dbt: {counts or 'nothing ran'}"


def ensure_raw_tables(duckdb_path: Path) -> None:
    """Create (empty) every installed plugin's raw tables that do not exist yet, so the
    staging models of a source that has not run yet build instead of failing."""
    from ingest.core.landing import Warehouse
    from ingest.core.plugin import discover_plugins

    with Warehouse(duckdb_path) as warehouse:
        for plugin in discover_plugins().values():
            warehouse.ensure_tables(plugin.tables)


def run_dbt(args: list[str], duckdb_path: Path, *, quiet: bool = False,
            test_scope: str = "all") -> DbtOutcome:
    """``dbt <args>`` with our project/profiles dirs; the profile reads ETFFLOW_DUCKDB_PATH.
    ``test_scope="recent"`` tests only the days an incremental run rebuilds (see
    macros/tests/get_where_subquery.sql)."""
    ensure_raw_tables(duckdb_path)
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["ETFFLOW_DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    os.environ["ETFFLOW_DBT_TEST_SCOPE"] = test_scope
    from dbt.cli.main import dbtRunner  # heavy import: only when dbt is needed

    base = ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROFILES_DIR)]
    flags = ["--quiet"] if quiet else []
    try:
        manifest = _parsed_manifest(args, duckdb_path, [*flags, *base])
        result = dbtRunner(manifest=manifest).invoke([*flags, *args, *base])
    finally:
        _release_warehouse()
    outcome = DbtOutcome(success=bool(result.success),
                         nodes=list(getattr(result.result, "results", None) or []))
    for node in outcome.nodes:
        status = str(getattr(node.status, "value", node.status))
        # the on-run-start hook (macros/portability/spark_sources.sql) is no node built: not counted
        if getattr(node.node, "resource_type", None) != "operation":
            outcome.statuses[status] += 1
        if status in {"error", "fail", "runtime error"}:
            outcome.failures.append(f"{node.node.name}: {node.message}")
    if result.exception is not None:
        outcome.failures.append(str(result.exception))
    return outcome


def daily_build_args(duckdb_path: Path, changed_tables: Iterable[str]) -> list[str]:
    """The daily ``dbt build``: DATA_BUILD limited to what a new day can change, i.e.
    every model, snapshot and data test downstream of the dbt sources over
    ``changed_tables`` (the raw tables the daily plugins and the run log write), read from
    the parsed project graph. The N-PORT, etfdb and FRED models, which no daily ingest
    feeds, are left as they are; `etfflow build` rebuilds everything."""
    base = ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROFILES_DIR)]
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["ETFFLOW_DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    manifest = _parsed_manifest(DATA_BUILD, duckdb_path, ["--quiet", *base])
    if manifest is None:  # the project does not parse: the build itself will say why
        return list(DATA_BUILD)
    changed = set(changed_tables)
    selectors = sorted(f"source:{source.source_name}.{source.name}+"
                       for source in manifest.sources.values()
                       if source.schema == "raw" and source.identifier in changed)
    return [*DATA_BUILD, "--select", *selectors] if selectors else list(DATA_BUILD)


def _parsed_manifest(args: list[str], duckdb_path: Path, base: list[str]) -> Any:
    """The project parsed once per process for these ``--vars`` and this catalog (the
    warehouse file's name), or None for commands that do not need one. A changed file
    under the project (its size or mtime) parses it again."""
    command = next((a for a in args if not a.startswith("-")), "")
    if command in PARSE_FREE_COMMANDS or not command:
        return None
    from dbt.cli.main import dbtRunner

    fingerprint = _project_fingerprint()
    key = (fingerprint, Path(duckdb_path).stem, _option(args, "--vars"),
           _option(args, "--target"))
    if key not in _parsed_manifests:
        parsed = dbtRunner().invoke(["parse", *base, *_parse_options(args)])
        if not parsed.success or parsed.result is None:
            return None  # the command itself will parse and report the error
        # one project version at a time, every --vars of it: a run with other vars between
        # two without (the test suite's incremental rebuilds) parses nothing again
        for stale in [k for k in _parsed_manifests if k[0] != fingerprint]:
            del _parsed_manifests[stale]
        _parsed_manifests[key] = parsed.result
    return _parsed_manifests[key]


def _option(args: list[str], name: str) -> str:
    return next((args[i + 1] for i, a in enumerate(args[:-1]) if a == name), "")


def _parse_options(args: list[str]) -> list[str]:
    return [token for name in ("--vars", "--target") if _option(args, name)
            for token in (name, _option(args, name))]


def _project_fingerprint() -> str:
    files = [PROJECT_ROOT / "dbt_project.yml", PROFILES_DIR / "profiles.yml",
             *sorted(p for p in (PROJECT_ROOT / "dbt_project").rglob("*") if p.is_file())]
    stamps = "|".join(f"{p}:{s.st_size}:{s.st_mtime_ns}" for p in files for s in (p.stat(),))
    return hashlib.sha256(stamps.encode()).hexdigest()


def _release_warehouse() -> None:
    """Close the DuckDB connection dbt-duckdb keeps after an in-process dbt run returns.

    It would hold the warehouse file (DuckDB's lock) until this process exits, past the
    end of the command's writer lock: the next etfflow process waiting for that lock would
    then find the file still taken. A later dbt run opens a new connection."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    DuckDBConnectionManager.close_all_connections()  # forgets the environment, keeps it open
    if environment is not None:
        environment.close()


def generate_docs(duckdb_path: Path, out_dir: Path) -> Path:
    """``dbt docs generate --static`` into ``out_dir``: manifest.json, catalog.json (read from
    the warehouse) and static_index.html, one self-contained page (no server, no network)
    with every model, column, test and exposure, and the lineage graph. Returns the page."""
    from ingest.core.errors import EtfflowError

    out_dir = Path(out_dir).resolve()
    outcome = run_dbt(["docs", "generate", "--static", "--target-path", str(out_dir)],
                      duckdb_path, quiet=True)
    site = out_dir / "static_index.html"
    if not outcome.success or not site.exists():
        raise EtfflowError("dbt docs generate failed: "
                           + ("; ".join(outcome.failures[:5]) or "see above"))
    return site
