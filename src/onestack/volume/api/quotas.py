"""``/os-quota-sets``, ``/os-quota-class-sets`` and ``/limits`` (parse → service →
render; the rules and transactions are ``service.quota_sets``)."""
from __future__ import annotations

from functools import partial

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.service.quota_sets import QuotaSets

TRUE = ("1", "t", "true", "on", "y", "yes")
FALSE = ("0", "f", "false", "off", "n", "no")


def quota_sets(c: Cinder) -> QuotaSets:
    return c.service("quota_sets", QuotaSets)


def bool_param(call: Call, name: str) -> bool:
    """Cinder's ``get_bool_param``: strict booleans, 400 for anything else."""
    raw = call.q(name)
    if raw is None:
        return False
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise BadRequest(f"Invalid value '{raw}' for {name}")


# --- os-quota-sets ---------------------------------------------------------------------------
def show_quota_set(c: Cinder, call: Call) -> Reply:
    target = call.params["tenant_id"]
    values = quota_sets(c).show(call.ctx, target, usage=bool_param(call, "usage"))
    return c.reply(call, 200, {"quota_set": {**values, "id": target}})


def show_defaults(c: Cinder, call: Call) -> Reply:
    target = call.params["tenant_id"]
    return c.reply(call, 200, {"quota_set": {**quota_sets(c).defaults(call.ctx, target),
                                             "id": target}})


def update_quota_set(c: Cinder, call: Call) -> Reply:
    values = quota_sets(c).update(call.ctx, call.params["tenant_id"], call.json)
    return c.reply(call, 200, {"quota_set": values})


def delete_quota_set(c: Cinder, call: Call) -> Reply:
    quota_sets(c).delete(call.ctx, call.params["tenant_id"])
    return c.reply(call, 200)


# --- os-quota-class-sets ---------------------------------------------------------------------
def show_quota_class_set(c: Cinder, call: Call) -> Reply:
    name = call.params["class_name"]
    values = quota_sets(c).class_show(call.ctx, name)
    return c.reply(call, 200, {"quota_class_set": {**values, "id": name}})


def update_quota_class_set(c: Cinder, call: Call) -> Reply:
    values = quota_sets(c).class_update(call.ctx, call.params["class_name"], call.json)
    return c.reply(call, 200, {"quota_class_set": values})


# --- /limits ---------------------------------------------------------------------------------
def show_limits(c: Cinder, call: Call) -> Reply:
    """The caller's project's limits; from 3.39 an admin may name another project
    (``project_id``, or the older ``tenant_id``)."""
    project = call.ctx.project_id
    if c.at_least(call, "3.39") and "admin" in (call.ctx.roles or ()):
        project = call.q("project_id") or call.q("tenant_id") or project
    absolute = quota_sets(c).absolute_limits(call.ctx, project)
    return c.reply(call, 200, {"limits": {"rate": [], "absolute": absolute}})


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    base = "/os-quota-sets/{tenant_id}"
    r.add("GET", base + "/defaults", partial(show_defaults, c))
    r.add("GET", base, partial(show_quota_set, c))
    r.add("PUT", base, partial(update_quota_set, c))
    r.add("DELETE", base, partial(delete_quota_set, c))
    r.add("GET", "/os-quota-class-sets/{class_name}", partial(show_quota_class_set, c))
    r.add("PUT", "/os-quota-class-sets/{class_name}", partial(update_quota_class_set, c))
    r.add("GET", "/limits", partial(show_limits, c))
    return r
