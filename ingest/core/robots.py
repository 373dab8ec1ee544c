"""robots.txt, checked in code before a plugin that crawls a website fetches anything.

A plugin opts in with ``respect_robots_txt = True``. Before fetching its plan, the runner
fetches ``/robots.txt`` of every host in the plan through the same client (so it is rate
limited, archived and replayable offline like any payload), parses it with
``urllib.robotparser`` and drops the requests our User-Agent may not fetch; each dropped
request is reported as an error in the run log, never silently skipped.

Status handling follows RFC 9309 (section 2.3.1): 2xx -> parse the rules; 4xx ("unavailable")
-> everything allowed; 5xx or no answer ("unreachable") -> everything disallowed.
A ``Crawl-delay`` slower than the configured per-host rate slows that host down.
"""

from __future__ import annotations

import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ingest.core.errors import FetchError
from ingest.core.plugin import Payload, Request

ROBOTS_PATH = "/robots.txt"


def robots_url(url: str) -> str:
    """``https://host/robots.txt`` for any URL on that host (scheme and port kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), ROBOTS_PATH, "", ""))


def robots_request(url: str) -> Request:
    host = urlsplit(url).netloc.lower()
    return Request.get(robots_url(url), f"robots.txt {host}")


def product_token(user_agent: str) -> str:
    """The User-Agent's product token (``etfflow/0.1 (+url)`` -> ``etfflow``), which is
    what robots.txt groups are matched against."""
    return (user_agent.split("/", 1)[0].split() or ["*"])[0]


@dataclass(frozen=True)
class RobotsRules:
    """One host's robots.txt, parsed: may ``user_agent`` fetch a URL, and how slowly."""

    robots_url: str
    status: int
    _parser: urllib.robotparser.RobotFileParser = field(repr=False, compare=False)

    @classmethod
    def from_payload(cls, payload: Payload) -> RobotsRules:
        parser = urllib.robotparser.RobotFileParser(payload.request.url)
        if 200 <= payload.status < 300:
            text = payload.body.decode("utf-8", errors="replace")
            parser.parse(text.splitlines())
        elif 400 <= payload.status < 500:
            parser.allow_all = True
        else:
            parser.disallow_all = True
        return cls(payload.request.url, payload.status, parser)

    @classmethod
    def unreachable(cls, url: str) -> RobotsRules:
        parser = urllib.robotparser.RobotFileParser(url)
        parser.disallow_all = True
        return cls(url, 0, parser)

    def allows(self, user_agent: str, url: str) -> bool:
        return self._parser.can_fetch(product_token(user_agent), url)

    def crawl_delay_s(self, user_agent: str) -> float | None:
        delay = self._parser.crawl_delay(product_token(user_agent))
        return float(delay) if delay is not None else None


@dataclass
class RobotsCheck:
    """The plan after robots.txt: what may be fetched, what was refused and why."""

    allowed: list[Request]
    refused: list[str]
    crawl_delays: dict[str, float]


def check_plan(
    planned: Iterable[Request],
    user_agent: str,
    fetch: Callable[[Request], Payload],
) -> RobotsCheck:
    """Fetch each host's robots.txt once (with ``fetch``) and filter ``planned``.

    A host whose robots.txt cannot be fetched (``FetchError`` after retries) is treated as
    fully disallowed (RFC 9309 "unreachable") and the reason is reported. Other errors
    (e.g. a replay that finds no robots.txt in the archive) propagate.
    """
    rules: dict[str, RobotsRules] = {}
    refused: list[str] = []
    allowed: list[Request] = []
    delays: dict[str, float] = {}
    for request in planned:
        host = urlsplit(request.url).netloc.lower()
        if host not in rules:
            try:
                rules[host] = RobotsRules.from_payload(fetch(robots_request(request.url)))
            except FetchError as exc:
                rules[host] = RobotsRules.unreachable(robots_url(request.url))
                refused.append(f"robots.txt {host}: unreachable ({exc}); not crawling {host}")
            delay = rules[host].crawl_delay_s(user_agent)
            if delay:
                delays[host] = delay
        if rules[host].allows(user_agent, request.url):
            allowed.append(request)
        else:
            refused.append(f"{request.label}: robots.txt of {host} disallows {request.url}")
    return RobotsCheck(allowed, refused, delays)
