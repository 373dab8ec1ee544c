"""SAMPLE holdings baskets for the issuer renderers (``ishares.py``, ``spdr.py``).

A fund's basket is a handful of lines (the real files list hundreds; the archive stays
small): for an equity fund the top holdings Yahoo's snapshot shows (``yahoo._top_holdings``,
same names and weights, so the sources agree), one line for the rest of the portfolio and a
cash line; a bond fund gets made-up bonds (Treasuries for government funds, corporate
issuers otherwise); a commodity fund one line for its metal or futures and cash.

Each day's lines come from the world's path: every line's price moves with the fund's NAV,
its quantity is its weight of the day's true assets (NAV x shares outstanding) at that
price, rounded to whole shares (bonds: $1,000 of par), its market value quantity x price,
and the cash line takes the rest, so the market values always add up to the true NAV x
shares to the cent. Quantities therefore move with creations and redemptions.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

import numpy as np

from ingest.sample.world import FundPath, FundSpec, _rng
from ingest.sample.yahoo import HOLDINGS_POOLS, _top_holdings

GICS = {
    "technology": "Information Technology", "financial_services": "Financials",
    "healthcare": "Health Care", "energy": "Energy", "industrials": "Industrials",
    "consumer_cyclical": "Consumer Discretionary", "consumer_defensive": "Consumer Staples",
    "utilities": "Utilities", "realestate": "Real Estate",
    "communication_services": "Communication", "basic_materials": "Materials",
}
SECTOR_OF = {entry.split(":", 1)[0]: GICS[pool] for pool, entries in HOLDINGS_POOLS.items()
             if pool in GICS for entry in entries}
CASH_WEIGHT = {"equity": 0.002, "bond": 0.015, "commodity": 0.003}
COMMODITY_LINES = {"GLD": "GOLD", "IAU": "GOLD", "SLV": "SILVER", "PALL": "PALLADIUM",
                   "PPLT": "PLATINUM"}
TREASURY = "UNITED STATES TREASURY"
CORPORATE_ISSUERS = ("APPLE INC", "JPMORGAN CHASE & CO", "BANK OF AMERICA CORP",
                     "AT&T INC", "VERIZON COMMUNICATIONS INC", "COMCAST CORP",
                     "ORACLE CORPORATION", "CVS HEALTH CORP", "BOEING CO", "PFIZER INC",
                     "FORD MOTOR CREDIT CO LLC", "CARNIVAL CORP", "TENET HEALTHCARE CORP",
                     "CCO HOLDINGS LLC", "DISH DBS CORP")
BONDS_PER_FUND = 10
SAMPLE_MARK = "(SAMPLE)"


@dataclass(frozen=True)
class Security:
    ticker: str | None
    name: str
    sector: str
    asset_class: str          # Equity | Fixed Income | Commodity | Cash
    cusip: str | None
    isin: str | None
    sedol: str | None
    weight: float             # target fraction of the fund's assets
    base_price: float         # price on the fund's first day (bonds: percent of par)
    location: str
    exchange: str
    maturity: dt.date | None = None
    coupon_pct: float | None = None

    @property
    def is_bond(self) -> bool:
        return self.asset_class == "Fixed Income"


@dataclass(frozen=True)
class Line:
    security: Security
    quantity: float           # shares, par value for bonds, dollars for cash
    price: float
    market_value: float
    weight_pct: float


def _code(rng: np.random.Generator, n: int) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def _identifiers(rng: np.random.Generator) -> tuple[str, str, str]:
    cusip = _code(rng, 8) + str(int(rng.integers(0, 10)))
    return cusip, "US" + cusip + str(int(rng.integers(0, 10))), _code(rng, 7)


def basket(spec: FundSpec) -> tuple[Security, ...]:
    """The fund's lines without cash; weights add up to 1 - the cash weight."""
    rng = _rng("issuer-basket", spec.ticker)
    cash = CASH_WEIGHT.get(spec.asset_class, 0.005)
    if spec.asset_class == "bond":
        return _bonds(spec, rng, 1 - cash)
    if spec.asset_class == "commodity":
        name = COMMODITY_LINES.get(spec.ticker, "COMMODITY FUTURES BASKET")
        cusip, isin, sedol = _identifiers(rng)
        return (Security(None if name.endswith("BASKET") else name[:3], f"{name} {SAMPLE_MARK}",
                         "Commodity", "Commodity", cusip, isin, sedol, 1 - cash,
                         float(np.round(rng.uniform(20, 2000), 2)), "United States", "-"),)
    top = _top_holdings(spec)["holdings"]
    lines = []
    for holding in top:
        cusip, isin, sedol = _identifiers(rng)
        symbol = holding["symbol"]
        lines.append(Security(
            symbol.replace("-", ""), holding["holdingName"].upper(),
            SECTOR_OF.get(symbol, GICS.get(spec.sector.lower(), "-") if spec.sector else "-"),
            "Equity", cusip, isin, sedol, float(holding["holdingPercent"]),
            float(np.round(rng.uniform(20, 600), 2)),
            "United States" if "." not in symbol else "-",
            "NASDAQ" if len(symbol) >= 4 else "New York Stock Exchange Inc.",
        ))
    rest = 1 - cash - sum(s.weight for s in lines)
    lines.append(Security(None, f"OTHER HOLDINGS {SAMPLE_MARK}", "-", "Equity", None, None,
                          None, rest, 100.0, "-", "-"))
    return tuple(lines)


