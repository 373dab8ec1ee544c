"""State Street SPDR plugin: NAV-history (daily count, NAV, net assets) and holdings workbooks."""

from ingest.plugins.spdr.plugin import SpdrPlugin

__all__ = ["SpdrPlugin"]
