"""Render the simulated world as SEC EDGAR payloads: the mutual-fund/ETF ticker file, the
company ticker file, one filing list per series (the company-browse Atom feed) or, for a
fund without series, per registrant CIK, and an N-PORT ``primary_doc.xml`` for every
public quarter-end report filed by DEMO_END.

SAMPLE DATA — registrants, CIKs, series/class ids, accession numbers, securities and
every number are made up (seeded); the largest names of each equity pool reuse the
Yahoo sample's top-holding names so the two sources agree. Wire formats are EDGAR's.

What the filings say (and why):
  * Who files (the seed's ``files_nport``): every registered investment company — the
    1940-Act open-end funds, which file per series (each is a series and share class in
    ``company_tickers_mf.json``), and the ETFs organized as unit investment trusts (SPY,
    DIA, MDY, QQQ; Form N-PORT General Instruction A), each its own registrant with its
    own CIK and no series or class: absent from the fund ticker file, listed in
    ``company_tickers.json``, its filing list is the browse feed asked for its CIK, and
    its documents carry no ``seriesId`` (no ``seriesClassInfo``, no ``genInfo/seriesId``,
    no class on the B.5 return). Grantor trusts (GLD, SLV, IAU, PALL, PPLT) and commodity
    pools (USO, UNG, DBC) are not registered investment companies: listed in the company
    ticker file under their own CIKs, their CIK's N-PORT filing list is empty.
  * Company ticker file: every simulated fund under its registrant's CIK (a series trust's
    CIK for its ETFs), a few operating companies, in EDGAR's layout
    (``{"0": {"cik_str", "ticker", "title"}, ...}``, largest first).
  * When: each registrant has a fiscal year end; the third month of each fiscal quarter
    is public. A report as of the month's last trading day (``repPdDate``) is filed 55-60
    days later (``FILED_LAG_DAYS``); only those filed by DEMO_END are in the archive, and
    only periods whose three months lie inside the simulation (from March 2023). One
    report is amended (NPORT-P/A, ``AMENDED``): the original doubled its largest position.
  * Part B.6 (flows): for each of the three months, sales = creation units x unit size x
    that day's NAV, redemptions likewise, each trade valued at NAV x (1 + e), e ~ N(0,
    15 bps) (basket vs NAV, cash in lieu), and a trade on a month's last trading day is
    booked in the next month 30% of the time (T+1 settlement). No reinvestments (ETFs).
    Month 1 is the first month of the period, month 3 the month of ``repPdDate``.
  * Part B.5 (returns): total return per month from the simulated NAV and distributions,
    in percent; "N/A" for months before a fund's launch.
  * Part C (holdings): funds draw from shared security pools (US equities by sector and
    size, developed and emerging equities, Treasuries, agency MBS, IG and high-yield
    corporates, foreign sovereigns, T-bills, commodity and equity-index futures), so a
    broad fund and a sector fund hold the same securities. Securities list and delist
    over time and prices move monthly, so holdings are added, removed, increased and
    decreased between reports. Values add up to the fund's simulated net assets (plus a
    small cash sweep position); shares and par amounts are whole units. A unit investment
    trust holds its index's stocks and cash only: no futures, no money-market sweep (its
    cash is not a Part C investment, so its holdings add up to slightly less than net
    assets), no securities lending.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.core.archive import Archive
from ingest.core.plugin import PlanParams
from ingest.plugins.edgar_nport.plugin import (
    BROWSE_URL,
    COMPANY_TICKERS_URL,
    FUND_MAP_URL,
    SEC,
    EdgarNportPlugin,
    browse_cik_request,
    browse_request,
    company_tickers_request,
    filing_request,
    fund_map_request,
)
from ingest.sample.world import (
    DEMO_END,
    DEMO_START,
    FETCHED_AT,
    FundPath,
    FundSpec,
    _rng,
    load_universe,
)
from ingest.sample.yahoo import HOLDINGS_POOLS, SEED_SECTOR_TO_YAHOO

SOURCE = EdgarNportPlugin.name
FILED_LAG_DAYS = (55, 60)
FILING_AGENT_CIK = 9_990_001
FIRST_PERIOD = dt.date(2023, 3, 1)        # first month whose quarter is fully simulated
AMENDED = ("XLK", dt.date(2024, 6, 28))   # (ticker, period end) of the amended report
AMENDMENT_LAG_DAYS = 12
SECTORS = ("Technology", "Financials", "Healthcare", "Energy", "Industrials",
           "Consumer Discretionary", "Consumer Staples", "Utilities", "Real Estate",
           "Communications", "Materials")
FIRST_MONTH = dt.date(2023, 1, 1)         # month index 0 of the price paths
N_MONTHS = 24
NS_DECL = ('xmlns="http://www.sec.gov/edgar/nport" xmlns:com="http://www.sec.gov/edgar/common" '
           'xmlns:ncom="http://www.sec.gov/edgar/nportcommon" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')

# -- registrants (trusts) and their fiscal year ends ---------------------------------------


@dataclass(frozen=True)
class Registrant:
    name: str
    cik: int
    file_number: str
    fiscal_year_end_month: int
    city: str
    state: str


REGISTRANTS: dict[str, Registrant] = {
    "ishares": Registrant("iShares Trust (SAMPLE)", 9_900_101, "811-09729", 7, "San Francisco",
                          "US-CA"),
    "vanguard_index": Registrant("Vanguard Index Funds (SAMPLE)", 9_900_201, "811-02652", 12,
                                 "Valley Forge", "US-PA"),
    "vanguard_world": Registrant("Vanguard World Fund (SAMPLE)", 9_900_202, "811-01027", 8,
                                 "Valley Forge", "US-PA"),
    "vanguard_bond": Registrant("Vanguard Bond Index Funds (SAMPLE)", 9_900_203, "811-04681",
                                12, "Valley Forge", "US-PA"),
    "vanguard_other": Registrant("Vanguard Scottsdale Funds (SAMPLE)", 9_900_204, "811-10487",
                                 10, "Valley Forge", "US-PA"),
    "select_sector": Registrant("Select Sector SPDR Trust (SAMPLE)", 9_900_301, "811-08837", 9,
                                "Boston", "US-MA"),
    "spdr_series": Registrant("SPDR Series Trust (SAMPLE)", 9_900_302, "811-08839", 6,
                              "Boston", "US-MA"),
    "vaneck": Registrant("VanEck ETF Trust (SAMPLE)", 9_900_401, "811-10325", 12, "New York",
                         "US-NY"),
    "invesco": Registrant("Invesco Actively Managed Exchange-Traded Fund Trust (SAMPLE)",
                          9_900_501, "811-22148", 10, "Downers Grove", "US-IL"),
    "other": Registrant("Sample Funds Trust (SAMPLE)", 9_900_901, "811-99999", 12, "Wilmington",
                        "US-DE"),
}
# ETFs organized as unit investment trusts: each trust is its own registrant (no series)
UIT_TRUSTS: dict[str, Registrant] = {
    "SPY": Registrant("SPDR S&P 500 ETF Trust (SAMPLE)", 9_900_601, "811-90601", 9, "Boston",
                      "US-MA"),
    "DIA": Registrant("SPDR Dow Jones Industrial Average ETF Trust (SAMPLE)", 9_900_602,
                      "811-90602", 10, "Boston", "US-MA"),
    "MDY": Registrant("SPDR S&P MidCap 400 ETF Trust (SAMPLE)", 9_900_603, "811-90603", 9,
                      "Boston", "US-MA"),
    "QQQ": Registrant("Invesco QQQ Trust, Series 1 (SAMPLE)", 9_900_604, "811-90604", 9,
                      "Downers Grove", "US-IL"),
}
# operating companies listed in the company ticker file beside the funds (ticker, name)
OPERATING_COMPANIES = (("ZSCA", "Sample Computing Corp (SAMPLE)"),
                       ("ZSCB", "Sample Bancorp Inc (SAMPLE)"),
                       ("ZSCC", "Sample Energy Co (SAMPLE)"))
VANGUARD_INDEX = frozenset({"VTI", "VOO", "VEA", "VNQ"})
VANGUARD_BOND = frozenset({"BND", "BNDX"})


def registrant_key(spec: FundSpec) -> str:
    if spec.issuer == "iShares":
        return "ishares"
    if spec.issuer == "Vanguard":
        if spec.ticker in VANGUARD_INDEX:
            return "vanguard_index"
        if spec.ticker in VANGUARD_BOND:
            return "vanguard_bond"
        return "vanguard_world" if spec.sector else "vanguard_other"
    if spec.issuer == "State Street":
        return "select_sector" if spec.ticker.startswith("XL") else "spdr_series"
    return {"VanEck": "vaneck", "Invesco": "invesco"}.get(spec.issuer, "other")


def company_cik(ticker: str) -> int:
    """A made-up CIK for a company or trust that is not one of the registrants above."""
    return 9_950_000 + zlib.crc32(f"cik:{ticker}".encode()) % 49_999


def registrant_of(spec: FundSpec) -> Registrant:
    """The registrant that files the fund's N-PORT: its series trust, or, for a unit
    investment trust, the trust itself."""
    if spec.structure == "uit":
        return UIT_TRUSTS.get(spec.ticker) or Registrant(
            f"{spec.name} (SAMPLE)", company_cik(spec.ticker), "811-99998", 9, "Wilmington",
            "US-DE")
    return REGISTRANTS[registrant_key(spec)]


def files_by_series(spec: FundSpec) -> bool:
    """An open-end fund files per series; a unit investment trust under its CIK alone."""
    return spec.structure != "uit"


def _id(prefix: str, *key: object) -> str:
    return f"{prefix}{900_000_000 + zlib.crc32(':'.join(map(str, key)).encode()) % 99_999_999:09d}"


def series_id(ticker: str) -> str:
    return _id("S", "series", ticker)


def class_id(ticker: str) -> str:
    return _id("C", "class", ticker)


@functools.cache
def _lei(*key: object) -> str:
    """A 20-character LEI with valid ISO 17442 check digits."""
    rng = _rng("lei", *key)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    body = "5493" + "".join(alphabet[i] for i in rng.integers(0, 36, 14))
    digits = "".join(str(int(c, 36)) for c in body) + "00"
    return f"{body}{98 - int(digits) % 97:02d}"


def _cusip(issuer: int, issue: int) -> str:
    base = f"{9_000_000 + issuer:07d}"[-6:] + f"{issue % 100:02d}"
    total = 0
    for i, c in enumerate(base):
        v = int(c, 36)
        v = v * 2 if i % 2 else v
        total += v // 10 + v % 10
    return base + str((10 - total % 10) % 10)


def _isin(country: str, nsin: str) -> str:
    body = country + nsin.rjust(9, "0")
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = int(d) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return body + str((10 - total % 10) % 10)


# -- the security master ---------------------------------------------------------------------


@dataclass(frozen=True)
class Security:
    key: int
    kind: str             # equity | treasury | mbs | corp | sovereign | tbill | mmf | future
    name: str
    title: str
    lei: str              # "N/A" when the issuer has none
    cusip: str            # "N/A" for most foreign securities
    isin: str | None
    ticker: str | None
    sector: str | None
    tier: str             # large | mid | small (equities); ig | hy | gov (bonds)
    country: str
    currency: str
    size: float           # market-cap or issue-size weight
    listed_from: int      # month index it becomes investable
    delisted_at: int      # month index it stops being investable (N_MONTHS + 99: never)
    base_price: float
    coupon: float | None = None
    maturity: dt.date | None = None
    asset_cat: str = "EC"
    issuer_cat: str = "CORP"


_SYLLABLES = ("an", "bel", "cor", "dex", "el", "far", "gen", "hal", "ix", "jun", "kor", "lum",
              "mar", "nov", "or", "pra", "quin", "ros", "sol", "tor", "ul", "ver", "wex", "zen")
_SECTOR_WORDS = {
    "Technology": ("Systems", "Semiconductor", "Software", "Networks", "Devices"),
    "Financials": ("Bancorp", "Financial", "Capital", "Insurance", "Trust & Savings"),
    "Healthcare": ("Therapeutics", "Biosciences", "Medical", "Health", "Pharma"),
    "Energy": ("Petroleum", "Energy", "Oil & Gas", "Resources", "Midstream"),
    "Industrials": ("Industries", "Aerospace", "Machinery", "Logistics", "Rail"),
    "Consumer Discretionary": ("Retail", "Motors", "Brands", "Restaurants", "Leisure"),
    "Consumer Staples": ("Foods", "Beverages", "Household Products", "Grocers", "Tobacco"),
    "Utilities": ("Power", "Electric", "Water", "Gas & Light", "Utilities"),
    "Real Estate": ("Realty", "Properties", "REIT", "Towers", "Storage"),
    "Communications": ("Media", "Telecom", "Communications", "Wireless", "Interactive"),
    "Materials": ("Chemicals", "Mining", "Materials", "Steel", "Packaging"),
}
_COUNTRIES_DEV = (("JP", "JPY"), ("GB", "GBP"), ("FR", "EUR"), ("DE", "EUR"), ("CH", "CHF"),
                  ("NL", "EUR"), ("AU", "AUD"), ("CA", "CAD"), ("SE", "SEK"), ("DK", "DKK"))
_COUNTRIES_EM = (("CN", "HKD"), ("TW", "TWD"), ("IN", "INR"), ("KR", "KRW"), ("BR", "BRL"),
                 ("ZA", "ZAR"), ("SA", "SAR"), ("MX", "MXN"))
_FX = {"USD": 1.0, "JPY": 0.0068, "GBP": 1.27, "EUR": 1.08, "CHF": 1.12, "AUD": 0.66,
       "CAD": 0.74, "SEK": 0.095, "DKK": 0.145, "HKD": 0.128, "TWD": 0.031, "INR": 0.012,
       "KRW": 0.00075, "BRL": 0.19, "ZAR": 0.054, "SAR": 0.267, "MXN": 0.056}
_YAHOO_POOL_OF_SECTOR = {s: SEED_SECTOR_TO_YAHOO.get(s) for s in SECTORS}


def _word(rng: np.random.Generator, parts: int) -> str:
    return "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), parts)).capitalize()


def _company(rng: np.random.Generator, sector: str) -> str:
    suffix = _SECTOR_WORDS[sector][int(rng.integers(0, 5))]
    form = ("Inc", "Corp", "Co", "Holdings Inc", "PLC", "Group Inc")[int(rng.integers(0, 6))]
    return f"{_word(rng, 2)} {suffix} {form}"


def _listing(rng: np.random.Generator) -> tuple[int, int]:
    """(listed_from, delisted_at) month indices: most names are there throughout; about one
    in eight lists or delists during the demo period."""
    listed = 0
    delisted = N_MONTHS + 99
    draw = rng.random()
    if draw < 0.07:
        listed = int(rng.integers(3, N_MONTHS))
    elif draw < 0.14:
        delisted = int(rng.integers(3, N_MONTHS))
    return listed, delisted


@functools.cache
def security_master() -> dict[str, tuple[Security, ...]]:
    """Every pool of securities the sample funds hold, built once, deterministically."""
    pools: dict[str, list[Security]] = {}
    counter = iter(range(1, 1_000_000))

    def add(pool: str, **fields: Any) -> None:
        pools.setdefault(pool, []).append(Security(key=next(counter), **fields))

    tiers = (("large", 30, 3.0), ("mid", 22, 1.2), ("small", 45, 0.0))
    for s_index, sector in enumerate(SECTORS):
        rng = _rng("edgar-pool", sector)
        real = HOLDINGS_POOLS.get(_YAHOO_POOL_OF_SECTOR.get(sector) or "", ())
        for tier, count, log_size in tiers:
            for i in range(count):
                issuer = s_index * 1000 + {"large": 0, "mid": 300, "small": 600}[tier] + i
                if tier == "large" and i < len(real):
                    ticker, name = real[i].split(":", 1)
                else:
                    ticker, name = None, _company(rng, sector)
                listed, delisted = _listing(rng) if tier != "large" else (0, N_MONTHS + 99)
                cusip = _cusip(issuer, 10)
                add(f"us:{sector}", kind="equity", name=name, title=f"{name} Common Stock",
                    lei=_lei("eq", issuer) if tier != "small" else "N/A", cusip=cusip,
                    isin=_isin("US", cusip), ticker=ticker or f"Q{issuer:04d}", sector=sector,
                    tier=tier, country="US", currency="USD",
                    size=float(np.exp(log_size + rng.normal(0, 0.9) - 0.04 * i)),
                    listed_from=listed, delisted_at=delisted,
                    base_price=float(np.round(rng.uniform(15, 400), 2)))
    for pool, countries, count in (("intl", _COUNTRIES_DEV, 180), ("em", _COUNTRIES_EM, 120)):
        rng = _rng("edgar-pool", pool)
        real = HOLDINGS_POOLS["foreign" if pool == "intl" else "emerging"]
        for i in range(count):
            country, currency = countries[i % len(countries)]
            sector = SECTORS[int(rng.integers(0, len(SECTORS)))]
            if i < len(real):
                ticker, name = real[i].split(":", 1)
                sector = "Consumer Staples" if "Nestle" in name else sector
            else:
                ticker, name = None, _company(rng, sector)
            listed, delisted = _listing(rng)
            add(pool, kind="equity", name=name, title=f"{name} Ordinary Shares",
                lei=_lei(pool, i), cusip="N/A", isin=_isin(country, f"{7_000_000 + i:09d}"),
                ticker=ticker, sector=sector, tier="large", country=country, currency=currency,
                size=float(np.exp(rng.normal(0, 1.0) - 0.02 * i)), listed_from=listed,
                delisted_at=delisted, base_price=float(np.round(rng.uniform(5, 200), 2)))
    _bond_pools(add)
    return {name: tuple(members) for name, members in pools.items()}


def _bond_pools(add: Any) -> None:
    rng = _rng("edgar-pool", "bonds")
    treasury_lei = _lei("treasury")
    for i in range(90):
        maturity = dt.date(2024 + i // 3, 1 + (i * 4) % 12, 15)
        coupon = float(np.round(rng.uniform(0.5, 5.0) * 8) / 8)
        note = "Bond" if maturity.year - 2023 > 10 else "Note"
        cusip = _cusip(912_800 + i // 100, i)
        add("treasury", kind="treasury", name="United States Treasury",
            title=f"U.S. Treasury {note} {coupon:.3f}% {maturity:%m/%d/%Y}", lei=treasury_lei,
            cusip=cusip, isin=_isin("US", cusip), ticker=None, sector=None, tier="gov",
            country="US", currency="USD", size=float(rng.uniform(20, 80)), listed_from=0,
            delisted_at=N_MONTHS + 99, base_price=float(np.round(rng.uniform(88, 103), 3)),
            coupon=coupon, maturity=maturity, asset_cat="DBT", issuer_cat="UST")
    for i in range(36):  # 26-week bills, one auctioned every four weeks
        maturity = dt.date(2023, 2, 2) + dt.timedelta(days=28 * i)
        issued = maturity - dt.timedelta(days=182)
        cusip = _cusip(912_797, i)
        add("tbill", kind="tbill", name="United States Treasury",
            title=f"U.S. Treasury Bill 0.000% {maturity:%m/%d/%Y}", lei=treasury_lei,
            cusip=cusip, isin=_isin("US", cusip), ticker=None, sector=None, tier="gov",
            country="US", currency="USD", size=1.0,
            listed_from=max((issued.year - 2023) * 12 + issued.month - 1, 0),
            delisted_at=N_MONTHS + 99, base_price=98.5, coupon=0.0, maturity=maturity,
            asset_cat="DBT", issuer_cat="UST")
    for i in range(60):
        maturity = dt.date(2036 + i % 18, 1 + i % 12, 1)
        coupon = float(np.round(rng.uniform(2.0, 6.5) * 2) / 2)
        agency = ("Federal National Mortgage Association",
                  "Federal Home Loan Mortgage Corp")[i % 2]
        cusip = _cusip(31_400 + i, i)
        listed, delisted = _listing(rng)
        add("mbs", kind="mbs", name=agency, title=f"{agency.split()[1]} Pool {coupon:.1f}% "
            f"{maturity:%m/%Y}", lei=_lei("agency", i % 2), cusip=cusip,
            isin=_isin("US", cusip), ticker=None, sector=None, tier="gov", country="US",
            currency="USD", size=float(rng.uniform(5, 40)), listed_from=listed,
            delisted_at=delisted, base_price=float(np.round(rng.uniform(85, 102), 3)),
            coupon=coupon, maturity=maturity, asset_cat="ABS-MBS", issuer_cat="USGSE")
    equities = [s for pool in SECTORS for s in _equity_issuers(pool)]
    for grade, count, spread in (("ig", 260, 1.0), ("hy", 160, 3.5)):
        issuers = [s for s in equities if (s.tier == "large") == (grade == "ig")]
        for i in range(count):
            issuer = issuers[int(rng.integers(0, len(issuers)))]
            maturity = dt.date(2025 + int(rng.integers(0, 25)), 1 + int(rng.integers(0, 12)), 15)
            coupon = float(np.round((rng.uniform(2.0, 5.5) + spread) * 8) / 8)
            cusip = _cusip(issuer.key + 50_000, 20 + i % 70)
            listed, delisted = _listing(rng)
            add(f"corp_{grade}", kind="corp", name=issuer.name,
                title=f"{issuer.name} {coupon:.3f}% {maturity:%m/%d/%Y}", lei=issuer.lei,
                cusip=cusip, isin=_isin("US", cusip), ticker=None, sector=issuer.sector,
                tier=grade, country="US", currency="USD", size=float(rng.uniform(1, 10)),
                listed_from=listed, delisted_at=delisted,
                base_price=float(np.round(rng.uniform(80 if grade == "hy" else 88, 104), 3)),
                coupon=coupon, maturity=maturity, asset_cat="DBT", issuer_cat="CORP")
    for i in range(70):
        country, currency = _COUNTRIES_DEV[i % len(_COUNTRIES_DEV)]
        maturity = dt.date(2025 + i % 30, 1 + (i * 5) % 12, 20)
        coupon = float(np.round(rng.uniform(0.1, 4.0) * 4) / 4)
        add("sovereign", kind="sovereign", name=f"Government of {country} (SAMPLE)",
            title=f"{country} Government Bond {coupon:.2f}% {maturity:%m/%d/%Y}",
            lei=_lei("sovereign", country), cusip="N/A",
            isin=_isin(country, f"{8_000_000 + i:09d}"), ticker=None, sector=None, tier="gov",
            country=country, currency=currency, size=float(rng.uniform(10, 60)), listed_from=0,
            delisted_at=N_MONTHS + 99, base_price=float(np.round(rng.uniform(85, 105), 3)),
            coupon=coupon, maturity=maturity, asset_cat="DBT", issuer_cat="NUSS")


def _equity_issuers(sector: str) -> list[Security]:
    """US equity issuers of a sector without building the whole master (bond issuers)."""
    rng = _rng("edgar-issuers", sector)
    s_index = SECTORS.index(sector)
    real = HOLDINGS_POOLS.get(_YAHOO_POOL_OF_SECTOR.get(sector) or "", ())
    out = []
    for tier, count in (("large", 30), ("mid", 22)):
        for i in range(count):
            issuer = s_index * 1000 + {"large": 0, "mid": 300}[tier] + i
            name = real[i].split(":", 1)[1] if tier == "large" and i < len(real) else None
            out.append(Security(key=issuer, kind="equity", name=name or _company(rng, sector),
                                title="", lei=_lei("eq", issuer), cusip="", isin=None,
                                ticker=None, sector=sector, tier=tier, country="US",
                                currency="USD", size=1.0, listed_from=0, delisted_at=0,
                                base_price=0.0))
    return out


@functools.cache
def _price_paths() -> dict[int, np.ndarray]:
    """Month-end price of every security for months 0..N_MONTHS+2, by security key:
    sector factors plus idiosyncratic noise for equities, small rate moves for bonds."""
    out: dict[int, np.ndarray] = {}
    months = N_MONTHS + 3
    factors = {s: _rng("edgar-factor", s).normal(0.008, 0.045, months) for s in SECTORS}
    rates = _rng("edgar-factor", "rates").normal(0.0, 0.012, months)
    for pool in security_master().values():
        for sec in pool:
            rng = _rng("edgar-price", sec.key)
            if sec.kind == "equity":
                factor = factors.get(sec.sector or "", factors["Industrials"])
                steps = 0.9 * factor + rng.normal(0, 0.05, months)
            elif sec.kind in ("treasury", "mbs", "corp", "sovereign"):
                years = max((sec.maturity or DEMO_END).year - 2023, 1)
                steps = -min(years, 20) * 0.4 * rates + rng.normal(0, 0.003, months)
            else:
                steps = np.zeros(months)
            out[sec.key] = sec.base_price * np.exp(np.cumsum(steps))
    return out


# -- what each fund holds --------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """How a fund builds its portfolio: pools, how many names, how it weights them."""

    pools: tuple[str, ...]
    count: int
    weighting: str = "cap"          # cap | equal
    tiers: tuple[str, ...] = ()
    maturity_years: tuple[float, float] | None = None
    futures: str | None = None      # equity | commodity
    cash_pct: float = 0.4
    cash_sweep: bool = True         # the rest in a money-market fund (UITs hold plain cash)


SECTOR_FUND_TIERS = {"State Street": ("large",), "VanEck": ("large", "mid")}
EQUAL_WEIGHT = frozenset({"KRE", "KBE", "XBI", "XOP", "RTH"})
SPECIAL: dict[str, Program] = {
    "VTI": Program(tuple(f"us:{s}" for s in SECTORS), 90, futures="equity"),
    "VOO": Program(tuple(f"us:{s}" for s in SECTORS), 80, tiers=("large", "mid")),
    "IVV": Program(tuple(f"us:{s}" for s in SECTORS), 80, tiers=("large", "mid"),
                   futures="equity"),
    "IWM": Program(tuple(f"us:{s}" for s in SECTORS), 80, tiers=("small",), futures="equity"),
    "EEM": Program(("em",), 60),
    "VEA": Program(("intl",), 80),
    "IEFA": Program(("intl",), 80),
    "KXI": Program(("us:Consumer Staples", "intl"), 45),
    "SMH": Program(("us:Technology",), 25, tiers=("large", "mid")),
    "OIH": Program(("us:Energy",), 25, tiers=("large", "mid", "small")),
    "AGG": Program(("treasury", "mbs", "corp_ig"), 80),
    "BND": Program(("treasury", "mbs", "corp_ig"), 90),
    "TLT": Program(("treasury",), 30, maturity_years=(20, 40)),
    "SHY": Program(("treasury",), 40, maturity_years=(0.5, 3)),
    "IEF": Program(("treasury",), 20, maturity_years=(7, 10)),
    "LQD": Program(("corp_ig",), 80),
    "VCIT": Program(("corp_ig",), 70, maturity_years=(5, 10)),
    "HYG": Program(("corp_hy",), 70),
    "JNK": Program(("corp_hy",), 70),
    "BNDX": Program(("sovereign",), 40),
    "PDBC": Program(("tbill",), 8, futures="commodity", cash_pct=3.0),
    "COMT": Program(("tbill",), 6, futures="commodity", cash_pct=3.0),
    # unit investment trusts: the index's stocks and cash, nothing else
    "SPY": Program(tuple(f"us:{s}" for s in SECTORS), 80, tiers=("large", "mid"),
                   cash_pct=0.2, cash_sweep=False),
    "DIA": Program(tuple(f"us:{s}" for s in SECTORS), 30, tiers=("large",), cash_pct=0.2,
                   cash_sweep=False),
    "MDY": Program(tuple(f"us:{s}" for s in SECTORS), 80, tiers=("mid",), cash_pct=0.2,
                   cash_sweep=False),
    # the seed classes QQQ as a Technology fund: it holds the technology pool, so the
    # sector funds' agreement on each security's sector is not disturbed
    "QQQ": Program(("us:Technology",), 40, tiers=("large", "mid"), cash_pct=0.2,
                   cash_sweep=False),
}


def program(spec: FundSpec) -> Program:
    if spec.ticker in SPECIAL:
        return SPECIAL[spec.ticker]
    if spec.sector:
        tiers = SECTOR_FUND_TIERS.get(spec.issuer, ("large", "mid", "small"))
        if spec.ticker in EQUAL_WEIGHT:
            return Program((f"us:{spec.sector}",), 25, weighting="equal",
                           tiers=("mid", "small"))
        return Program((f"us:{spec.sector}",), 22 if tiers == ("large",) else 28, tiers=tiers)
    return Program(tuple(f"us:{s}" for s in SECTORS), 80)


@dataclass(frozen=True)
class Position:
    security: Security
    balance: float
    value_usd: float
    units: str
    unrealized: float | None = None
    notional: float | None = None
    expiration: dt.date | None = None


def positions(spec: FundSpec, month: int, period_end: dt.date,
              net_assets: float) -> list[Position]:
    """The fund's Part C at a month end: whole shares / par, values summing to the
    invested part of net assets, then a cash sweep and any futures overlay."""
    prog = program(spec)
    prices = _price_paths()
    pools = security_master()
    eligible = [
        s for pool in prog.pools for s in pools[pool]
        if s.listed_from <= month < s.delisted_at
        and (not prog.tiers or s.tier in prog.tiers or s.kind != "equity")
        and (s.maturity is None or s.maturity > period_end + dt.timedelta(days=20))
        and _in_maturity_band(s, period_end, prog.maturity_years)
    ]
    if not eligible:
        raise ValueError(f"{spec.ticker}: no eligible securities in month {month}")
    cap = np.array([s.size * prices[s.key][month] / prices[s.key][0] for s in eligible])
    order = np.argsort(-cap, kind="stable")[: prog.count]
    chosen = [eligible[i] for i in order]
    raw = np.ones(len(chosen)) if prog.weighting == "equal" else cap[order]
    weights = raw / raw.sum()
    invested = net_assets * (1 - prog.cash_pct / 100)
    out = []
    for sec, weight in zip(chosen, weights.tolist(), strict=True):
        price = float(prices[sec.key][month])
        if sec.kind == "equity":
            shares = max(round(weight * invested / price), 1)
            out.append(Position(sec, float(shares), round(shares * price, 2), "NS"))
        else:
            par = max(round(weight * invested / (price / 100) / 1000) * 1000, 1000)
            out.append(Position(sec, float(par), round(par * price / 100, 2), "PA"))
    if prog.futures:
        out.extend(_futures(spec, prog.futures, month, period_end, net_assets))
    # the cash sweep takes the rest, futures' variation margin included
    if prog.cash_sweep:
        out.append(_cash_sweep(spec, net_assets - sum(p.value_usd for p in out)))
    return out


def _in_maturity_band(sec: Security, period_end: dt.date,
                      band: tuple[float, float] | None) -> bool:
    if band is None or sec.maturity is None:
        return True
    years = (sec.maturity - period_end).days / 365.25
    return band[0] <= years <= band[1]


_MMF = {"iShares": "BlackRock Cash Funds: Treasury, SL Agency Shares",
        "Vanguard": "Vanguard Market Liquidity Fund",
        "State Street": "State Street Institutional U.S. Government Money Market Fund"}


def _cash_sweep(spec: FundSpec, cash: float) -> Position:
    name = _MMF.get(spec.issuer, "Invesco Government & Agency Portfolio") + " (SAMPLE)"
    issuer = 800 + zlib.crc32(name.encode()) % 100
    cusip = _cusip(issuer, 99)
    sec = Security(key=-issuer, kind="mmf", name=name, title=name, lei=_lei("mmf", name),
                   cusip=cusip, isin=_isin("US", cusip), ticker=None, sector=None, tier="gov",
                   country="US", currency="USD", size=1.0, listed_from=0,
                   delisted_at=N_MONTHS + 99, base_price=1.0, asset_cat="STIV",
                   issuer_cat="RF")
    value = round(max(cash, 0.0), 2)
    return Position(sec, value, value, "NS")


_COMMODITIES = (("CL", "WTI Crude Oil"), ("CO", "Brent Crude Oil"), ("NG", "Natural Gas"),
                ("HO", "NY Harbor ULSD"), ("XB", "RBOB Gasoline"), ("GC", "Gold"),
                ("SI", "Silver"), ("HG", "Copper"), ("C ", "Corn"), ("S ", "Soybeans"),
                ("W ", "Wheat"), ("SB", "Sugar"), ("LC", "Live Cattle"), ("LA", "Aluminum"))


def _futures(spec: FundSpec, kind: str, month: int, period_end: dt.date,
             net_assets: float) -> list[Position]:
    """A rolling futures overlay: contracts expire the quarter after the report, so each
    report holds new contract months (the old ones show as removed)."""
    rng = _rng("edgar-futures", spec.ticker, month)
    expiry_month = (period_end.month + 2) % 12 + 1
    expiry_year = period_end.year + (period_end.month + 2) // 12
    expiry = dt.date(expiry_year, expiry_month, 15)
    code = "HMUZ"[(expiry_month - 1) // 3]
    if kind == "equity":
        small = spec.ticker == "IWM"
        contracts = [("RTY", "E-mini Russell 2000") if small else ("ES", "E-mini S&P 500")]
        exposure = [0.004 * net_assets]
        cat = "DE"
    else:
        contracts = list(_COMMODITIES)
        exposure = list(rng.dirichlet(np.ones(len(contracts))) * net_assets)
        cat = "DCO"
    out = []
    for (root, label), notional in zip(contracts, exposure, strict=True):
        name = f"{label} Future {calendar.month_abbr[expiry_month]} {expiry_year} (SAMPLE)"
        unrealized = round(float(notional * rng.normal(0, 0.01)), 2)
        number = max(round(notional / 50_000), 1)
        sec = Security(key=-(zlib.crc32(name.encode()) % 10_000_000), kind="future", name=name,
                       title=f"{root.strip()}{code}{expiry_year % 10} Comdty", lei="N/A",
                       cusip="N/A", isin=None, ticker=f"{root.strip()}{code}{expiry_year % 10}",
                       sector=None, tier="gov", country="US", currency="USD", size=1.0,
                       listed_from=0, delisted_at=N_MONTHS + 99, base_price=0.0,
                       asset_cat=cat, issuer_cat="CORP")
        out.append(Position(sec, float(number), unrealized, "NC", unrealized=unrealized,
                            notional=round(float(notional), 2), expiration=expiry))
    return out


# -- filings: schedule, flows, returns -------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    ticker: str
    registrant: Registrant
    series_id: str | None   # None: a unit investment trust files without series or class
    class_id: str | None
    period_end: dt.date
    fiscal_year_end: dt.date
    filing_date: dt.date
    accession_number: str
    submission_type: str = "NPORT-P"

    @property
    def url(self) -> str:
        return filing_request(self.registrant.cik, self.accession_number).url


def _month_end_trading_day(year: int, month: int, calendar_days: list[dt.date]) -> dt.date:
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return max(d for d in calendar_days if d <= last)


def _business_day_on_or_after(day: dt.date, calendar_days: list[dt.date]) -> dt.date:
    """EDGAR accepts filings on business days (the trading calendar stands in for them)."""
    return next((d for d in calendar_days if d >= day), day)


def _accession(ticker: str, period_end: dt.date, filed: dt.date, kind: str) -> str:
    seq = 10_000 + zlib.crc32(f"{ticker}:{period_end}:{kind}".encode()) % 890_000
    return f"{FILING_AGENT_CIK:010d}-{filed.year % 100:02d}-{seq:06d}"


def filing_schedule(spec: FundSpec, calendar_days: list[dt.date]) -> list[Filing]:
    """The fund's public N-PORT reports filed by DEMO_END (plus the one amendment)."""
    registrant = registrant_of(spec)
    series, share_class = ((series_id(spec.ticker), class_id(spec.ticker))
                           if files_by_series(spec) else (None, None))
    fye = registrant.fiscal_year_end_month
    first_day = max(spec.launch or DEMO_START, DEMO_START)
    out = []
    month = FIRST_PERIOD
    while month <= DEMO_END:
        if (month.month - fye) % 3 == 0:
            period_end = _month_end_trading_day(month.year, month.month, calendar_days)
            if period_end - first_day >= dt.timedelta(days=20):
                lag = int(_rng("edgar-lag", spec.ticker, period_end).integers(
                    FILED_LAG_DAYS[0], FILED_LAG_DAYS[1] + 1))
                filed = _business_day_on_or_after(period_end + dt.timedelta(days=lag),
                                                  calendar_days)
                if filed <= DEMO_END:
                    fy_year = period_end.year + (1 if period_end.month > fye else 0)
                    fy_end = dt.date(fy_year, fye, calendar.monthrange(fy_year, fye)[1])
                    out.append(Filing(spec.ticker, registrant, series, share_class,
                                      period_end, fy_end, filed,
                                      _accession(spec.ticker, period_end, filed, "P")))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for original in list(out):
        if (original.ticker, original.period_end) == AMENDED:
            filed = _business_day_on_or_after(
                original.filing_date + dt.timedelta(days=AMENDMENT_LAG_DAYS), calendar_days)
            if filed <= DEMO_END:
                out.append(Filing(**{**original.__dict__, "filing_date": filed,
                                     "submission_type": "NPORT-P/A",
                                     "accession_number": _accession(
                                         original.ticker, original.period_end, filed, "A")}))
    return out


