"""``POST /v3/s3tokens``: an object store's S3 front end asks whether a request was signed with
the secret of an EC2 credential, and for whom. The answer is the token body such a user would
get, scoped to the credential's project, without a token id (the caller only needs to know
who signed; a usable token would let a leaked signature act elsewhere).

AWS signature version 1 (HMAC-SHA1 of the string to sign, base64) and version 4 (an HMAC-SHA256
key derived from the secret and the request's date/region/service scope, hex) are checked."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Unauthorized
from onestack.core.tokens import TokenPayload, new_audit_id
from onestack.identity import catalog_models as cm
from onestack.identity.service import keys, store
from onestack.identity.service.container import Identity
from onestack.identity.service.tokens import TokenInvalid

RULE = "identity:s3tokens_validate"
V4_ALGORITHM = b"AWS4-HMAC-SHA256"


def signature_v1(secret: str, string_to_sign: bytes) -> str:
    mac = hmac.new(secret.encode(), string_to_sign, hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def signature_v4(secret: str, string_to_sign: bytes) -> str:
    """401 unless the string to sign has the v4 shape: algorithm, time, scope, hash."""
    lines = string_to_sign.split(b"\n")
    if len(lines) != 4 or lines[0] != V4_ALGORITHM:
        raise Unauthorized("Invalid EC2 signature.")
    scope = lines[2].split(b"/")
    if len(scope) != 4 or scope[3] != b"aws4_request":
        raise Unauthorized("Invalid EC2 signature.")
    key = ("AWS4" + secret).encode()
    for part in scope:
        key = hmac.new(key, part, hashlib.sha256).digest()
    return hmac.new(key, string_to_sign, hashlib.sha256).hexdigest()


def parse(body: Any) -> tuple[str, bytes, str]:
    """(access, string to sign, signature) from ``{"credentials": {...}}``; 400 otherwise."""
    creds = body.get("credentials") if isinstance(body, dict) else None
    if not isinstance(creds, dict):
        raise BadRequest("'credentials' is a required property")
    for name in ("access", "token", "signature"):
        if not isinstance(creds.get(name), str) or not creds[name]:
            raise BadRequest(f"'{name}' is a required property of 'credentials'")
    try:
        string_to_sign = base64.urlsafe_b64decode(creds["token"].encode())
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("'token' must be the base64 encoded string to sign.") from exc
    return creds["access"], string_to_sign, creds["signature"]


def _ec2_credential(ident: Identity, access: str) -> tuple[cm.Credential, dict[str, Any]]:
    """The EC2 credential with this access key and its decrypted blob; 401 when none."""
    def find(s: Session) -> cm.Credential | None:
        c = s.get(cm.Credential, hashlib.sha256(access.encode()).hexdigest())
        if c is not None:
            s.expunge(c)
        return c
    cred = ident.read(find)
    if cred is None or cred.type != "ec2" or not cred.project_id:
        raise Unauthorized("EC2 access key not found.")
    cipher = MultiFernet([Fernet(k) for k in keys.active_keys(ident.db, "credential")])
    try:
        blob = json.loads(cipher.decrypt(cred.encrypted_blob.encode()))
    except (InvalidToken, ValueError) as exc:
        raise Unauthorized("EC2 access key not found.") from exc
    return cred, blob


def validate(ident: Identity, ctx: RequestContext, body: Any) -> dict[str, Any]:
    """The token body for the credential's user on its project, if the signature matches."""
    ident.check(ctx, RULE)
    access, string_to_sign, signature = parse(body)
    cred, blob = _ec2_credential(ident, access)
    secret = str(blob.get("secret") or "")
    expected = signature_v4(secret, string_to_sign) if string_to_sign.startswith(b"AWS4") \
        else signature_v1(secret, string_to_sign)
    if not secret or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Unauthorized("Credential signature mismatch.")
    payload = TokenPayload(user_id=cred.user_id, methods=["ec2credential"], scope="project",
                           scope_id=cred.project_id or "", issued_at_us=store.now_us(),
                           expires_at=int(time.time()) + ident.settings.token_expiration,
                           audit_ids=[new_audit_id()])
    try:
        # describes the user and roles, and refuses a disabled user or project
        validated = ident.tokens.validate(ident.tokens.codec.encode(payload))
    except TokenInvalid as exc:
        raise Unauthorized() from exc
    return ident.tokens.body(validated, with_catalog=True)
