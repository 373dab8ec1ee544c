"""The simulated world behind the SAMPLE archive: calendar, fund profiles and each fund's
economic path (NAV, close, shares outstanding, creations/redemptions, dividends, splits).

SAMPLE DATA — every number is made up by a seeded random process. Source renderers
(``ingest/sample/yahoo.py``, …) turn the same paths into each source's wire format, so
the sources agree with each other the way real ones do.

Usage::

    python scripts/make_sample_archive.py --out data/sample_archive [--tickers SPY QQQ]
    build_sample_archive(Path("data/sample_archive"))   # returns the manifest dict

Output is byte-identical on every run (fixed seed, per-ticker random streams keyed on the
ticker so a subset run reproduces the same series, gzip mtime 0, sorted JSON where the
wire has no order). An existing sample archive at ``--out`` is replaced; any other
non-empty directory is refused.

Calendar
    US trading days = weekdays minus the NYSE full-day holidays hard-coded in
    ``NYSE_HOLIDAYS`` (2022-2025, exact, including 2025-01-09). Early closes are ignored.

Dynamics (per fund, one economic path in pre-split share units)
    * NAV: geometric random walk, one market factor per asset class (correlation 0.85
      equity, 0.80 bond, 0.45 commodity) plus idiosyncratic noise; annual vol per fund
      (~2% SHY .. 17% SPY .. 30% semis/biotech .. 55% UNG) and a modest total-return
      drift (equities up, bond funds earning about their yield, UNG down on contango).
      Start prices and AUM are roughly the real January 2023 levels.
    * Dividends: quarterly for equity funds (SPDR on the third Friday, Invesco the third
      Monday, iShares from the 11th, Vanguard from the 22nd of Mar/Jun/Sep/Dec), monthly
      for bond funds (first trading day of the month), annual in December for the
      open-end commodity funds (PDBC, COMT), none for grantor trusts / commodity pools.
      The NAV drops by the distribution on the ex-date.
    * Close = NAV x (1 + premium), premium an AR(1) (phi 0.6) with a per-fund sd: ~2 bps
      broad US equity, 3 bps sector, 4 bps Treasuries, 6-8 bps commodity, 12-25 bps
      international and credit funds. OHLC around it, volume int.
    * Shares outstanding move only by creations/redemptions in whole creation units
      (50,000 shares; 100,000 for GLD, IAU and the iShares bond funds; 25,000 for the
      launched fund). Activity probability rises with AUM (~8% of days for a $100m
      fund, ~80% for SPY); the signed size responds to the trailing 5-day return
      (momentum chasing), to yesterday's premium (creations follow premiums,
      redemptions follow discounts) and to a small per-class bias. Never below two units.
    * Splits: VGT 4:1 forward on 2024-03-18 and UNG 1:4 reverse on 2024-01-24 (UNG
      really did one that day). On the split date the share count is multiplied by the
      ratio (plus that day's creations) and prices divide — not a flow.
    * Launch: IYZ is launched mid-period (2023-09-12) at $25.00 with four 25,000-share
      units, then gathers assets; its chart, shares history, ``firstTradeDate`` and
      ``fundInceptionDate`` all start that day.
    * Volume = turnover(fund) x AUM / price x lognormal noise, busier on big-move days;
      turnover from ~0.4%/day (Vanguard) to ~25%/day (UNG).
    * Scripted flow episodes (``FLOW_EPISODES``) on top of the random paths, so every
      flow mart has something to find: premium / discount episodes in the NAV window,
      each followed by creations / redemptions on the next trading day; a sector
      rotation out of the Energy basket into Technology over five weeks; institutional
      creations and redemptions placed on the day the fund's trailing 5-day return is
      most against them. What was injected (days, units, premiums) is listed per event
      in ``FundPath.injected`` and the manifest's ``injected_events``.

Wire formats (what Yahoo really sends, so parsers meet the real thing)
    * chart: one bar per trading day stamped 09:30 America/New_York; OHLC, close and
      dividends split-adjusted (pre-split prices divided by the ratio, volume
      multiplied); ``adjclose`` also dividend-adjusted (Yahoo's multiplicative
      1 - D / previous close). Prices are 2-decimal values carried as float32, as
      Yahoo serves them (586.08 arrives as 586.0800170898438); adjclose is float32.
    * quoteSummary (formatted=false): plain numbers; dates (``fundInceptionDate``,
      ``lastSplitDate``) are epoch seconds at 00:00 UTC of the calendar date;
      ``regularMarketTime`` is DEMO_END 16:00 New York. The timezone sits in
      ``quoteType.timeZoneFullName``. No ``sharesOutstanding`` (an ETF's has none),
      ``navPrice`` = the previous close, and the v7 quote's count weeks stale: Yahoo's
      real defects, rendered by ``ingest/sample/yahoo.py``.
    * fundamentals-timeseries shares_out: ``timestamp`` is 00:00 UTC of the report date,
      values are ints. Reports are daily-ish: ~5% of trading days have none (never the
      first/last day, a split day or the launch day), and the funds in
      ``LAGGED_SHARE_REPORTS`` report the count as of the prior trading day.
    * Share-count errors (``SHARE_ERRORS``), injected into the shares history only (the true
      path, the issuers' files, N-PORT and etfdb keep the truth; the errors sit on funds
      whose flows use the vendor's count): fat-finger spikes that revert (some straddling a
      month end), x1000 / /1000 unit mix-ups, offsets that are no multiple of the creation
      unit, counts frozen for a week inside the NAV window (where total assets reveal the
      flows), and both splits reported in pre-split units for a few days. Each starts on the
      first day on or after its anchor where the day before, its days and the day after are
      all report days (``_share_error_start``), so the places are fixed and the count is
      right again the day after. The days whose reported count is wrong, with the wrong and
      the true value, are in ``FundPath.share_errors`` and the manifest's
      ``injected_share_errors``; together with ``LAGGED_SHARE_REPORTS`` (a one-day lag) they
      are what the dbt share-count checks must find.
    * Optional bad ticker (``--include-bad-ticker ZZZZ``): chart and quoteSummary answer
      404 with Yahoo's error bodies; the timeseries answers 200 with meta and no data.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from ingest.universe import UNIVERSE_SEED

DEMO_START = dt.date(2023, 1, 3)
DEMO_END = dt.date(2024, 12, 31)
SEED = 20230103
SOURCE = "yahoo"
GENERATOR_VERSION = 2
FETCHED_AT = dt.datetime(2024, 12, 31, 22, 0, tzinfo=dt.UTC)  # an hour after the close
# The demo warehouse has "run daily" for this many trading days before DEMO_END: each day's
# quoteSummary snapshot and v7 quote (total assets, vendor share count) are archived,
# fetched at 22:00 UTC.
SNAPSHOT_HISTORY_DAYS = 60


def fetched_after_close(day: dt.date) -> dt.datetime:
    """When a daily run fetches a day's snapshot: 22:00 UTC, after the US close."""
    return dt.datetime.combine(day, dt.time(22), dt.UTC)