def _month_index(day: dt.date) -> int:
    return (day.year - FIRST_MONTH.year) * 12 + day.month - 1


@dataclass(frozen=True)
class MonthlyHistory:
    """A fund's whole history by month index: B.6 (sales, redemptions) as booked, and the
    month-end wealth index (NAV in economic units with distributions reinvested)."""

    flows: dict[int, tuple[float, float]]
    wealth: dict[int, float]
    first_month: int
    base_wealth: float | None  # the wealth before the first simulated day (None: launched)

    def flows_for(self, period_end: dt.date) -> list[tuple[float, float]]:
        """(sales, redemptions) in USD for months 1-3 of the period ending ``period_end``."""
        last = _month_index(period_end)
        return [self.flows.get(m, (0.0, 0.0)) for m in (last - 2, last - 1, last)]

    def returns_for(self, period_end: dt.date) -> list[float | None]:
        """Total return in percent for months 1-3; None before the fund existed."""
        last = _month_index(period_end)
        out: list[float | None] = []
        for m in (last - 2, last - 1, last):
            prev = self.wealth.get(m - 1) if m > self.first_month else self.base_wealth
            out.append(None if prev is None or m not in self.wealth
                       else round((self.wealth[m] / prev - 1) * 100, 4))
        return out


def monthly_history(path: FundPath) -> MonthlyHistory:
    """Sales and redemptions: each day's creation (redemption) units x unit size x NAV x
    (1 + e), e ~ N(0, 15 bps); a month-end trade is booked next month 30% of the time."""
    rng = _rng("edgar-flows", path.spec.ticker)
    cu = path.spec.creation_unit
    n = len(path.days)
    noise = rng.normal(0, 0.0015, n)
    shift = rng.random(n) < 0.3
    months = [_month_index(d) for d in path.days]
    booked: dict[int, list[float]] = {}
    for t in np.flatnonzero(path.units).tolist():
        units = int(path.units[t])
        month = months[t]
        if (t + 1 == n or months[t + 1] != month) and shift[t]:
            month += 1
        value = abs(units) * cu * float(path.nav[t]) * (1 + noise[t])
        booked.setdefault(month, [0.0, 0.0])[0 if units > 0 else 1] += value
    ratio = np.ones(n)
    for k, split in path.split_days.items():
        ratio[k] = split.ratio
    cum = np.cumprod(ratio)
    econ = path.nav * cum
    factor = np.ones(n)
    for k, amount in path.dividends.items():
        factor[k] = 1 + amount * float(cum[-1]) / econ[k]
    wealth = econ * np.cumprod(factor)
    month_end = {m: float(w) for m, w in zip(months, wealth.tolist(), strict=True)}
    return MonthlyHistory(
        flows={m: (round(s, 2), round(r, 2)) for m, (s, r) in booked.items()},
        wealth=month_end,
        first_month=months[0],
        base_wealth=None if path.spec.launch else path.spec.start_price,
    )


