"""Streaming parser for Form N-PORT ``primary_doc.xml`` (NPORT-P and NPORT-P/A).

The holdings are cut out of the bytes: the first holding's start tag is found (with the
prefix the filing gives it, usually none), then ``</invstOrSec>`` end tags every
PIECE_BYTES (one ``bytes.find`` per piece). The rest of the document, with one empty
placeholder where the holdings stood, is parsed first: it is checked (root, no DOCTYPE)
and Parts A and B are read from it, and the placeholder gives the namespaces in scope and
the document its encoding, which each piece is wrapped in (without the N-PORT default
namespace where a piece declares none of its own: lxml then builds each tag as a local
name, half the instructions of ``{ns}name``; the reading tables know both spellings).
Each piece is parsed (``etree.fromstring``), its holdings read into rows (one dictionary
lookup per child element, no per-holding dict) and typed column by column with C-level
iteration (``zip``, ``map``, numpy; a column absent from a whole piece is not converted).
A filing of POOL_MIN_BYTES or more has its pieces read by PIECE_WORKERS processes forked
for the parse (started in milliseconds with everything imported; they run nothing but
the parse, which takes no lock the caller's other threads, the runner's fetchers, hold
for long; Python 3.12+ warns about a fork in a threaded process all the same, and a
forkserver would have to ship the body): they inherit the body (shared, never copied or
pickled), are sent only each piece's byte range, and send back its typed columns, in
order, PIECES_AHEAD pieces queued per worker. Smaller filings, and callers that are pool
workers themselves (``pipeline``), read their pieces in their own process. Memory is the
document's bytes, a few pieces' trees per process and the output columns: flat in the
holding count. A document the cut cannot handle (no holding start tag found, or a cut
that lands inside a comment or CDATA section, so a piece does not parse) is parsed as
one tree instead, with the same reading. The cyclic garbage collector is paused during
the parse (the rows and element proxies are acyclic).

Measured (callgrind on the bench's 10,000-holding filing, instructions per holding, load
independent): the helper-thread design this replaces took 207k in one process: libxml2
parsing the pieces 76k (in a helper thread), reading the rows 95k (for a holding's ~24
direct children: element proxies 20k, ``{ns}tag`` strings 28k, texts 12k) and typing 37k
in the main thread, whose 132k were the critical path. Now 199k in all, local-name tags
cutting the tag strings to 14.5k: 180k in the workers (parsing, reading, typing and
pickling each piece's columns, split between two processes) and 19k in the caller
(unpickling, appending, the frame); 188k when one process reads every piece. Building the
frame in one call instead of inserting ~50 columns one by one, and noting which columns
carry a value chunk by chunk, then took the caller from 21.6k to 15.1k and one process
from 186k to 180k (callgrind above the interpreter's and imports' count, same filing), and
the frame, the serial tail after the last piece, from ~0.12 s to ~0.06 s at 100,000
holdings; what is left is libxml2's parse (72k) and lxml's Python API per element read
(rows 74k). See the README's N-PORT section for the wall-clock figures.

Tried and measured slower or no better (same process, thread CPU time or callgrind): XPath
(one compiled path per field per piece: 2.2 us per field per holding, libxml2's node-set
work) and XSLT (292k instructions per holding); C-level maps over a whole piece's
children (``chain.from_iterable``, ``attrgetter``): they save the interpreter's bytecode
but not the proxy, tag and text lxml builds per element, and cost as much as the loop;
element classes per tag (``ElementNamespaceClassLookup``): dearer proxies than the tags
they save; the standard library's ElementTree (expat, C element objects): its rows read
2.3x cheaper, but its tree costs twice libxml2's to build and free, no net gain.

Safety: entities are never resolved, DTDs never loaded, the network never touched
(``resolve_entities=False, load_dtd=False, no_network=True``), and any document type
declaration is refused before parsing (N-PORT filings have none; an internal subset is
how entity-expansion and external-entity attacks arrive). ``huge_tree`` stays off: no
N-PORT text node comes near libxml2's 10 MB limit, and the limit is a useful guard.

Reading the form (SEC Form N-PORT and its XML technical specification):
  * ``repPdDate`` (Item A.3.b) is the date the report is as of — the period end.
    ``repPdEnd`` (Item A.3.a) is the fund's fiscal year end, kept as ``fiscal_year_end``.
  * Items B.5 and B.6 report "each of the preceding three months": ``rtn1``/``mon1Flow``
    is the first month of that three-month period and ``rtn3``/``mon3Flow`` the third,
    the month of ``repPdDate`` (the field descriptions of the SEC's Form N-PORT data sets:
    MONTHLY_TOTAL_RETURN1 is the return "for the first month of the reporting period",
    ..._MON3 the third). So month k covers the calendar month ``repPdDate`` minus (3 - k)
    months; see ``flow_month``.
  * Values are reported as filed; "N/A" becomes null. Amounts keep their sign as filed
    (some filers report redemptions as negative numbers; staging normalises that).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import itertools
import multiprocessing
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
from lxml import etree

from ingest.core.ahead import submitted_ahead
from ingest.core.plugin import MalformedPayload
from ingest.plugins.edgar_nport.safe_xml import ITERPARSE_SAFETY, YES_NO, xml_start
from ingest.plugins.edgar_nport.safe_xml import form_flag as _flag
from ingest.plugins.edgar_nport.safe_xml import form_text as _text
from ingest.plugins.edgar_nport.safe_xml import refuse_doctype as _refuse_doctype

NS = "http://www.sec.gov/edgar/nport"
# NPORT-NP is the non-public form of the same report (not on EDGAR, but a valid document).
SUBMISSION_TYPES = frozenset({"NPORT-P", "NPORT-P/A", "NPORT-NP", "NPORT-NP/A"})


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


ROOT = _q("edgarSubmission")
HEADER = _q("headerData")
GEN_INFO = _q("genInfo")
FUND_INFO = _q("fundInfo")
HOLDING = _q("invstOrSec")

# -- output columns ---------------------------------------------------------------------

HOLDING_COLUMNS: dict[str, str] = {
    "accession_number": "VARCHAR",
    "line_number": "INTEGER",
    # C.1 identification
    "name": "VARCHAR",
    "lei": "VARCHAR",
    "title": "VARCHAR",
    "cusip": "VARCHAR",
    "isin": "VARCHAR",
    "ticker": "VARCHAR",
    "other_id": "VARCHAR",
    "other_id_desc": "VARCHAR",
    # C.2 amount
    "balance": "DOUBLE",
    "units": "VARCHAR",
    "units_desc": "VARCHAR",
    "currency": "VARCHAR",
    "exchange_rate": "DOUBLE",
    "value_usd": "DOUBLE",
    "pct_of_net_assets": "DOUBLE",
    # C.3 - C.8
    "payoff_profile": "VARCHAR",
    "asset_category": "VARCHAR",
    "asset_category_desc": "VARCHAR",
    "issuer_category": "VARCHAR",
    "issuer_category_desc": "VARCHAR",
    "country": "VARCHAR",
    "other_country": "VARCHAR",
    "is_restricted": "BOOLEAN",
    "fair_value_level": "VARCHAR",
    # C.9 debt securities
    "debt_maturity_date": "DATE",
    "debt_coupon_kind": "VARCHAR",
    "debt_annualized_rate": "DOUBLE",
    "debt_is_default": "BOOLEAN",
    "debt_is_interest_in_arrears": "BOOLEAN",
    "debt_is_paid_in_kind": "BOOLEAN",
    # C.10 repurchase agreements
    "repo_category": "VARCHAR",
    "repo_rate": "DOUBLE",
    "repo_maturity_date": "DATE",
    # C.11 derivatives (the top-level instrument; nested reference derivatives are not rows)
    "derivative_category": "VARCHAR",
    "derivative_counterparty_name": "VARCHAR",
    "derivative_counterparty_lei": "VARCHAR",
    "derivative_notional_amount": "DOUBLE",
    "derivative_currency": "VARCHAR",
    "derivative_expiration_date": "DATE",
    "derivative_unrealized_appreciation": "DOUBLE",
    "option_put_or_call": "VARCHAR",
    "option_written_or_purchased": "VARCHAR",
    "option_exercise_price": "DOUBLE",
    # C.12 securities lending
    "is_on_loan": "BOOLEAN",
    "loan_value": "DOUBLE",
    "cash_collateral_value": "DOUBLE",
    "non_cash_collateral_value": "DOUBLE",
}
DATA_COLUMNS = tuple(HOLDING_COLUMNS)[2:]          # what a holding element provides
DATA_INDEX = {name: i for i, name in enumerate(DATA_COLUMNS)}
N_DATA = len(DATA_COLUMNS)
PIECE_BYTES = 1 << 19       # holdings parsed at a time: about 650 of them, a ~5 MB tree
PIECE_WORKERS = 2           # processes reading a large filing's pieces (2 cores here)
POOL_MIN_BYTES = 4 << 20    # smaller filings are read in the calling process
PIECES_AHEAD = 2            # pieces queued per worker beyond the one it reads (bounds memory)
BATCH_HOLDINGS = 2048       # holdings read at a time from a document parsed whole
# a holding's start tag, with the namespace prefix the document gives it (usually none)
_HOLDING_START = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)invstOrSec[\s/>]")
CODED = frozenset({"units", "currency", "payoff_profile", "asset_category", "issuer_category",
                   "country", "other_country", "fair_value_level", "debt_coupon_kind",
                   "repo_category", "derivative_category", "derivative_currency",
                   "option_put_or_call", "option_written_or_purchased", "lei"})

# The form's tags by local name: the tables below key each under both spellings a parsed
# piece can give it (``_spellings``): ``{ns}name``, and ``name`` where the piece was
# parsed without the N-PORT default namespace.

# Direct children of invstOrSec whose text is a column.
_TEXT_CHILDREN = {
    "name": "name",
    "lei": "lei",
    "title": "title",
    "cusip": "cusip",
    "balance": "balance",
    "units": "units",
    "descOthUnits": "units_desc",
    "curCd": "currency",
    "valUSD": "value_usd",
    "pctVal": "pct_of_net_assets",
    "payoffProfile": "payoff_profile",
    "assetCat": "asset_category",
    "issuerCat": "issuer_category",
    "invCountry": "country",
    "invOthCountry": "other_country",
    "isRestrictedSec": "is_restricted",
    "fairValLevel": "fair_value_level",
}


_DEBT_FIELDS = {
    "maturityDt": "debt_maturity_date",
    "couponKind": "debt_coupon_kind",
    "annualizedRt": "debt_annualized_rate",
    "isDefault": "debt_is_default",
    "areIntrstPmntsInArrs": "debt_is_interest_in_arrears",
    "isPaidKind": "debt_is_paid_in_kind",
}
_REPO_FIELDS = {
    "transCat": "repo_category",
    "repurchaseRt": "repo_rate",
    "maturityDt": "repo_maturity_date",
}
_DERIVATIVE_FIELDS = {
    "notionalAmt": "derivative_notional_amount",
    "curCd": "derivative_currency",
    "expDate": "derivative_expiration_date",
    "expDt": "derivative_expiration_date",
    "terminationDt": "derivative_expiration_date",
    "unrealizedAppr": "derivative_unrealized_appreciation",
    "putOrCall": "option_put_or_call",
    "writtenOrPur": "option_written_or_purchased",
    "exercisePrice": "option_exercise_price",
}

_ACCESSION = re.compile(r"(\d{10})-?(\d{2})-?(\d{6})")


@dataclass(frozen=True)
class NportDocument:
    """One parsed N-PORT filing: the filing row, B.6 flows, B.5 returns and Part C."""

    filing: dict[str, Any]
    monthly_flows: list[dict[str, Any]]
    monthly_returns: list[dict[str, Any]]
    holdings: pd.DataFrame
    null_columns: tuple[str, ...] = ()  # holdings columns null on every line


# -- small helpers -------------------------------------------------------------------------


def _number(value: str | None, what: str) -> float | None:
    value = _text(value)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise MalformedPayload(f"{what}: not a number: {value[:40]!r}") from None


def _date(value: str | None, what: str) -> dt.date | None:
    value = _text(value)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MalformedPayload(f"{what}: not a date: {value[:40]!r}") from None


def _child_text(element: etree._Element, local: str) -> str | None:
    return _text(element.findtext(_q(local)))


def flow_month(period_end: dt.date, month_number: int) -> dt.date:
    """First day of the calendar month that B.5/B.6 month ``month_number`` (1-3) covers:
    month 3 is the month of the report date, month 1 two months earlier."""
    if month_number not in (1, 2, 3):
        raise ValueError(f"month_number must be 1, 2 or 3, not {month_number}")
    index = period_end.year * 12 + period_end.month - 1 - (3 - month_number)
    return dt.date(index // 12, index % 12 + 1, 1)


def accession_from(text: str) -> str | None:
    """An EDGAR accession number (``0000950123-24-001234``) found in a URL or file name;
    EDGAR folders spell it without dashes (``000095012324001234``)."""
    match = _ACCESSION.search(text)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else None


# -- the parse -----------------------------------------------------------------------------


def parse_nport(body: bytes, accession_number: str, *,
                workers: int = PIECE_WORKERS) -> NportDocument:
    """Parse one N-PORT ``primary_doc.xml``; raises MalformedPayload with a clear reason
    for anything that is not a complete, well-formed N-PORT document. A filing of
    POOL_MIN_BYTES or more has its holdings read by ``workers`` forked processes (1: in
    this process, as a caller that is itself a pool worker asks)."""
    offset = xml_start(body)
    if offset == len(body):  # (not body.strip(): that copies the whole filing)
        raise MalformedPayload("empty document")
    if body[offset:offset + 1] != b"<":
        raise MalformedPayload("not XML: the document does not start with '<'")
    _refuse_doctype(body, offset, "N-PORT")
    with _gc_paused():
        try:
            root, pieces = holding_pieces(body, offset)
            columns = _read_pieces(pieces, workers if len(body) >= POOL_MIN_BYTES else 1)
        except _NotSplittable:
            root, columns = _parse_whole(body, offset)
        holdings, null_columns = columns.frame(accession_number)
    header, general, fund, flows, returns = _parts_a_and_b(root)
    document = _assemble(accession_number, header, general, fund, flows, returns, holdings)
    return dataclasses.replace(document, null_columns=null_columns)


class _NotSplittable(Exception):
    """The holdings cannot be cut out of the bytes (no literal holding tags, or a cut that
    lands inside markup): the document is parsed whole instead."""


class _NotANumber(Exception):
    """A number column's text that is not a number, at ``index`` in a chunk of rows (the
    chunk's reader, which may be another process, does not know its line numbers)."""

    def __init__(self, index: int, column: str, text: str) -> None:
        super().__init__(index, column, text)
        self.index, self.column, self.text = index, column, text


