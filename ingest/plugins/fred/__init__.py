from ingest.plugins.fred.plugin import FredPlugin

__all__ = ["FredPlugin"]
