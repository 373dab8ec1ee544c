"""`etfflow docs`: dbt's static docs site, built offline from a copy of the session's demo
warehouse. Its catalog lists every mart with its columns, every column is described, and
the exposures put the CLI reports and the serving layer at the end of the lineage."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.serving import public_relation_names

PROJECT = "etfflow"


@pytest.fixture(scope="module")
def docs(demo_build, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("docs")
    warehouse = root / "warehouse.duckdb"
    shutil.copy2(demo_build.duckdb_path, warehouse)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_LOG_PATH", str(root / "logs"))
        result = CliRunner().invoke(main, ["--db", str(warehouse), "docs"])
    assert result.exit_code == 0, result.output
    out = root / "docs"  # default: docs/ beside the warehouse
    assert str(out / "static_index.html") in result.output.replace("\n", "")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    return warehouse, out, manifest, catalog


def unique_id(name: str) -> str:
    return f"{'seed' if name == 'etf_universe' else 'model'}.{PROJECT}.{name}"


def test_catalog_lists_every_mart_with_its_columns(docs) -> None:
    warehouse, _, manifest, catalog = docs
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name in public_relation_names():
            node = catalog["nodes"].get(unique_id(name))
            assert node is not None, f"{name} is not in the docs catalog"
            expected = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'main' and table_name = ? order by ordinal_position", [name]).fetchall()]
            listed = sorted(node["columns"].values(), key=lambda c: c["index"])
            assert [c["name"] for c in listed] == expected, name
            documented = manifest["nodes"][unique_id(name)]
            assert documented["description"].strip(), name
            undescribed = [c for c in expected
                           if not documented["columns"].get(c, {}).get("description")]
            assert undescribed == [], f"{name}: columns without a description"


def test_exposures_show_who_consumes_the_marts(docs) -> None:
    _, _, manifest, _ = docs
    exposures = manifest["exposures"]
    serving = exposures[f"exposure.{PROJECT}.serving_layer"]
    published = {unique_id(name) for name in public_relation_names()}
    missing = sorted(published - set(serving["depends_on"]["nodes"]))
    assert missing == [], ("published by `etfflow publish` but not in the serving_layer "
                           f"exposure (dbt_project/models/_exposures.yml): {missing}")
    assert set(serving["depends_on"]["nodes"]) == published
    reports = {uid: e for uid, e in exposures.items() if e["name"].startswith("cli_")}
    assert {e["name"] for e in reports.values()} >= {
        "cli_flows_report", "cli_signals_report", "cli_top_report", "cli_sectors_report",
        "cli_arbitrage_report", "cli_reconcile_report", "cli_quality_report",
        "cli_holdings_report"}
    for exposure in reports.values():
        assert exposure["depends_on"]["nodes"]
        assert set(exposure["depends_on"]["nodes"]) <= published  # reports read marts only
    # lineage: the graph the site draws runs from the marts to their consumers
    children = manifest["child_map"][unique_id("fct_etf_flows_daily")]
    assert {f"exposure.{PROJECT}.serving_layer",
            f"exposure.{PROJECT}.cli_flows_report"} <= set(children)


def test_site_is_one_offline_page(docs) -> None:
    _, out, _, _ = docs
    page = (out / "static_index.html").read_text(encoding="utf-8")
    assert "serving_layer" in page and "fct_etf_flows_daily" in page  # manifest embedded
    remote = re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"https?://[^\"]+", page)
    assert remote == []
