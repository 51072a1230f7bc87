"""``/v2.0/floatingips``, ``/v2.0/floatingips/{id}/port_forwardings`` and
``/v2.0/floatingip_pools``."""
from __future__ import annotations

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.api.common import V2, crud_routes, parse_query
from onestack.network.service.engine import Deps
from onestack.network.service.port_forwardings import PortForwardings


def routes(deps: Deps) -> RouteTable:
    r = crud_routes(deps.get("floatingips"))
    forwardings = PortForwardings(deps)
    base = f"{V2}/floatingips/{{id}}/port_forwardings"

    def item(call: Call) -> object:
        body = call.json
        if not isinstance(body, dict) or "port_forwarding" not in body:
            raise BadRequest("Unable to find 'port_forwarding' in request body",
                             kind="HTTPBadRequest")
        return body["port_forwarding"]

    def fields(call: Call) -> list[str]:
        return [f for v in call.query.getlist("fields") for f in v.split(",") if f]

    @r.get(f"{V2}/floatingip_pools")
    def list_floatingip_pools(call: Call) -> Reply:
        q = parse_query(call)
        return Reply(200, {"floatingip_pools": deps.get("floatingips").pools(  # type: ignore
            call.ctx, q.filters, q.fields)})

    @r.get(base)
    def list_port_forwardings(call: Call) -> Reply:
        q = parse_query(call)
        return Reply(200, {"port_forwardings": forwardings.list(
            call.ctx, call.params["id"], q.filters, q.fields)})

    @r.post(base)
    def create_port_forwarding(call: Call) -> Reply:
        return Reply(201, {"port_forwarding": forwardings.create(
            call.ctx, call.params["id"], item(call))})

    @r.get(base + "/{pf_id}")
    def show_port_forwarding(call: Call) -> Reply:
        return Reply(200, {"port_forwarding": forwardings.show(
            call.ctx, call.params["id"], call.params["pf_id"], fields(call))})

    @r.put(base + "/{pf_id}")
    def update_port_forwarding(call: Call) -> Reply:
        return Reply(200, {"port_forwarding": forwardings.update(
            call.ctx, call.params["id"], call.params["pf_id"], item(call))})

    @r.delete(base + "/{pf_id}")
    def delete_port_forwarding(call: Call) -> Reply:
        forwardings.delete(call.ctx, call.params["id"], call.params["pf_id"])
        return no_content()
    return r
