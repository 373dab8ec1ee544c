"""HttpClient: live fetches are archived; offline mode replays them without any request."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest
from pytest_httpserver import HTTPServer

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.errors import ArchiveMiss
from ingest.core.http import HttpClient
from ingest.core.plugin import Request


@pytest.fixture
def offline(settings: Settings) -> Settings:
    return dataclasses.replace(settings, offline=True)


def test_live_fetch_archives_the_body(httpserver: HTTPServer, settings: Settings):
    body = b'{"prices": [1, 2, 3]}'
    httpserver.expect_request("/prices", query_string="ticker=SPY").respond_with_data(
        body, content_type="application/json"
    )
    request = Request.get(httpserver.url_for("/prices"), "SPY prices", ticker="SPY")
    with HttpClient(settings) as client:
        payload = client.fetch("test", request)
        assert client.requests_made == 1

    assert payload.body == body
    assert payload.status == 200
    assert payload.sha256 == hashlib.sha256(body).hexdigest()
    assert payload.url.endswith("/prices?ticker=SPY")  # the URL actually requested
    assert payload.fetched_at.tzinfo is not None
    stored = Archive(settings.archive_dir).get("test", request)
    assert (stored.body, stored.status, stored.sha256) == (body, 200, payload.sha256)


def test_live_error_responses_are_archived_too(httpserver: HTTPServer, settings: Settings):
    httpserver.expect_request("/missing").respond_with_data("no such thing", status=404)
    request = Request.get(httpserver.url_for("/missing"))
    with HttpClient(settings) as client:
        payload = client.fetch("test", request)
    assert payload.status == 404
    assert Archive(settings.archive_dir).get("test", request).status == 404


def test_offline_replays_with_the_server_stopped(
    private_httpserver: HTTPServer, settings: Settings, offline: Settings
):
    private_httpserver.expect_request("/nav").respond_with_data("42.0")
    request = Request.get(private_httpserver.url_for("/nav"), date="2024-01-10")
    with HttpClient(settings) as client:
        live = client.fetch("test", request)
    private_httpserver.stop()

    with HttpClient(offline) as client:
        replayed = client.fetch("test", request)
        assert client.requests_made == 0
    assert replayed.body == b"42.0"
    assert replayed.sha256 == live.sha256
    assert replayed.fetched_at == live.fetched_at
    assert len(private_httpserver.log) == 1  # only the live fetch reached the server


def test_offline_ignores_the_transport(offline: Settings, archive: Archive):
    request = Request.get("https://example.invalid/data")
    archive.put(
        "test",
        request,
        b"archived",
        200,
        request.url,
        fetched_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )

    def transport(url, params):  # must never be called offline
        raise AssertionError("transport used in offline mode")

    with HttpClient(offline) as client:
        assert client.fetch("test", request, transport).body == b"archived"


def test_offline_miss_raises_archive_miss(offline: Settings):
    request = Request.get("https://example.invalid/never-fetched", ticker="SPY")
    with HttpClient(offline) as client, pytest.raises(ArchiveMiss, match="never-fetched"):
        client.fetch("test", request)


def test_a_plugin_transport_is_used_live(httpserver: HTTPServer, settings: Settings):
    httpserver.expect_request("/t").respond_with_data("via transport")
    seen: list[tuple[str, dict]] = []
    with HttpClient(settings) as client:

        def transport(url, params):
            seen.append((url, dict(params)))
            return client.session.get(url, params=params)

        payload = client.fetch("test", Request.get(httpserver.url_for("/t"), x="1"), transport)
    assert payload.body == b"via transport"
    assert seen == [(httpserver.url_for("/t"), {"x": "1"})]
