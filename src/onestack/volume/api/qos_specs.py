"""``/qos-specs``: list, create, show, set keys (PUT), delete (``force``), ``delete_keys``
and the associations with volume types (``associate``/``disassociate``/
``disassociate_all`` are GETs with ``vol_type_id``, as Cinder routes them)."""
from __future__ import annotations

from typing import Any

from onestack.core.http import Call, Reply
from onestack.volume.api import type_schemas as schemas
from onestack.volume.api.common import Cinder, VolumeRoutes, links
from onestack.volume.api.types import list_path
from onestack.volume.service.listing import next_links, parse_bool, parse_params
from onestack.volume.service.qos_specs import QosSpecsService


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    qos = c.service("qos_specs", QosSpecsService)

    def detail(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
        return {"qos_specs": spec, "links": links(call, "qos-specs", spec["id"])}

    @r.get("/qos-specs")
    def list_qos(call: Call) -> Reply:
        p = parse_params(call.query, with_count_allowed=False)
        found = qos.list(call.ctx, p)
        body: dict[str, Any] = {"qos_specs": found}
        more = next_links(call.base_url, list_path(call, "qos-specs"), call.query, found, p)
        if more:
            body["qos_specs_links"] = more
        return c.reply(call, 200, body)

    @r.post("/qos-specs")
    def create_qos(call: Call) -> Reply:
        body = dict(schemas.validate(schemas.QOS_CREATE, call.json)["qos_specs"])
        name = body.pop("name")
        return c.reply(call, 200, detail(call, qos.create(call.ctx, name, body)))

    @r.get("/qos-specs/{specs_id}")
    def show_qos(call: Call) -> Reply:
        return c.reply(call, 200, detail(call, qos.show(call.ctx, call.params["specs_id"])))

    @r.put("/qos-specs/{specs_id}")
    def set_keys(call: Call) -> Reply:
        body = schemas.validate(schemas.QOS_SET, call.json)
        qos.update(call.ctx, call.params["specs_id"], body["qos_specs"])
        return c.reply(call, 200, body)

    @r.delete("/qos-specs/{specs_id}")
    def delete_qos(call: Call) -> Reply:
        raw = call.q("force")
        force = False if raw is None else parse_bool("force", raw)
        qos.delete(call.ctx, call.params["specs_id"], force)
        return c.reply(call, 202)

    @r.put("/qos-specs/{specs_id}/delete_keys")
    def delete_keys(call: Call) -> Reply:
        body = schemas.validate(schemas.QOS_UNSET, call.json)
        qos.delete_keys(call.ctx, call.params["specs_id"], body["keys"])
        return c.reply(call, 202)

    @r.get("/qos-specs/{specs_id}/associations")
    def associations(call: Call) -> Reply:
        return c.reply(call, 200, {"qos_associations": qos.associations(
            call.ctx, call.params["specs_id"])})

    @r.get("/qos-specs/{specs_id}/associate")
    def associate(call: Call) -> Reply:
        qos.associate(call.ctx, call.params["specs_id"], call.q("vol_type_id"))
        return c.reply(call, 202)

    @r.get("/qos-specs/{specs_id}/disassociate")
    def disassociate(call: Call) -> Reply:
        qos.disassociate(call.ctx, call.params["specs_id"], call.q("vol_type_id"))
        return c.reply(call, 202)

    @r.get("/qos-specs/{specs_id}/disassociate_all")
    def disassociate_all(call: Call) -> Reply:
        qos.disassociate_all(call.ctx, call.params["specs_id"])
        return c.reply(call, 202)

    return r
