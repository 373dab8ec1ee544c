"""The SAMPLE archive behind ``etfflow demo``: every source's payloads, rendered from one
simulated world and stored with ``Archive.put`` exactly as a live run would have stored
them, plus a ``manifest.json`` the tests read. Byte-identical on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.core.archive import Archive
from ingest.core.plugin import PlanParams
from ingest.plugins.yahoo import YahooPlugin
from ingest.plugins.yahoo.plugin import quote_requests
from ingest.sample import edgar as sample_edgar
from ingest.sample import etfdb as sample_etfdb
from ingest.sample import fred as sample_fred
from ingest.sample import ishares as sample_ishares
from ingest.sample import sec as sample_sec
from ingest.sample import spdr as sample_spdr
from ingest.sample.world import (
    DEFAULT_CREATION_UNIT,
    DEMO_END,
    DEMO_START,
    FETCHED_AT,
    FUND_FAMILY,
    GENERATOR_VERSION,
    LABEL,
    LAGGED_SHARE_REPORTS,
    LAUNCHES,
    MANIFEST,
    PROFILES,
    SEED,
    SNAPSHOT_HISTORY_DAYS,
    SOURCE,
    SPLITS,
    FundPath,
    fetched_after_close,
    fund_spec,
    load_universe,
    market_factors,
    nyse_holidays,
    simulate,
    trading_days,
)
from ingest.sample.yahoo import (
    _kind,
    _wire_url,
    bad_ticker_bodies,
    chart_body,
    frozen_total_assets_days,
    quote_body,
    quote_count_refresh_days,
    quote_summary_body,
    shares_body,
)


def _prepare_out(out: Path) -> None:
    """Empty ``out`` if it holds a previous sample archive; refuse anything else."""
    if not out.exists():
        out.mkdir(parents=True)
        return
    if not any(out.iterdir()):
        return
    manifest = out / MANIFEST
    try:
        is_sample = json.loads(manifest.read_text(encoding="utf-8")).get("sample_data") is True
    except (OSError, ValueError):
        is_sample = False
    if not is_sample:
        raise FileExistsError(f"{out} is not empty and holds no sample archive; not touching it")
    for name in ("blobs", "index"):
        shutil.rmtree(out / name, ignore_errors=True)
    manifest.unlink()


@dataclass(frozen=True)
class DemoRun:
    """One ingest the demo replays: a plugin, its plan, and the moment it 'ran';
    ``expected_errors``: the source errors the archive's injected defects cause in it."""

    plugin: str
    params: PlanParams
    as_of: dt.datetime
    expected_errors: int = 0


def demo_runs(tickers: tuple[str, ...]) -> list[DemoRun]:
    """The demo's history as a real deployment would have built it: one backfill of
    the full history, then a daily run (snapshots) for each of the last trading days; the
    issuer plugins likewise (iShares: a backfill of one file per fund-day, then daily runs;
    State Street: the NAV histories once, then the daily holdings)."""
    history = PlanParams(tickers, DEMO_START, DEMO_END, {"history_only": True})
    days = trading_days(DEMO_START, DEMO_END)[-SNAPSHOT_HISTORY_DAYS:]
    daily = [
        DemoRun("yahoo", PlanParams(tickers, day, day, {"datasets": ("snapshot",)}),
                fetched_after_close(day))
        for day in days
    ]
    universe = load_universe()
    issuer_runs = [
        DemoRun(module.SOURCE, r.params, r.fetched_at, r.expected_errors)
        for module in (sample_ishares, sample_spdr)
        for r in module.run_params(
            tuple(t for t in tickers if universe.get(t, {}).get("issuer") == module.ISSUER))
    ]
    others = [DemoRun("etfdb", p, at) for p, at in sample_etfdb.run_params(tickers, universe)]
    others += [DemoRun("fred", p, at) for p, at in sample_fred.run_params()]
    others += [DemoRun("edgar_nport", p, FETCHED_AT)
               for p in sample_edgar.demo_runs(tickers, trading_days(DEMO_START, DEMO_END))]
    others += [DemoRun(plugin, p, FETCHED_AT)
               for plugin, p in sample_sec.demo_runs(tickers, trading_days(DEMO_START, DEMO_END))]
    return [DemoRun("yahoo", history, FETCHED_AT), *daily, *issuer_runs, *others]


