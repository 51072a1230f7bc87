"""Key pairs (``os-keypairs``): per user; create generates a key (returning the private key
once) unless a public key is imported; ``type`` (ssh / x509) from 2.2; admins act for another
user with ``user_id`` from 2.10; paging from 2.35; a public key is required from 2.92."""
from __future__ import annotations

import base64
import binascii
import hashlib
import string
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas, schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, iso_micro
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.core.http import Call, Reply, RouteTable

OWNER_OR_ADMIN = "role:admin or user_id:%(target.user_id)s"
RULES = [
    ("os_compute_api:os-keypairs:index", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:show", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:create", OWNER_OR_ADMIN),
    ("os_compute_api:os-keypairs:delete", OWNER_OR_ADMIN),
]
SAFE_CHARS = set("_- " + string.digits + string.ascii_letters)
NAME_292 = {"type": "string", "minLength": 1, "maxLength": 255,
            "pattern": r"^[a-zA-Z0-9 @._-]+$"}


def create_schema(version: tuple[int, int]) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": NAME_292 if version >= (2, 92) else params.NAME,
                              "public_key": {"type": "string"}}
    if version >= (2, 2):
        fields["type"] = {"type": "string", "enum": ["ssh", "x509"]}
    if version >= (2, 10):
        fields["user_id"] = {"type": "string", "minLength": 1, "maxLength": 255}
    required = ["name", "public_key"] if version >= (2, 92) else ["name"]
    return {"type": "object", "properties": {"keypair": {
        "type": "object", "properties": fields, "required": required,
        "additionalProperties": False}}, "required": ["keypair"], "additionalProperties": False}


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def invalid(reason: str) -> BadRequest:
    return BadRequest(f"Keypair data is invalid: {reason}")


def ssh_fingerprint(public_key: str) -> str:
    """MD5 of the key blob as colon-hex (what ``ssh-keygen -l -E md5`` prints); 400 when the
    text is not an OpenSSH public key cryptography can load."""
    text = public_key.strip()
    try:
        serialization.load_ssh_public_key(text.encode())
        blob = base64.b64decode(text.split()[1], validate=True)
    except (ValueError, IndexError, binascii.Error, UnicodeEncodeError,
            UnsupportedAlgorithm) as exc:
        raise invalid("failed to generate fingerprint") from exc
    return colon_hex(hashlib.md5(blob).digest())  # noqa: S324 - the format is MD5


def x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError as exc:
        raise invalid("failed to generate fingerprint") from exc
    return colon_hex(cert.fingerprint(hashes.SHA1()))  # noqa: S303 - Nova's x509 format


