"""Expected failures: the CLI prints their message as one line and exits non-zero."""


class EtfflowError(Exception):
    """An expected, user-facing failure (bad input, missing config, archive miss)."""


class ConfigError(EtfflowError):
    """A setting is missing or invalid."""


class ArchiveMiss(EtfflowError):
    """Replay mode asked for a request that the archive does not hold."""


class FetchError(EtfflowError):
    """A request failed after all retries."""


class HostRefused(FetchError):
    """A host refused us (HTTP 403) earlier in this run; further requests to it are not made."""


class BudgetExhausted(FetchError):
    """This run has used its request budget for a host; a re-run resumes from here."""
