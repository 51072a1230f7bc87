"""Password and secret hashing with bcrypt. Passwords longer than bcrypt's 72-byte window are
pre-hashed with SHA-256 so that every byte counts."""
from __future__ import annotations

import base64
import hashlib

import bcrypt


def _prepare(secret: str) -> bytes:
    raw = secret.encode("utf-8")
    if len(raw) > 72:
        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw


def hash_secret(secret: str, rounds: int) -> str:
    return bcrypt.hashpw(_prepare(secret), bcrypt.gensalt(rounds)).decode()


def check_secret(secret: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(_prepare(secret), hashed.encode())
    except ValueError:
        return False