@dataclass(frozen=True)
class HoldingPieces:
    """A filing's holdings as byte ranges of its body, each read on its own: wrapped
    between ``before`` (the XML declaration with the document's encoding and an element
    declaring the namespaces in scope where the holdings stand) and ``after``. Where the
    N-PORT namespace is the default one there and a piece declares no namespace of its
    own, ``before_local`` leaves the default out: the piece's N-PORT elements then have
    their local names as tags, which lxml builds for half the cost of ``{ns}name``."""

    body: bytes
    spans: Iterator[tuple[int, int]]
    before: bytes
    after: bytes
    before_local: bytes | None

    def parse(self, span: tuple[int, int]) -> etree._Element:
        piece = self.body[span[0]:span[1]]
        before = (self.before if self.before_local is None or b"xmlns" in piece
                  else self.before_local)
        try:
            return etree.fromstring(b"".join((before, piece, self.after)), _parser())
        except etree.XMLSyntaxError:
            raise _NotSplittable from None  # a cut inside a comment or CDATA section

    def read(self, span: tuple[int, int]) -> dict[str, Sequence[Any] | np.ndarray]:
        """One piece's holdings as typed columns."""
        holdings = self.parse(span).iter(HOLDING, "invstOrSec")
        return _holdings_frame(list(map(_holding_row, holdings)))


