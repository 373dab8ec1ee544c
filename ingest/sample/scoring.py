"""Score the warehouse's share-count checks against the errors the SAMPLE archive injected.

The sample world (``ingest/sample/world.py``) injects errors into the reported share
counts at known places (``SHARE_ERRORS``, manifest ``injected_share_errors``) and lets a
few funds report a day late (``LAGGED_SHARE_REPORTS``). This module reads the flags the
dbt checks raised (``int_shares_outstanding_checked``, ``int_etf_shares_lag_detected``)
and measures, per error kind:

* recall: the share of injected places flagged with that kind. A place is a (ticker,
  day) whose reported count the injection made wrong; for ``lagged`` it is a fund, found
  when the detected lag equals the injected one.
* false positives: clean ETF-days with any flag, over all clean ETF-days. A clean day is
  a ticker-day with a share count that no injection touched, of a fund that reports on
  time, whose aligned count equals the simulated true count (so a day carrying a count
  across a missing report while the fund really changed size is not "clean" either way).

Used by ``tests/dbt/test_share_quality.py`` and ``scripts/bench.py --quality``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from ingest.sample import world

VALUE_KINDS = world.SHARE_ERROR_KINDS
KINDS = (*VALUE_KINDS, "lagged")
RECALL_TARGET_PCT = 95.0
FALSE_POSITIVE_TARGET_PCT = 0.5


@dataclass(frozen=True)
class KindScore:
    kind: str
    injected: int
    found: int
    unit: str  # "ETF-days" or "funds"

    @property
    def recall_pct(self) -> float:
        return 100.0 * self.found / self.injected if self.injected else float("nan")


@dataclass(frozen=True)
class ShareCheckScore:
    kinds: tuple[KindScore, ...]
    clean_days: int
    false_positive_days: int
    flagged_outside_injected: int
    missed: tuple[tuple[str, str, dt.date], ...]  # (kind, ticker, day) not flagged

    @property
    def false_positive_pct(self) -> float:
        return 100.0 * self.false_positive_days / self.clean_days if self.clean_days else 0.0

    def meets_targets(self) -> bool:
        return (all(k.recall_pct >= RECALL_TARGET_PCT for k in self.kinds)
                and self.false_positive_pct <= FALSE_POSITIVE_TARGET_PCT)


def injected_places(manifest: dict[str, Any]) -> dict[str, set[tuple[str, dt.date]]]:
    """(ticker, day) places per value kind whose reported count the sample made wrong."""
    places: dict[str, set[tuple[str, dt.date]]] = {k: set() for k in VALUE_KINDS}
    for error in manifest["injected_share_errors"]:
        places[error["kind"]] |= {(error["ticker"], dt.date.fromisoformat(d))
                                  for d in error["dates"]}
    return places


def score_share_checks(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any],
                       paths: dict[str, world.FundPath] | None = None) -> ShareCheckScore:
    """Recall per kind and the false-positive rate of a warehouse built from the sample
    archive described by ``manifest``."""
    paths = paths or world.simulated_paths(manifest["tickers"])
    places = injected_places(manifest)
    touched = {(e["ticker"], dt.date.fromisoformat(d))
               for e in manifest["injected_share_errors"] for d in e["days"]}
    lagged = {t: manifest["funds"][t]["shares_report_lag_trading_days"]
              for t in manifest["lagged_share_report_funds"]}
    rows = con.execute(f"""
        select ticker, as_of_date, shares_outstanding_raw,
               {", ".join(f"is_{k}" for k in KINDS)}
        from int_shares_outstanding_checked
        where shares_outstanding_raw is not null""").fetchall()
    detected_lags = dict(con.execute(
        "select ticker, shares_report_lag_days from int_etf_shares_lag_detected").fetchall())

    flags: dict[tuple[str, dt.date], set[str]] = {}
    clean_days = false_positives = outside = 0
    day_index = {t: {d: k for k, d in enumerate(p.days)} for t, p in paths.items()}
    for ticker, day, raw, *kind_flags in rows:
        raised = {k for k, on in zip(KINDS, kind_flags, strict=True) if on}
        flags[(ticker, day)] = raised
        injected_here = (ticker, day) in touched or ticker in lagged
        if raised and not injected_here:
            outside += 1
        k = day_index.get(ticker, {}).get(day)
        truly_clean = k is not None and raw == float(paths[ticker].shares[k])
        if not injected_here and truly_clean:
            clean_days += 1
            false_positives += bool(raised)

    scores, missed = [], []
    for kind in VALUE_KINDS:
        found = [p for p in sorted(places[kind]) if kind in flags.get(p, set())]
        missed += [(kind, t, d) for t, d in sorted(places[kind] - set(found))]
        scores.append(KindScore(kind, len(places[kind]), len(found), "ETF-days"))
    found_lags = [t for t, lag in lagged.items() if detected_lags.get(t) == lag]
    missed += [("lagged", t, world.DEMO_END) for t in sorted(set(lagged) - set(found_lags))]
    scores.append(KindScore("lagged", len(lagged), len(found_lags), "funds"))
    return ShareCheckScore(tuple(scores), clean_days, false_positives, outside,
                           tuple(missed))


def format_score(score: ShareCheckScore) -> list[str]:
    """Human-readable lines: recall per kind and the false-positive rate, with targets."""
    lines = [f"{'kind':<18} {'injected':>17} {'found':>6} {'recall':>8}   target >= "
             f"{RECALL_TARGET_PCT:.0f}%"]
    for k in score.kinds:
        mark = "ok" if k.recall_pct >= RECALL_TARGET_PCT else "BELOW TARGET"
        lines.append(f"{k.kind:<18} {k.injected:>8} {k.unit:<8} {k.found:>6} "
                     f"{k.recall_pct:>7.1f}%   {mark}")
    mark = "ok" if score.false_positive_pct <= FALSE_POSITIVE_TARGET_PCT else "ABOVE TARGET"
    lines.append(f"false positives: {score.false_positive_days} of {score.clean_days:,} clean "
                 f"ETF-days = {score.false_positive_pct:.3f}%   target <= "
                 f"{FALSE_POSITIVE_TARGET_PCT}%   {mark}")
    lines.append(f"flags on days no injection touched (any truth): "
                 f"{score.flagged_outside_injected}")
    return lines
