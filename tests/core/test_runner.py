"""run_plugin end to end with a tiny fake plugin against a loopback server, then offline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import ClassVar

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from ingest.core.config import Settings
from ingest.core.errors import ArchiveMiss, BudgetExhausted, FetchError, HostRefused
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    SourceError,
)
from ingest.core.runner import run_plugin

NAV = RawTable(
    "fake_nav",
    {"ticker": "VARCHAR", "as_of_date": "DATE", "nav": "DOUBLE"},
    ("ticker", "as_of_date"),
)


class FakePlugin(Plugin):
    """One table; one request per ticker to ``{base}/nav/{ticker}``; JSON list of rows."""

    name: ClassVar[str] = "fake"
    tables = (NAV,)

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def plan(self, params: PlanParams) -> Iterable[Request]:
        for ticker in params.tickers:
            yield Request.get(f"{self.base_url}/nav/{ticker}", f"{ticker} nav", day="all")

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        if payload.status >= 400:
            raise SourceError(f"HTTP {payload.status}")
        try:
            rows = json.loads(payload.body)
        except json.JSONDecodeError as exc:
            raise MalformedPayload(f"not JSON: {exc}") from exc
        return {NAV.name: rows}


class InterruptingPlugin(FakePlugin):
    """Like FakePlugin, but Ctrl-C arrives while the second payload is being parsed."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.parsed = 0

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        self.parsed += 1
        if self.parsed == 2:
            raise KeyboardInterrupt
        return super().parse(payload)


GOOD = [
    {"ticker": "AAA", "as_of_date": "2024-01-09", "nav": 10.0},
    {"ticker": "AAA", "as_of_date": "2024-01-10", "nav": 10.5},
]
MORE = [{"ticker": "CCC", "as_of_date": "2024-01-10", "nav": 30.0}]
PARAMS = PlanParams(tickers=("AAA", "BAD", "GONE"))


@pytest.fixture
def server(private_httpserver: HTTPServer) -> HTTPServer:
    """Our own loopback server, so a test can stop it to prove a replay needs no network."""
    srv = private_httpserver
    srv.expect_request("/nav/AAA").respond_with_json(GOOD)
    srv.expect_request("/nav/BAD").respond_with_data('[{"ticker": "BAD", "as_of', status=200)
    srv.expect_request("/nav/GONE").respond_with_data("no such fund", status=404)
    srv.expect_request("/nav/CCC").respond_with_json(MORE)
    return srv


def base(server: HTTPServer) -> str:
    return server.url_for("").rstrip("/")


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def nav_rows(settings: Settings) -> list[tuple]:
    return query(settings, "select * from raw.fake_nav order by ticker, as_of_date")


def test_partial_run_lands_good_rows_quarantines_and_logs(server: HTTPServer, settings: Settings):
    result = run_plugin(FakePlugin(base(server)), PARAMS, settings)

    assert result.status == "partial"
    assert result.payloads == 3
    assert result.requests_made == 3
    assert result.rows_landed == 2
    assert result.quarantined == 1
    assert len(result.errors) == 2
    assert any(e.startswith("GONE nav") and "404" in e for e in result.errors)
    assert any(e.startswith("BAD nav: quarantined") for e in result.errors)

    rows = nav_rows(settings)
    assert [r[:3] for r in rows] == [
        ("AAA", dt.date(2024, 1, 9), 10.0),
        ("AAA", dt.date(2024, 1, 10), 10.5),
    ]
    assert {r[3] for r in rows} == {result.run_id}  # _run_id
    assert {r[5] for r in rows} == {base(server) + "/nav/AAA?day=all"}  # _source_url

    (quarantined,) = query(
        settings, "select run_id, plugin, request_label, source_url, reason from raw.quarantine"
    )
    assert quarantined[:3] == (result.run_id, "fake", "BAD nav")
    assert quarantined[3].endswith("/nav/BAD?day=all")
    assert quarantined[4].startswith("not JSON")

    (run,) = query(
        settings,
        "select run_id, plugin, status, rows_landed, requests_made, payloads, errors, params, "
        "finished_at from raw.ingest_runs",
    )
    assert run[:6] == (result.run_id, "fake", "partial", 2, 3, 3)
    errors = json.loads(run[6])
    assert errors == result.errors
    assert any("GONE nav" in e for e in errors)
    assert json.loads(run[7])["tickers"] == ["AAA", "BAD", "GONE"]
    assert run[8] is not None


