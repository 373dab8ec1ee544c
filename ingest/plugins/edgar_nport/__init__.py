"""SEC EDGAR N-PORT plugin: fund map, filing discovery, streaming N-PORT parse."""

from ingest.plugins.edgar_nport.plugin import EdgarNportPlugin

__all__ = ["EdgarNportPlugin"]