# -- wire formats ----------------------------------------------------------------------------


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _num(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}"


def _identifiers(sec: Security) -> str:
    parts = []
    if sec.isin:
        parts.append(f'<isin value="{sec.isin}"/>')
    if sec.ticker:
        parts.append(f'<ticker value="{_esc(sec.ticker)}"/>')
    if not parts:
        parts.append(f'<other otherDesc="Internal identifier" value="SAMPLE{abs(sec.key)}"/>')
    return "<identifiers>" + "".join(parts) + "</identifiers>"


def holding_xml(pos: Position, net_assets: float) -> str:
    """One ``invstOrSec`` element, in the schema's element order."""
    sec = pos.security
    pct = pos.value_usd / net_assets * 100 if net_assets else 0.0
    if sec.currency == "USD":
        currency = "<curCd>USD</curCd>"
    else:
        rate = 1 / _FX[sec.currency]
        currency = f'<currencyConditional curCd="{sec.currency}" exchangeRt="{rate:.6f}"/>'
    payoff = "N/A" if sec.kind == "future" else "Long"
    level = {"equity": "1", "mmf": "1", "future": "1"}.get(sec.kind, "2")
    parts = [
        "<invstOrSec>",
        f"<name>{_esc(sec.name)}</name><lei>{sec.lei}</lei><title>{_esc(sec.title)}</title>",
        f"<cusip>{sec.cusip}</cusip>{_identifiers(sec)}",
        f"<balance>{_num(pos.balance, 2)}</balance><units>{pos.units}</units>{currency}",
        f"<valUSD>{_num(pos.value_usd)}</valUSD><pctVal>{pct:.12f}</pctVal>",
        f"<payoffProfile>{payoff}</payoffProfile><assetCat>{sec.asset_cat}</assetCat>",
        f"<issuerCat>{sec.issuer_cat}</issuerCat><invCountry>{sec.country}</invCountry>",
        "<isRestrictedSec>N</isRestrictedSec><fundCat>N/A</fundCat>",
        f"<fairValLevel>{level}</fairValLevel>",
    ]
    if sec.kind in ("treasury", "tbill", "mbs", "corp", "sovereign"):
        parts.append(
            f"<debtSec><maturityDt>{sec.maturity}</maturityDt>"
            f"<couponKind>{'None' if not sec.coupon else 'Fixed'}</couponKind>"
            f"<annualizedRt>{_num(sec.coupon or 0.0, 4)}</annualizedRt><isDefault>N</isDefault>"
            "<areIntrstPmntsInArrs>N</areIntrstPmntsInArrs><isPaidKind>N</isPaidKind></debtSec>"
        )
    if sec.kind == "future":
        parts.append(
            '<derivativeInfo><futrDeriv derivCat="FUT"><counterparties>'
            "<counterpartyName>Sample Clearing House</counterpartyName>"
            f"<counterpartyLei>{_lei('ccp')}</counterpartyLei></counterparties>"
            "<payOffProf>Long</payOffProf><descRefInstrmnt><otherRefInst>"
            f"<issuerName>{_esc(sec.name)}</issuerName><issueTitle>{_esc(sec.title)}</issueTitle>"
            f'<identifiers><ticker value="{sec.ticker}"/></identifiers></otherRefInst>'
            f"</descRefInstrmnt><expDate>{pos.expiration}</expDate>"
            f"<notionalAmt>{_num(pos.notional or 0.0)}</notionalAmt><curCd>USD</curCd>"
            f"<unrealizedAppr>{_num(pos.unrealized or 0.0)}</unrealizedAppr></futrDeriv>"
            "</derivativeInfo>"
        )
    parts.append("<securityLending><isCashCollateral>N</isCashCollateral>"
                 "<isNonCashCollateral>N</isNonCashCollateral><isLoanByFund>N</isLoanByFund>"
                 "</securityLending></invstOrSec>\n")
    return "".join(parts)


