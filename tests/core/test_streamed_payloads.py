"""Large payloads and streamed rows: a ``large`` request's body goes to the archive on
disk as served (live, from a file, replayed) and is read with ``Payload.open()``; a
``RowStream`` table is staged chunk by chunk and merged in the payload's one transaction
(re-runs change nothing, a later chunk's row wins), and a MalformedPayload found
mid-stream leaves that payload out and quarantines it while the run's other payloads
land."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import duckdb
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.http import HttpClient
from ingest.core.landing import BatchMeta, Warehouse
from ingest.core.plugin import (
    MalformedPayload,
    Payload,
    PlanParams,
    Plugin,
    RawTable,
    Request,
    Rows,
    RowStream,
)
from ingest.core.runner import run_plugin

NUMBERS = RawTable("numbers", {"n": "INTEGER", "label": "VARCHAR"}, ("n",))
BODY = b"".join(f"{i}\tline {i}\n".encode() for i in range(10_000))


def _count(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_large_body_is_streamed_to_a_file_and_replayed_from_it(
        httpserver: HTTPServer, settings: Settings) -> None:
    httpserver.expect_request("/big.zip").respond_with_data(BODY)
    request = Request(httpserver.url_for("/big.zip") + "#holdings", label="big", large=True)
    with HttpClient(settings) as client:
        payload = client.fetch("test", request)
    assert payload.body == b""  # never held in memory
    assert payload.body_path is not None and payload.body_path.read_bytes() == BODY
    assert payload.sha256 == hashlib.sha256(BODY).hexdigest()
    assert payload.body_path.name == payload.sha256  # stored as served, not gzipped
    with payload.open() as fh:
        assert fh.read() == BODY
    (served,) = httpserver.log
    assert served[0].path == "/big.zip" and "#" not in served[0].url  # no fragment sent
    replay = Archive(settings.archive_dir).get("test", request)
    assert (replay.body, replay.body_path, replay.sha256) == (b"", payload.body_path,
                                                              payload.sha256)
    # the same URL without the fragment is the same archive entry
    plain = Archive(settings.archive_dir).get("test", Request(httpserver.url_for("/big.zip")))
    assert plain.sha256 == payload.sha256


def test_a_large_local_file_is_copied_in_chunks(settings: Settings, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.core.http as http

    source = tmp_path / "q.zip"
    source.write_bytes(BODY)
    monkeypatch.setattr(http, "STREAM_CHUNK_BYTES", 4096)
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)
        if self == source:
            read = handle.read

            def chunked(size: int = -1) -> bytes:
                reads.append(size)
                return read(size)
            handle.read = chunked  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    offline = dataclasses.replace(settings, offline=True)  # a file is read even offline
    with HttpClient(offline) as client:
        payload = client.fetch("test", Request(source.as_uri(), label="q.zip", large=True))
    assert payload.body == b"" and payload.body_path.read_bytes() == BODY
    assert reads and set(reads) == {4096}  # never one read of the whole file


def test_small_payloads_open_from_memory() -> None:
    payload = Payload(Request("https://x/y"), b"abc", 200, "https://x/y", "0", dt.datetime.now())
    with payload.open() as fh:
        assert fh.read() == b"abc"


def _chunks(total: int, size: int, fail_at: int | None = None,
            seen: list[int] | None = None) -> RowStream:
    def chunks() -> Iterator[pd.DataFrame]:
        for start in range(0, total, size):
            if fail_at is not None and start >= fail_at:
                raise MalformedPayload(f"line {start}: ragged")
            frame = pd.DataFrame({"n": range(start, min(start + size, total)),
                                  "label": [f"row {i}" for i in range(start,
                                                                      min(start + size, total))]})
            if seen is not None:
                seen.append(len(frame))
            yield frame
    return RowStream(chunks)


def test_a_row_stream_lands_chunk_by_chunk_in_one_transaction(settings: Settings) -> None:
    seen: list[int] = []
    meta = BatchMeta("run", "https://x/q.zip", "sha")
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables([NUMBERS])
        landed = wh.land_many([({NUMBERS: _chunks(2_500, 1_000, seen=seen)}, meta)])
        assert landed == 2_500 and seen == [1_000, 1_000, 500]
        # an error mid-stream: nothing of the payload stays, the earlier rows are kept
        with pytest.raises(MalformedPayload):
            wh.land_many([({NUMBERS: RowStream(lambda: iter([
                pd.DataFrame({"n": [9_000], "label": ["new"]}),
                pd.DataFrame({"n": [1], "label": ["changed"]}),
                *_chunks(10, 5, fail_at=0)]))}, meta)])
        assert wh.con.execute("select count(*), max(n) from raw.numbers").fetchone() == (
            2_500, 2_499)
        assert wh.con.execute("select label from raw.numbers where n = 1").fetchone() == (
            "row 1",)
        again = wh.land_many([({NUMBERS: _chunks(2_500, 700)}, meta)])
        assert again == 0  # unchanged rows are left alone



def _staging_tables(wh: Warehouse) -> list[tuple]:
    return wh.con.execute("select table_name from information_schema.tables "
                          "where table_schema = '_landing'").fetchall()


def test_a_streamed_rerun_keeps_unchanged_rows_and_a_later_chunk_wins(
        settings: Settings) -> None:
    with Warehouse(settings.duckdb_path) as wh:
        wh.ensure_tables([NUMBERS])
        assert wh.land_many([({NUMBERS: _chunks(1_200, 500)}, BatchMeta("run-1", "u", "a"))]) \
            == 1_200
        first = wh.con.execute("select n, _run_id, _loaded_at from raw.numbers "
                               "order by n").fetchall()
        # a new run: the same rows, one of them changed by the stream's last chunk
        repeat = RowStream(lambda: iter([*_chunks(1_200, 500),
                                         pd.DataFrame({"n": [7], "label": ["late"]})]))
        assert wh.land_many([({NUMBERS: repeat}, BatchMeta("run-2", "u", "b"))]) == 1
        rows = wh.con.execute("select n, label, _run_id, _loaded_at from raw.numbers "
                              "order by n").fetchall()
        assert len(rows) == 1_200 and rows[7][1:3] == ("late", "run-2")
        assert [(n, run, at) for n, _, run, at in rows if n != 7] == \
            [row for row in first if row[0] != 7]  # unchanged: first run's id and time
        assert _staging_tables(wh) == []
        with pytest.raises(MalformedPayload):
            wh.land_many([({NUMBERS: _chunks(900, 300, fail_at=600)},
                           BatchMeta("run-3", "u", "c"))])
        assert _staging_tables(wh) == []  # nothing staged stays behind a failure either
        assert wh.con.execute("select count(*), count(distinct _run_id) from raw.numbers"
                              ).fetchone() == (1_200, 2)

class StreamingPlugin(Plugin):
    """Each payload's body says how many rows to stream and where (if anywhere) it breaks."""

    name: ClassVar[str] = "streaming"
    tables = (NUMBERS,)

    def plan(self, params: PlanParams) -> Iterable[Request]:
        return ()

    def parse(self, payload: Payload) -> Mapping[str, Rows]:
        total, fail = payload.body.decode().split(",")
        offset = 100_000 * int(payload.request.label[-1])
        stream = _chunks(int(total), 300, int(fail) if fail else None)

        def shifted() -> Iterator[pd.DataFrame]:
            for chunk in stream:
                yield chunk.assign(n=chunk["n"] + offset)
        return {NUMBERS.name: RowStream(shifted)}


def test_a_stream_broken_mid_way_is_quarantined_and_the_others_land(
        settings: Settings, tmp_path: Path) -> None:
    files = []
    for i, body in enumerate(("1000,", "1000,600", "50,")):
        path = tmp_path / f"q{i}.txt"
        path.write_text(body)
        files.append(Request(path.as_uri(), label=f"quarter {i}"))
    result = run_plugin(StreamingPlugin(), PlanParams(), settings, requests=files)
    assert result.status == "partial" and result.quarantined == 1
    assert result.rows_landed == 1_050
    assert _count(settings.duckdb_path, "select count(*) from raw.numbers "
                                        "where n between 100000 and 199999") == [(0,)]
    assert _count(settings.duckdb_path, "select request_label, reason from raw.quarantine") \
        == [("quarter 1", "line 600: ragged")]