LABEL = (
    "SAMPLE DATA - synthetic payloads generated by scripts/make_sample_archive.py in "
    "Yahoo's wire formats; not real market data"
)
UNIVERSE_CSV = UNIVERSE_SEED
MANIFEST = "manifest.json"

NY = ZoneInfo("America/New_York")
TRADING_DAYS_PER_YEAR = 252

# NYSE full-day closures (month-day), exact for these years; 2025-01-09 was a national day
# of mourning. Early closes (half days) do not remove a daily bar and are not listed.
NYSE_HOLIDAYS: dict[int, str] = {
    2022: "01-17 02-21 04-15 05-30 06-20 07-04 09-05 11-24 12-26",
    2023: "01-02 01-16 02-20 04-07 05-29 06-19 07-04 09-04 11-23 12-25",
    2024: "01-01 01-15 02-19 03-29 05-27 06-19 07-04 09-02 11-28 12-25",
    2025: "01-01 01-09 01-20 02-17 04-18 05-26 06-19 07-04 09-01 11-27 12-25",
}

# -- fund events --------------------------------------------------------------------------------

DEFAULT_CREATION_UNIT = 50_000
CREATION_UNIT_OVERRIDES = {
    "GLD": 100_000, "IAU": 100_000,
    "AGG": 100_000, "TLT": 100_000, "LQD": 100_000, "HYG": 100_000, "SHY": 100_000,
    "IEF": 100_000,
    "IYZ": 25_000,
}


@dataclass(frozen=True)
class Split:
    ticker: str
    date: dt.date
    numerator: int
    denominator: int

    @property
    def ratio(self) -> float:
        return self.numerator / self.denominator


SPLITS = (
    Split("UNG", dt.date(2024, 1, 24), 1, 4),   # reverse split, as UNG really did that day
    Split("VGT", dt.date(2024, 3, 18), 4, 1),   # forward split in a sector ETF
)
LAUNCHES = {"IYZ": dt.date(2023, 9, 12)}
LAUNCH_PRICE = 25.0
LAUNCH_SEED_UNITS = 4
LAGGED_SHARE_REPORTS = ("VOO", "BND", "VOX", "PDBC")
MISSING_SHARE_REPORT_RATE = 0.05
MIN_UNITS_OUTSTANDING = 2


@dataclass(frozen=True)
class FlowEpisode:
    """A scripted episode on one fund. ``size``: premium/discount in bps for the
    ``premium`` / ``discount`` kinds, else the daily flow as a signed fraction of the
    shares outstanding (``rotation``: every trading day in [start, end];
    ``institutional``: one day in [start, end], the one whose trailing 5-day return is
    most negative for a creation, most positive for a redemption)."""

    ticker: str
    kind: str
    start: dt.date
    end: dt.date
    size: float
    note: str


@dataclass(frozen=True)
class InjectedEvent:
    """What an episode did to a fund's path: the days it touched (premium days, or
    flow days) and the creation units it added on each flow day."""

    ticker: str
    kind: str
    note: str
    days: tuple[dt.date, ...]
    premium_bps: float | None
    flow_days: tuple[dt.date, ...]
    flow_units: tuple[int, ...]


# After a premium (discount) day, authorized participants create (redeem) this fraction
# of the shares outstanding on the next trading day.
ARBITRAGE_FOLLOW_UP = 0.01
_D = dt.date
FLOW_EPISODES: tuple[FlowEpisode, ...] = (
    # premium / discount episodes inside the NAV window (the last 60 trading days)
    FlowEpisode("HYG", "premium", _D(2024, 10, 22), _D(2024, 10, 23), 80.0,
                "credit ETF at a premium; creations follow"),
    FlowEpisode("EEM", "premium", _D(2024, 11, 7), _D(2024, 11, 7), 60.0,
                "emerging-markets ETF at a premium; creations follow"),
    FlowEpisode("LQD", "discount", _D(2024, 11, 19), _D(2024, 11, 20), -70.0,
                "credit ETF at a discount; redemptions follow"),
    FlowEpisode("XLE", "discount", _D(2024, 12, 4), _D(2024, 12, 4), -30.0,
                "energy ETF at a discount; redemptions follow"),
    FlowEpisode("GLD", "premium", _D(2024, 12, 10), _D(2024, 12, 10), 45.0,
                "gold trust at a premium; creations follow"),
    # sector rotation: out of the Energy basket into Technology
    *(FlowEpisode(t, "rotation", _D(2024, 10, 14), _D(2024, 11, 15), -0.003,
                  "sector rotation out of Energy") for t in ("XLE", "VDE", "XOP", "OIH")),
    *(FlowEpisode(t, "rotation", _D(2024, 10, 14), _D(2024, 11, 15), 0.002,
                  "sector rotation into Technology") for t in ("XLK", "VGT", "SMH")),
    # institutional-size creations / redemptions against the recent price move
    FlowEpisode("SPY", "institutional", _D(2023, 8, 1), _D(2023, 10, 31), 0.015,
                "institutional creation into a falling market"),
    FlowEpisode("IWM", "institutional", _D(2024, 4, 1), _D(2024, 5, 31), 0.03,
                "institutional creation into a falling market"),
    FlowEpisode("TLT", "institutional", _D(2024, 7, 1), _D(2024, 8, 30), -0.03,
                "institutional redemption into a rally"),
    FlowEpisode("XLF", "institutional", _D(2024, 10, 15), _D(2024, 11, 22), -0.025,
                "institutional redemption into a rally"),
    FlowEpisode("GLD", "institutional", _D(2024, 10, 8), _D(2024, 11, 27), 0.025,
                "institutional creation into a falling market"),
)

