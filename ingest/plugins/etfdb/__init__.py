from ingest.plugins.etfdb.plugin import EtfdbPlugin

__all__ = ["EtfdbPlugin"]
