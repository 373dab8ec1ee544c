"""Raw-payload archive: content-addressed gzip blobs, normalized request keys, replay."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from pathlib import Path

import pytest

from ingest.core.archive import Archive, normalized_request, request_key
from ingest.core.errors import ArchiveMiss
from ingest.core.plugin import Request

WHEN = dt.datetime(2024, 1, 10, 21, 5, 0, tzinfo=dt.UTC)
CHART = "https://query2.finance.yahoo.com/v8/finance/chart/SPY"


def _blobs(root: Path) -> list[Path]:
    return sorted((root / "blobs").rglob("*.gz"))


def test_put_then_get_round_trips(archive: Archive):
    request = Request.get(CHART, "SPY chart", interval="1d", period1=1, period2=2)
    body = b'{"chart": {"result": [], "error": null}}'
    stored = archive.put("yahoo", request, body, 200, CHART + "?interval=1d", WHEN)
    replayed = archive.get("yahoo", request)

    assert replayed.body == body
    assert replayed.status == 200
    assert replayed.url == CHART + "?interval=1d"
    assert replayed.sha256 == hashlib.sha256(body).hexdigest() == stored.sha256
    assert replayed.fetched_at == WHEN
    assert replayed.request == request


def test_non_200_status_and_binary_body_round_trip(archive: Archive):
    request = Request.get(CHART.replace("SPY", "ZZZZ"))
    body = bytes(range(256))
    archive.put("yahoo", request, body, 404, request.url, WHEN)
    replayed = archive.get("yahoo", request)
    assert (replayed.status, replayed.body) == (404, body)


def test_same_body_is_stored_once_as_gzip_named_by_its_sha256(archive: Archive):
    body = b"identical body " * 100
    archive.put("yahoo", Request.get(CHART, a="1"), body, 200, CHART, WHEN)
    archive.put("yahoo", Request.get(CHART, a="2"), body, 200, CHART, WHEN)
    archive.put("other", Request.get(CHART, a="3"), body, 200, CHART, WHEN)

    blobs = _blobs(archive.root)
    assert len(blobs) == 1
    blob = blobs[0]
    sha = hashlib.sha256(body).hexdigest()
    assert blob.name == f"{sha}.gz"
    assert blob.parent.name == sha[:2]
    raw = blob.read_bytes()
    assert raw[:2] == b"\x1f\x8b"  # gzip magic
    assert gzip.decompress(raw) == body
    assert len(raw) < len(body)  # it is actually compressed


def test_distinct_bodies_get_distinct_blobs(archive: Archive):
    request = Request.get(CHART)
    archive.put("yahoo", request, b"one", 200, CHART, WHEN)
    archive.put("yahoo", request, b"two", 200, CHART, WHEN)
    assert len(_blobs(archive.root)) == 2
    assert not list(archive.root.rglob(".tmp-*"))  # atomic writes leave no temp files


@pytest.mark.parametrize("volatile", ["crumb", "_", "cachebust", "corsDomain"])
def test_volatile_params_do_not_change_the_key(archive: Archive, volatile: str):
    live = Request.get(CHART, interval="1d", **{volatile: "Xy.9/abc"})
    replay = Request.get(CHART, interval="1d")
    assert request_key(live) == request_key(replay)
    archive.put("yahoo", live, b"payload", 200, CHART, WHEN)
    assert archive.get("yahoo", replay).body == b"payload"


def test_meaningful_params_do_change_the_key():
    assert request_key(Request.get(CHART, interval="1d")) != request_key(
        Request.get(CHART, interval="1wk")
    )
    assert request_key(Request.get(CHART)) != request_key(Request.get(CHART.replace("SPY", "QQQ")))


def test_param_order_does_not_matter():
    forward = Request(CHART, (("a", "1"), ("b", "2")))
    backward = Request(CHART, (("b", "2"), ("a", "1")))
    assert request_key(forward) == request_key(backward)


def test_url_embedded_query_equals_explicit_params(archive: Archive):
    embedded = Request(CHART + "?interval=1d&period1=10&crumb=abc")
    explicit = Request.get(CHART, period1=10, interval="1d")
    assert normalized_request(embedded.url, embedded.params) == normalized_request(
        explicit.url, explicit.params
    )
    archive.put("yahoo", embedded, b"same", 200, CHART, WHEN)
    assert archive.get("yahoo", explicit).body == b"same"


def test_host_case_does_not_matter_but_path_case_does():
    assert request_key(Request(CHART.replace("query2", "QUERY2"))) == request_key(Request(CHART))
    assert request_key(Request(CHART.lower())) != request_key(Request(CHART))


def test_sources_are_separate_namespaces(archive: Archive):
    request = Request.get(CHART)
    archive.put("yahoo", request, b"x", 200, CHART, WHEN)
    with pytest.raises(ArchiveMiss):
        archive.get("someone-else", request)


def test_miss_raises_archive_miss_naming_the_url(archive: Archive):
    request = Request.get(CHART.replace("SPY", "QQQ"), interval="1d")
    with pytest.raises(ArchiveMiss) as excinfo:
        archive.get("yahoo", request)
    message = str(excinfo.value)
    assert "/v8/finance/chart/QQQ" in message
    assert "interval=1d" in message
    assert str(archive.root) in message


def test_latest_fetch_wins(archive: Archive):
    request = Request.get(CHART, interval="1d")
    archive.put("yahoo", request, b"old", 503, CHART, WHEN)
    later = WHEN + dt.timedelta(days=1)
    with_crumb = Request(request.url, request.params + (("crumb", "z"),))
    archive.put("yahoo", with_crumb, b"new", 200, CHART, later)
    replayed = archive.get("yahoo", request)
    assert (replayed.body, replayed.status, replayed.fetched_at) == (b"new", 200, later)
    # Both fetches are kept in the index; only the blob of each body is stored once.
    assert len(_blobs(archive.root)) == 2
    (index,) = (archive.root / "index" / "yahoo").rglob("*.jsonl")
    assert len(index.read_text(encoding="utf-8").splitlines()) == 2


def test_archive_survives_a_new_instance(settings):
    request = Request.get(CHART)
    Archive(settings.archive_dir).put("yahoo", request, b"persisted", 200, CHART, WHEN)
    assert Archive(settings.archive_dir).get("yahoo", request).body == b"persisted"


def test_replay_as_of_serves_the_fetch_current_at_that_moment(archive: Archive) -> None:
    request = Request.get("https://example.test/snapshot", "snap", symbol="AAA")
    monday = dt.datetime(2024, 12, 2, 22, tzinfo=dt.UTC)
    tuesday = monday + dt.timedelta(days=1)
    archive.put("src", request, b"monday", 200, request.url, monday)
    archive.put("src", request, b"tuesday", 200, request.url, tuesday)

    assert archive.get("src", request).body == b"tuesday"
    assert archive.get("src", request, as_of=tuesday - dt.timedelta(hours=1)).body == b"monday"
    assert archive.get("src", request, as_of=tuesday).body == b"tuesday"
    with pytest.raises(ArchiveMiss, match="fetched by 2024-12-01"):
        archive.get("src", request, as_of=monday - dt.timedelta(days=1))
