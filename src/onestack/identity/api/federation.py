"""OS-FEDERATION: identity providers, their protocols, mappings and service providers — parse,
call the use case, render."""
from __future__ import annotations

from functools import partial

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity import schemas_federation as fs
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.service import federation as fed
from onestack.identity.service import federation_records as records
from onestack.identity.service.federation_records import MAPPINGS, SERVICE_PROVIDERS, Record

BASE = "/v3/OS-FEDERATION"
IDP = BASE + "/identity_providers/{idp_id}"
PROTOCOL = IDP + "/protocols/{protocol_id}"


def _path_id(call: Call, name: str) -> str:
    return schemas.validate(fs.PATH_ID, call.params[name])


# --- identity providers -----------------------------------------------------------------
def create_idp(ident: Identity, call: Call) -> Reply:
    idp_id = _path_id(call, "idp_id")
    body = schemas.validate(fs.IDP_CREATE, call.body("identity_provider"))
    return Reply(201, {"identity_provider": fed.create_idp(ident, call.ctx, idp_id, body,
                                                           v3(call))})


def list_idps(ident: Identity, call: Call) -> Reply:
    items = fed.list_idps(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("identity_providers", items, self_url(call)))


def show_idp(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"identity_provider": fed.show_idp(ident, call.ctx,
                                                         call.params["idp_id"], v3(call))})


def update_idp(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(fs.IDP_UPDATE, call.body("identity_provider"))
    return Reply(200, {"identity_provider": fed.update_idp(ident, call.ctx,
                                                           call.params["idp_id"], body,
                                                           v3(call))})


def delete_idp(ident: Identity, call: Call) -> Reply:
    fed.delete_idp(ident, call.ctx, call.params["idp_id"])
    return Reply(204)


# --- protocols --------------------------------------------------------------------------
def create_protocol(ident: Identity, call: Call) -> Reply:
    protocol_id = _path_id(call, "protocol_id")
    body = schemas.validate(fs.PROTOCOL_CREATE, call.body("protocol"))
    return Reply(201, {"protocol": fed.create_protocol(ident, call.ctx, call.params["idp_id"],
                                                       protocol_id, body, v3(call))})


def list_protocols(ident: Identity, call: Call) -> Reply:
    items = fed.list_protocols(ident, call.ctx, call.params["idp_id"], v3(call))
    return Reply(200, views.collection("protocols", items, self_url(call)))


def show_protocol(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"protocol": fed.show_protocol(ident, call.ctx, call.params["idp_id"],
                                                     call.params["protocol_id"], v3(call))})


def update_protocol(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(fs.PROTOCOL_UPDATE, call.body("protocol"))
    return Reply(200, {"protocol": fed.update_protocol(ident, call.ctx, call.params["idp_id"],
                                                       call.params["protocol_id"], body,
                                                       v3(call))})


def delete_protocol(ident: Identity, call: Call) -> Reply:
    fed.delete_protocol(ident, call.ctx, call.params["idp_id"], call.params["protocol_id"])
    return Reply(204)


# --- mappings and service providers -----------------------------------------------------
def create_record(ident: Identity, call: Call, rec: Record, key: str, schema: dict) -> Reply:
    item_id = _path_id(call, "item_id")
    body = schemas.validate(schema, call.body(key))
    return Reply(201, {key: records.create(ident, call.ctx, rec, item_id, body, v3(call))})


def list_records(ident: Identity, call: Call, rec: Record, key: str) -> Reply:
    items = records.list_(ident, call.ctx, rec, call.query, v3(call))
    return Reply(200, views.collection(key + "s", items, self_url(call)))


def show_record(ident: Identity, call: Call, rec: Record, key: str) -> Reply:
    return Reply(200, {key: records.show(ident, call.ctx, rec, call.params["item_id"],
                                         v3(call))})


def update_record(ident: Identity, call: Call, rec: Record, key: str, schema: dict) -> Reply:
    body = schemas.validate(schema, call.body(key))
    return Reply(200, {key: records.update(ident, call.ctx, rec, call.params["item_id"], body,
                                           v3(call))})


def delete_record(ident: Identity, call: Call, rec: Record, key: str) -> Reply:
    records.delete(ident, call.ctx, rec, call.params["item_id"])
    return Reply(204)


def _record_routes(path: str, rec: Record, key: str, create: dict, update: dict) -> list:
    item = path + "/{item_id}"
    return [("GET", path, partial(list_records, rec=rec, key=key)),
            ("PUT", item, partial(create_record, rec=rec, key=key, schema=create)),
            ("GET", item, partial(show_record, rec=rec, key=key)),
            ("PATCH", item, partial(update_record, rec=rec, key=key, schema=update)),
            ("DELETE", item, partial(delete_record, rec=rec, key=key))]


ROUTES = [
    ("GET", BASE + "/identity_providers", list_idps),
    ("PUT", IDP, create_idp),
    ("GET", IDP, show_idp),
    ("PATCH", IDP, update_idp),
    ("DELETE", IDP, delete_idp),
    ("GET", IDP + "/protocols", list_protocols),
    ("PUT", PROTOCOL, create_protocol),
    ("GET", PROTOCOL, show_protocol),
    ("PATCH", PROTOCOL, update_protocol),
    ("DELETE", PROTOCOL, delete_protocol),
    *_record_routes(BASE + "/mappings", MAPPINGS, "mapping", fs.MAPPING, fs.MAPPING_UPDATE),
    *_record_routes(BASE + "/service_providers", SERVICE_PROVIDERS, "service_provider",
                    fs.SP_CREATE, fs.SP_UPDATE),
]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)
