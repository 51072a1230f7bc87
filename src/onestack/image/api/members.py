"""``/v2/images/{id}/members``."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.image import schemas
from onestack.image.api.common import Glance


def routes(g: Glance) -> RouteTable:
    r = RouteTable()
    base = "/v2/images/{image_id}/members"

    @r.get(base)
    def list_(call: Call) -> Reply:
        return Reply(200, {"members": g.members.list(call.ctx, call.params["image_id"]),
                           "schema": "/v2/schemas/members"})

    @r.post(base)
    def create(call: Call) -> Reply:
        body = schemas.validate(schemas.MEMBER_CREATE, call.json, "member")
        return Reply(200, g.members.create(call.ctx, call.params["image_id"], body["member"]))

    @r.get(base + "/{member_id}")
    def show(call: Call) -> Reply:
        return Reply(200, g.members.show(call.ctx, call.params["image_id"],
                                         call.params["member_id"]))

    @r.put(base + "/{member_id}")
    def update(call: Call) -> Reply:
        body = schemas.validate(schemas.MEMBER_UPDATE, call.json, "member")
        return Reply(200, g.members.update(call.ctx, call.params["image_id"],
                                           call.params["member_id"], body["status"]))

    @r.delete(base + "/{member_id}")
    def delete(call: Call) -> Reply:
        g.members.delete(call.ctx, call.params["image_id"], call.params["member_id"])
        return no_content()

    return r
