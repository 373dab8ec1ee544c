"""Render the sample archive once per version of its code, then reuse it.

The archive is byte-identical on every run (``build_sample_archive``), and writing its
~14,500 payloads as ~29,000 small files costs 20-40 s on a shared disk, the largest
single part of ``etfflow demo``. So the first build renders it into a cache folder
(``$ETFFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/etfflow``, else ``~/.cache/etfflow``)
keyed by a hash of everything that shapes it (the sample world and renderers, the
plugins whose requests it answers, the archive format, the seed universe), and every
build links that tree into its own archive folder (hard links, ~1 s; a copy where links
are refused). Blobs are content-addressed and never rewritten; the archive copies an
index file before appending to one that is linked (``Archive.put``), so a live run
into a demo archive never reaches the cache. ``ETFFLOW_SAMPLE_CACHE=off`` renders afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from ingest.core.config import PROJECT_ROOT
from ingest.sample import _prepare_out, build_sample_archive
from ingest.sample.world import GENERATOR_VERSION, MANIFEST

UNUSED_S = 7 * 24 * 3600
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# what the archive's bytes depend on
INPUTS = (
    PACKAGE_ROOT / "sample",
    PACKAGE_ROOT / "plugins",
    PACKAGE_ROOT / "core" / "archive.py",
    PACKAGE_ROOT / "core" / "plugin.py",
    PROJECT_ROOT / "dbt_project" / "seeds" / "etf_universe.csv",
)


def cache_root() -> Path:
    explicit = os.environ.get("ETFFLOW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "etfflow"


def inputs_digest() -> str:
    digest = hashlib.sha256(f"generator {GENERATOR_VERSION}".encode())
    for root in INPUTS:
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for path in files:
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sample_archive(out: Path) -> dict[str, Any]:
    """The sample archive under ``out`` (emptied first, as ``build_sample_archive`` does);
    returns its manifest."""
    if os.environ.get("ETFFLOW_SAMPLE_CACHE", "on").lower() in {"off", "0", "false", "no"}:
        return build_sample_archive(out)
    _prepare_out(out)  # refuses a folder that holds something else
    root = cache_root() / "sample-archive"
    cached = root / inputs_digest()
    if not (cached / MANIFEST).exists():
        _render_into(root, cached)
    os.utime(cached)  # last used: versions unused for a week are removed
    shutil.copytree(cached, out, copy_function=_link_or_copy, dirs_exist_ok=True)
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def _render_into(root: Path, cached: Path) -> None:
    """Render into a folder of this process, then rename it into place (another process
    rendering the same version at the same time loses the rename, harmlessly); versions
    nobody used for a week are removed (another checkout may still use a newer one)."""
    building = root / f".building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    build_sample_archive(building)
    try:
        building.rename(cached)
    except OSError:  # the other process won
        shutil.rmtree(building, ignore_errors=True)
    for old in root.iterdir():
        # another process (a test worker) may rename or remove its folder meanwhile
        with contextlib.suppress(FileNotFoundError):
            if old.name != cached.name and time.time() - old.stat().st_mtime > UNUSED_S:
                shutil.rmtree(old, ignore_errors=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)
