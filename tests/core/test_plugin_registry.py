"""Plugin discovery through the ``etfflow.plugins`` entry-point group, and the RawTable contract."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from ingest.core import plugin as plugin_mod
from ingest.core.errors import EtfflowError
from ingest.core.plugin import Plugin, RawTable, Request, discover_plugins, load_plugin
from ingest.plugins.yahoo import YahooPlugin


def test_discover_finds_yahoo_through_its_entry_point():
    plugins = discover_plugins()
    assert plugins["yahoo"] is YahooPlugin
    assert issubclass(plugins["yahoo"], Plugin)
    assert list(plugins) == sorted(plugins)


def test_load_plugin_returns_an_instance():
    loaded = load_plugin("yahoo")
    assert isinstance(loaded, YahooPlugin)
    assert loaded.name == "yahoo"
    assert {t.name for t in loaded.tables} >= {"yahoo_prices", "yahoo_shares_outstanding"}


def test_unknown_plugin_names_the_installed_ones():
    with pytest.raises(EtfflowError) as excinfo:
        load_plugin("nope")
    message = str(excinfo.value)
    assert "'nope'" in message
    assert "yahoo" in message


def test_a_third_party_entry_point_is_discovered(monkeypatch: pytest.MonkeyPatch):
    class Extra(Plugin):
        name = "extra"
        tables = ()

        def plan(self, params):
            return []

        def parse(self, payload):
            return {}

    entry = EntryPoint("whatever", "irrelevant:Extra", plugin_mod.ENTRY_POINT_GROUP)
    monkeypatch.setattr(EntryPoint, "load", lambda self: Extra)
    monkeypatch.setattr(plugin_mod, "entry_points", lambda group: [entry])
    # Registered under the class's declared name, not the entry-point name.
    assert discover_plugins() == {"extra": Extra}


def test_no_plugins_installed_says_so(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(plugin_mod, "entry_points", lambda group: [])
    with pytest.raises(EtfflowError, match="none installed"):
        load_plugin("yahoo")


def test_raw_table_rejects_an_undeclared_primary_key_column():
    with pytest.raises(ValueError, match=r"t: primary key columns not declared: \['as_of_date'\]"):
        RawTable("t", {"ticker": "VARCHAR"}, ("ticker", "as_of_date"))


def test_raw_table_is_hashable_and_compares_by_value():
    a = RawTable("t", {"ticker": "VARCHAR"}, ("ticker",))
    b = RawTable("t", {"ticker": "VARCHAR"}, ("ticker",))
    c = RawTable("t", {"ticker": "VARCHAR", "x": "DOUBLE"}, ("ticker",))
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert {a: 1}[b] == 1


def test_plugin_table_lookup():
    yahoo = YahooPlugin()
    assert yahoo.table("yahoo_prices").primary_key == ("ticker", "as_of_date")
    assert all(yahoo.table(t.name) is t for t in yahoo.tables)


def test_request_get_sorts_and_stringifies_params():
    request = Request.get("https://x.test/a", b=2, a=1.5)
    assert request.params == (("a", "1.5"), ("b", "2"))
    assert request.label == "https://x.test/a"  # defaults to the URL
    assert Request.get("https://x.test/a", "mine").label == "mine"
