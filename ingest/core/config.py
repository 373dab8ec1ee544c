"""Configuration in one place: ETFFLOW_* environment variables, overridable by CLI flags."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_USER_AGENT = "etfflow/0.1 (+https://github.com/etfflow/etfflow)"


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path = Path("data/warehouse.duckdb")
    archive_dir: Path = Path("data/archive")
    # Where `etfflow publish` writes the read-only serving copy for BI tools (a DuckDB
    # file and Parquet); None = the folder `serving/` beside the warehouse, i.e.
    # data/serving for the default warehouse. ETFFLOW_SERVING_DIR overrides.
    serving_dir: Path | None = None
    # Spark's folder for `etfflow build --target spark` (raw Parquet, tables, metastore)
    spark_dir: Path | None = None
    offline: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    sec_user_agent: str | None = None  # SEC requires "Name contact@example.com"
    timeout_s: float = 30.0
    max_retries: int = 5
    backoff_s: float = 1.0
    # Requests per second, by host suffix. SEC's fair-access rule is at most 10/s.
    host_rates: dict[str, float] = field(
        default_factory=lambda: {"sec.gov": 10.0, "etfdb.com": 1.0, "yahoo.com": 5.0}
    )
    default_rate: float = 5.0
    # Hosts, by suffix like host_rates, reached through a browser-impersonating transport
    # (curl_cffi with Chrome's TLS and HTTP/2 fingerprint; our User-Agent and headers are
    # kept): since May 2025 Yahoo answers the `requests` TLS fingerprint with 429, and the
    # same was reported for ishares.com. Every other host keeps plain `requests`.
    # ETFFLOW_IMPERSONATE_HOSTS overrides (a comma list; empty = none).
    impersonate_hosts: tuple[str, ...] = ("yahoo.com", "ishares.com")
    # Requests per run (one HttpClient), by host suffix: past it, fetches to that host raise
    # BudgetExhausted and a re-run resumes (immutable requests come from the archive).
    # Retries count; replays and file:// reads do not. Hosts not listed are unlimited.
    # ETFFLOW_HOST_BUDGETS overrides ("ishares.com=5000,ssga.com=2000"; empty = none).
    host_budgets: dict[str, int] = field(
        default_factory=lambda: {"ishares.com": 5000, "ssga.com": 2000}
    )
    # Payloads landed per transaction: a batch lands whole or not at all.
    land_batch_payloads: int = 50
    # Replay only what had been fetched by this moment (UTC): re-run a past day's ingest.
    replay_as_of: dt.datetime | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls()
        return replace(
            base,
            duckdb_path=Path(env.get("ETFFLOW_DUCKDB_PATH", base.duckdb_path)),
            archive_dir=Path(env.get("ETFFLOW_ARCHIVE_DIR", base.archive_dir)),
            serving_dir=(Path(env["ETFFLOW_SERVING_DIR"])
                         if env.get("ETFFLOW_SERVING_DIR") else base.serving_dir),
            spark_dir=(Path(env["ETFFLOW_SPARK_DIR"])
                       if env.get("ETFFLOW_SPARK_DIR") else base.spark_dir),
            offline=env.get("ETFFLOW_OFFLINE", "").lower() in {"1", "true", "yes"},
            user_agent=env.get("ETFFLOW_USER_AGENT", base.user_agent),
            sec_user_agent=env.get("ETFFLOW_SEC_USER_AGENT") or None,
            impersonate_hosts=(
                _host_list(env["ETFFLOW_IMPERSONATE_HOSTS"])
                if "ETFFLOW_IMPERSONATE_HOSTS" in env else base.impersonate_hosts
            ),
            host_budgets=(
                _host_budgets(env["ETFFLOW_HOST_BUDGETS"])
                if "ETFFLOW_HOST_BUDGETS" in env else base.host_budgets
            ),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def serving_root(self) -> Path:
        """The serving folder: ``serving_dir``, else ``serving/`` beside the warehouse."""
        return self.serving_dir or self.duckdb_path.parent / "serving"

    @property
    def spark_root(self) -> Path:
        """Spark's folder: ``spark_dir``, else ``spark/`` beside the warehouse."""
        return self.spark_dir or self.duckdb_path.parent / "spark"


def _host_suffix(text: str) -> str:
    return text.strip().lower().lstrip(".")


def _host_list(value: str) -> tuple[str, ...]:
    """``"yahoo.com, .ishares.com"`` -> ``("yahoo.com", "ishares.com")``; empty -> none."""
    return tuple(host for host in map(_host_suffix, value.split(",")) if host)


def _host_budgets(value: str) -> dict[str, int]:
    """``"ishares.com=5000,ssga.com=2000"`` -> a budget per host suffix; empty -> none."""
    budgets: dict[str, int] = {}
    for item in filter(str.strip, value.split(",")):
        host, sep, count = item.partition("=")
        if not sep or not _host_suffix(host) or not count.strip().isdigit():
            raise ConfigError(
                f"ETFFLOW_HOST_BUDGETS: expected host=requests pairs such as "
                f"'ishares.com=5000', got {item.strip()!r}"
            )
        budgets[_host_suffix(host)] = int(count)
    return budgets
