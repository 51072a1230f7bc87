"""Where the ``web-download`` import (and the legacy ``/v2/tasks`` import) may fetch from,
and the fetch itself.

Only ``http``/``https`` URIs whose host (or ``host:port``) an operator listed are fetched
(``image_web_download_hosts``; empty, the default, refuses every URI with a clear
message, as Glance's URI filtering answers 400). The fetch follows no redirect (a
redirect could lead to a host nobody allowed), gives up when the server is silent for
``timeout`` seconds, and streams: the caller's byte budget and format inspector run on
the chunks as they arrive.
"""
from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from onestack.core.errors import BadRequest

CHUNK = 64 * 1024
DEFAULT_TIMEOUT = 30.0


class FetchFailed(Exception):
    """The source could not be read (unreachable, an HTTP error, a redirect, a stall)."""


def parse_hosts(value: str | tuple[str, ...] | list[str] | None) -> frozenset[str]:
    """``"a.example, b.example:8080"`` (or a list) → the allowed hosts, lower-cased."""
    if not value:
        return frozenset()
    items = value if isinstance(value, (list, tuple)) else \
        str(value).strip("[]").replace(",", " ").split()
    return frozenset(str(x).strip("'\" ").lower() for x in items if str(x).strip("'\" "))


@dataclass(frozen=True)
class WebSource:
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    timeout: float = DEFAULT_TIMEOUT

    def refusal(self, uri: object) -> str | None:
        """Why ``uri`` may not be fetched (None: it may)."""
        if not isinstance(uri, str) or not uri:
            return "web-download needs a 'uri' string."
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"URI for web-download does not pass filtering: {uri}"
        if not self.allowed_hosts:
            return (f"URI for web-download does not pass filtering: {uri} (this cloud "
                    "allows no host; an operator lists them in image_web_download_hosts)")
        host = parts.hostname.lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if host not in self.allowed_hosts and f"{host}:{port}" not in self.allowed_hosts:
            return f"URI for web-download does not pass filtering: {uri}"
        return None

    def check(self, uri: object) -> str:
        reason = self.refusal(uri)
        if reason:
            raise BadRequest(reason)
        return str(uri)

    def open(self, uri: str) -> Iterator[bytes]:
        """The body of ``GET uri`` as chunks; ``FetchFailed`` for anything but a 200."""
        parts = urlsplit(uri)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else \
            http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=self.timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("GET", path, headers={"User-Agent": "onestack-image-import"})
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise FetchFailed(f"Could not fetch {uri}: {exc or type(exc).__name__}") from exc
        if response.status != 200:
            conn.close()
            raise FetchFailed(f"Could not fetch {uri}: HTTP {response.status} "
                              f"{response.reason} (redirects are not followed)")
        return _chunks(conn, response, uri)


def _chunks(conn: http.client.HTTPConnection, response: http.client.HTTPResponse,
            uri: str) -> Iterator[bytes]:
    try:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise FetchFailed(f"Reading {uri} failed: {exc or type(exc).__name__}") \
                    from exc
            if not chunk:
                return
            yield chunk
    finally:
        conn.close()
