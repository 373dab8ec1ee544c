"""What every plugin shares: HTTP client, raw archive, landing writer, run log, config."""