def _return_cats() -> str:
    zero = 'netRealizedGain="0.00" netUnrealizedAppr="0.00"'
    instruments = "".join(
        f"<{c}>" + "".join(f"<instrMon{k} {zero}/>" for k in (1, 2, 3)) + f"</{c}>"
        for c in ("forwardCategory", "futureCategory", "optionCategory", "swaptionCategory",
                  "swapCategory", "warrantCategory", "otherCategory"))
    blocks = "".join(
        f"<{cat}>" + "".join(f"<mon{k} {zero}/>" for k in (1, 2, 3)) + instruments + f"</{cat}>"
        for cat in ("commodityContracts", "creditContracts", "equityContracts",
                    "foreignExchgContracts", "interestRtContracts", "otherContracts"))
    return f"<monthlyReturnCats>{blocks}</monthlyReturnCats>"


@functools.cache
def _return_cats_xml() -> str:
    return _return_cats()


def nport_xml(filing: Filing, spec: FundSpec, holdings: Iterable[Position], net_assets: float,
              flows: list[tuple[float, float]], returns: list[float | None]) -> bytes:
    """A complete ``primary_doc.xml``, valid against the SEC's eis_NPORT_Filer.xsd. A filing
    without series (a unit investment trust) has no ``seriesClassInfo``, no
    ``genInfo/seriesId`` (both optional in the schema), the trust's name and LEI as the
    series name and LEI, and no class on its B.5 return."""
    reg = filing.registrant
    liabilities = round(net_assets * 0.002, 2)
    rtn = " ".join(f'rtn{k}="{"N/A" if r is None else _num(r, 8)}"'
                   for k, r in zip((1, 2, 3), returns, strict=True))
    if filing.series_id is not None:
        series_class = (f"<seriesClassInfo><seriesId>{filing.series_id}</seriesId>"
                        f"<classId>{filing.class_id}</classId></seriesClassInfo>")
        series = (f"<seriesName>{_esc(spec.name)} (SAMPLE)</seriesName>"
                  f"<seriesId>{filing.series_id}</seriesId>"
                  f"<seriesLei>{_lei('series', filing.series_id)}</seriesLei>")
        return_class = f' classId="{filing.class_id}"'
    else:
        series_class = ""
        series = (f"<seriesName>{_esc(reg.name)}</seriesName>"
                  f"<seriesLei>{_lei('registrant', reg.cik)}</seriesLei>")
        return_class = ""
    flow_xml = "".join(
        f'<mon{k}Flow sales="{_num(s)}" reinvestment="0.00" redemption="{_num(r)}"/>'
        for k, (s, r) in zip((1, 2, 3), flows, strict=True))
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<edgarSubmission {NS_DECL}>\n"
        f"<headerData><submissionType>{filing.submission_type}</submissionType>"
        "<isConfidential>false</isConfidential><filerInfo><liveTestFlag>LIVE</liveTestFlag>"
        f"<filer><issuerCredentials><cik>{reg.cik:010d}</cik><ccc>XXXXXXXX</ccc>"
        f"</issuerCredentials></filer>{series_class}</filerInfo></headerData>\n"
        "<formData><genInfo>"
        f"<regName>{_esc(reg.name)}</regName><regFileNumber>{reg.file_number}</regFileNumber>"
        f"<regCik>{reg.cik:010d}</regCik><regLei>{_lei('registrant', reg.cik)}</regLei>"
        "<regStreet1>1 Sample Plaza</regStreet1>"
        f"<regCity>{reg.city}</regCity>"
        f'<regStateConditional regCountry="US" regState="{reg.state}"/>'
        "<regZipOrPostalCode>00000</regZipOrPostalCode><regPhone>555-010-0100</regPhone>"
        f"{series}<repPdEnd>{filing.fiscal_year_end}</repPdEnd><repPdDate>{filing.period_end}</repPdDate>"
        "<isFinalFiling>N</isFinalFiling></genInfo>\n"
        "<fundInfo>"
        f"<totAssets>{_num(net_assets + liabilities)}</totAssets>"
        f"<totLiabs>{_num(liabilities)}</totLiabs><netAssets>{_num(net_assets)}</netAssets>"
        "<assetsAttrMiscSec>0.00</assetsAttrMiscSec><assetsInvested>0.00</assetsInvested>"
        "<amtPayOneYrBanksBorr>0.00</amtPayOneYrBanksBorr>"
        "<amtPayOneYrCtrldComp>0.00</amtPayOneYrCtrldComp>"
        "<amtPayOneYrOthAffil>0.00</amtPayOneYrOthAffil><amtPayOneYrOther>0.00</amtPayOneYrOther>"
        "<amtPayAftOneYrBanksBorr>0.00</amtPayAftOneYrBanksBorr>"
        "<amtPayAftOneYrCtrldComp>0.00</amtPayAftOneYrCtrldComp>"
        "<amtPayAftOneYrOthAffil>0.00</amtPayAftOneYrOthAffil>"
        "<amtPayAftOneYrOther>0.00</amtPayAftOneYrOther>"
        "<delayDeliv>0.00</delayDeliv><standByCommit>0.00</standByCommit>"
        f"<liquidPref>0.00</liquidPref><cshNotRptdInCorD>{_num(liabilities)}</cshNotRptdInCorD>"
        "<isNonCashCollateral>N</isNonCashCollateral><returnInfo><monthlyTotReturns>"
        f'<monthlyTotReturn{return_class} {rtn}/></monthlyTotReturns>'
        + _return_cats_xml()
        + "".join(f'<othMon{k} netRealizedGain="0.00" netUnrealizedAppr="0.00"/>'
                  for k in (1, 2, 3))
        + f"</returnInfo>{flow_xml}</fundInfo>\n<invstOrSecs>\n"
    )
    body = "".join(holding_xml(p, net_assets) for p in holdings)
    tail = (
        "</invstOrSecs>\n<signature>"
        f"<ncom:dateSigned>{filing.filing_date}</ncom:dateSigned>"
        f"<ncom:nameOfApplicant>{_esc(reg.name)}</ncom:nameOfApplicant>"
        "<ncom:signature>Sample Signer</ncom:signature><ncom:signerName>Sample Signer"
        "</ncom:signerName><ncom:title>Treasurer</ncom:title></signature></formData>\n"
        "</edgarSubmission>\n"
    )
    return (head + body + tail).encode()