def _bonds(spec: FundSpec, rng: np.random.Generator, total: float) -> tuple[Security, ...]:
    government = "government" in spec.category.lower() or spec.ticker in ("TLT", "IEF", "SHY")
    raw = rng.dirichlet(np.full(BONDS_PER_FUND, 3.0))
    weights = np.sort(raw)[::-1] * total
    horizon = {"SHY": (1, 3), "IEF": (7, 10), "TLT": (20, 30)}.get(spec.ticker, (2, 30))
    bonds = []
    for weight in weights.tolist():
        issuer = TREASURY if government else CORPORATE_ISSUERS[
            int(rng.integers(0, len(CORPORATE_ISSUERS)))]
        coupon = float(np.round(rng.uniform(1.0, 6.5) * 8) / 8)
        maturity = dt.date(2025 + int(rng.integers(*horizon)), int(rng.integers(1, 13)), 15)
        cusip, isin, sedol = _identifiers(rng)
        bonds.append(Security(
            None, f"{issuer} {SAMPLE_MARK}", "Treasuries" if government else "Corporates",
            "Fixed Income", cusip, isin, sedol, weight,
            float(np.round(rng.uniform(88, 104), 3)), "United States", "-", maturity,
            coupon,
        ))
    return tuple(bonds)


def cash_security() -> Security:
    return Security("USD", "USD CASH", "Cash and/or Derivatives", "Cash", None, None, None,
                    0.0, 100.0, "United States", "-")


def lines_on(path: FundPath, securities: tuple[Security, ...], k: int) -> list[Line]:
    """The fund's holding lines at the close of day ``k`` (cash last); their market values
    add up to round(nav x shares, 2), the day's true assets."""
    assets_usd = round(float(path.nav[k]) * float(path.shares[k]), 2)
    move = float(path.nav[k]) / float(path.nav[0])
    lines, invested = [], 0.0
    for security in securities:
        price = round(security.base_price * move, 3 if security.is_bond else 2)
        unit = price / 100 if security.is_bond else price
        lot = 1000 if security.is_bond else 1
        quantity = round(security.weight * assets_usd / unit / lot) * lot
        value = round(quantity * unit, 2)
        invested += value
        lines.append(Line(security, float(quantity), price, value,
                          round(value / assets_usd * 100, 6)))
    cash_usd = round(assets_usd - invested, 2)
    lines.append(Line(cash_security(), cash_usd, 100.0, cash_usd,
                      round(cash_usd / assets_usd * 100, 6)))
    return lines
