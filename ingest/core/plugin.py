"""The plugin contract.

A plugin *declares* its raw tables and does two things: ``plan()`` the requests for a
universe and date range, and ``parse()`` one payload into rows. Fetching, archiving,
landing and logging belong to the core, so a plugin never touches the network or DuckDB.
Plugins are discovered through the ``etfflow.plugins`` entry-point group.
"""

from __future__ import annotations

import datetime as dt
import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pandas as pd
import requests

from ingest.core.errors import EtfflowError

ENTRY_POINT_GROUP = "etfflow.plugins"



class RowStream:
    """A table's rows as a stream of DataFrame chunks, for payloads too large to hold as
    one frame (a quarter of the SEC's N-PORT data sets). ``chunks`` is called once, when
    the payload lands: the landing writer stages the rows chunk by chunk, then merges them
    in the payload's one transaction, so memory holds one chunk and a MalformedPayload
    raised mid-stream leaves the raw tables untouched (the runner then quarantines it)."""

    def __init__(self, chunks: Callable[[], Iterator[pd.DataFrame]]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self._chunks()


Rows = pd.DataFrame | list[dict[str, Any]] | RowStream
Transport = Callable[[str, Mapping[str, str]], requests.Response]


@dataclass(frozen=True)
class RawTable:
    """A table in the ``raw`` schema: column name -> DuckDB type, and its natural key."""

    name: str
    # Excluded from the hash (a dict is unhashable) so tables can key a batch mapping.
    columns: Mapping[str, str] = field(hash=False)
    primary_key: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        missing = [c for c in self.primary_key if c not in self.columns]
        if missing:
            raise ValueError(f"{self.name}: primary key columns not declared: {missing}")


@dataclass(frozen=True)
class Request:
    """One HTTP GET a plugin wants made. ``label`` names it in progress bars and errors.
    ``immutable``: the answer never changes (a dated historical file), so a live run
    reuses an archived successful fetch instead of asking again; a backfill re-run then
    resumes where it stopped without re-fetching what it already has. ``large``: the body
    may be hundreds of MB (a data-set zip): it is streamed to the archive on disk, never
    held in memory, and the plugin reads it with ``Payload.open()``."""

    url: str
    params: tuple[tuple[str, str], ...] = ()
    label: str = ""
    immutable: bool = False
    large: bool = False

    @classmethod
    def get(cls, url: str, label: str = "", *, immutable: bool = False, large: bool = False,
            **params: object) -> Request:
        return cls(url, tuple(sorted((k, str(v)) for k, v in params.items())), label or url,
                   immutable, large)


@dataclass(frozen=True)
class Payload:
    """A response body as fetched (live) or replayed (archive). A large request's body
    stays on disk: ``body`` is empty and ``body_path`` names the archived file; ``open()``
    reads either kind."""

    request: Request
    body: bytes
    status: int
    url: str
    sha256: str
    fetched_at: dt.datetime
    body_path: Path | None = None

    def open(self) -> BinaryIO:
        """The body as a binary file (seekable): the archived file of a large payload,
        else the bytes in memory."""
        if self.body_path is not None:
            return self.body_path.open("rb")
        return io.BytesIO(self.body)


@dataclass(frozen=True)
class PlanParams:
    """What to plan for. ``extra`` carries plugin options; the core sets ``history_only``
    for backfills (plan only requests that return history for [start, end])."""

    tickers: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class MalformedPayload(EtfflowError):
    """The payload cannot be parsed; the core quarantines it with this reason."""


class SourceError(EtfflowError):
    """The source answered but reported an error (unknown or delisted ticker, ...)."""


class Plugin(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""
    tables: ClassVar[tuple[RawTable, ...]]
    # Crawlers of websites set this: the runner then checks robots.txt before fetching
    # (ingest/core/robots.py) and drops what it disallows, reporting each refusal.
    respect_robots_txt: ClassVar[bool] = False
    # The fund issuer a plugin covers (the seed's ``issuer`` column, e.g. "iShares"): its
    # default tickers are that issuer's seed funds instead of the whole seed.
    issuer: ClassVar[str | None] = None
    # File suffixes ``etfflow ingest NAME --file PATH`` accepts (downloaded files landed
    # through the same parser); empty: the plugin reads no local files.
    local_file_suffixes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def plan(self, params: PlanParams) -> Iterable[Request]:
        """The requests to make for these tickers and dates."""

    @abstractmethod
    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        """Rows per raw table name from one payload. Raise MalformedPayload or SourceError."""

    def follow_up(self, payload: Payload, rows: Mapping[str, Rows],
                  params: PlanParams) -> Iterable[Request]:
        """Requests that depend on what a payload held (a fund list naming each fund's
        download URL). The runner fetches them after ``payload`` parsed into ``rows``;
        like ``plan()``, a pure function of its inputs. Raising SourceError after the
        last yield reports a problem (a wanted fund the list lacks) as one run error; what
        was yielded before is still fetched."""
        return ()

    def local_requests(self, paths: Sequence[Path | str], params: PlanParams) -> list[Request]:
        """``file://`` requests for downloaded files (``--file``): files with one of
        ``local_file_suffixes``, directories expanded. Override to add what the parser
        needs to know about a file (e.g. its fund's ticker)."""
        if not self.local_file_suffixes:
            raise EtfflowError(f"plugin {self.name!r} does not read local files (--file)")
        return local_file_requests(paths, self.local_file_suffixes)

    def transport(self, session: requests.Session) -> Transport:
        """How to GET with the core's session. Override when a source needs a handshake."""
        return lambda url, params: session.get(url, params=params)

    def table(self, name: str) -> RawTable:
        return next(t for t in self.tables if t.name == name)


def local_files(paths: Sequence[Path | str], suffixes: Sequence[str]) -> list[Path]:
    """The files named, a directory meaning every file under it with one of ``suffixes``
    (sorted), each once. A missing path, or a directory without such files, is an error
    before anything runs."""
    wanted = tuple(s.lower() for s in suffixes)
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in wanted)
            if not found:
                raise EtfflowError(f"no {' or '.join(wanted)} files under {path}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise EtfflowError(f"no such file or directory: {path}")
    return list(dict.fromkeys(p.resolve() for p in files))


def local_file_requests(paths: Sequence[Path | str], suffixes: Sequence[str]) -> list[Request]:
    """``file://`` requests (label: the file name) for ``local_files(paths, suffixes)``."""
    return [Request(p.as_uri(), label=p.name) for p in local_files(paths, suffixes)]


def discover_plugins() -> dict[str, type[Plugin]]:
    """All installed plugins by name, from the ``etfflow.plugins`` entry-point group."""
    found: dict[str, type[Plugin]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        found[getattr(cls, "name", ep.name)] = cls
    return dict(sorted(found.items()))


def load_plugin(name: str) -> Plugin:
    plugins = discover_plugins()
    if name not in plugins:
        known = ", ".join(plugins) or "none installed"
        raise EtfflowError(f"unknown plugin {name!r} (installed: {known})")
    return plugins[name]()