def holding_pieces(body: bytes, offset: int) -> tuple[etree._Element, HoldingPieces]:
    """The document without its holdings (one empty placeholder in their place), and the
    holdings in pieces of about PIECE_BYTES (from ``offset``, where the XML starts)."""
    match = _HOLDING_START.search(body, offset)
    if match is None:
        raise _NotSplittable
    end_tag = b"</" + match[1] + b"invstOrSec>"
    first, last = match.start(), body.rfind(end_tag)
    if last < first:
        raise _NotSplittable
    end = last + len(end_tag)
    try:
        root = etree.fromstring(body[offset:first] + b"<" + match[1] + b"invstOrSec/>"
                                + body[end:], _parser())
    except etree.XMLSyntaxError:
        raise _NotSplittable from None
    _check_document(root)
    placeholders = list(root.iter(HOLDING))
    if len(placeholders) != 1 or len(placeholders[0]) or placeholders[0].text is not None:
        raise _NotSplittable  # the cut is not where the holdings stand
    namespaces = placeholders[0].nsmap
    encoding = root.getroottree().docinfo.encoding

    def wrapper(declared: dict[str | None, str]) -> bytes:
        declarations = "".join(f" xmlns{':' + p if p else ''}={quoteattr(uri)}"
                               for p, uri in declared.items())
        return f'<?xml version="1.0" encoding="{encoding}"?><piece{declarations}>'.encode()

    local = None
    if not match[1] and namespaces.get(None) == NS:
        local = wrapper({p: uri for p, uri in namespaces.items() if p is not None})
    return root, HoldingPieces(body, _piece_spans(body, end_tag, first, end),
                               wrapper(namespaces), b"</piece>", local)