# Scripted errors in the *reported* share counts (the Yahoo shares history only; the true
# path, the issuers' files, N-PORT and every other source keep the truth), so the share-count
# checks (dbt_project/models/intermediate/quality) have known places to find. They sit on
# funds whose flows use the vendor's counts: iShares and State Street funds take theirs
# from the issuer, where a vendor error would never reach a flow.
SHARE_ERROR_KINDS = ("spike_revert", "stale", "not_unit_multiple", "split_unadjusted",
                     "scale_error")


@dataclass(frozen=True)
class ShareError:
    """An error in one fund's reported share counts, starting on the first eligible trading
    day on or after ``anchor`` (see ``_share_error_start``) and lasting ``days`` trading
    days, each of them a report day. ``size`` by kind: spike_revert, the fraction the
    count is off by; scale_error, the factor (1000: units reported as thousands of units
    the wrong way round, 0.001: thousands); not_unit_multiple, the offset as a fraction of
    the creation unit; stale and split_unadjusted, unused (stale repeats the count of
    the day before the error; split_unadjusted reports the count in pre-split units from
    the split's ex-date on)."""

    ticker: str
    kind: str
    anchor: dt.date
    days: int
    size: float
    note: str


@dataclass(frozen=True)
class InjectedShareError:
    """What a ``ShareError`` did: the days it touched, and on each day whose reported
    count it made wrong, the reported (wrong) and the true count (same units)."""

    ticker: str
    kind: str
    note: str
    days: tuple[dt.date, ...]
    dates: tuple[dt.date, ...]
    reported: tuple[int, ...]
    expected: tuple[int, ...]


SHARE_ERRORS: tuple[ShareError, ...] = (
    # fat-finger spikes that revert (three of them straddle a month end)
    ShareError("QQQ", "spike_revert", _D(2023, 3, 6), 1, 0.35, "count 35% too high for a day"),
    ShareError("VTI", "spike_revert", _D(2023, 6, 12), 1, -0.30, "count 30% too low for a day"),
    ShareError("VFH", "spike_revert", _D(2023, 8, 31), 1, 0.50, "month-end count 50% too high"),
    ShareError("VDC", "spike_revert", _D(2023, 11, 14), 2, 0.25, "count 25% too high, two days"),
    ShareError("VIS", "spike_revert", _D(2024, 2, 29), 1, -0.40, "month-end count 40% too low"),
    ShareError("SMH", "spike_revert", _D(2024, 5, 20), 1, 0.60, "count 60% too high for a day"),
    ShareError("VCIT", "spike_revert", _D(2024, 7, 31), 2, 0.45, "month-end count 45% too high"),
    ShareError("PPLT", "spike_revert", _D(2024, 11, 18), 1, -0.35, "count 35% too low for a day"),
    ShareError("VEA", "spike_revert", _D(2024, 12, 5), 1, 0.30, "count 30% too high for a day"),
    # units / thousands mix-ups
    ShareError("VPU", "scale_error", _D(2023, 4, 17), 1, 1000.0, "count x1000 for a day"),
    ShareError("VCIT", "scale_error", _D(2023, 9, 29), 2, 1000.0, "month-end count x1000"),
    ShareError("VCR", "scale_error", _D(2024, 1, 10), 3, 0.001, "count in thousands, 3 days"),
    ShareError("VHT", "scale_error", _D(2024, 4, 30), 1, 0.001, "month-end count in thousands"),
    ShareError("RTH", "scale_error", _D(2024, 8, 5), 1, 1000.0, "count x1000 for a day"),
    ShareError("DBC", "scale_error", _D(2024, 11, 6), 2, 0.001, "count in thousands, 2 days"),
    # odd amounts that no creation or redemption could produce
    ShareError("VNQ", "not_unit_multiple", _D(2023, 2, 14), 1, 0.23, "count off by 0.23 unit"),
    ShareError("PALL", "not_unit_multiple", _D(2023, 7, 18), 1, -0.31, "count off by -0.31 unit"),
    ShareError("BNDX", "not_unit_multiple", _D(2023, 12, 11), 2, 0.12, "off by 0.12 unit, 2 days"),
    ShareError("OIH", "not_unit_multiple", _D(2024, 3, 5), 1, -0.44, "count off by -0.44 unit"),
    ShareError("VDE", "not_unit_multiple", _D(2024, 6, 14), 1, 0.37, "count off by 0.37 unit"),
    ShareError("USO", "not_unit_multiple", _D(2024, 10, 22), 1, -0.18, "count off by -0.18 unit"),
    # a vendor repeating an old count while the fund keeps creating (inside the NAV window,
    # where total assets show the flows the stale count hides)
    ShareError("QQQ", "stale", _D(2024, 10, 15), 6, 0.0, "count frozen for six days"),
    ShareError("VDE", "stale", _D(2024, 11, 4), 5, 0.0, "count frozen for five days"),
    ShareError("VHT", "stale", _D(2024, 11, 25), 6, 0.0, "count frozen for six days"),
    ShareError("VDC", "stale", _D(2024, 12, 9), 7, 0.0, "count frozen for seven days"),
    # the split's ex-date passes before the vendor rescales the count
    ShareError("UNG", "split_unadjusted", _D(2024, 1, 24), 3, 0.0, "pre-split units for 3 days"),
    ShareError("VGT", "split_unadjusted", _D(2024, 3, 18), 2, 0.0, "pre-split units for 2 days"),
)

