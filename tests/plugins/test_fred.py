"""FRED plugin: plan(), parse() on recorded CSVs (tests/fixtures/fred/, see its README), bad
CSVs quarantined with reasons, vintages, the sample renderer, and an offline run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from ingest.core.archive import Archive
from ingest.core.config import Settings
from ingest.core.plugin import MalformedPayload, Payload, PlanParams, Request, SourceError
from ingest.core.runner import run_plugin
from ingest.plugins.fred.plugin import (
    CSV_URL,
    DEFAULT_SERIES,
    OBSERVATIONS,
    SERIES_META,
    FredPlugin,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fred"
FETCHED_AT = dt.datetime(2025, 1, 2, 1, 30, tzinfo=dt.UTC)
D = dt.date


def csv_payload(series_id: str, body: bytes, status: int = 200,
                fetched_at: dt.datetime = FETCHED_AT) -> Payload:
    request = Request.get(CSV_URL, f"{series_id} csv", id=series_id)
    return Payload(request, body, status, f"{CSV_URL}?id={series_id}",
                   hashlib.sha256(body).hexdigest(), fetched_at)


def parse(series_id: str, name: str) -> tuple[list[dict], dict]:
    out = FredPlugin().parse(csv_payload(series_id, (FIXTURES / name).read_bytes()))
    (meta,) = out[SERIES_META.name]
    return list(out[OBSERVATIONS.name]), meta


def test_plan_default_series_with_dates() -> None:
    requests = list(FredPlugin().plan(PlanParams(start=D(2022, 1, 1), end=D(2024, 12, 31))))
    assert [dict(r.params)["id"] for r in requests] == list(DEFAULT_SERIES)
    assert DEFAULT_SERIES[:3] == ("BOGZ1LM564090005Q", "BOGZ1FU564090005Q",
                                  "BOGZ1FA564090005Q")
    assert {"DGS10", "VIXCLS"} <= set(DEFAULT_SERIES)
    first = requests[0]
    assert first.url == CSV_URL
    assert dict(first.params) == {"id": "BOGZ1LM564090005Q", "cosd": "2022-01-01",
                                  "coed": "2024-12-31"}
    assert first.label == "BOGZ1LM564090005Q csv"


def test_plan_named_series_without_dates() -> None:
    (request,) = FredPlugin().plan(PlanParams(extra={"series": ["dgs2"]}))
    assert request.params == (("id", "DGS2"),)


def test_current_header_and_missing_dot() -> None:
    rows, meta = parse("DGS10", "DGS10.csv")
    assert len(rows) == 8
    assert rows[0] == {"series_id": "DGS10", "observation_date": D(2024, 12, 20),
                       "realtime_start": D(2025, 1, 2), "value": 4.52}
    christmas = next(r for r in rows if r["observation_date"] == D(2024, 12, 25))
    assert christmas["value"] is None  # "." is no observation, never zero
    assert meta["date_header"] == "observation_date"
    assert meta["title"].startswith("Market Yield on U.S. Treasury Securities at 10-Year")
    assert (meta["units"], meta["frequency"]) == ("Percent", "Daily")
    assert (meta["observation_start"], meta["observation_end"]) == (D(2024, 12, 20),
                                                                    D(2024, 12, 31))
    assert (meta["observation_count"], meta["missing_count"]) == (8, 1)
    assert meta["median_gap_days"] == 1.0
    assert set(rows[0]) == set(OBSERVATIONS.columns) and set(meta) == set(SERIES_META.columns)


def test_older_date_header_and_crlf() -> None:
    rows, meta = parse("VIXCLS", "VIXCLS_old_header.csv")
    assert meta["date_header"] == "DATE"
    assert [r["value"] for r in rows] == [14.27, None, 14.73, 15.95, 17.40, 17.35]
    assert meta["role"] == "vix_close"


def test_z1_quarterly_with_bom_and_empty_cell() -> None:
    rows, meta = parse("BOGZ1FU564090005Q", "BOGZ1FU564090005Q.csv")
    assert [r["observation_date"] for r in rows] == [D(2023, 7, 1), D(2023, 10, 1),
                                                     D(2024, 1, 1), D(2024, 4, 1),
                                                     D(2024, 7, 1)]
    assert [r["value"] for r in rows] == [152330.0, 221845.0, None, 198004.0, -12408.5]
    assert meta["units"] == "Millions of Dollars"
    assert meta["role"] == "etf_net_issuance"
    assert "FU564090005" in meta["source_table"]
    assert meta["median_gap_days"] == 91.5


def test_unknown_series_gets_measured_frequency() -> None:
    body = b"observation_date,XYZ\n2024-01-01,1\n2024-02-01,2\n2024-03-01,3\n"
    out = FredPlugin().parse(csv_payload("XYZ", body))
    (meta,) = out[SERIES_META.name]
    assert meta["title"] is None and meta["frequency"] == "Monthly"


def test_bad_rows_are_quarantined_with_line_numbers() -> None:
    with pytest.raises(MalformedPayload) as caught:
        parse("DGS10", "DGS10_bad_rows.csv")
    assert str(caught.value) == ("2 unreadable rows: line 3: bad value '4.6x'; "
                                 "line 5: 1 fields")


def test_wrong_series_in_header_is_quarantined() -> None:
    with pytest.raises(MalformedPayload, match="header names series 'DGS2', requested DGS10"):
        parse("DGS10", "DGS10_wrong_series.csv")


def test_html_instead_of_csv() -> None:
    body = (FIXTURES / "not_found.html").read_bytes()
    with pytest.raises(MalformedPayload, match="HTML page"):
        FredPlugin().parse(csv_payload("NOPE", body))
    with pytest.raises(SourceError, match="no series NOPE"):
        FredPlugin().parse(csv_payload("NOPE", body, status=404))


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty CSV"),
    (b"date,value\n2024-01-01,1\n", "unexpected header"),
    (b"observation_date,DGS10\n2024-13-01,1\n", "bad date"),
    (b"observation_date,DGS10\n2024-01-02,1\n2024-01-02,2\n", "repeated observation dates"),
    (b"\xff\xfeo\x00b\x00", "not UTF-8"),
])
def test_malformed_csvs(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        FredPlugin().parse(csv_payload("DGS10", body))


def test_offline_run_keeps_vintages_and_quarantines_bad_csvs(settings: Settings) -> None:
    archive = Archive(settings.archive_dir)
    plugin = FredPlugin()
    params = PlanParams(extra={"series": ["BOGZ1FU564090005Q", "DGS10", "VIXCLS"]})
    first = dt.datetime(2024, 12, 31, 22, tzinfo=dt.UTC)
    bodies = {"BOGZ1FU564090005Q": "BOGZ1FU564090005Q.csv", "DGS10": "DGS10_bad_rows.csv",
              "VIXCLS": "VIXCLS_old_header.csv"}
    for request in plugin.plan(params):
        body = (FIXTURES / bodies[dict(request.params)["id"]]).read_bytes()
        archive.put("fred", request, body=body, status=200, url=request.url, fetched_at=first)
    offline = dataclasses.replace(settings, offline=True)
    result = run_plugin(plugin, params, offline)
    assert (result.status, result.quarantined) == ("partial", 1)
    assert "DGS10 csv: quarantined: 2 unreadable rows" in result.errors[0]
    assert run_plugin(plugin, params, offline).rows_landed == 0  # idempotent

    # A later fetch revises one quarter: the new vintage lands beside the old one.
    (z1,) = [r for r in plugin.plan(params) if dict(r.params)["id"] == "BOGZ1FU564090005Q"]
    revised = (FIXTURES / "BOGZ1FU564090005Q.csv").read_bytes().replace(b"198004", b"201517")
    archive.put("fred", z1, body=revised, status=200, url=z1.url,
                fetched_at=first + dt.timedelta(days=2))
    run_plugin(plugin, PlanParams(extra={"series": ["BOGZ1FU564090005Q"]}), offline)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        vintages = con.execute(
            """select realtime_start, value from raw.fred_observations
               where series_id = 'BOGZ1FU564090005Q' and observation_date = '2024-04-01'
               order by 1""").fetchall()
        assert vintages == [(D(2024, 12, 31), 198004.0), (D(2025, 1, 2), 201517.0)]
        (vix,) = con.execute("select count(*) from raw.fred_observations "
                             "where series_id = 'VIXCLS'").fetchone()
        assert vix == 6
        (dgs10,) = con.execute("select count(*) from raw.fred_observations "
                               "where series_id = 'DGS10'").fetchone()
        assert dgs10 == 0  # the bad CSV landed nothing
        (reason,) = con.execute("select reason from raw.quarantine where plugin = 'fred'"
                                ).fetchone()
        assert "line 3: bad value '4.6x'" in reason


# -- the sample renderer ---------------------------------------------------------------------


def test_sample_csvs_parse_and_z1_dwarfs_the_universe() -> None:
    from ingest.sample import fred as sample
    from ingest.sample.world import load_universe, simulated_paths

    paths = simulated_paths(load_universe())
    final = sample.z1_series(paths, sample.FETCHED_AT)
    ours = sample.universe_flows_by_quarter(paths)
    issuance = dict(final[sample.Z1_ISSUANCE])
    assert max(issuance) == D(2024, 7, 1)  # Q3 2024: the last quarter published by year end
    for quarter in (D(2023, 4, 1), D(2024, 1, 1), D(2024, 4, 1)):
        coverage = ours[quarter] / 1e6 / issuance[quarter]
        assert -1.0 < coverage < 1.0  # the whole market is larger than the demo universe
    early = dict(sample.z1_series(paths, sample.MID_VINTAGE)[sample.Z1_ISSUANCE])
    assert max(early) == D(2024, 1, 1)
    assert early[D(2024, 1, 1)] != issuance[D(2024, 1, 1)]  # revised in the later vintage
    assert early[D(2023, 10, 1)] == issuance[D(2023, 10, 1)]
    body = sample.csv_body("DGS10", sample.daily_series("DGS10", D(2024, 11, 1),
                                                        D(2024, 11, 30)))
    rows = FredPlugin().parse(csv_payload("DGS10", body))[OBSERVATIONS.name]
    veterans_day = next(r for r in rows if r["observation_date"] == D(2024, 11, 11))
    assert veterans_day["value"] is None
    assert all(0 < r["value"] < 10 for r in rows if r["value"] is not None)
