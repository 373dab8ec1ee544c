"""The sample archive is rendered once per version of its code and linked into each demo
(ingest/sample/cache.py); a run that appends to a linked archive never reaches the cache."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ingest.core.archive import Archive
from ingest.core.plugin import Request
from ingest.sample import cache
from ingest.sample.world import MANIFEST

WHEN = dt.datetime(2024, 1, 10, 21, 5, tzinfo=dt.UTC)
REQUEST = Request.get("https://query2.finance.yahoo.com/v8/finance/chart/SPY", "SPY chart")


@pytest.fixture
def renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A stand-in renderer (one payload and a manifest) that records where it rendered."""
    rendered: list[Path] = []

    def render(out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        Archive(out).put("yahoo", REQUEST, b'{"chart": 1}', 200, REQUEST.url, WHEN)
        manifest = {"sample_data": True, "rendered": len(rendered)}
        (out / MANIFEST).write_text(json.dumps(manifest))
        rendered.append(out)
        return manifest

    monkeypatch.setattr(cache, "build_sample_archive", render)
    monkeypatch.setenv("ETFFLOW_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ETFFLOW_SAMPLE_CACHE", raising=False)
    return rendered


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_rendered_once_then_linked(renders: list[Path], tmp_path: Path) -> None:
    first = cache.sample_archive(tmp_path / "a" / "archive")
    second = cache.sample_archive(tmp_path / "b" / "archive")
    assert len(renders) == 1 and first == second
    assert _files(tmp_path / "a" / "archive") == _files(tmp_path / "b" / "archive")
    blob = next((tmp_path / "b" / "archive" / "blobs").rglob("*.gz"))
    assert blob.stat().st_nlink == 3  # the cache's file, linked into both archives
    assert Archive(tmp_path / "b" / "archive").get("yahoo", REQUEST).body == b'{"chart": 1}'


def test_an_append_to_a_linked_archive_stays_in_that_archive(
    renders: list[Path], tmp_path: Path
) -> None:
    cache.sample_archive(tmp_path / "a" / "archive")
    cache.sample_archive(tmp_path / "b" / "archive")
    later = WHEN + dt.timedelta(days=1)
    Archive(tmp_path / "a" / "archive").put("yahoo", REQUEST, b'{"chart": 2}', 200,
                                            REQUEST.url, later)
    assert Archive(tmp_path / "a" / "archive").get("yahoo", REQUEST).body == b'{"chart": 2}'
    assert Archive(tmp_path / "b" / "archive").get("yahoo", REQUEST).body == b'{"chart": 1}'
    third = tmp_path / "c" / "archive"
    cache.sample_archive(third)  # the cache is as rendered
    assert Archive(third).get("yahoo", REQUEST).body == b'{"chart": 1}'
    assert len(renders) == 1


def test_a_code_change_renders_again_and_off_renders_afresh(
    renders: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.sample_archive(tmp_path / "a" / "archive")
    monkeypatch.setattr(cache, "inputs_digest", lambda: "another-version")
    cache.sample_archive(tmp_path / "b" / "archive")
    assert len(renders) == 2
    monkeypatch.setenv("ETFFLOW_SAMPLE_CACHE", "off")
    cache.sample_archive(tmp_path / "c" / "archive")
    assert renders[-1] == tmp_path / "c" / "archive"  # rendered in place, no cache
    assert len(renders) == 3


def test_a_folder_holding_something_else_is_refused(renders: list[Path],
                                                    tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not a sample archive")
    with pytest.raises(FileExistsError):
        cache.sample_archive(mine)
    assert (mine / "notes.txt").exists() and not renders


def test_the_digest_follows_the_code() -> None:
    assert cache.inputs_digest() == cache.inputs_digest()
    assert len(cache.inputs_digest()) == 16


def test_a_render_folder_gone_before_the_sweep_looks_at_it_is_skipped(
    renders: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test workers render at once: another's render folder is listed, then renamed or
    removed before this one's sweep looks at its age."""
    root = tmp_path / "cache" / "sample-archive"
    listed = Path.iterdir
    monkeypatch.setattr(Path, "iterdir", lambda folder: [
        *listed(folder), *([folder / ".building-1"] if folder == root else [])])
    cache.sample_archive(tmp_path / "a" / "archive")
    assert len(renders) == 1 and (tmp_path / "a" / "archive" / MANIFEST).exists()
