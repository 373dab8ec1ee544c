"""Raw-payload archive: every response body, content-addressed and gzipped, replayable offline.

Layout under the archive directory::

    blobs/<sha[:2]>/<sha256>.gz                one file per distinct body
    blobs/<sha[:2]>/<sha256>                   a large body (``Request.large``), as served
    index/<source>/<key[:2]>/<key>.jsonl       one line per fetch of a request

A large body (a data-set zip of hundreds of MB, already compressed) is streamed to disk
as served and replayed from that file, so neither fetching nor replaying holds it in
memory; its index line says ``"stored": "file"``.

The request key hashes the method, URL and params after dropping volatile parts
(session crumbs, cache-busters), so a replay finds what a live run stored.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ingest.core.errors import ArchiveMiss
from ingest.core.plugin import Payload, Request

VOLATILE_PARAMS = frozenset({"crumb", "_", "cachebust", "corsdomain"})
# zlib's default: level 9 took three times as long on the sample's ~20k small bodies for
# a few percent less disk
GZIP_LEVEL = 6


def normalized_request(url: str, params: tuple[tuple[str, str], ...] = ()) -> str:
    """``https://host/path?a=1&b=2`` with URL-embedded and explicit params merged and sorted."""
    parts = urlsplit(url)
    merged = parse_qsl(parts.query, keep_blank_values=True) + list(params)
    kept = sorted((k, v) for k, v in merged if k.lower() not in VOLATILE_PARAMS)
    query = "&".join(f"{k}={v}" for k, v in kept)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, query, ""))


def request_key(request: Request) -> str:
    normalized = normalized_request(request.url, request.params)
    return hashlib.sha256(f"GET {normalized}".encode()).hexdigest()


class Archive:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._made_dirs: set[str] = set()  # folders this instance knows exist

    def _blob_path(self, sha: str) -> Path:
        return self.root / "blobs" / sha[:2] / f"{sha}.gz"

    def _file_path(self, sha: str) -> Path:
        return self.root / "blobs" / sha[:2] / sha

    def _index_path(self, source: str, key: str) -> Path:
        return self.root / "index" / source / key[:2] / f"{key}.jsonl"

    def _folder(self, *parts: str) -> str:
        folder = os.path.join(self.root, *parts)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        return folder

    def put(
        self,
        source: str,
        request: Request,
        body: bytes,
        status: int,
        url: str,
        fetched_at: dt.datetime,
    ) -> Payload:
        sha = hashlib.sha256(body).hexdigest()
        blob = os.path.join(self._folder("blobs", sha[:2]), f"{sha}.gz")
        if not os.path.exists(blob):
            _atomic_write(blob, gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
        self._record(source, request, url, status, sha, fetched_at)
        return Payload(request, body, status, url, sha, fetched_at)

    def put_stream(
        self,
        source: str,
        request: Request,
        chunks: Iterable[bytes],
        status: int,
        url: str,
        fetched_at: dt.datetime,
    ) -> Payload:
        """Store a large body chunk by chunk as served (never whole in memory); the
        payload's ``body_path`` is the stored file."""
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self._folder("blobs"), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    digest.update(chunk)
                    fh.write(chunk)
            sha = digest.hexdigest()
            stored = Path(self._folder("blobs", sha[:2]), sha)
            os.replace(tmp, stored)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._record(source, request, url, status, sha, fetched_at, stored="file")
        return Payload(request, b"", status, url, sha, fetched_at, body_path=stored)

    def _record(self, source: str, request: Request, url: str, status: int, sha: str,
                fetched_at: dt.datetime, stored: str | None = None) -> None:
        entry = {
            "request": normalized_request(request.url, request.params),
            "url": url,
            "status": status,
            "sha256": sha,
            "fetched_at": fetched_at.isoformat(),
            **({"stored": stored} if stored else {}),
        }
        key = request_key(request)
        index = os.path.join(self._folder("index", source, key[:2]), f"{key}.jsonl")
        _unshare(index)
        with open(index, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")

    def get(self, source: str, request: Request, as_of: dt.datetime | None = None,
            *, ok_only: bool = False) -> Payload:
        """The latest archived fetch of this request (fetched at or before ``as_of`` if
        given; with ``ok_only``, the latest one answered 2xx); ArchiveMiss names the
        request if there is none."""
        index = self._index_path(source, request_key(request))
        # one JSON array for all lines: a daily-fetched URL has a line per day, and a
        # replay of the demo's 60 days parsed a quarter million lines one call each
        entries = (
            json.loads("[" + ",".join(index.read_text(encoding="utf-8").splitlines()) + "]")
            if index.exists() else []
        )
        for entry in entries:
            entry["fetched_at"] = dt.datetime.fromisoformat(entry["fetched_at"])
        if as_of is not None:
            entries = [e for e in entries if e["fetched_at"] <= as_of]
        if ok_only:
            entries = [e for e in entries if 200 <= int(e["status"]) < 300]
        if not entries:
            when = f" fetched by {as_of.isoformat()}" if as_of else ""
            answered = " with a 2xx answer" if ok_only else ""
            raise ArchiveMiss(
                f"not in archive {self.root} ({source}){when}{answered}: "
                f"GET {normalized_request(request.url, request.params)}"
            )
        entry = max(reversed(entries), key=lambda e: e["fetched_at"])  # ties: the last line
        if entry.get("stored") == "file":  # a large body: replayed from its file
            return Payload(request, b"", int(entry["status"]), entry["url"], entry["sha256"],
                           entry["fetched_at"], body_path=self._file_path(entry["sha256"]))
        body = gzip.decompress(self._blob_path(entry["sha256"]).read_bytes())
        return Payload(
            request,
            body,
            int(entry["status"]),
            entry["url"],
            entry["sha256"],
            entry["fetched_at"],
        )


def _unshare(path: str) -> None:
    """Give ``path`` a copy of its own if it is hard-linked elsewhere (a demo archive linked
    from the sample cache, ingest/sample/cache.py), so an append changes this archive only."""
    try:
        if os.stat(path).st_nlink < 2:
            return
    except FileNotFoundError:
        return
    with open(path, "rb") as fh:
        _atomic_write(path, fh.read())


def _atomic_write(path: str, data: bytes) -> None:
    """Write beside ``path`` under a name only this thread uses, then rename over it."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{threading.get_ident()}-{name}")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