def browse_atom(series: str, registrant: Registrant, filings: list[Filing]) -> bytes:
    """EDGAR's company-browse Atom feed for one series, or for one registrant when
    ``series`` is its zero-padded CIK (newest first; no entries for a CIK that files no
    N-PORT). EDGAR spells the accession element ``accession-nunber``; that is kept."""
    entries = []
    for f in sorted(filings, key=lambda f: (f.filing_date, f.accession_number), reverse=True):
        folder = f.accession_number.replace("-", "")
        index = (f"{SEC}/Archives/edgar/data/{registrant.cik}/{folder}/"
                 f"{f.accession_number}-index.htm")
        entries.append(
            "<entry>"
            f'<category label="form type" scheme="{SEC}/" term="{f.submission_type}"/>'
            '<content type="text/xml">'
            f"<accession-nunber>{f.accession_number}</accession-nunber><act>40</act>"
            f"<file-number>{registrant.file_number}</file-number>"
            f"<filing-date>{f.filing_date}</filing-date><filing-href>{index}</filing-href>"
            f"<filing-type>{f.submission_type}</filing-type>"
            "<form-name>Monthly Portfolio Investments Report on Form N-PORT (Public)</form-name>"
            "</content>"
            f"<id>urn:tag:sec.gov,2008:accession-number={f.accession_number}</id>"
            f'<link href="{index}" rel="alternate" type="text/html"/>'
            f"<title>{f.submission_type}  - Monthly Portfolio Investments Report</title>"
            f"<updated>{f.filing_date}T16:05:00-04:00</updated></entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<author><email>webmaster@sec.gov</email><name>Webmaster</name></author>\n"
        f"<company-info><cik>{registrant.cik:010d}</cik>"
        f"<conformed-name>{_esc(registrant.name)}</conformed-name></company-info>\n"
        f"<id>urn:tag:sec.gov,2008:{'cik' if series.isdigit() else 'series'}={series}</id>\n"
        f"<title>{_esc(registrant.name)} ({series})</title>\n"
        + "".join(entries) + "</feed>\n"
    ).encode("latin-1", "replace")


