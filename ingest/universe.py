"""The default ETF universe: the dbt seed ``etf_universe.csv``, read by dbt and the CLI."""

from __future__ import annotations

import csv

from ingest.core.config import PROJECT_ROOT

UNIVERSE_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "etf_universe.csv"


def seed_tickers() -> tuple[str, ...]:
    with UNIVERSE_SEED.open(newline="", encoding="utf-8") as fh:
        return tuple(row["ticker"] for row in csv.DictReader(fh))