def generate_ssh() -> tuple[str, str]:
    """(private key PEM, OpenSSH public key) of a new RSA 2048 key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public + " Generated-by-onestack"


def generate_x509(common_name: str) -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM) valid for ten years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onestack"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def check_name(name: str, version: tuple[int, int]) -> None:
    if version < (2, 92) and not set(name) <= SAFE_CHARS:
        raise invalid("Keypair name contains unsafe characters")


def keypair_view(kp: cm.Keypair, version: tuple[int, int], full: bool) -> dict[str, Any]:
    """``full``: the show view (ids and soft-delete fields); otherwise the list entry."""
    out: dict[str, Any] = {"name": kp.name, "public_key": kp.public_key,
                           "fingerprint": kp.fingerprint}
    if full:
        out.update({"user_id": kp.user_id, "deleted": False,
                    "created_at": iso_micro(kp.created_at), "updated_at": None,
                    "deleted_at": None, "id": kp.id})
    if version >= (2, 2):
        out["type"] = kp.type
    return out


def routes(compute: Compute) -> RouteTable:
    compute.platform.policy.register(RULES)
    r = RouteTable()

    def target_user(call: Call, v: tuple[int, int], given: str | None = None) -> str:
        if v >= (2, 10):
            return given or call.q("user_id") or call.ctx.user_id
        return call.ctx.user_id

    def not_found(name: str, user_id: str) -> NotFound:
        return NotFound(f"Keypair {name} not found for user {user_id}")

    @r.get("/v2.1/os-keypairs")
    def index(call: Call) -> Reply:
        v = compute.version(call)
        user_id = target_user(call, v)
        compute.enforce(call, "os_compute_api:os-keypairs:index", {"user_id": user_id})
        q = sa.select(cm.Keypair).where(cm.Keypair.user_id == user_id)
        if v >= (2, 35):
            q = q.order_by(cm.Keypair.id)
        else:
            q = q.order_by(cm.Keypair.name)
        rows = compute.read(lambda s: list(s.scalars(q)))
        nxt: list[dict[str, str]] = []
        if v >= (2, 35):
            limit, marker = params.limit_marker(call)
            rows = params.page(rows, "name", limit, marker)
            nxt = params.next_link(call, [{"name": k.name} for k in rows], limit, "name")
        body: dict[str, Any] = {"keypairs": [{"keypair": keypair_view(k, v, False)}
                                             for k in rows]}
        if nxt:
            body["keypairs_links"] = nxt
        return compute.reply(call, 200, body)

    @r.get("/v2.1/os-keypairs/{name}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        user_id = target_user(call, v)
        compute.enforce(call, "os_compute_api:os-keypairs:show", {"user_id": user_id})
        name = call.params["name"]
        kp = compute.read(lambda s: s.get(cm.Keypair, (user_id, name)))
        if kp is None:
            raise not_found(name, user_id)
        return compute.reply(call, 200, {"keypair": keypair_view(kp, v, True)})

    @r.post("/v2.1/os-keypairs")
    def create(call: Call) -> Reply:
        v = compute.version(call)
        body = schemas.validate(create_schema(v), call.body())["keypair"]
        user_id = target_user(call, v, body.get("user_id"))
        compute.enforce(call, "os_compute_api:os-keypairs:create", {"user_id": user_id})
        name, kind = body["name"], body.get("type", "ssh")
        check_name(name, v)
        private = None
        public = body.get("public_key")
        if public is None:
            private, public = generate_x509(name) if kind == "x509" else generate_ssh()
        public = public.strip()
        fingerprint = x509_fingerprint(public) if kind == "x509" else ssh_fingerprint(public)
        project_id = call.ctx.project_id

        def work(s: Session) -> cm.Keypair:
            limit = quotas.limits_for(s, project_id, user_id)["key_pairs"]
            count = s.scalar(sa.select(sa.func.count()).select_from(cm.Keypair)
                             .where(cm.Keypair.user_id == user_id)) or 0
            if 0 <= limit <= count:
                raise Forbidden("Quota exceeded, too many key pairs.")
            if s.get(cm.Keypair, (user_id, name)) is not None:
                raise Conflict(f"Key pair '{name}' already exists.")
            next_id = (s.scalar(sa.select(sa.func.max(cm.Keypair.id))) or 0) + 1
            kp = cm.Keypair(user_id=user_id, name=name, id=next_id, type=kind,
                            public_key=public, fingerprint=fingerprint, created_at=utcnow())
            s.add(kp)
            return kp
        kp = compute.write(work)
        out = {"name": kp.name, "public_key": kp.public_key, "fingerprint": kp.fingerprint,
               "user_id": kp.user_id}
        if private is not None:
            out["private_key"] = private
        if v >= (2, 2):
            out["type"] = kp.type
        return compute.reply(call, 201 if v >= (2, 2) else 200, {"keypair": out})

    @r.delete("/v2.1/os-keypairs/{name}")
    def delete(call: Call) -> Reply:
        v = compute.version(call)
        user_id = target_user(call, v)
        compute.enforce(call, "os_compute_api:os-keypairs:delete", {"user_id": user_id})
        name = call.params["name"]

        def work(s: Session) -> None:
            kp = s.get(cm.Keypair, (user_id, name))
            if kp is None:
                raise not_found(name, user_id)
            s.delete(kp)
        compute.write(work)
        return compute.reply(call, 204 if v >= (2, 2) else 202)

    return r