def fund_map_json(specs: list[FundSpec]) -> bytes:
    """``company_tickers_mf.json``: one row per share class (cik, seriesId, classId, symbol).
    Funds that file per series only (a unit investment trust has no series or class); a few
    mutual-fund share classes of other series make it realistic."""
    rows = [[REGISTRANTS[registrant_key(s)].cik, series_id(s.ticker), class_id(s.ticker),
             s.ticker] for s in specs]
    other = REGISTRANTS["other"]
    rows += [[other.cik, series_id(f"MF{i}"), class_id(f"MF{i}{c}"), f"ZSMP{c}X"]
             for i, c in enumerate("ABC")]
    rows.sort(key=lambda r: r[3])
    payload = {"fields": ["cik", "seriesId", "classId", "symbol"], "data": rows}
    return json.dumps(payload, separators=(",", ":")).encode()


def fund_cik(spec: FundSpec) -> int:
    """The CIK the company ticker file lists a fund under: its registrant's for a registered
    fund, its own for a grantor trust or commodity pool (a 10-K filer)."""
    if spec.structure in ("open_end_fund", "uit"):
        return registrant_of(spec).cik
    return company_cik(spec.ticker)


def company_tickers_json(specs: list[FundSpec]) -> bytes:
    """``company_tickers.json``: ``{"0": {"cik_str": 9900601, "ticker": "SPY", "title":
    ...}, ...}`` — a few operating companies, then every fund, largest first."""
    entries = [(9_990_100 + i, ticker, name) for i, (ticker, name)
               in enumerate(OPERATING_COMPANIES)]
    funds = sorted(specs, key=lambda s: (-s.start_aum_usd, s.ticker))
    entries += [(fund_cik(s), s.ticker, registrant_of(s).name
                 if s.structure in ("open_end_fund", "uit") else f"{s.name} (SAMPLE)")
                for s in funds]
    payload = {str(i): {"cik_str": cik, "ticker": ticker, "title": title}
               for i, (cik, ticker, title) in enumerate(entries)}
    return json.dumps(payload, separators=(",", ":")).encode()


