"""SEC Form N-PORT data sets: a quarter's zip of tab-separated tables, streamed into raw."""

from ingest.plugins.sec_nport_datasets.plugin import SecNportDatasetsPlugin

__all__ = ["SecNportDatasetsPlugin"]
