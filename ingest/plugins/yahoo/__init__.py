from ingest.plugins.yahoo.plugin import YahooPlugin

__all__ = ["YahooPlugin"]