def _piece_spans(body: bytes, end_tag: bytes, first: int, end: int) -> Iterator[tuple[int, int]]:
    """Byte ranges from ``first`` to ``end``, each ending after a holding's end tag at
    least PIECE_BYTES on (one bytes.find per piece)."""
    start = first
    while start < end:
        cut = body.find(end_tag, start + PIECE_BYTES)
        stop = end if cut < 0 else cut + len(end_tag)
        yield start, stop
        start = stop


def _read_pieces(pieces: HoldingPieces, workers: int) -> _Columns:
    """Each piece read into typed columns, in order: here, or by ``workers`` processes
    forked with the filing (its body is shared, not copied), PIECES_AHEAD pieces queued
    per worker (memory stays flat); only the spans go out and typed columns come back."""
    if workers < 2:
        return _collected(map(pieces.read, pieces.spans))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_adopt, initargs=(pieces,)) as pool:
        chunks = submitted_ahead(pool, _read_adopted, pieces.spans,
                                 ahead=workers * PIECES_AHEAD)
        try:
            return _collected(future.result() for _, future in chunks)
        finally:
            pool.shutdown(cancel_futures=True)


_adopted: list[HoldingPieces] = []  # in a pool worker: the filing it reads pieces of


def _adopt(pieces: HoldingPieces) -> None:
    """A pool worker's initializer: inherited through the fork, never pickled."""
    _adopted[:] = [pieces]


