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
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, NotFound, Unauthorized
from onestack.core.tokens import TokenPayload, new_audit_id
from onestack.identity import catalog_models as cm
from onestack.identity.service import keys, store
from onestack.identity.service.container import Identity
from onestack.identity.service.tokens import TokenInvalid

RULE = "identity:s3tokens_validate"
V4_ALGORITHM = b"AWS4-HMAC-SHA256"
V4_SERVICES = (b"s3", b"iam", b"sts")
AUTH_TTL = timedelta(minutes=15)  # Keystone's [credential] auth_ttl


def signature_v1(secret: str, string_to_sign: bytes) -> str:
    mac = hmac.new(secret.encode(), string_to_sign, hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def signature_v4(secret: str, string_to_sign: bytes) -> str:
    """401 unless the string to sign has the v4 shape: algorithm, time, scope, hash."""
    lines = string_to_sign.split(b"\n")
    if len(lines) != 4 or lines[0] != V4_ALGORITHM:
        raise Unauthorized("Invalid EC2 signature.")
    scope = lines[2].split(b"/")
    if len(scope) != 4 or scope[3] != b"aws4_request" or scope[2] not in V4_SERVICES:
        raise Unauthorized("Invalid EC2 signature.")
    key = ("AWS4" + secret).encode()
    for part in scope:
        key = hmac.new(key, part, hashlib.sha256).digest()
    return hmac.new(key, string_to_sign, hashlib.sha256).hexdigest()


def parse(body: Any) -> tuple[str, bytes, str, dict[str, Any]]:
    """(access, string to sign, signature, credentials) from the body. Keystone's aliases
    ``credential`` and ``ec2Credentials`` are read too; no access key is a 401, as there."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("The request must include a request body.")
    creds = body.get("credentials") or body.get("credential") or body.get("ec2Credentials")
    if not isinstance(creds, dict) or not creds.get("access"):
        raise Unauthorized("EC2 signature not supplied.")
    for name in ("access", "token", "signature"):
        if not isinstance(creds.get(name), str) or not creds[name]:
            raise BadRequest(f"'{name}' is a required property of 'credentials'")
    try:
        string_to_sign = base64.urlsafe_b64decode(creds["token"].encode())
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("'token' must be the base64 encoded string to sign.") from exc
    return creds["access"], string_to_sign, creds["signature"], creds


def _fetch(ident: Identity, model: type, key: str) -> Any:
    """One row, detached from its (closed) session."""
    def find(s: Session) -> Any:
        row = s.get(model, key)
        if row is not None:
            s.expunge(row)
        return row
    return ident.read(find)


def _ec2_credential(ident: Identity, access: str) -> tuple[cm.Credential, dict[str, Any]]:
    """The EC2 credential with this access key and its decrypted blob; 404 when none (as
    Keystone answers)."""
    cred = _fetch(ident, cm.Credential, hashlib.sha256(access.encode()).hexdigest())
    if cred is None or cred.type != "ec2" or not cred.project_id:
        raise NotFound("EC2 access key not found.")
    cipher = MultiFernet([Fernet(k) for k in keys.active_keys(ident.db, "credential")])
    try:
        blob = json.loads(cipher.decrypt(cred.encrypted_blob.encode()))
    except (InvalidToken, ValueError) as exc:
        raise NotFound("EC2 access key not found.") from exc
    return cred, blob


def _check_timestamp(creds: dict[str, Any], now: datetime) -> None:
    """A signed request that names its time (v1/v2 ``Timestamp``, v4 ``X-Amz-Date``) is good
    for ``AUTH_TTL``; one that names none was signed so on purpose."""
    params, headers = creds.get("params") or {}, creds.get("headers") or {}
    stamp = params.get("Timestamp") or headers.get("X-Amz-Date") or params.get("X-Amz-Date")
    if not stamp:
        return
    try:
        when = (datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
                if "-" not in stamp else datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    except (TypeError, ValueError) as exc:
        raise Unauthorized("Credential timestamp is invalid.") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if now > when + AUTH_TTL:
        raise Unauthorized("Credential is expired.")


def _payload(ident: Identity, cred: cm.Credential, blob: dict[str, Any]) -> TokenPayload:
    """The token the credential stands for: its user on its project, or, when it was made
    under a trust or an application credential, only what that delegation allows."""
    base = {"methods": ["ec2credential"], "issued_at_us": store.now_us(),
            "expires_at": int(time.time()) + ident.settings.token_expiration,
            "audit_ids": [new_audit_id()]}
    project_id = cred.project_id or ""
    if blob.get("access_token_id"):
        raise Unauthorized("EC2 credentials made with an OAuth1 access token are not "
                           "supported.")
    if blob.get("trust_id"):
        trust = _fetch(ident, cm.Trust, blob["trust_id"])
        if trust is None:
            raise Unauthorized("The credential's trust is gone.")
        return TokenPayload(user_id=trust.trustee_user_id, scope="trust",
                            scope_id=trust.project_id or "", trust_id=trust.id, **base)
    if blob.get("app_cred_id"):
        app = _fetch(ident, cm.ApplicationCredential, blob["app_cred_id"])
        if app is None or app.project_id != project_id:
            raise Unauthorized("EC2 credential project does not match the application "
                               "credential project.")
        return TokenPayload(user_id=cred.user_id, scope="project", scope_id=project_id,
                            app_cred_id=app.id, **base)
    return TokenPayload(user_id=cred.user_id, scope="project", scope_id=project_id, **base)


def validate(ident: Identity, ctx: RequestContext, body: Any) -> dict[str, Any]:
    """The token body for the credential's user on its project, if the signature matches."""
    ident.check(ctx, RULE)
    access, string_to_sign, signature, creds = parse(body)
    cred, blob = _ec2_credential(ident, access)
    secret = str(blob.get("secret") or "")
    expected = signature_v4(secret, string_to_sign) if string_to_sign.startswith(b"AWS4") \
        else signature_v1(secret, string_to_sign)
    if not secret or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Unauthorized("Credential signature mismatch.")
    _check_timestamp(creds, datetime.now(timezone.utc))
    try:
        # describes the user and roles, and refuses a disabled user or project, a user
        # without roles there, a trust or application credential that is gone
        validated = ident.tokens.validate(ident.tokens.codec.encode(_payload(ident, cred, blob)))
    except TokenInvalid as exc:
        raise Unauthorized("User not valid for project.") from exc
    return ident.tokens.body(validated, with_catalog=True)
