"""OAuth 1.0a request signatures (RFC 5849), HMAC-SHA1 only, as Keystone's OS-OAUTH1 accepts.

The signature covers the method, the URL the client used (scheme and host lowercased, default
port dropped, no query) and every parameter: the ``oauth_*`` ones from the Authorization
header (except the signature and realm), the query string and a form-encoded body, each
percent-encoded, sorted and joined. The key is the consumer secret and the token secret
(empty for a request token), percent-encoded and joined by ``&``."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from onestack.core.errors import Unauthorized

METHOD = "HMAC-SHA1"
SKEW_SECONDS = 600  # how far a request's oauth_timestamp may be from our clock
REQUIRED = ("oauth_consumer_key", "oauth_signature_method", "oauth_signature",
            "oauth_timestamp", "oauth_nonce")


def encode(value: str) -> str:
    """RFC 5849 3.6: everything but unreserved characters, as UTF-8 percent escapes."""
    return quote(value, safe="~-._")


def header_params(header: str | None) -> dict[str, str]:
    """The parameters of an ``Authorization: OAuth k="v", …`` header ({} when it is not
    one)."""
    if not header or not header[:6].lower() == "oauth ":
        return {}
    out: dict[str, str] = {}
    for item in header[6:].split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            continue
        out[unquote(name.strip())] = unquote(value.strip().strip('"'))
    return out


def base_uri(url: str) -> str:
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port and not (scheme, port) in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    pairs = sorted((encode(k), encode(v)) for k, v in params
                   if k not in ("oauth_signature", "realm"))
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join([method.upper(), encode(base_uri(url)), encode(normalized)])


def sign(base: str, consumer_secret: str, token_secret: str = "") -> str:
    key = f"{encode(consumer_secret)}&{encode(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()


@dataclass
class SignedRequest:
    """What a route hands over: method, URL as the client used it, headers' OAuth parameters,
    and the other parameters (query string and form body)."""

    method: str
    url: str
    oauth: dict[str, str]
    other: list[tuple[str, str]]

    @classmethod
    def parse(cls, method: str, url: str, authorization: str | None, query: str,
              form_body: str = "") -> SignedRequest:
        other = parse_qsl(query, keep_blank_values=True)
        other += parse_qsl(form_body, keep_blank_values=True)
        return cls(method, url, header_params(authorization), other)

    def check_present(self, *names: str) -> None:
        """401 when the request is not an OAuth1 signed request with these parameters."""
        missing = [n for n in REQUIRED + names if not self.oauth.get(n)]
        if missing:
            raise Unauthorized(f"Missing OAuth parameters: {', '.join(missing)}.")

    def verify(self, consumer_secret: str, token_secret: str, now: float) -> None:
        """401 unless signed with these secrets (HMAC-SHA1) at about ``now``."""
        if self.oauth.get("oauth_signature_method") != METHOD:
            raise Unauthorized(f"Only {METHOD} signatures are supported.")
        try:
            stamp = int(self.oauth.get("oauth_timestamp", ""))
        except ValueError as exc:
            raise Unauthorized("Invalid oauth_timestamp.") from exc
        if abs(now - stamp) > SKEW_SECONDS:
            raise Unauthorized("The request's oauth_timestamp is too far from now.")
        params = list(self.oauth.items()) + self.other
        expected = sign(base_string(self.method, self.url, params), consumer_secret,
                        token_secret)
        if not hmac.compare_digest(expected.encode(), self.oauth["oauth_signature"].encode()):
            raise Unauthorized("Invalid signature.")