def _read_adopted(span: tuple[int, int]) -> dict[str, Sequence[Any] | np.ndarray]:
    return _adopted[0].read(span)


def _parse_whole(body: bytes, offset: int) -> tuple[etree._Element, _Columns]:
    """The whole document as one tree: only for documents the byte cut cannot handle (a
    prefix-free scan finds no holding, or a cut lands inside markup), and for the errors
    of a malformed document."""
    try:
        root = etree.fromstring(body[offset:], _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedPayload(f"malformed or truncated XML: {exc}") from None
    _check_document(root)
    holdings = root.iter(HOLDING)
    batches = iter(lambda: list(itertools.islice(holdings, BATCH_HOLDINGS)), [])
    return root, _collected(_holdings_frame(list(map(_holding_row, batch)))
                            for batch in batches)


def _parser() -> etree.XMLParser:
    """A hardened parser (one per parse: an lxml parser serialises the threads using it)."""
    return etree.XMLParser(remove_blank_text=True, **ITERPARSE_SAFETY)


def _check_document(root: etree._Element) -> None:
    if root.getroottree().docinfo.doctype:
        raise MalformedPayload("document type declaration found: N-PORT filings have none")
    if root.tag != ROOT and next(root.iter(ROOT), None) is None:
        raise MalformedPayload(f"not an N-PORT document: root element is "
                               f"{etree.QName(root).text}")


def _collected(chunks: Iterable[dict[str, Sequence[Any] | np.ndarray]]) -> _Columns:
    """Typed chunks of holdings appended in order; a value that is not a number is
    reported with its holding's line number."""
    columns = _Columns()
    try:
        for chunk in chunks:
            columns.extend(chunk)
    except _NotANumber as bad:
        raise MalformedPayload(f"holding {columns.rows + 1 + bad.index}: {bad.column} is "
                               f"not a number: {bad.text[:40]!r}") from None
    return columns


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored as it was): a parse allocates millions
    of short-lived acyclic objects, and each collection pass would walk the rows so far."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parts_a_and_b(root: etree._Element) -> tuple[dict[str, Any], dict[str, Any],
                                                   dict[str, Any], list[dict[str, Any]],
                                                   list[dict[str, Any]]]:
    """headerData, genInfo and fundInfo from the parsed tree (small: the holdings in it are
    cleared husks). Where an element repeats, the last one in the document counts."""
    header: dict[str, Any] = {}
    general: dict[str, Any] = {}
    fund: dict[str, Any] = {}
    flows: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []
    for element in root.iter(HEADER, GEN_INFO, FUND_INFO):
        tag = element.tag
        if tag == GEN_INFO:
            general = _gen_info(element)
        elif tag == FUND_INFO:
            fund, flows, returns = _fund_info(element)
        else:
            header = _header(element)
    return header, general, fund, flows, returns