def test_offline_rerun_from_the_archive_changes_nothing(server: HTTPServer, settings: Settings):
    plugin = FakePlugin(base(server))
    first = run_plugin(plugin, PARAMS, settings)
    before = nav_rows(settings)
    server.stop()  # from here on any request would fail

    second = run_plugin(plugin, PARAMS, dataclasses.replace(settings, offline=True))

    assert second.requests_made == 0
    assert second.payloads == 3
    assert second.rows_landed == 0
    assert second.status == "partial"  # the same payloads fail the same way
    assert nav_rows(settings) == before  # first run's _run_id and _loaded_at kept
    assert {r[3] for r in before} == {first.run_id}
    assert query(settings, "select count(*) from raw.quarantine") == [(1,)]
    statuses = query(
        settings, "select status, rows_landed from raw.ingest_runs order by started_at"
    )
    assert statuses == [("partial", 2), ("partial", 0)]


def test_live_rerun_is_idempotent_too(server: HTTPServer, settings: Settings):
    plugin = FakePlugin(base(server))
    run_plugin(plugin, PARAMS, settings)
    before = nav_rows(settings)
    again = run_plugin(plugin, PARAMS, settings)
    assert again.rows_landed == 0
    assert nav_rows(settings) == before


def test_all_requests_failing_is_a_failed_run(server: HTTPServer, settings: Settings):
    result = run_plugin(FakePlugin(base(server)), PlanParams(tickers=("BAD", "GONE")), settings)
    assert result.status == "failed"
    assert query(settings, "select status from raw.ingest_runs") == [("failed",)]


def test_clean_run_is_success(server: HTTPServer, settings: Settings):
    result = run_plugin(FakePlugin(base(server)), PlanParams(tickers=("AAA", "CCC")), settings)
    assert (result.status, result.rows_landed, result.errors) == ("success", 3, [])


def test_offline_miss_fails_the_run_and_says_what_is_missing(settings: Settings):
    plugin = FakePlugin("http://127.0.0.1:9")
    offline = dataclasses.replace(settings, offline=True)
    with pytest.raises(ArchiveMiss, match="/nav/AAA"):
        run_plugin(plugin, PlanParams(tickers=("AAA",)), offline)
    ((status, errors),) = query(settings, "select status, errors from raw.ingest_runs")
    assert status == "failed"
    assert "/nav/AAA" in json.loads(errors)[0]


def test_interrupt_keeps_committed_batches_and_marks_the_run(
    server: HTTPServer, settings: Settings
):
    plugin = InterruptingPlugin(base(server))
    one_payload_per_batch = dataclasses.replace(settings, land_batch_payloads=1)
    with pytest.raises(KeyboardInterrupt):
        run_plugin(plugin, PlanParams(tickers=("AAA", "CCC", "AAA")), one_payload_per_batch)

    # The first payload's batch was committed; the second was never landed, not even partly.
    assert [r[0] for r in nav_rows(settings)] == ["AAA", "AAA"]
    ((status, rows_landed, payloads, finished),) = query(
        settings, "select status, rows_landed, payloads, finished_at from raw.ingest_runs"
    )
    assert status == "interrupted"
    assert rows_landed == 2
    assert payloads == 2
    assert finished is not None


def test_interrupt_drops_the_open_batch_whole(server: HTTPServer, settings: Settings):
    """Payloads parsed but not yet committed (same batch as the interrupted one) land later,
    on a re-run, never partly now."""
    plugin = InterruptingPlugin(base(server))
    with pytest.raises(KeyboardInterrupt):
        run_plugin(plugin, PlanParams(tickers=("AAA", "CCC", "AAA")),
                   dataclasses.replace(settings, land_batch_payloads=10))
    assert nav_rows(settings) == []
    assert query(settings, "select status, rows_landed from raw.ingest_runs") == [
        ("interrupted", 0)
    ]


