"""Configuration in one place: ETFFLOW_* environment variables, overridable by CLI flags."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_USER_AGENT = "etfflow/0.1 (+https://github.com/etfflow/etfflow)"


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path = Path("data/warehouse.duckdb")
    archive_dir: Path = Path("data/archive")
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
            offline=env.get("ETFFLOW_OFFLINE", "").lower() in {"1", "true", "yes"},
            user_agent=env.get("ETFFLOW_USER_AGENT", base.user_agent),
            sec_user_agent=env.get("ETFFLOW_SEC_USER_AGENT") or None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