class _Columns:
    """The typed chunks, appended column by column to one growing buffer per column (a
    list of objects, or an array of doubles): each chunk is released once appended, and
    no column exists twice until the end, where each becomes the frame's own block (a
    frame that stacked the columns of a type into one block would copy the whole
    result). So the parse's own memory stays flat in the filing size. Which object
    columns carry a value is noted chunk by chunk, while the workers parse, rather than
    counted at the end."""

    def __init__(self) -> None:
        self.rows = 0
        self._data: dict[str, list[Any] | array | np.ndarray] = {
            name: array("d") if HOLDING_COLUMNS[name] == "DOUBLE" else []
            for name in DATA_COLUMNS}
        self._valued: set[str] = set()  # object columns with a value on some line

    def extend(self, chunk: dict[str, list[Any] | np.ndarray]) -> None:
        for name, values in chunk.items():
            column = self._data[name]
            if isinstance(column, array):
                column.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
                continue
            if name not in self._valued and values.count(None) < len(values):
                self._valued.add(name)
            column.extend(values)
        self.rows += len(next(iter(chunk.values()))) if chunk else 0

    def frame(self, accession_number: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
        """The holdings frame and the columns null on every line. Each column becomes an
        array as its buffer is released (a list's pointers are copied once, the doubles
        not at all), and the frame is built in one call that takes the arrays as they
        are: ``copy=False`` keeps a block per column, and a Series with its dtype given
        spares pandas a scan of each object column for dates. (Inserting the columns one
        by one cost ~0.25 ms each, about 40% of a small filing's parse.)"""
        n = self.rows
        self._data["accession_number"] = np.full(n, accession_number, dtype=object)
        self._data["line_number"] = np.arange(1, n + 1, dtype=np.int64)
        arrays: dict[str, pd.Series] = {}
        null_columns = []
        for name in HOLDING_COLUMNS:
            column = self._data.pop(name)
            if isinstance(column, list):
                is_null = name not in self._valued
                values = np.fromiter(column, dtype=object, count=n)
            else:
                values = column if isinstance(column, np.ndarray) else np.frombuffer(
                    column, dtype=np.float64)
                is_null = values.dtype.kind == "f" and bool(np.isnan(values).all())
            if is_null:
                null_columns.append(name)
            arrays[name] = pd.Series(values, dtype=values.dtype, copy=False)
            del column
        return pd.DataFrame(arrays, copy=False), tuple(null_columns)


def _assemble(
    accession_number: str,
    header: dict[str, Any],
    general: dict[str, Any],
    fund: dict[str, Any],
    flows: list[dict[str, Any]],
    returns: list[dict[str, Any]],
    holdings: pd.DataFrame,
) -> NportDocument:
    submission_type = header.get("submission_type")
    if submission_type not in SUBMISSION_TYPES:
        raise MalformedPayload(
            f"not an N-PORT filing: submissionType is {submission_type!r}"
        )
    period_end = general.get("period_end")
    if period_end is None:
        raise MalformedPayload("genInfo/repPdDate (the report date) is missing")
    if not fund:
        raise MalformedPayload("formData/fundInfo (Part B) is missing")
    series_id = general.get("series_id") or header.get("series_id")
    filing = {
        "accession_number": accession_number,
        "cik": general.get("cik") or header.get("cik"),
        "registrant_name": general.get("registrant_name"),
        "series_id": series_id,
        "series_name": general.get("series_name"),
        "series_lei": general.get("series_lei"),
        "class_ids": ",".join(header.get("class_ids", ())) or None,
        "submission_type": submission_type,
        "is_amendment": submission_type.endswith("/A"),
        "is_test_filing": header.get("live_test_flag") == "TEST",
        "period_end": period_end,
        "fiscal_year_end": general.get("fiscal_year_end"),
        "is_final_filing": general.get("is_final_filing"),
        "total_assets_usd": fund.get("total_assets_usd"),
        "total_liabilities_usd": fund.get("total_liabilities_usd"),
        "net_assets_usd": fund.get("net_assets_usd"),
        "holdings_count": len(holdings),
    }
    for row in flows:
        row.update(accession_number=accession_number, series_id=series_id,
                   flow_month=flow_month(period_end, row["month_number"]))
    for row in returns:
        row.update(accession_number=accession_number,
                   return_month=flow_month(period_end, row["month_number"]))
    return NportDocument(filing, flows, returns, holdings)


def _header(element: etree._Element) -> dict[str, Any]:
    filer_info = element.find(_q("filerInfo"))
    out: dict[str, Any] = {"submission_type": _child_text(element, "submissionType")}
    if filer_info is not None:
        out["live_test_flag"] = _child_text(filer_info, "liveTestFlag")
        out["cik"] = _text(filer_info.findtext(f"{_q('filer')}/{_q('issuerCredentials')}"
                                                f"/{_q('cik')}"))
        series_class = filer_info.find(_q("seriesClassInfo"))
        if series_class is not None:
            out["series_id"] = _child_text(series_class, "seriesId")
            out["class_ids"] = tuple(
                t for t in (_text(c.text) for c in series_class.iter(_q("classId"))) if t
            )
    return out


def _gen_info(element: etree._Element) -> dict[str, Any]:
    return {
        "registrant_name": _child_text(element, "regName"),
        "cik": _child_text(element, "regCik"),
        "series_name": _child_text(element, "seriesName"),
        "series_id": _child_text(element, "seriesId"),
        "series_lei": _child_text(element, "seriesLei"),
        "fiscal_year_end": _date(element.findtext(_q("repPdEnd")), "genInfo/repPdEnd"),
        "period_end": _date(element.findtext(_q("repPdDate")), "genInfo/repPdDate"),
        "is_final_filing": _flag(element.findtext(_q("isFinalFiling"))),
    }


def _fund_info(
    element: etree._Element,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    fund = {
        "total_assets_usd": _number(element.findtext(_q("totAssets")), "fundInfo/totAssets"),
        "total_liabilities_usd": _number(element.findtext(_q("totLiabs")),
                                         "fundInfo/totLiabs"),
        "net_assets_usd": _number(element.findtext(_q("netAssets")), "fundInfo/netAssets"),
    }
    flows = []
    for k in (1, 2, 3):
        node = element.find(_q(f"mon{k}Flow"))
        if node is None:
            continue
        where = f"fundInfo/mon{k}Flow"
        flows.append({
            "month_number": k,
            "sales_usd": _number(node.get("sales"), f"{where}@sales"),
            "reinvestments_usd": _number(node.get("reinvestment"), f"{where}@reinvestment"),
            "redemptions_usd": _number(node.get("redemption"), f"{where}@redemption"),
        })
    returns = []
    totals = element.find(f"{_q('returnInfo')}/{_q('monthlyTotReturns')}")
    for node in totals.iterchildren(_q("monthlyTotReturn")) if totals is not None else ():
        class_id = _text(node.get("classId"))
        for k in (1, 2, 3):
            returns.append({
                "class_id": class_id or "",
                "month_number": k,
                "total_return_pct": _number(node.get(f"rtn{k}"), f"monthlyTotReturn@rtn{k}"),
            })
    return fund, flows, returns


def _holding_row(element: etree._Element) -> list[Any]:
    """One Part C holding as raw text in DATA_COLUMNS order. Direct children only, so
    names and identifiers of nested reference instruments never leak in. This loop is
    the parser's hot path: one dictionary lookup per child element, the two groups nearly
    every holding has (identifiers, securityLending) read in line, the rare ones
    (conditionals, debt, repo, derivative) by their handler."""
    row: list[Any] = [None] * N_DATA
    slot_of = _CHILD_SLOTS.get
    for child in element:
        slot = slot_of(child.tag)
        if slot is None:
            continue
        if slot >= 0:
            row[slot] = child.text
        elif slot == _IDENTIFIERS_GROUP:
            for ident in child:
                ident_slot = _IDENTIFIER_SLOTS.get(ident.tag)
                if ident_slot is not None and row[ident_slot] is None:
                    row[ident_slot] = ident.get("value")
                    if ident_slot == _OTHER_SLOT:
                        row[_OTHER_DESC_SLOT] = ident.get("otherDesc")
        elif slot == _LENDING_GROUP:
            _lending(child, row)
        else:
            _GROUP_HANDLERS[slot](child, row)
    return row


def _spellings(by_local_name: dict[str, Any]) -> dict[str, Any]:
    """A table keyed by the form's local tag names, keyed by both spellings of each."""
    return {**{_q(local): value for local, value in by_local_name.items()}, **by_local_name}


def _first_text(element: etree._Element, local: str) -> str | None:
    """``findtext`` of a child in either spelling: its text ("" when empty), else None."""
    for child in element:
        if child.tag in (local, _q(local)):
            return child.text or ""
    return None


def _conditional(slots: tuple[tuple[str, int], ...]) -> Callable[[etree._Element, list[Any]],
                                                                 None]:
    def handle(element: etree._Element, row: list[Any]) -> None:
        for attribute, slot in slots:
            row[slot] = element.get(attribute)
    return handle


def _nested(fields: dict[str, str]) -> Callable[[etree._Element, list[Any]], None]:
    slots = _spellings({tag: DATA_INDEX[column] for tag, column in fields.items()})

    def handle(element: etree._Element, row: list[Any]) -> None:
        for child in element:
            slot = slots.get(child.tag)
            if slot is not None and row[slot] is None:
                row[slot] = child.text
    return handle


def _derivative(element: etree._Element, row: list[Any]) -> None:
    instrument = next(iter(element), None)  # fwdDeriv, futrDeriv, swapDeriv, optionSwaption…
    if instrument is None:
        return
    row[DATA_INDEX["derivative_category"]] = instrument.get("derivCat")
    for child in instrument:
        tag = child.tag
        slot = _DERIVATIVE_SLOTS.get(tag)
        if slot is not None:
            if row[slot] is None:
                row[slot] = child.text
        elif (_DERIVATIVE_PARTS.get(tag) == "counterparties"
              and row[DATA_INDEX["derivative_counterparty_name"]] is None):
            row[DATA_INDEX["derivative_counterparty_name"]] = _first_text(child,
                                                                          "counterpartyName")
            row[DATA_INDEX["derivative_counterparty_lei"]] = _first_text(child,
                                                                         "counterpartyLei")
        elif _DERIVATIVE_PARTS.get(tag) == "notionalAmts":
            first = next(iter(child), None)
            slot = DATA_INDEX["derivative_notional_amount"]
            if first is not None and row[slot] is None:
                row[slot] = first.get("amt")
                row[DATA_INDEX["derivative_currency"]] = first.get("curCd")


def _lending(element: etree._Element, row: list[Any]) -> None:
    for child in element:
        part = _LENDING_PARTS.get(child.tag)
        if part == "isLoanByFund":
            row[_ON_LOAN_SLOT] = child.text
        elif part == "loanByFundCondition":
            row[_ON_LOAN_SLOT] = child.get("isLoanByFund")
            row[DATA_INDEX["loan_value"]] = child.get("loanVal")
        elif part == "cashCollateralCondition":
            row[DATA_INDEX["cash_collateral_value"]] = child.get("cashCollateralVal")
        elif part == "nonCashCollateralCondition":
            row[DATA_INDEX["non_cash_collateral_value"]] = child.get("nonCashCollateralVal")


_IDENTIFIER_SLOTS = _spellings({"isin": DATA_INDEX["isin"], "ticker": DATA_INDEX["ticker"],
                                "other": DATA_INDEX["other_id"]})
_OTHER_SLOT = DATA_INDEX["other_id"]
_OTHER_DESC_SLOT = DATA_INDEX["other_id_desc"]
_ON_LOAN_SLOT = DATA_INDEX["is_on_loan"]
_DERIVATIVE_SLOTS = _spellings({tag: DATA_INDEX[col] for tag, col in _DERIVATIVE_FIELDS.items()})
_DERIVATIVE_PARTS = _spellings({"counterparties": "counterparties",
                                "notionalAmts": "notionalAmts"})
_LENDING_PARTS = _spellings({part: part for part in (
    "isLoanByFund", "loanByFundCondition", "cashCollateralCondition",
    "nonCashCollateralCondition")})
_IDENTIFIERS_GROUP, _LENDING_GROUP = -1, -2
_GROUP_HANDLERS: dict[int, Callable[[etree._Element, list[Any]], None]] = {
    -3: _conditional((("curCd", DATA_INDEX["currency"]),
                      ("exchangeRt", DATA_INDEX["exchange_rate"]))),
    -4: _conditional((("assetCat", DATA_INDEX["asset_category"]),
                      ("desc", DATA_INDEX["asset_category_desc"]))),
    -5: _conditional((("issuerCat", DATA_INDEX["issuer_category"]),
                      ("desc", DATA_INDEX["issuer_category_desc"]))),
    -6: _nested(_DEBT_FIELDS),
    -7: _nested(_REPO_FIELDS),
    -8: _derivative,
}
# child tag -> its column (>= 0), or the group it opens (< 0)
_CHILD_SLOTS: dict[str, int] = _spellings({
    **{tag: DATA_INDEX[column] for tag, column in _TEXT_CHILDREN.items()},
    "identifiers": _IDENTIFIERS_GROUP,
    "securityLending": _LENDING_GROUP,
    "currencyConditional": -3,
    "assetConditional": -4,
    "issuerConditional": -5,
    "debtSec": -6,
    "repurchaseAgrmt": -7,
    "derivativeInfo": -8,
})


# -- raw text rows to a typed frame (vectorised) ---------------------------------------------


def _holdings_frame(rows: list[list[Any]]) -> dict[str, Sequence[Any] | np.ndarray]:
    """A chunk of raw rows as typed columns: numbers (strict: a value that is not a number
    is an error, "N/A" is null), Y/N flags, text with the "N/A" placeholder as null. Each
    column is converted in one pass of C-level iteration (``zip``, ``map``, numpy); a
    column absent from every row of the chunk (most sections are) is not converted."""
    n = len(rows)
    raw_columns = zip(*rows, strict=True) if rows else [()] * N_DATA
    data: dict[str, Sequence[Any] | np.ndarray] = {}
    for name, column, kind in zip(DATA_COLUMNS, raw_columns, _DATA_KINDS, strict=True):
        if column.count(None) == n:
            data[name] = np.full(n, np.nan) if kind == "DOUBLE" else [None] * n
        elif kind == "DOUBLE":
            data[name] = _floats(column, name)
        elif kind == "BOOLEAN":
            data[name] = list(map(YES_NO.get, column))
        elif kind == "CODED":
            data[name] = _shared(column)
        elif "N/A" in column:
            data[name] = list(map(_TEXT_OR_NULL.get, column, column))
        else:
            data[name] = column
    return data


_DATA_KINDS = tuple("CODED" if name in CODED and HOLDING_COLUMNS[name] == "VARCHAR"
                    else HOLDING_COLUMNS[name] for name in DATA_COLUMNS)
_TEXT_OR_NULL = {"N/A": None}                # text: the forms' placeholder is null
_NUMBER_TEXT = {None: "nan", "N/A": "nan"}   # numbers: absent and "N/A" parse as NaN


def _shared(column: tuple[Any, ...]) -> list[Any]:
    """Codes repeated on every line (units, currency, categories, country) as one string
    object per distinct value instead of one per holding: a large filing's memory."""
    seen: dict[Any, Any] = {"N/A": None}
    return list(map(seen.setdefault, column, column))


def _floats(raw: tuple[Any, ...], column: str) -> np.ndarray:
    texts = map(_NUMBER_TEXT.get, raw, raw) if None in raw or "N/A" in raw else raw
    try:
        return np.fromiter(map(float, texts), dtype=np.float64, count=len(raw))
    except ValueError:
        pass
    out = np.full(len(raw), np.nan)  # the slow path: blanks are null, anything else an error
    for i, value in enumerate(raw):
        if value is None:
            continue
        try:
            out[i] = float(value)
        except ValueError:
            text = value.strip()
            if text in ("", "N/A"):
                continue
            raise _NotANumber(i, column, text) from None
    return out
