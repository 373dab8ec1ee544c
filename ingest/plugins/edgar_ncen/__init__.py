"""SEC EDGAR N-CEN plugin: filing discovery per registrant, streaming N-CEN parse."""

from ingest.plugins.edgar_ncen.plugin import EdgarNcenPlugin

__all__ = ["EdgarNcenPlugin"]
