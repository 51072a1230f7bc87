"""Non-persistent encrypted tokens (Fernet), so any replica validates any token.

The payload is a compact binary record (ids packed to 16 bytes when they are hex UUIDs), which
keeps tokens under 200 characters. Keys live in the database and are shared by all replicas;
a replica that meets a token made with a key it has not seen re-reads the key set.
"""
from __future__ import annotations

import base64
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

METHODS = ("password", "token", "application_credential", "totp", "external", "oauth1", "mapped",
           "ec2credential")  # at most 8: the mask is one byte; append only (bits are stored)
SCOPES = ("unscoped", "project", "domain", "system", "trust")
_VERSION = 1


@dataclass
class TokenPayload:
    user_id: str
    methods: list[str]
    scope: str = "unscoped"  # one of SCOPES
    scope_id: str = ""  # project id, domain id, "all" or the trust's project
    issued_at_us: int = 0
    expires_at: int = 0  # seconds since the epoch
    audit_ids: list[str] = field(default_factory=list)
    trust_id: str = ""
    app_cred_id: str = ""


class TokenError(Exception):
    """The token is not one of ours, is malformed, or its key is gone."""


def _pack_id(value: str) -> bytes:
    if len(value) == 32 and value == value.lower():  # only ids that unpack to themselves
        try:
            return b"\x01" + bytes.fromhex(value)
        except ValueError:
            pass
    raw = value.encode()
    return b"\x02" + struct.pack("!B", len(raw)) + raw


def _unpack_id(buf: bytes, pos: int) -> tuple[str, int]:
    tag = buf[pos]
    if tag == 1:
        return buf[pos + 1:pos + 17].hex(), pos + 17
    if tag == 2:
        n = buf[pos + 1]
        return buf[pos + 2:pos + 2 + n].decode(), pos + 2 + n
    raise TokenError("bad id tag")


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


def pack(p: TokenPayload) -> bytes:
    mask = 0
    for m in p.methods:
        mask |= 1 << METHODS.index(m)
    out = [struct.pack("!BBB", _VERSION, mask, SCOPES.index(p.scope)), _pack_id(p.user_id)]
    out.append(_pack_id(p.scope_id))
    out.append(_pack_id(p.trust_id))
    out.append(_pack_id(p.app_cred_id))
    out.append(struct.pack("!QIB", p.issued_at_us, p.expires_at, len(p.audit_ids)))
    for a in p.audit_ids:
        out.append(base64.urlsafe_b64decode(a + "=="))
    return b"".join(out)


def unpack(buf: bytes) -> TokenPayload:
    try:
        version, mask, scope = struct.unpack_from("!BBB", buf, 0)
        if version != _VERSION:
            raise TokenError("unknown token version")
        pos = 3
        user_id, pos = _unpack_id(buf, pos)
        scope_id, pos = _unpack_id(buf, pos)
        trust_id, pos = _unpack_id(buf, pos)
        app_cred_id, pos = _unpack_id(buf, pos)
        issued, expires, n_audit = struct.unpack_from("!QIB", buf, pos)
        pos += 13
        audits = []
        for _ in range(n_audit):
            audits.append(base64.urlsafe_b64encode(buf[pos:pos + 16]).decode().rstrip("="))
            pos += 16
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise TokenError(str(exc)) from exc
    methods = [m for i, m in enumerate(METHODS) if mask & (1 << i)]
    return TokenPayload(user_id, methods, SCOPES[scope], scope_id, issued, expires, audits,
                        trust_id, app_cred_id)


class TokenCodec:
    """Encrypts payloads with the newest key and decrypts with any active key.

    ``load_keys`` returns the active keys, newest first; it is called again (at most once a
    second) when a token does not decrypt, so a key rotated in by another replica is picked up.
    """

    def __init__(self, load_keys: Callable[[], list[str]]):
        self._load_keys = load_keys
        self._lock = threading.Lock()
        self._fernet: MultiFernet | None = None
        self._loaded_at = 0.0

    def _refresh(self, force: bool = False) -> MultiFernet:
        with self._lock:
            now = time.monotonic()
            if self._fernet is None or (force and now - self._loaded_at > 1.0) \
                    or now - self._loaded_at > 60:
                keys = self._load_keys()
                if not keys:
                    raise TokenError("no token keys")
                self._fernet = MultiFernet([Fernet(k) for k in keys])
                self._loaded_at = now
            return self._fernet

    def encode(self, payload: TokenPayload) -> str:
        return self._refresh().encrypt(pack(payload)).decode().rstrip("=")

    def decode(self, token: str) -> TokenPayload:
        raw = (token + "=" * (-len(token) % 4)).encode()
        try:
            data = self._refresh().decrypt(raw)
        except InvalidToken:
            try:
                data = self._refresh(force=True).decrypt(raw)
            except InvalidToken as exc:
                raise TokenError("could not decrypt") from exc
        return unpack(data)

    def invalidate(self) -> None:
        with self._lock:
            self._fernet = None


def generate_key() -> str:
    return Fernet.generate_key().decode()
