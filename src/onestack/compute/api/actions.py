"""``POST /servers/{id}/action``: the body is checked against the action's schema, the one
``request_action`` path of ``compute.service.actions`` runs it (policy, state, task), and
the answer is rendered here."""
from __future__ import annotations

from functools import partial
from typing import Callable

from onestack.compute import action_schemas, views
from onestack.compute.api import network_proxies
from onestack.compute.api.common import Compute
from onestack.compute.api.servers import deps, is_admin
from onestack.compute.service import actions as service
from onestack.compute.service import networking
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

Render = Callable[[Compute, Call, service.Outcome], Reply]


def accepted(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    return compute.reply(call, 202)


def no_content(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    return compute.reply(call, 204)


def admin_pass(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    return compute.reply(call, 200, {"adminPass": outcome.data})


def console(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    return compute.reply(call, 200, {"output": outcome.data})


def image_made(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    """2.45 answers the image id in the body; before it, a Location header."""
    image_id = outcome.data
    if compute.version(call) >= (2, 45):
        return compute.reply(call, 202, {"image_id": image_id})
    return compute.reply(call, 202, None,
                         {"Location": f"{call.base_url}/image/v2/images/{image_id}"})


def rebuilt(compute: Compute, call: Call, outcome: service.Outcome) -> Reply:
    view, password = outcome.data
    ident = view.instance.id
    body = views.rebuilt(call, view.instance, is_admin(compute, call), compute.version(call),
                         view.groups or [],
                         addresses=networking.addresses_of(deps(compute), [ident]).get(ident))
    body["adminPass"] = password
    return compute.reply(call, 202, {"server": body})


RENDER: dict[str, Render] = {
    "confirmResize": no_content, "rescue": admin_pass, "evacuate": admin_pass,
    "os-getConsoleOutput": console, "createImage": image_made, "createBackup": image_made,
    "rebuild": rebuilt,
}


def action(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    body = call.body()
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("There is either no action or more than one action in the request "
                         "body.")
    name, args = next(iter(body.items()))
    if name in network_proxies.ACTIONS:
        return network_proxies.server_action(compute, call, name, args)
    action_schemas.validate_action(name, args)
    outcome = service.perform(deps(compute), call.ctx, call.params["server_id"], name, args,
                              version)
    return RENDER.get(name, accepted)(compute, call, outcome)


def routes(compute: Compute) -> RouteTable:
    table = RouteTable()
    table.add("POST", "/v2.1/servers/{server_id}/action", partial(action, compute))
    return table