def test_interrupt_during_landing_rolls_back_that_batch(
    server: HTTPServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """Ctrl-C between the two tables of one batch: neither table keeps any of that batch."""
    extra = RawTable("fake_extra", {"ticker": "VARCHAR", "note": "VARCHAR"}, ("ticker",))

    class TwoTables(FakePlugin):
        tables = (NAV, extra)

        def parse(self, payload: Payload) -> Mapping[str, Rows]:
            rows = super().parse(payload)[NAV.name]
            return {NAV.name: rows, extra.name: [{"ticker": rows[0]["ticker"], "note": "x"}]}

    from ingest.core import landing

    real_upsert = landing.Warehouse._upsert
    calls = {"n": 0}

    def upsert(self, table, frames):
        calls["n"] += 1
        if calls["n"] == 4:  # second payload, second table
            raise KeyboardInterrupt
        return real_upsert(self, table, frames)

    monkeypatch.setattr(landing.Warehouse, "_upsert", upsert)
    one_payload_per_batch = dataclasses.replace(settings, land_batch_payloads=1)
    with pytest.raises(KeyboardInterrupt):
        run_plugin(TwoTables(base(server)), PlanParams(tickers=("AAA", "CCC")),
                   one_payload_per_batch)

    assert [r[0] for r in nav_rows(settings)] == ["AAA", "AAA"]  # no CCC row
    assert query(settings, "select ticker from raw.fake_extra") == [("AAA",)]
    assert query(settings, "select status from raw.ingest_runs") == [("interrupted",)]


def test_requests_override_replaces_the_plan(server: HTTPServer, settings: Settings):
    plugin = FakePlugin(base(server))
    only = [Request.get(f"{base(server)}/nav/CCC", "CCC nav", day="all")]
    result = run_plugin(plugin, PARAMS, settings, requests=only)
    assert (result.status, result.payloads, result.rows_landed) == ("success", 1, 1)


class _UndeclaredColumn(FakePlugin):
    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        return {NAV.name: [{"ticker": "AAA", "as_of_date": "2024-01-10", "surprise": 1}]}


def test_an_unexpected_crash_is_logged_as_failed(server: HTTPServer, settings: Settings):
    # A plugin bug is not an EtfflowError, but the run log must not be left at 'running'.
    with pytest.raises(ValueError, match="surprise"):
        run_plugin(_UndeclaredColumn(base(server)), PlanParams(tickers=("AAA",)), settings)
    ((status, errors),) = query(settings, "select status, errors from raw.ingest_runs")
    assert status == "failed"
    assert "surprise" in json.loads(errors)[0]
    assert query(settings, "select count(*) from raw.fake_nav") == [(0,)]


# -- follow-ups and requests the client will not make ----------------------------------------


class ListingPlugin(FakePlugin):
    """``/list/<name>`` answers {"rows": [...], "next": [paths]}: rows land, and each path
    named in ``next`` is fetched as a follow-up (which may list more). A ``missing`` entry
    in the listing is reported by follow_up after the others were yielded."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.parsed: list[str] = []

    def plan(self, params: PlanParams) -> Iterable[Request]:
        yield Request.get(f"{self.base_url}/list/root", "root")

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        self.parsed.append(payload.request.label)
        if payload.status >= 400:
            raise SourceError(f"HTTP {payload.status}")
        return {NAV.name: json.loads(payload.body)["rows"]}

    def follow_up(self, payload: Payload, rows: Mapping[str, Rows],
                  params: PlanParams) -> Iterable[Request]:
        listing = json.loads(payload.body)
        for path in listing.get("next", []):
            yield Request.get(f"{self.base_url}{path}", path.rsplit("/", 1)[-1])
        if listing.get("missing"):
            raise SourceError(f"not listed: {', '.join(listing['missing'])}")


def _row(ticker: str) -> dict:
    return {"ticker": ticker, "as_of_date": "2024-01-10", "nav": 1.0}


@pytest.fixture
def listing_server(private_httpserver: HTTPServer) -> HTTPServer:
    srv = private_httpserver
    srv.expect_request("/list/root").respond_with_json(
        {"rows": [_row("ROOT")], "next": ["/list/a", "/list/b"], "missing": ["ZZZ"]})
    srv.expect_request("/list/a").respond_with_json({"rows": [_row("A")], "next": ["/list/a1"]})
    srv.expect_request("/list/b").respond_with_json({"rows": [_row("B")], "next": ["/list/b1"]})
    srv.expect_request("/list/a1").respond_with_json({"rows": [_row("A1")]})
    srv.expect_request("/list/b1").respond_with_json({"rows": [_row("B1")]})
    return srv


def test_follow_ups_are_fetched_in_waves_in_plan_order(listing_server: HTTPServer,
                                                       settings: Settings):
    plugin = ListingPlugin(base(listing_server))
    result = run_plugin(plugin, PlanParams(), settings)

    # fetched wave by wave (in parallel within a wave), parsed in plan order
    fetched = [request.path for request, _ in listing_server.log]
    assert fetched[0] == "/list/root"
    assert set(fetched[1:3]) == {"/list/a", "/list/b"}
    assert set(fetched[3:]) == {"/list/a1", "/list/b1"}
    assert plugin.parsed == ["root", "a", "b", "a1", "b1"]
    assert (result.payloads, result.requests_made, result.rows_landed) == (5, 5, 5)
    # the follow_up's SourceError is one warning; what it yielded before was fetched
    assert result.errors == ["root: not listed: ZZZ"]
    assert result.status == "partial"
    assert [r[0] for r in nav_rows(settings)] == ["A", "A1", "B", "B1", "ROOT"]

    listing_server.stop()
    replay = run_plugin(ListingPlugin(base(listing_server)), PlanParams(),
                        dataclasses.replace(settings, offline=True))
    assert (replay.payloads, replay.rows_landed, replay.errors) == (5, 0, result.errors)


def test_progress_total_grows_with_each_wave(listing_server: HTTPServer, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch):
    from ingest.core import runner

    totals: list[int] = []
    real_grow = runner._progress.grow

    def grow(self, n: int) -> None:
        real_grow(self, n)
        totals.append(self._total)

    monkeypatch.setattr(runner._progress, "grow", grow)
    run_plugin(ListingPlugin(base(listing_server)), PlanParams(), settings, show_progress=True)
    assert totals == [1, 3, 5]


@pytest.mark.parametrize("error, message", [
    (HostRefused("127.0.0.1 answered HTTP 403 earlier in this run"),
     "127.0.0.1 refused: 127.0.0.1 answered HTTP 403 earlier in this run; 2 requests not made"),
    (BudgetExhausted("127.0.0.1: the budget of 3 requests for this run is used"),
     "127.0.0.1: 127.0.0.1: the budget of 3 requests for this run is used; 2 requests not "
     "made; re-run to resume"),
])
def test_requests_the_client_will_not_make_are_one_error_per_host(
    listing_server: HTTPServer, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    error: Exception, message: str,
):
    """A refused host or a used-up budget (raised by client.fetch) does not crash the run:
    the other requests go on and each host gets one run error with the count not made."""
    from ingest.core.http import HttpClient

    real_fetch = HttpClient.fetch

    def fetch(self, source, request, transport=None):
        if request.url.endswith(("/list/a", "/list/b1")):
            raise error
        return real_fetch(self, source, request, transport)

    monkeypatch.setattr(HttpClient, "fetch", fetch)
    result = run_plugin(ListingPlugin(base(listing_server)), PlanParams(), settings)

    assert result.status == "partial"
    assert result.errors == ["root: not listed: ZZZ", message]
    # /list/a was not made, so its follow-up /list/a1 was never asked for
    assert sorted(request.path for request, _ in listing_server.log) == ["/list/b", "/list/root"]
    assert [r[0] for r in nav_rows(settings)] == ["B", "ROOT"]
    ((status, errors),) = query(settings, "select status, errors from raw.ingest_runs")
    assert (status, json.loads(errors)) == ("partial", result.errors)


def test_other_fetch_errors_still_fail_the_run(listing_server: HTTPServer, settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch):
    from ingest.core.http import HttpClient

    def fetch(self, source, request, transport=None):
        raise FetchError("GET x: ConnectionError after retries")

    monkeypatch.setattr(HttpClient, "fetch", fetch)
    with pytest.raises(FetchError):
        run_plugin(ListingPlugin(base(listing_server)), PlanParams(), settings)
    assert query(settings, "select status from raw.ingest_runs") == [("failed",)]
