"""etfflow: ETF fund-flow data warehouse (ingest side)."""