# -- per-fund profile -----------------------------------------------------------------------------
# ticker: (inception date, price at DEMO_START USD, AUM at DEMO_START USD bn, annual vol,
#          annual report expense ratio). Roughly real levels; approximate on purpose.
PROFILES: dict[str, tuple[str, float, float, float, float]] = {
    "SPY": ("1993-01-22", 383.0, 370.0, 0.17, 0.000945),
    "QQQ": ("1999-03-10", 265.0, 150.0, 0.22, 0.0020),
    "IWM": ("2000-05-22", 175.0, 55.0, 0.22, 0.0019),
    "VTI": ("2001-05-24", 190.0, 280.0, 0.17, 0.0003),
    "VOO": ("2010-09-07", 352.0, 280.0, 0.17, 0.0003),
    "DIA": ("1998-01-14", 333.0, 30.0, 0.15, 0.0016),
    "EEM": ("2003-04-07", 39.0, 20.0, 0.18, 0.0070),
    "VEA": ("2007-07-20", 41.5, 100.0, 0.16, 0.0005),
    "IVV": ("2000-05-15", 385.0, 300.0, 0.17, 0.0003),
    "IEFA": ("2012-10-18", 62.0, 85.0, 0.16, 0.0007),
    "MDY": ("1995-05-04", 445.0, 19.0, 0.20, 0.0023),
    "AGG": ("2003-09-22", 97.0, 80.0, 0.06, 0.0003),
    "BND": ("2007-04-03", 72.0, 85.0, 0.06, 0.0003),
    "TLT": ("2002-07-22", 101.0, 30.0, 0.16, 0.0015),
    "LQD": ("2002-07-22", 105.0, 30.0, 0.09, 0.0014),
    "HYG": ("2007-04-04", 74.0, 15.0, 0.08, 0.0049),
    "JNK": ("2007-11-28", 91.0, 7.0, 0.08, 0.0040),
    "VCIT": ("2009-11-19", 78.0, 40.0, 0.07, 0.0004),
    "BNDX": ("2013-05-31", 48.0, 50.0, 0.05, 0.0007),
    "SHY": ("2002-07-22", 81.0, 26.0, 0.02, 0.0015),
    "IEF": ("2002-07-22", 96.0, 25.0, 0.08, 0.0015),
    "GLD": ("2004-11-18", 171.0, 55.0, 0.14, 0.0040),
    "SLV": ("2006-04-21", 22.0, 10.0, 0.28, 0.0050),
    "USO": ("2006-04-10", 72.0, 2.5, 0.35, 0.0060),
    "UNG": ("2007-04-18", 13.0, 1.0, 0.55, 0.0106),
    "DBC": ("2006-02-03", 24.0, 3.0, 0.20, 0.0087),
    "PDBC": ("2014-11-07", 14.5, 6.0, 0.20, 0.0059),
    "IAU": ("2005-01-21", 35.0, 26.0, 0.14, 0.0025),
    "PALL": ("2010-01-08", 170.0, 0.4, 0.38, 0.0060),
    "PPLT": ("2010-01-08", 96.0, 1.0, 0.28, 0.0060),
    "COMT": ("2014-10-15", 30.0, 0.8, 0.20, 0.0048),
    "XLF": ("1998-12-16", 34.5, 30.0, 0.20, 0.0009),
    "XLE": ("1998-12-16", 87.0, 40.0, 0.25, 0.0009),
    "XLK": ("1998-12-16", 125.0, 40.0, 0.24, 0.0009),
    "XLV": ("1998-12-16", 136.0, 40.0, 0.15, 0.0009),
    "XLI": ("1998-12-16", 98.0, 15.0, 0.18, 0.0009),
    "XLY": ("1998-12-16", 130.0, 13.0, 0.25, 0.0009),
    "XLP": ("1998-12-16", 74.0, 17.0, 0.13, 0.0009),
    "XLU": ("1998-12-16", 70.0, 16.0, 0.18, 0.0009),
    "XLRE": ("2015-10-07", 37.0, 5.0, 0.22, 0.0009),
    "XLC": ("2018-06-18", 48.0, 10.0, 0.24, 0.0009),
    "VFH": ("2004-01-26", 80.0, 9.0, 0.20, 0.0010),
    "KRE": ("2006-06-19", 60.0, 3.0, 0.32, 0.0035),
    "KBE": ("2005-11-08", 46.0, 2.0, 0.30, 0.0035),
    "VGT": ("2004-01-26", 320.0, 45.0, 0.24, 0.0010),
    "SMH": ("2011-12-20", 205.0, 8.0, 0.32, 0.0035),
    "VHT": ("2004-01-26", 245.0, 17.0, 0.15, 0.0010),
    "IBB": ("2001-02-05", 131.0, 8.0, 0.24, 0.0045),
    "XBI": ("2006-01-31", 83.0, 7.0, 0.35, 0.0035),
    "VDE": ("2004-09-23", 120.0, 8.0, 0.26, 0.0010),
    "XOP": ("2006-06-19", 130.0, 4.0, 0.32, 0.0035),
    "OIH": ("2011-12-20", 290.0, 2.5, 0.33, 0.0035),
    "VIS": ("2004-09-23", 185.0, 4.5, 0.18, 0.0010),
    "IYT": ("2003-10-06", 215.0, 1.0, 0.22, 0.0039),
    "VCR": ("2004-01-26", 225.0, 4.5, 0.25, 0.0010),
    "RTH": ("2011-12-20", 160.0, 0.2, 0.18, 0.0035),
    "VDC": ("2004-01-26", 192.0, 7.0, 0.13, 0.0010),
    "KXI": ("2006-09-12", 60.0, 0.8, 0.13, 0.0041),
    "VPU": ("2004-01-26", 150.0, 6.0, 0.18, 0.0010),
    "IDU": ("2000-06-12", 82.0, 1.0, 0.18, 0.0039),
    "VNQ": ("2004-09-23", 84.0, 32.0, 0.22, 0.0012),
    "IYR": ("2000-06-12", 87.0, 4.0, 0.22, 0.0039),
    "VOX": ("2004-09-23", 90.0, 3.0, 0.24, 0.0010),
    "IYZ": ("2000-05-22", 22.0, 0.3, 0.20, 0.0039),
}
# Annual total-return drift; bond funds default to their distribution yield (price ~flat).
DRIFT_BY_CLASS = {"equity": 0.12, "commodity": 0.02}
DRIFT_OVERRIDES = {"UNG": -0.25, "TLT": 0.0, "SMH": 0.30, "XLK": 0.22, "VGT": 0.22,
                   "QQQ": 0.20, "XLE": 0.0, "VDE": 0.0, "XOP": 0.0, "OIH": 0.0}