def build_sample_archive(
    out: Path,
    tickers: list[str] | None = None,
    *,
    include_bad_ticker: str | None = None,
) -> dict[str, Any]:
    """Write the sample archive (and ``manifest.json``) under ``out``; return the manifest."""
    out = Path(out)
    universe = load_universe()
    chosen = [t.strip().upper() for t in (tickers or list(universe) or list(PROFILES))]
    chosen = list(dict.fromkeys(t for t in chosen if t))
    if not chosen:
        raise ValueError("no tickers to generate")
    bad = include_bad_ticker.strip().upper() if include_bad_ticker else None
    if bad and bad in chosen:
        raise ValueError(f"--include-bad-ticker {bad} is also a generated ticker")

    _prepare_out(out)
    archive = Archive(out)
    calendar = trading_days(DEMO_START, DEMO_END)
    factors = market_factors(len(calendar))
    plugin = YahooPlugin()
    funds: dict[str, dict[str, Any]] = {}
    paths: dict[str, FundPath] = {}
    payloads = 0

    for ticker in chosen:
        path = simulate(fund_spec(ticker, universe.get(ticker)), calendar, factors)
        paths[ticker] = path
        bodies = {"chart": chart_body(path), "shares": shares_body(path)}
        params = PlanParams(tickers=(ticker,), start=DEMO_START, end=DEMO_END)
        for request in plugin.plan(params):
            if _kind(request) == "quote":  # batched across tickers: below
                continue
            if _kind(request) == "quoteSummary":  # one snapshot per daily run
                for k in range(max(0, len(path.days) - SNAPSHOT_HISTORY_DAYS), len(path.days)):
                    archive.put(SOURCE, request, body=quote_summary_body(path.through(k)),
                                status=200, url=_wire_url(request),
                                fetched_at=fetched_after_close(path.days[k]))
                    payloads += 1
                continue
            archive.put(SOURCE, request, body=bodies[_kind(request)], status=200,
                        url=_wire_url(request), fetched_at=FETCHED_AT)
            payloads += 1
        funds[ticker] = _fund_manifest(path)

    # the v7 quote of each daily run, batched over every ticker the runs ask for: a symbol
    # Yahoo does not know (the bad ticker) is simply left out of the result
    for day in calendar[-SNAPSHOT_HISTORY_DAYS:]:
        for request in quote_requests([*chosen, *([bad] if bad else [])]):
            batch = dict(request.params)["symbols"].split(",")
            body = quote_body([paths[t].through(paths[t].days.index(day)) for t in batch
                               if t in paths and day in paths[t].days])
            archive.put(SOURCE, request, body=body, status=200, url=_wire_url(request),
                        fetched_at=fetched_after_close(day))
            payloads += 1

    issuers = {"ishares": sample_ishares.write_archive(archive, paths),
               "spdr": sample_spdr.write_archive(archive, paths)}
    payloads += sum(section["payload_count"] for section in issuers.values())
    payloads += sample_etfdb.write_archive(archive, paths, universe)
    payloads += sample_fred.write_archive(archive, paths)
    edgar = sample_edgar.put_edgar_payloads(archive, paths, calendar)
    payloads += edgar["payload_count"]
    ncen = sample_sec.put_ncen_payloads(archive, paths)
    datasets = sample_sec.put_dataset_payloads(archive, paths, calendar)
    payloads += ncen["payload_count"] + datasets["payload_count"]

    if bad:
        bodies_bad = bad_ticker_bodies(bad)
        for request in plugin.plan(PlanParams(tickers=(bad,), start=DEMO_START, end=DEMO_END)):
            if _kind(request) == "quote":  # in the batches above
                continue
            status, body = bodies_bad[_kind(request)]
            archive.put(SOURCE, request, body=body, status=status, url=_wire_url(request),
                        fetched_at=FETCHED_AT)
            payloads += 1

    manifest = {
        "sample_data": True,
        "label": LABEL,
        "generator": "scripts/make_sample_archive.py",
        "generator_version": GENERATOR_VERSION,
        "source": SOURCE,
        "seed": SEED,
        "start": DEMO_START.isoformat(),
        "end": DEMO_END.isoformat(),
        "fetched_at": FETCHED_AT.isoformat(),
        "snapshot_history_days": SNAPSHOT_HISTORY_DAYS,
        "calendar": {
            "rule": "weekdays minus NYSE full-day holidays (hard-coded list)",
            "trading_days": len(calendar),
            "holidays": [d.isoformat() for d in nyse_holidays(range(DEMO_START.year,
                                                                   DEMO_END.year + 1))
                         if DEMO_START <= d <= DEMO_END],
        },
        "tickers": chosen,
        "bad_tickers": [bad] if bad else [],
        "payload_count": payloads,
        "edgar_nport": edgar,
        # N-CEN (creation-unit sizes, APs) and the quarterly N-PORT data sets (sample/sec.py)
        "edgar_ncen": ncen,
        "sec_nport_datasets": datasets,
        # the issuer plugins' files: which funds each issuer's files cover, counts, layouts
        "issuer_sources": {name: {k: v for k, v in section.items() if k != "defects"}
                           for name, section in issuers.items()},
        # real-source defects injected into the issuer files (ingest/sample/ishares.py)
        "issuer_defects": [d for section in issuers.values() for d in section["defects"]],
        "default_creation_unit_size": DEFAULT_CREATION_UNIT,
        "splits": [
            {"ticker": s.ticker, "date": s.date.isoformat(), "numerator": s.numerator,
             "denominator": s.denominator, "ratio": s.ratio}
            for s in SPLITS if s.ticker in funds
        ],
        "launched_funds": [
            {"ticker": t, "launch_date": d.isoformat()} for t, d in LAUNCHES.items() if t in funds
        ],
        "lagged_share_report_funds": [t for t in LAGGED_SHARE_REPORTS if t in funds],
        # scripted flow episodes (world.FLOW_EPISODES): flow_units are the creation units
        # each added on its flow_days, on top of the fund's random activity
        "injected_events": [
            {"ticker": e.ticker, "kind": e.kind, "note": e.note,
             "days": [d.isoformat() for d in e.days], "premium_bps": e.premium_bps,
             "flow_days": [d.isoformat() for d in e.flow_days],
             "flow_units": list(e.flow_units)}
            for p in paths.values() for e in p.injected
        ],
        # scripted errors in the reported share counts (world.SHARE_ERRORS): each day
        # whose reported count is wrong, with the reported and the true count
        "injected_share_errors": [
            {"ticker": e.ticker, "kind": e.kind, "note": e.note,
             "days": [d.isoformat() for d in e.days],
             "dates": [d.isoformat() for d in e.dates],
             "reported": list(e.reported), "expected": list(e.expected)}
            for p in paths.values() for e in p.share_errors
        ],
        # Yahoo's real defects for ETFs (ingest/sample/yahoo.py)
        "yahoo_defects": {
            "quote_summary_shares_outstanding": "absent for every ETF",
            "nav_price": "the previous session's close",
            "quote_shares_refresh_dates": {
                t: [p.days[k].isoformat() for k in quote_count_refresh_days(p)]
                for t, p in paths.items()
            },
            "frozen_total_assets": [
                {"ticker": t, "dates": [p.days[k].isoformat() for k in sorted(frozen)],
                 "shown_as_of": p.days[min(frozen.values())].isoformat()}
                for t, p in paths.items() if (frozen := frozen_total_assets_days(p))
            ],
        },
        "wire_notes": {
            "chart_timestamps": "09:30 America/New_York of each trading day",
            "chart_prices": "split-adjusted, 2-decimal values carried as float32",
            "adjclose": "split- and dividend-adjusted (multiplicative), float32",
            "shares_out_timestamps": "00:00 UTC of the report date",
            "quote_summary_dates": "fundInceptionDate and lastSplitDate at 00:00 UTC",
            "regular_market_time": f"{DEMO_END.isoformat()} 16:00 America/New_York",
        },
        "funds": funds,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _fund_manifest(path: FundPath) -> dict[str, Any]:
    spec = path.spec
    reported = set(path.report_days.tolist())
    return {
        "fund_name": spec.name,
        "asset_class": spec.asset_class,
        "structure": spec.structure,
        "fund_family": FUND_FAMILY.get(spec.issuer, spec.issuer),
        "exchange": spec.exchange,
        "creation_unit_size": spec.creation_unit,
        "inception_date": spec.inception.isoformat(),
        "first_bar_date": path.days[0].isoformat(),
        "launch_date": spec.launch.isoformat() if spec.launch else None,
        "splits": [
            {"date": s.date.isoformat(), "numerator": s.numerator,
             "denominator": s.denominator, "ratio": s.ratio}
            for s in spec.splits
        ],
        "dividend_frequency": spec.dividend_frequency,
        "dividend_count": len(path.dividends),
        "bars": len(path.days),
        "shares_report_lag_trading_days": 1 if spec.lagged_shares else 0,
        "shares_reports": len(reported),
        "shares_report_missing_dates": [
            d.isoformat() for i, d in enumerate(path.days) if i not in reported
        ],
        "shares_outstanding_before_start": path.shares_before,
        "shares_outstanding_end": int(path.shares[-1]),
        "creation_units_created": int(path.units[path.units > 0].sum()),
        "creation_units_redeemed": int(-path.units[path.units < 0].sum()),
        "net_creation_units": int(path.units.sum()),
        "nav_end": round(float(path.nav[-1]), 2),
        "close_end": float(path.close[-1]),
        "annual_volatility": spec.annual_vol,
        "premium_discount_sd_bps": spec.premium_sd_bps,
        "expense_ratio": spec.expense_ratio,
    }


# -- command line -------------------------------------------------------------------------------


