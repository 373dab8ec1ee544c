"""Hardened, streaming lxml settings for EDGAR's XML forms (N-PORT, N-CEN), and the
forms' shared text conventions (``form_text``, ``form_flag``).

EDGAR form XML has no DTD, so a document type declaration is refused before parsing (an
internal subset is how entity-expansion and external-entity attacks arrive), entities
are never resolved, DTDs never loaded, the network never touched. ``huge_tree`` stays
off: no form's text node comes near libxml2's 10 MB limit, and the limit is a guard.
Bodies are read through ``BodyReader`` (a window on the bytes, never copied), starting
after a byte-order mark and leading whitespace (real filings may open with a blank line,
which libxml2 rejects).
"""

from __future__ import annotations

from typing import Any

from ingest.core.plugin import MalformedPayload

PROLOG_SCAN_BYTES = 64 * 1024

# keyword arguments for lxml.etree.iterparse
ITERPARSE_SAFETY: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}


# the forms' yes/no values: "Y"/"N" in elements, "true"/"false" in attributes
YES_NO: dict[Any, bool] = {"Y": True, "N": False, "true": True, "false": False}


def form_text(value: str | None) -> str | None:
    """Stripped text; empty and the forms' "N/A" placeholder become null."""
    if value is None:
        return None
    value = value.strip()
    return None if not value or value == "N/A" else value


def form_flag(value: str | None) -> bool | None:
    value = form_text(value)
    return None if value is None else YES_NO.get(value)


class BodyReader:
    """A file-like view of ``body[offset:end]``, without copying the body."""

    def __init__(self, body: bytes, offset: int, end: int | None = None) -> None:
        self._view = memoryview(body)[:len(body) if end is None else end]
        self._pos = offset

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        chunk = self._view[self._pos:end].tobytes()
        self._pos += len(chunk)
        return chunk


def xml_start(body: bytes, offset: int = 0) -> int:
    """Where the XML starts at or after ``offset``: past a UTF-8 byte-order mark and
    leading whitespace."""
    if body.startswith(b"\xef\xbb\xbf", offset):
        offset += 3
    while offset < len(body) and body[offset] in b" \t\r\n":
        offset += 1
    return offset


def refuse_doctype(body: bytes, offset: int, form: str) -> None:
    """EDGAR forms have no DTD: a DOCTYPE or ENTITY declaration near the start, or a
    UTF-16 document, is refused with a clear reason."""
    head = body[offset:offset + PROLOG_SCAN_BYTES]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise MalformedPayload(
            f"document type declaration found: {form} filings have none and entity "
            "declarations are never expanded (possible entity-expansion or external-entity "
            "attack)"
        )
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and head[1:2] == b"\x00"):
        raise MalformedPayload(f"not UTF-8 XML: {form} filings are UTF-8")