# -- the archive -----------------------------------------------------------------------------


def files_nport(spec: FundSpec, universe: dict[str, dict[str, str]]) -> bool:
    """A registered investment company (open-end fund or unit investment trust) the seed
    does not mark as filing no N-PORT."""
    expected = (universe.get(spec.ticker, {}).get("files_nport") or "true").lower() == "true"
    return expected and spec.structure in ("open_end_fund", "uit")


def filers(paths: dict[str, FundPath]) -> list[str]:
    """Every fund that files N-PORT, per series or (a unit investment trust) by CIK."""
    universe = load_universe()
    return [t for t, p in paths.items() if files_nport(p.spec, universe)]


def put_edgar_payloads(archive: Archive, paths: dict[str, FundPath],
                       calendar_days: list[dt.date]) -> dict[str, Any]:
    """Store every EDGAR payload for these simulated funds; returns a manifest section."""
    chosen = filers(paths)
    by_series = [t for t in chosen if files_by_series(paths[t].spec)]
    archive.put(SOURCE, fund_map_request(), fund_map_json([paths[t].spec for t in by_series]),
                200, FUND_MAP_URL, FETCHED_AT)
    archive.put(SOURCE, company_tickers_request(),
                company_tickers_json([p.spec for p in paths.values()]), 200,
                COMPANY_TICKERS_URL, FETCHED_AT)
    payloads = 2
    # a fund without a series is followed by its CIK: the trust's filings, or none
    for ticker in (t for t, p in paths.items() if t not in by_series):
        spec = paths[ticker].spec
        schedule = filing_schedule(spec, calendar_days) if ticker in chosen else []
        cik = f"{fund_cik(spec):010d}"
        registrant = registrant_of(spec) if ticker in chosen else Registrant(
            f"{spec.name} (SAMPLE)", fund_cik(spec), "", 12, "", "")
        archive.put(SOURCE, browse_cik_request(cik), browse_atom(cik, registrant, schedule), 200,
                    f"{BROWSE_URL}?action=getcompany&CIK={cik}", FETCHED_AT)
        payloads += 1
    manifest: dict[str, Any] = {}
    for ticker in chosen:
        path = paths[ticker]
        schedule = filing_schedule(path.spec, calendar_days)
        registrant = schedule[0].registrant if schedule else registrant_of(path.spec)
        if ticker in by_series:
            request = browse_request(series_id(ticker))
            archive.put(SOURCE, request, browse_atom(series_id(ticker), registrant, schedule),
                        200, f"{BROWSE_URL}?action=getcompany&CIK={series_id(ticker)}",
                        FETCHED_AT)
            payloads += 1
        entries = []
        history = monthly_history(path)
        for filing in schedule:
            body, summary = render_filing(path, filing, history)
            request = filing_request(filing.registrant.cik, filing.accession_number)
            archive.put(SOURCE, request, body, 200, filing.url, FETCHED_AT)
            payloads += 1
            entries.append(summary)
        listed = ticker in by_series
        manifest[ticker] = {"cik": registrant.cik,
                            "series_id": series_id(ticker) if listed else None,
                            "class_id": class_id(ticker) if listed else None,
                            "filings": entries}
    return {"payload_count": payloads, "funds": manifest,
            "files_without_series": sorted(t for t in chosen if t not in by_series),
            "amended": {"ticker": AMENDED[0], "period_end": AMENDED[1].isoformat()}}


