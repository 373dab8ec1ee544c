"""Expected failures: the CLI prints their message as one line and exits non-zero."""


class EtfflowError(Exception):
    """An expected, user-facing failure (bad input, missing config, archive miss)."""


class ConfigError(EtfflowError):
    """A setting is missing or invalid."""


class ArchiveMiss(EtfflowError):
    """Replay mode asked for a request that the archive does not hold."""


class FetchError(EtfflowError):
    """A request failed after all retries."""
