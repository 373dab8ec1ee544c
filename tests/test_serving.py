"""`etfflow publish`: the serving DuckDB file and Parquet, on copies of the session's demo
warehouse (tests/conftest.py `demo_build`); no dbt runs here."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest import serving
from ingest.cli import main
from ingest.core.config import Settings
from ingest.serving import PublishError, public_relation_names, publish, serving_paths

DAILY_FACT = "fct_etf_flows_daily"


def copy_warehouse(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "warehouse.duckdb"
    shutil.copy2(source, target)
    if source.with_name(source.name + ".wal").exists():
        shutil.copy2(source.with_name(source.name + ".wal"), target.with_name(target.name + ".wal"))
    return target


@pytest.fixture
def warehouse(demo_build, tmp_path: Path) -> Path:
    return copy_warehouse(demo_build.duckdb_path, tmp_path / "build")


@pytest.fixture(scope="module")
def published(demo_build, tmp_path_factory: pytest.TempPathFactory):
    """One publish of an untouched copy, shared by the read-only checks."""
    root = tmp_path_factory.mktemp("published")
    warehouse = copy_warehouse(demo_build.duckdb_path, root / "build")
    return warehouse, root / "serving", publish(warehouse, root / "serving")


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position",
        [relation]).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parquet_files(parquet_dir: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (inode, mtime_ns) of every Parquet file."""
    return {str(p.relative_to(parquet_dir)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in parquet_dir.rglob("*.parquet")}


def test_public_relations_are_the_marts_folder_plus_the_universe_seed(tmp_path: Path) -> None:
    marts = tmp_path / "marts"
    (marts / "flows").mkdir(parents=True)
    for path in ("dim_a.sql", "flows/fct_b.sql", "flows/_flows__models.yml", "dq_c.sql"):
        (marts / path).write_text("select 1")
    assert public_relation_names(marts) == ("dim_a", "dq_c", "fct_b", "etf_universe")
    real = public_relation_names()
    assert {"fct_etf_flows_daily", "dim_etf", "agg_top_flows", "sig_flow_momentum",
            "dq_fund_quality", "etf_universe"} <= set(real)
    assert not [name for name in real if name.startswith(("stg_", "int_"))]


def test_publish_copies_every_public_relation(published) -> None:
    warehouse, serving_dir, result = published
    serving_file, parquet_dir, _ = serving_paths(serving_dir)
    assert result.missing == []
    assert result.relations == len(public_relation_names())
    with duckdb.connect(str(warehouse), read_only=True) as source, \
            duckdb.connect(str(serving_file), read_only=True) as served:
        tables = {name for (name,) in served.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_type = 'BASE TABLE'").fetchall()}
        assert tables == set(public_relation_names())  # views of the build become tables
        total = 0
        for name in public_relation_names():
            (rows,) = source.execute(f"select count(*) from {name}").fetchone()
            assert served.execute(f"select count(*) from {name}").fetchone() == (rows,), name
            assert columns(served, name) == columns(source, name), name
            total += rows
        assert result.rows == total
        (latest,) = source.execute(f"select max(as_of_date) from {DAILY_FACT}").fetchone()
        build_id, as_of_date, relations = served.execute(
            "select build_id, as_of_date, relations from etfflow.publish").fetchone()
        assert (build_id, as_of_date) == (result.build_id, latest) == (build_id, result.as_of_date)
        assert sorted(relations) == sorted(public_relation_names())
        # the demo's SAMPLE DATA label travels with it, so reports on the serving file say so
        assert "SAMPLE DATA" in served.execute("select label from raw.sample_data_notice"
                                               ).fetchone()[0]
    leftovers = [p for p in serving_dir.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    assert not serving_file.with_name(serving_file.name + ".wal").exists()


def test_parquet_and_manifest_read_back_with_pyarrow_and_duckdb(published) -> None:
    pads = pytest.importorskip("pyarrow.dataset")
    warehouse, serving_dir, result = published
    _, parquet_dir, manifest_path = serving_paths(serving_dir)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["build_id"] == result.build_id
    assert set(manifest["relations"]) == set(public_relation_names())
    with duckdb.connect(str(warehouse), read_only=True) as source:
        for name, entry in manifest["relations"].items():
            (rows,) = source.execute(f"select count(*) from {name}").fetchone()
            assert entry["row_count"] == rows, name
            assert [(c["name"], c["type"]) for c in entry["columns"]] == columns(source, name)
            for file in entry["files"]:
                path = parquet_dir / name / file["path"]
                assert sha256(path) == file["sha256"] and path.stat().st_size == file["bytes"]
            names = {c["name"] for c in entry["columns"]}
            by_year = {"ticker", "as_of_date"} <= names
            assert (entry["partitioned_by"] == "year") is by_year, name
            if by_year:  # ticker x day facts: one year=YYYY folder per year of data
                years = {y for (y,) in source.execute(
                    f"select distinct year(as_of_date) from {name}").fetchall()}
                assert {f["year"] for f in entry["files"]} == years, name
                assert {f["path"] for f in entry["files"]} == {
                    f"year={y}/data_0.parquet" for y in years}
                (latest,) = source.execute(f"select max(as_of_date) from {name}").fetchone()
                assert entry["as_of_date"] == (latest.isoformat() if latest else None)
            # pyarrow (what pandas, Spark-style readers use) and DuckDB read the folder as is
            table = pads.dataset(parquet_dir / name, format="parquet",
                                 partitioning="hive").to_table()
            assert table.num_rows == rows, name
            (read_back,) = duckdb.sql(
                f"select count(*) from read_parquet('{parquet_dir / name}/**/*.parquet', "
                f"hive_partitioning = true)").fetchone()
            assert read_back == rows, name
        expected = source.execute(
            f"select sum(net_flow_usd), sum(aum_usd), count(distinct ticker) from {DAILY_FACT}"
        ).fetchone()
    folder = parquet_dir / DAILY_FACT
    table = pads.dataset(folder, format="parquet", partitioning="hive").to_table()
    got = (pytest.approx(table.column("net_flow_usd").to_pandas().sum(), rel=1e-9),
           pytest.approx(table.column("aum_usd").to_pandas().sum(), rel=1e-9))
    assert (expected[0], expected[1]) == got
    assert "year" in table.column_names  # the partition key comes from the folder names
    assert duckdb.sql(
        f"select sum(net_flow_usd), sum(aum_usd), count(distinct ticker) from read_parquet("
        f"'{folder}/**/*.parquet', hive_partitioning = true)").fetchone() == pytest.approx(
        expected, rel=1e-9)


def test_republish_rewrites_only_what_changed(warehouse: Path, tmp_path: Path) -> None:
    serving_dir = tmp_path / "serving"
    serving_file, parquet_dir, manifest_path = serving_paths(serving_dir)
    first = publish(warehouse, serving_dir)
    assert first.files_kept == 0 and first.files_written > 0
    before = parquet_files(parquet_dir)
    inode = serving_file.stat().st_ino

    again = publish(warehouse, serving_dir)  # nothing changed: no Parquet file rewritten
    assert (again.files_written, again.files_kept) == (0, first.files_written)
    assert parquet_files(parquet_dir) == before
    assert serving_file.stat().st_ino != inode  # the DuckDB file is always a new one
    assert json.loads(manifest_path.read_text())["build_id"] == again.build_id != first.build_id

    with duckdb.connect(str(warehouse)) as con:  # a new last day changes only its year
        (last_year,) = con.execute(f"select max(year(as_of_date)) from {DAILY_FACT}").fetchone()
        con.execute(f"update {DAILY_FACT} set net_flow_usd = net_flow_usd + 1 "
                    f"where as_of_date = (select max(as_of_date) from {DAILY_FACT})")
        con.execute("delete from fct_etf_flow_windows where year(as_of_date) < ?", [last_year])
    third = publish(warehouse, serving_dir)
    after = parquet_files(parquet_dir)
    changed = {path for path in after if after[path] != before.get(path)}
    # the fact and the views built on it (fct_etf_creation_redemption), in that year only
    assert f"{DAILY_FACT}/year={last_year}/data_0.parquet" in changed
    assert all(path.endswith(f"/year={last_year}/data_0.parquet") for path in changed)
    assert third.files_written == len(changed) < len(before) // 4
    gone = {path for path in before if path not in after}  # the windows and views on them
    assert f"fct_etf_flow_windows/year={last_year - 1}/data_0.parquet" in gone
    assert all(path.endswith(f"/year={last_year - 1}/data_0.parquet") for path in gone)
    assert not any((parquet_dir / "fct_etf_flow_windows").glob(f"year={last_year - 1}"))
    files = {f["path"]: f for f in
             json.loads(manifest_path.read_text())["relations"][DAILY_FACT]["files"]}
    assert files[f"year={last_year}/data_0.parquet"]["build_id"] == third.build_id
    assert files[f"year={last_year - 1}/data_0.parquet"]["build_id"] == first.build_id


@pytest.mark.parametrize("failing", ["_copy_relation", "_write_parquet"])
def test_failed_publish_leaves_the_previous_serving_layer(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    serving_dir = tmp_path / "serving"
    serving_file, parquet_dir, manifest_path = serving_paths(serving_dir)
    publish(warehouse, serving_dir)
    state = (sha256(serving_file), manifest_path.read_bytes(), parquet_files(parquet_dir))
    # a publish killed earlier left its temporary files; the next one clears them
    (serving_dir / "warehouse.duckdb.tmp-dead").write_bytes(b"partial")
    (parquet_dir / DAILY_FACT / ".data_0.parquet.tmp-dead").write_bytes(b"partial")

    with duckdb.connect(str(warehouse)) as con:  # changed data, so Parquet is rewritten too
        con.execute(f"update {DAILY_FACT} set net_flow_usd = net_flow_usd + 1")
    real, calls = getattr(serving, failing), []

    def fail_midway(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(serving, failing, fail_midway)
    with pytest.raises(OSError, match="injected"):
        publish(warehouse, serving_dir)
    assert len(calls) == 3
    assert (sha256(serving_file), manifest_path.read_bytes(),
            parquet_files(parquet_dir)) == state
    assert [p.name for p in serving_dir.rglob("*") if ".tmp-" in p.name] == []

    monkeypatch.setattr(serving, failing, real)
    assert publish(warehouse, serving_dir).files_written > 0


def test_a_reader_keeps_its_snapshot_while_a_new_file_is_swapped_in(
    warehouse: Path, tmp_path: Path
) -> None:
    """A second process holds the serving file open across a publish: its connection keeps
    the old build (the renamed-over inode lives on), a new connection sees the new one."""
    serving_dir = tmp_path / "serving"
    serving_file = serving_paths(serving_dir)[0]
    first = publish(warehouse, serving_dir)
    query = f"select count(*), sum(net_flow_usd) from {DAILY_FACT}"
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, json, sys
            con = duckdb.connect({str(serving_file)!r}, read_only=True)
            for line in sys.stdin:
                row = con.execute("select build_id from etfflow.publish").fetchone()
                print(json.dumps([row[0], *con.execute({query!r}).fetchone()]), flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        def ask() -> list:
            reader.stdin.write("query\n")
            reader.stdin.flush()
            return json.loads(reader.stdout.readline())

        seen = ask()
        assert seen[0] == first.build_id
        with duckdb.connect(str(warehouse)) as con:
            con.execute(f"delete from {DAILY_FACT} where ticker = 'SPY'")
        second = publish(warehouse, serving_dir)
        assert ask() == seen  # same build, same rows, mid-session
        with duckdb.connect(str(serving_file), read_only=True) as fresh:
            assert fresh.execute("select build_id from etfflow.publish").fetchone() == (
                second.build_id,)
            assert fresh.execute(query).fetchone()[0] < seen[1]
    finally:
        reader.stdin.close()
        assert reader.wait(timeout=30) == 0


def test_bi_client_through_sqlalchemy_and_duckdb_engine(published) -> None:
    """The path Superset and Metabase-style tools take: SQLAlchemy + duckdb-engine, read-only."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("duckdb_engine")
    warehouse, serving_dir, _ = published
    report = sqlalchemy.text(
        """with latest as (select max(as_of_date) as day from agg_top_flows)
           select t.ticker, d.fund_name, t.flow_usd
           from agg_top_flows t join dim_etf d using (ticker), latest
           where t.as_of_date = latest.day and t.flow_window = :window
           order by t.flow_usd desc, t.ticker limit 5""")
    engine = sqlalchemy.create_engine(f"duckdb:///{serving_paths(serving_dir)[0]}",
                                      connect_args={"read_only": True})
    try:
        with engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(report, {"window": "5d"})]
            assert "agg_top_flows" in sqlalchemy.inspect(connection).get_table_names()
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
                connection.execute(sqlalchemy.text("delete from dim_etf"))
    finally:
        engine.dispose()
    assert len(rows) == 5
    with duckdb.connect(str(warehouse), read_only=True) as source:
        assert source.execute(str(report).replace(":window", "'5d'")).fetchall() == rows


def test_cli_reports_read_the_serving_file(published) -> None:
    _, serving_dir, _ = published
    result = CliRunner().invoke(main, ["--db", str(serving_paths(serving_dir)[0]),
                                       "flows", "SPY", "--days", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sample_data"] is True and len(report["rows"]) == 3


def test_publish_command_and_serving_dir_setting(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = Settings(duckdb_path=tmp_path / "w" / "x.duckdb").serving_root
    assert beside == tmp_path / "w" / "serving"
    assert Settings.from_env({}).serving_root == Path("data/serving")
    assert Settings.from_env({"ETFFLOW_SERVING_DIR": "/srv/bi"}).serving_root == Path("/srv/bi")

    monkeypatch.setenv("ETFFLOW_SERVING_DIR", str(tmp_path / "bi"))
    result = CliRunner().invoke(main, ["--db", str(warehouse), "publish"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bi" / "warehouse.duckdb").exists()
    assert str(tmp_path / "bi" / "parquet") in result.output.replace("\n", "")

    missing = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "publish"])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == [
        f"error: no warehouse at {tmp_path / 'none.duckdb'}; run `etfflow build` first"]


def test_publish_of_a_warehouse_without_marts_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="nothing to publish"):
        publish(empty, tmp_path / "serving")
    assert not (tmp_path / "serving" / "warehouse.duckdb").exists()
    assert os.listdir(tmp_path / "serving" / "parquet") == []