FACTOR_CORRELATION = {"equity": 0.85, "bond": 0.80, "commodity": 0.45}
DIVIDEND_YIELD_BY_CLASS = {"equity": 0.015, "bond": 0.035, "commodity": 0.04}
DIVIDEND_YIELD_OVERRIDES = {
    "QQQ": 0.006, "XLK": 0.007, "VGT": 0.007, "SMH": 0.005, "IBB": 0.003, "XBI": 0.001,
    "XLU": 0.031, "VPU": 0.031, "IDU": 0.030, "XLE": 0.034, "VDE": 0.033, "XOP": 0.030,
    "XLRE": 0.038, "VNQ": 0.040, "IYR": 0.026, "XLP": 0.026, "VDC": 0.025, "KXI": 0.024,
    "KRE": 0.031, "KBE": 0.032, "EEM": 0.025, "VEA": 0.031, "IEFA": 0.030,
    "SHY": 0.036, "TLT": 0.040, "IEF": 0.032, "LQD": 0.043, "HYG": 0.060, "JNK": 0.062,
    "VCIT": 0.040, "BNDX": 0.030, "COMT": 0.045,
}
TURNOVER_BY_ISSUER = {"Vanguard": 0.004, "iShares": 0.012, "State Street": 0.04,
                      "Invesco": 0.05, "VanEck": 0.06, "USCF": 0.12, "abrdn": 0.01}
TURNOVER_OVERRIDES = {
    "SPY": 0.06, "QQQ": 0.08, "IWM": 0.12, "EEM": 0.07, "TLT": 0.07, "HYG": 0.09,
    "LQD": 0.04, "JNK": 0.05, "GLD": 0.025, "IAU": 0.02, "SLV": 0.06, "UNG": 0.25,
    "USO": 0.10, "KRE": 0.20, "XBI": 0.12, "XOP": 0.12, "AGG": 0.008,
}
FUND_FAMILY = {"State Street": "SPDR State Street Global Advisors", "iShares": "iShares",
               "Vanguard": "Vanguard", "Invesco": "Invesco", "VanEck": "VanEck",
               "USCF": "USCF Investments", "abrdn": "abrdn"}
NASDAQ_LISTED = frozenset({"QQQ", "BND", "BNDX", "VCIT", "TLT", "SHY", "IEF", "IBB", "SMH",
                           "PDBC", "COMT"})
EXCHANGES = {"PCX": ("NYSEArca", "NYSEArca"), "NGM": ("NasdaqGM", "NasdaqGM")}

# -- calendar ----------------------------------------------------------------------------------


def nyse_holidays(years: Iterable[int]) -> list[dt.date]:
    out = []
    for year in years:
        if year not in NYSE_HOLIDAYS:
            raise ValueError(f"no NYSE holiday list for {year} (have {sorted(NYSE_HOLIDAYS)})")
        out += [dt.date.fromisoformat(f"{year}-{md}") for md in NYSE_HOLIDAYS[year].split()]
    return out


def trading_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """US trading days in [start, end]: weekdays minus the hard-coded NYSE holidays."""
    closed = set(nyse_holidays(range(start.year, end.year + 1)))
    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _epoch_at(day: dt.date, hour: int, minute: int = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(hour, minute), NY).timestamp())


def _epoch_midnight_utc(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * 86_400


# -- fund specification ----------------------------------------------------------------------


@dataclass(frozen=True)
class FundSpec:
    ticker: str
    name: str
    issuer: str
    asset_class: str
    category: str
    sector: str
    seed_group: str
    structure: str
    inception: dt.date
    start_price: float
    start_aum_usd: float
    annual_vol: float
    expense_ratio: float
    creation_unit: int
    launch: dt.date | None
    splits: tuple[Split, ...]
    lagged_shares: bool

    @property
    def drift(self) -> float:
        default = DRIFT_BY_CLASS.get(self.asset_class, self.dividend_yield)
        return DRIFT_OVERRIDES.get(self.ticker, default)

    @property
    def dividend_yield(self) -> float:
        default = DIVIDEND_YIELD_BY_CLASS.get(self.asset_class, 0.0)
        return DIVIDEND_YIELD_OVERRIDES.get(self.ticker, default)

    @property
    def dividend_frequency(self) -> str:
        if self.asset_class == "bond":
            return "monthly"
        if self.asset_class == "commodity":
            return "annual" if self.structure == "open_end_fund" else "none"
        return "quarterly"

    @property
    def premium_sd_bps(self) -> float:
        category = self.category.lower()
        if self.asset_class == "bond":
            if "government" in category:
                return 4.0
            if "global" in category:
                return 15.0
            return 25.0 if "corporate" in category or "high yield" in category else 12.0
        if self.asset_class == "commodity":
            return 8.0 if self.structure == "grantor_trust" else 6.0
        if any(k in category for k in ("foreign", "emerging")) or self.ticker == "KXI":
            return 20.0
        return 3.0 if self.sector else 2.0

    @property
    def turnover(self) -> float:
        return TURNOVER_OVERRIDES.get(self.ticker, TURNOVER_BY_ISSUER.get(self.issuer, 0.03))

    @property
    def exchange(self) -> str:
        return "NGM" if self.ticker in NASDAQ_LISTED else "PCX"


def load_universe(path: Path = UNIVERSE_CSV) -> dict[str, dict[str, str]]:
    """The seed universe by ticker (empty when the seed file is absent)."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["ticker"].strip().upper(): row for row in csv.DictReader(fh)}


def fund_spec(ticker: str, row: dict[str, str] | None) -> FundSpec:
    """Profile a ticker from the seed row and PROFILES; unknown tickers get a generic fund."""
    row = row or {}
    rng = _rng("profile", ticker)
    profile = PROFILES.get(ticker) or (
        "2010-01-04", float(np.round(rng.uniform(20, 200), 2)), 1.0, 0.20, 0.004,
    )
    inception, price, aum_bn, vol, er = profile
    launch = LAUNCHES.get(ticker)
    if launch:
        inception, price = launch.isoformat(), LAUNCH_PRICE
    return FundSpec(
        ticker=ticker,
        name=row.get("fund_name") or f"{ticker} Sample ETF",
        issuer=row.get("issuer") or "Sample Funds",
        asset_class=row.get("asset_class") or "equity",
        category=row.get("category") or "Large Blend",
        sector=row.get("sector") or "",
        seed_group=row.get("seed_group") or "equity",
        structure=row.get("structure") or "open_end_fund",
        inception=dt.date.fromisoformat(inception),
        start_price=price,
        start_aum_usd=aum_bn * 1e9,
        annual_vol=vol,
        expense_ratio=er,
        creation_unit=CREATION_UNIT_OVERRIDES.get(ticker, DEFAULT_CREATION_UNIT),
        launch=launch,
        splits=tuple(s for s in SPLITS if s.ticker == ticker),
        lagged_shares=ticker in LAGGED_SHARE_REPORTS,
    )


# -- simulation --------------------------------------------------------------------------------


def _rng(*key: object) -> np.random.Generator:
    """A random stream keyed on (SEED, key...): independent of which other tickers run."""
    return np.random.default_rng([SEED, *(zlib.crc32(str(k).encode()) for k in key)])


def _ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    out = np.empty_like(shocks)
    level = shocks[0] / math.sqrt(1 - phi * phi)
    for i, shock in enumerate(shocks.tolist()):
        level = phi * level + shock if i else level
        out[i] = level
    return out


def _dividend_days(spec: FundSpec, days: Sequence[dt.date]) -> list[int]:
    """Indices into ``days`` of the ex-dividend dates, by the issuer's usual schedule."""
    freq = spec.dividend_frequency
    if freq == "none":
        return []
    months = {"monthly": range(1, 13), "quarterly": (3, 6, 9, 12), "annual": (12,)}[freq]
    index = {d: i for i, d in enumerate(days)}
    out = []
    for year in sorted({d.year for d in days}):
        for month in months:
            if freq == "monthly":
                anchor = dt.date(year, month, 1)
            elif freq == "annual":
                anchor = dt.date(year, month, 20)
            elif spec.issuer == "State Street":  # third Friday
                first = dt.date(year, month, 1)
                anchor = first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)
            elif spec.issuer == "Invesco":  # third Monday
                first = dt.date(year, month, 1)
                anchor = first + dt.timedelta(days=(0 - first.weekday()) % 7 + 14)
            else:
                anchor = dt.date(year, month, {"iShares": 11, "Vanguard": 22}.get(spec.issuer, 15))
            ex = next((d for d in days if d >= anchor), None)
            if ex is not None and ex.month == anchor.month and ex in index:
                out.append(index[ex])
    return sorted(set(out))


