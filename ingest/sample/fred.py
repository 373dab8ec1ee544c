"""Render FRED CSV downloads for the sample archive, in the live format.

SAMPLE DATA. ``fredgraph.csv`` answers ``observation_date,<SERIES>`` then one
``YYYY-MM-DD,value`` line per observation, ``.`` where there is none (daily series have a
row for every weekday, holidays included). Quarterly observations are dated the first day
of the quarter.

* The Financial Accounts (Z.1) ETF series describe the whole US ETF market, far larger
  than the demo's 64 funds: each quarter's net issuance is the demo universe's simulated
  creations minus redemptions plus the rest of the market (a made-up, plausible amount:
  roughly $120-300 bn a quarter), and the level grows by issuance and the simulated equity
  market's return. So the coverage ratio in ``agg_market_flows_quarterly`` shows the demo
  universe as a fraction of the market. Z.1 is published about ten weeks after a
  quarter ends, so a fetch at the end of 2024 has 2024 Q3 as its last quarter; a mid-2024
  fetch (an earlier vintage) ends at 2024 Q1, whose net issuance is revised later.
* DGS10 and VIXCLS are seeded random walks; VIX moves against the simulated equity market.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ingest.core.archive import Archive
from ingest.core.plugin import PlanParams, Request
from ingest.plugins.fred.plugin import CSV_URL, FredPlugin
from ingest.sample.world import (
    DEMO_END,
    FETCHED_AT,
    FundPath,
    _rng,
    fetched_after_close,
    market_factors,
    nyse_holidays,
    trading_days,
)

SOURCE = "fred"
Observations = list[tuple[dt.date, float | None]]
HISTORY_START = dt.date(2022, 1, 1)          # the demo's FRED runs ask from here (cosd)
Z1_START = dt.date(2018, 1, 1)               # first quarter rendered
Z1_LEVEL_START_MN = 3_370_000.0              # ETF total financial assets, 2017 Q4, $ mn
Z1_LEVEL, Z1_ISSUANCE, Z1_ISSUANCE_SAAR = (
    "BOGZ1LM564090005Q", "BOGZ1FU564090005Q", "BOGZ1FA564090005Q")
Z1_SERIES = (Z1_LEVEL, Z1_ISSUANCE, Z1_ISSUANCE_SAAR)
MID_VINTAGE = fetched_after_close(dt.date(2024, 6, 28))
VINTAGES = (MID_VINTAGE, FETCHED_AT)
# Bond-market holidays when stocks trade (no DGS10 observation): Columbus and Veterans Day.
BOND_ONLY_HOLIDAYS = {dt.date(2022, 10, 10), dt.date(2022, 11, 11), dt.date(2023, 10, 9),
                      dt.date(2023, 11, 10), dt.date(2024, 10, 14), dt.date(2024, 11, 11)}


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarters(first: dt.date, last: dt.date) -> list[dt.date]:
    out, q = [], _quarter_start(first)
    while q <= last:
        out.append(q)
        q = dt.date(q.year + (q.month + 2) // 12, (q.month + 2) % 12 + 1, 1)
    return out


def last_published_quarter(fetched_at: dt.datetime) -> dt.date:
    """Z.1 for a quarter appears about ten weeks after it ends."""
    return _quarter_start(fetched_at.date() - dt.timedelta(days=70 + 92))


def universe_flows_by_quarter(paths: dict[str, FundPath]) -> dict[dt.date, float]:
    """The simulated universe's creations minus redemptions (USD) per calendar quarter."""
    out: dict[dt.date, float] = {}
    for path in paths.values():
        flows = path.units * path.spec.creation_unit * path.nav
        for day, flow in zip(path.days, flows.tolist(), strict=True):
            q = _quarter_start(day)
            out[q] = out.get(q, 0.0) + flow
    return out


