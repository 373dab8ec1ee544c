"""iShares plugin: product screener fund list and daily holdings files (shares outstanding)."""

from ingest.plugins.ishares.plugin import IsharesPlugin

__all__ = ["IsharesPlugin"]