@dataclass(frozen=True)
class FundPath:
    """One fund's simulated days; prices in Yahoo's split-adjusted units."""

    spec: FundSpec
    days: list[dt.date]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    adjclose: np.ndarray
    volume: np.ndarray
    nav: np.ndarray               # actual NAV per share outstanding that day
    dividends: dict[int, float]   # day index -> split-adjusted amount per share
    split_days: dict[int, Split]
    shares: np.ndarray            # actual shares outstanding at each day's close
    shares_before: int            # the count before the first day (0 for a launch)
    units: np.ndarray             # creation units (+) / redemption units (-) each day
    report_days: np.ndarray       # indices of days with a shares_out report
    reported_shares: np.ndarray   # the value reported on each report day
    previous_close: float
    injected: tuple[InjectedEvent, ...] = ()  # scripted episodes (FLOW_EPISODES)
    share_errors: tuple[InjectedShareError, ...] = ()  # SHARE_ERRORS injected in reports

    def through(self, k: int) -> FundPath:
        """The path as known at the close of day ``k`` (what a snapshot that day shows)."""
        stop = k + 1
        reported = self.report_days <= k
        return replace(
            self,
            days=self.days[:stop],
            **{name: getattr(self, name)[:stop] for name in (
                "open", "high", "low", "close", "adjclose", "volume", "nav", "shares", "units")},
            dividends={i: a for i, a in self.dividends.items() if i <= k},
            split_days={i: s for i, s in self.split_days.items() if i <= k},
            report_days=self.report_days[reported],
            reported_shares=self.reported_shares[reported],
        )


