"""Key pairs (``os-keypairs``): per user; create generates a key (returning the private key
once) unless a public key is imported; ``type`` (ssh / x509) from 2.2; admins act for another
user with ``user_id`` from 2.10; paging from 2.35; a public key is required from 2.92.
Use cases in ``compute.service.keypairs``."""
from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.service import keypairs as service
from onestack.compute.service.keygen import invalid
from onestack.core.http import Call, Reply, RouteTable

SAFE_CHARS = set("_- " + string.digits + string.ascii_letters)
NAME_292 = {"type": "string", "minLength": 1, "maxLength": 255,
            "pattern": r"^[a-zA-Z0-9 @._-]+$"}


@lru_cache(maxsize=None)
def create_schema(version: tuple[int, int]) -> dict[str, Any]:
    """The create body of ``version`` (one schema object per microversion: do not mutate)."""
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


def created_view(kp: cm.Keypair, private: str | None, version: tuple[int, int]
                 ) -> dict[str, Any]:
    out = {"name": kp.name, "public_key": kp.public_key, "fingerprint": kp.fingerprint,
           "user_id": kp.user_id}
    if private is not None:
        out["private_key"] = private
    if version >= (2, 2):
        out["type"] = kp.type
    return out


def target_user(call: Call, v: tuple[int, int], given: str | None = None) -> str:
    """Whose key pairs: another user's (``user_id``, 2.10) or the caller's."""
    if v >= (2, 10):
        return given or call.q("user_id") or call.ctx.user_id
    return call.ctx.user_id


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/os-keypairs")
    def index(call: Call) -> Reply:
        v = compute.version(call)
        paged = v >= (2, 35)
        limit, marker = params.limit_marker(call) if paged else (0, None)
        rows = service.list_keypairs(deps, call.ctx, target_user(call, v), by_id=paged)
        body: dict[str, Any] = {}
        if paged:
            rows = params.page(rows, "name", limit, marker)
            nxt = params.next_link(call, [{"name": k.name} for k in rows], limit, "name")
            if nxt:
                body["keypairs_links"] = nxt
        body = {"keypairs": [{"keypair": keypair_view(k, v, False)} for k in rows], **body}
        return compute.reply(call, 200, body)

    @r.get("/v2.1/os-keypairs/{name}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        kp = service.get_keypair(deps, call.ctx, target_user(call, v), call.params["name"])
        return compute.reply(call, 200, {"keypair": keypair_view(kp, v, True)})

    @r.post("/v2.1/os-keypairs")
    def create(call: Call) -> Reply:
        v = compute.version(call)
        body = schemas.validate(create_schema(v), call.body())["keypair"]
        check_name(body["name"], v)
        new = service.NewKeypair(target_user(call, v, body.get("user_id")), body["name"],
                                 body.get("type", "ssh"), body.get("public_key"))
        kp, private = service.create_keypair(deps, call.ctx, new)
        return compute.reply(call, 201 if v >= (2, 2) else 200,
                             {"keypair": created_view(kp, private, v)})

    @r.delete("/v2.1/os-keypairs/{name}")
    def delete(call: Call) -> Reply:
        v = compute.version(call)
        service.delete_keypair(deps, call.ctx, target_user(call, v), call.params["name"])
        return compute.reply(call, 204 if v >= (2, 2) else 202)

    return r