@dataclass(frozen=True)
class FilingContents:
    """What one filing reports: net assets (B.1.c), Part C, B.6 flows, B.5 returns - the
    figures every rendering of it (XML, the SEC's data sets) carries."""

    net_assets: float
    holdings: list[Position]
    flows: list[tuple[float, float]]
    returns: list[float | None]


def filing_contents(path: FundPath, filing: Filing,
                    history: MonthlyHistory | None = None) -> FilingContents:
    k = max(i for i, d in enumerate(path.days) if d <= filing.period_end)
    net_assets = round(float(path.shares[k]) * float(path.nav[k]), 2)
    month = _month_index(filing.period_end)
    held = positions(path.spec, month, filing.period_end, net_assets)
    if (filing.ticker, filing.period_end) == AMENDED and filing.submission_type == "NPORT-P":
        top = max(range(len(held)), key=lambda i: held[i].value_usd)  # the filed error
        held[top] = Position(held[top].security, held[top].balance * 2,
                             round(held[top].value_usd * 2, 2), held[top].units)
    history = history or monthly_history(path)
    return FilingContents(net_assets, held, history.flows_for(filing.period_end),
                          history.returns_for(filing.period_end))


def render_filing(path: FundPath, filing: Filing,
                  history: MonthlyHistory | None = None) -> tuple[bytes, dict[str, Any]]:
    """The filing's XML and what it reports (for the manifest and tests)."""
    contents = filing_contents(path, filing, history)
    net_assets, held, flows = contents.net_assets, contents.holdings, contents.flows
    body = nport_xml(filing, path.spec, held, net_assets, flows, contents.returns)
    summary = {
        "accession_number": filing.accession_number,
        "submission_type": filing.submission_type,
        "period_end": filing.period_end.isoformat(),
        "filing_date": filing.filing_date.isoformat(),
        "net_assets": net_assets,
        "holdings": len(held),
        "flows": [{"sales": s, "redemptions": r} for s, r in flows],
    }
    return body, summary


def demo_runs(tickers: tuple[str, ...], calendar_days: list[dt.date]) -> list[PlanParams]:
    """What the demo asks the ``edgar_nport`` plugin for, stage by stage, as ``etfflow
    ingest nport`` would: the two ticker files, the filing list of each series filer's
    series and of every other fund's CIK (a unit investment trust's filings; none for a
    grantor trust or commodity pool), then each listed filing's primary document."""
    from ingest.sample.world import fund_spec

    universe = load_universe()
    specs = [fund_spec(t, universe.get(t)) for t in tickers]
    by_series = [s for s in specs if files_nport(s, universe) and files_by_series(s)]
    by_cik = [s for s in specs if s not in by_series]
    filers_ = [s for s in specs if files_nport(s, universe)]
    filings = [f for s in filers_ for f in filing_schedule(s, calendar_days)]
    return [
        PlanParams(tickers, extra={"stage": "fund_map"}),
        PlanParams(tickers, extra={"stage": "filings_index",
                                   "series": [series_id(s.ticker) for s in by_series],
                                   "ciks": [fund_cik(s) for s in by_cik]}),
        PlanParams(tickers, extra={"stage": "filings",
                                   "filings": [[f.registrant.cik, f.accession_number]
                                               for f in filings]}),
    ]