def simulate(spec: FundSpec, calendar: list[dt.date], factors: dict[str, np.ndarray]) -> FundPath:
    rng = _rng("fund", spec.ticker)
    first = calendar.index(next(d for d in calendar if d >= spec.launch)) if spec.launch else 0
    days = calendar[first:]
    n = len(days)
    sd_day = spec.annual_vol / math.sqrt(TRADING_DAYS_PER_YEAR)
    rho = FACTOR_CORRELATION.get(spec.asset_class, 0.7)
    factor = factors.get(spec.asset_class, factors["equity"])[first:]
    shocks = rho * factor + math.sqrt(1 - rho * rho) * rng.standard_normal(n)
    log_ret = (spec.drift - 0.5 * spec.annual_vol**2) / TRADING_DAYS_PER_YEAR + sd_day * shocks
    if spec.launch:
        log_ret[0] = 0.0

    # Economic NAV in pre-split share units, ex-dividend drops applied on ex-dates.
    nav_econ = spec.start_price * np.exp(np.cumsum(log_ret))
    div_days = [k for k in _dividend_days(spec, days) if not (spec.launch and k < 20)]
    per_year = {"monthly": 12, "quarterly": 4, "annual": 1}.get(spec.dividend_frequency, 1)
    div_econ: dict[int, float] = {}
    for k in div_days:
        prev = nav_econ[k - 1] if k else spec.start_price
        amount = round(spec.dividend_yield / per_year * prev * rng.uniform(0.85, 1.15), 4)
        if amount > 0:
            div_econ[k] = amount
            nav_econ[k:] *= 1 - amount / prev

    # Splits: cumulative ratio at each day; Yahoo shows every price in post-split units.
    split_days = {days.index(s.date): s for s in spec.splits if s.date in days}
    ratio_day = np.ones(n)
    for k, s in split_days.items():
        ratio_day[k] = s.ratio
    cum_ratio = np.cumprod(ratio_day)
    total_ratio = float(cum_ratio[-1])
    nav_actual = nav_econ / cum_ratio

    # Premium/discount and the day's bar (economic units, adjusted below).
    prem_sd = spec.premium_sd_bps / 1e4
    premium = np.clip(_ar1(rng.standard_normal(n) * prem_sd * 0.8, 0.6), -6 * prem_sd, 6 * prem_sd)
    episodes = [e for e in FLOW_EPISODES if e.ticker == spec.ticker]
    extra_flow, episode_days = _episode_flows(episodes, days, log_ret)
    for episode in episodes:
        if episode.kind in ("premium", "discount"):
            premium[episode_days[episode]] = episode.size / 1e4
    close_econ = nav_econ * (1 + premium)
    prev_close_econ = spec.start_price * (1 + premium[0])  # the close before the first bar
    prior = np.concatenate([[prev_close_econ], close_econ[:-1]])
    open_econ = prior * (1 + 0.3 * sd_day * rng.standard_normal(n))
    if spec.launch:
        open_econ[0] = spec.start_price
    wick = 0.45 * sd_day
    high_econ = np.maximum(open_econ, close_econ) * (1 + np.abs(rng.standard_normal(n)) * wick)
    low_econ = np.minimum(open_econ, close_econ) * (1 - np.abs(rng.standard_normal(n)) * wick)

    close = np.round(close_econ / total_ratio, 2)
    open_ = np.round(open_econ / total_ratio, 2)
    high = np.maximum(np.round(high_econ / total_ratio, 2), np.maximum(open_, close))
    low = np.minimum(np.round(low_econ / total_ratio, 2), np.minimum(open_, close))
    dividends = {k: round(v / total_ratio, 4) for k, v in div_econ.items()}

    # Yahoo's adjclose: multiply by (1 - D / previous close) for every later ex-date.
    factor_at = np.ones(n)
    prev_close = round(prev_close_econ / total_ratio, 2)
    for k, amount in dividends.items():
        factor_at[k] = 1 - amount / (close[k - 1] if k else prev_close)
    later = np.concatenate([np.cumprod(factor_at[::-1])[::-1][1:], [1.0]])
    adjclose = close * later

    shares_before, shares, units, injected_units = _simulate_shares(
        spec, rng, log_ret, premium / prem_sd, split_days, sd_day, extra_flow)
    injected = tuple(
        _injected_event(e, days, episode_days[e], injected_units) for e in episodes)

    # Volume: turnover of AUM, noisier and busier on big-move days; Yahoo split-adjusts it.
    aum = shares * nav_actual
    busy = (1 + 0.6 * np.abs(shocks)) / (1 + 0.6 * math.sqrt(2 / math.pi))  # mean 1
    noise = rng.lognormal(-0.08, 0.4, n)
    turnover = spec.turnover * (0.3 if spec.launch else 1.0)
    volume_actual = turnover * aum / (close_econ / cum_ratio) * busy * noise
    volume = np.round(volume_actual * total_ratio / cum_ratio).astype(np.int64)

    # shares_out reports: ~5% of days missing, some funds a trading day behind.
    keep = rng.random(n) >= MISSING_SHARE_REPORT_RATE
    keep[[0, n - 1, *split_days]] = True
    report_days = np.flatnonzero(keep)
    if spec.lagged_shares:
        lagged = np.concatenate([[shares_before], shares[:-1]])
        reported = lagged[report_days]
    else:
        reported = shares[report_days]
    reported, share_errors = inject_share_errors(spec, days, shares, units, split_days,
                                                 report_days, reported)

    return FundPath(
        spec=spec, days=days, open=open_, high=high, low=low, close=close, adjclose=adjclose,
        volume=volume, nav=nav_actual, dividends=dividends, split_days=split_days,
        shares=shares, shares_before=shares_before, units=units, report_days=report_days,
        reported_shares=reported, previous_close=prev_close, injected=injected,
        share_errors=share_errors,
    )


def simulated_paths(tickers: Iterable[str]) -> dict[str, FundPath]:
    """The demo's fund paths for ``tickers`` (the truth behind the sample archive)."""
    calendar = trading_days(DEMO_START, DEMO_END)
    factors = market_factors(len(calendar))
    universe = load_universe()
    return {t: simulate(fund_spec(t, universe.get(t)), calendar, factors) for t in tickers}


def _episode_flows(
    episodes: list[FlowEpisode], days: list[dt.date], log_ret: np.ndarray
) -> tuple[np.ndarray, dict[FlowEpisode, list[int]]]:
    """Each episode's day indices, and the extra daily flow (fraction of shares
    outstanding) the flow episodes and the arbitrage follow-ups add."""
    extra = np.zeros(len(days))
    trailing_5d = np.convolve(log_ret, np.ones(5), mode="full")[: len(days)]
    touched: dict[FlowEpisode, list[int]] = {}
    for episode in episodes:
        span = [k for k, d in enumerate(days) if episode.start <= d <= episode.end]
        if episode.kind in ("premium", "discount"):
            follow = math.copysign(ARBITRAGE_FOLLOW_UP, episode.size)
            for k in span:
                if k + 1 < len(days):
                    extra[k + 1] += follow
        elif episode.kind == "rotation":
            extra[span] += episode.size
        elif episode.kind == "institutional":
            candidates = [k for k in span if k >= 4]
            pick = min if episode.size > 0 else max
            k = pick(candidates, key=lambda i: (trailing_5d[i], i))
            extra[k] += episode.size
            span = [k]
        else:
            raise ValueError(f"unknown flow episode kind {episode.kind!r}")
        touched[episode] = span
    return extra, touched


def _injected_event(
    episode: FlowEpisode, days: list[dt.date], span: list[int], injected_units: np.ndarray
) -> InjectedEvent:
    if episode.kind in ("premium", "discount"):
        flow_idx = [k + 1 for k in span if k + 1 < len(days)]
    else:
        flow_idx = span
    return InjectedEvent(
        ticker=episode.ticker, kind=episode.kind, note=episode.note,
        days=tuple(days[k] for k in span),
        premium_bps=episode.size if episode.kind in ("premium", "discount") else None,
        flow_days=tuple(days[k] for k in flow_idx),
        flow_units=tuple(int(injected_units[k]) for k in flow_idx),
    )