def z1_series(paths: dict[str, FundPath], fetched_at: dt.datetime) -> dict[str, list]:
    """(quarter, value in $ millions) per Z.1 series, as published at ``fetched_at``."""
    rng = _rng("fred", "z1")
    ours = universe_flows_by_quarter(paths)
    quarters = _quarters(Z1_START, last_published_quarter(FETCHED_AT))
    returns = _quarterly_equity_returns(quarters)
    level, levels, issuance = Z1_LEVEL_START_MN, [], []
    for i, q in enumerate(quarters):
        rest_of_market = rng.normal(120_000 + 9_000 * max(0, q.year - 2018), 40_000)
        net = rest_of_market + ours.get(q, 0.0) / 1e6
        level = level * (1 + returns[i]) + net
        issuance.append(round(net))
        levels.append(round(level))
    last = last_published_quarter(fetched_at)
    keep = [i for i, q in enumerate(quarters) if q <= last]
    if fetched_at < FETCHED_AT and keep:  # an earlier vintage: its last quarter was revised
        issuance = list(issuance)
        issuance[keep[-1]] = round(issuance[keep[-1]] * 0.97)
    return {
        Z1_LEVEL: [(quarters[i], levels[i]) for i in keep],
        Z1_ISSUANCE: [(quarters[i], issuance[i]) for i in keep],
        Z1_ISSUANCE_SAAR: [(quarters[i], issuance[i] * 4) for i in keep],
    }


def _quarterly_equity_returns(quarters: list[dt.date]) -> list[float]:
    """The simulated equity market's return per quarter (before the simulation: made up)."""
    rng = _rng("fred", "equity-quarters")
    days = trading_days(dt.date(2023, 1, 3), DEMO_END)
    shocks = market_factors(len(days))["equity"]
    daily = 0.12 / 252 + 0.17 / np.sqrt(252) * shocks
    by_quarter: dict[dt.date, float] = {}
    for day, r in zip(days, daily.tolist(), strict=True):
        q = _quarter_start(day)
        by_quarter[q] = (1 + by_quarter.get(q, 0.0)) * (1 + r) - 1
    return [by_quarter.get(q, float(rng.normal(0.025, 0.07))) for q in quarters]


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)
            if (first + dt.timedelta(days=i)).weekday() < 5]


def daily_series(series_id: str, first: dt.date, last: dt.date) -> Observations:
    """DGS10 or VIXCLS on every weekday in [first, last]; None on market holidays."""
    days = _weekdays(first, last)
    closed = set(nyse_holidays(range(first.year, last.year + 1)))
    if series_id == "DGS10":
        closed |= BOND_ONLY_HOLIDAYS
    rng = _rng("fred", series_id)
    world_days = trading_days(dt.date(2023, 1, 3), DEMO_END)
    equity = dict(zip(world_days, market_factors(len(world_days))["equity"].tolist(),
                      strict=True))
    out, level = [], 1.63 if series_id == "DGS10" else 17.2
    for day in days:
        if series_id == "DGS10":
            level = float(np.clip(level + 0.004 + rng.normal(0, 0.06) - 0.01 * (level - 4.2),
                                  0.5, 6.0))
            value = round(level, 2)
        else:
            shock = equity.get(day, float(rng.normal()))
            level = float(np.clip(level + 0.08 * (18.5 - level) - 1.6 * shock
                                  + rng.normal(0, 0.6), 9.0, 60.0))
            value = round(level, 2)
        out.append((day, None if day in closed else value))
    return out


def csv_body(series_id: str, rows: Observations) -> bytes:
    lines = [f"observation_date,{series_id}"]
    lines += [f"{day.isoformat()},{'.' if v is None else v}" for day, v in rows]
    return ("\n".join(lines) + "\n").encode()


def _window(rows: list, params: PlanParams) -> list:
    return [(d, v) for d, v in rows
            if (params.start is None or d >= params.start)
            and (params.end is None or d <= params.end)]


def run_params() -> list[tuple[PlanParams, dt.datetime]]:
    """The FRED runs the demo replays: the Z.1 series mid-2024 (an earlier vintage), then
    every default series at the end."""
    return [
        (PlanParams(start=HISTORY_START, end=MID_VINTAGE.date(),
                    extra={"series": Z1_SERIES}), MID_VINTAGE),
        (PlanParams(start=HISTORY_START, end=DEMO_END), FETCHED_AT),
    ]


def write_archive(archive: Archive, paths: dict[str, FundPath]) -> int:
    """Store the CSVs each demo FRED run asks for; return the number of payloads."""
    plugin, payloads = FredPlugin(), 0
    for params, fetched_at in run_params():
        z1 = z1_series(paths, fetched_at)
        for request in plugin.plan(params):
            series_id = dict(request.params)["id"]
            rows = z1.get(series_id) or daily_series(series_id, params.start, params.end)
            archive.put(SOURCE, request, body=csv_body(series_id, _window(rows, params)),
                        status=200, url=_wire_url(request), fetched_at=fetched_at)
            payloads += 1
    return payloads


def _wire_url(request: Request) -> str:
    query = "&".join(f"{k}={v}" for k, v in request.params)
    return f"{CSV_URL}?{query}"