def _simulate_shares(
    spec: FundSpec,
    rng: np.random.Generator,
    log_ret: np.ndarray,
    premium_z: np.ndarray,
    split_days: dict[int, Split],
    sd_day: float,
    extra_flow: np.ndarray | None = None,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Shares outstanding moved only by whole creation units (and by splits).
    ``extra_flow`` (fraction of shares outstanding per day) adds scripted creations or
    redemptions; the units it added are returned last."""
    n = len(log_ret)
    cu = spec.creation_unit
    # Signal: momentum over the previous 5 days, yesterday's premium, class bias, noise.
    window = np.convolve(log_ret, np.ones(5), mode="full")[:n]
    momentum = np.concatenate([[0.0], window[:-1]]) / (sd_day * math.sqrt(5))
    prem_lag = np.concatenate([[0.0], premium_z[:-1]])
    bias = {"equity": 0.05, "bond": 0.08, "commodity": -0.08}.get(spec.asset_class, 0.0)
    if spec.launch:
        bias = 0.9
    signal = bias + 0.35 * momentum + 0.35 * prem_lag + rng.standard_normal(n)
    aum = max(spec.start_aum_usd, 1e7)
    p_active = float(np.clip(0.08 + 0.2 * math.log10(aum / 1e8), 0.08, 0.85))
    if spec.launch:
        p_active = 0.35
    active = rng.random(n) < p_active
    frac = 0.006 * (aum / 1e10) ** -0.2  # flow sd as a fraction of AUM on active days

    if spec.launch:
        before = 0
    else:
        raw = spec.start_aum_usd / spec.start_price
        before = max(int(round(raw / cu)) * cu + int(rng.integers(0, cu // 100)) * 100,
                     MIN_UNITS_OUTSTANDING * cu)
    shares = np.empty(n, dtype=np.int64)
    units = np.zeros(n, dtype=np.int64)
    injected = np.zeros(n, dtype=np.int64)
    extra = np.zeros(n) if extra_flow is None else extra_flow
    so = before
    floor = MIN_UNITS_OUTSTANDING * cu
    for t, (on, z) in enumerate(zip(active.tolist(), signal.tolist(), strict=True)):
        split = split_days.get(t)
        if split:
            so = so * split.numerator // split.denominator
        if spec.launch and t == 0:
            u = LAUNCH_SEED_UNITS
        elif on:
            x = z * frac * so / cu
            u = int(math.copysign(max(1, round(abs(x))), x)) if x else 0
            u = max(u, -((so - floor) // cu))
        else:
            u = 0
        if extra[t]:
            add = int(round(extra[t] * so / cu))
            add = max(add, -((so - floor) // cu) - u)
            injected[t], u = add, u + add
        so += u * cu
        units[t], shares[t] = u, so
    return before, shares, units, injected


def _share_error_start(error: ShareError, days: list[dt.date], units: np.ndarray,
                       split_days: dict[int, Split], reported_on: set[int]) -> int | None:
    """First day index on or after the anchor where the error fits: the day before, its
    ``days`` days and the day after (the count is right again) are all report days with
    no split among them (split_unadjusted: the split's ex-date itself); stale runs need at
    least two days of real creations or redemptions to hide."""
    for k, day in enumerate(days):
        if day < error.anchor or k < 1 or k + error.days >= len(days):
            continue
        span = range(k - 1, k + error.days + 1)
        if not all(i in reported_on for i in span):
            continue
        if error.kind == "split_unadjusted":
            if k in split_days:
                return k
            continue
        if any(i in split_days for i in span):
            continue
        if error.kind == "stale" and np.count_nonzero(units[k:k + error.days]) < 2:
            continue
        return k
    return None


def inject_share_errors(
    spec: FundSpec,
    days: list[dt.date],
    shares: np.ndarray,
    units: np.ndarray,
    split_days: dict[int, Split],
    report_days: np.ndarray,
    reported: np.ndarray,
) -> tuple[np.ndarray, tuple[InjectedShareError, ...]]:
    """The reported counts with this fund's ``SHARE_ERRORS`` applied, and what each did.
    Only the reported series changes; ``shares`` (the truth) is read, never written."""
    errors = [e for e in SHARE_ERRORS if e.ticker == spec.ticker]
    if not errors:
        return reported, ()
    if spec.lagged_shares:
        raise ValueError(f"{spec.ticker}: no share errors on a fund that reports late")
    out = reported.copy()
    position = {int(k): i for i, k in enumerate(report_days.tolist())}
    injected = []
    for error in errors:
        k = _share_error_start(error, days, units, split_days, set(position))
        if k is None:
            raise ValueError(f"no place for {error} in {spec.ticker}'s history")
        touched = range(k, k + error.days)
        for t in touched:
            true = int(shares[t])
            if error.kind == "spike_revert":
                value = int(round(true * (1 + error.size)))
            elif error.kind == "scale_error":
                value = int(round(true * error.size))
            elif error.kind == "not_unit_multiple":
                value = true + int(round(error.size * spec.creation_unit))
            elif error.kind == "stale":
                value = int(out[position[k - 1]])
            elif error.kind == "split_unadjusted":
                value = int(round(true / split_days[k].ratio))
            else:
                raise ValueError(f"unknown share error kind {error.kind!r}")
            out[position[t]] = value
        wrong = [t for t in touched if int(out[position[t]]) != int(shares[t])]
        injected.append(InjectedShareError(
            ticker=spec.ticker, kind=error.kind, note=error.note,
            days=tuple(days[t] for t in touched),
            dates=tuple(days[t] for t in wrong),
            reported=tuple(int(out[position[t]]) for t in wrong),
            expected=tuple(int(shares[t]) for t in wrong),
        ))
    return out, tuple(injected)


def market_factors(n: int) -> dict[str, np.ndarray]:
    """One daily shock series per asset class, standardised so each class earns its drift."""
    out = {}
    for cls in FACTOR_CORRELATION:
        shocks = _rng("factor", cls).standard_normal(n)
        out[cls] = (shocks - shocks.mean()) / shocks.std()
    return out


# -- payloads ---------------------------------------------------------------------------------


