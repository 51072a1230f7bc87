"""``/os-services``, ``/os-availability-zone``, ``/os-hosts``,
``/scheduler-stats/get_pools`` and ``/capabilities/{host}`` (parse → ``service.services``
→ render)."""
from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.api.quotas import bool_param
from onestack.volume.service.services import API, LOG_BINARIES, LOG_LEVELS, Services

HOST_RE = re.compile(r"^[a-zA-Z0-9-._#@:/+]*$")
POOL_FILTERS = ("name", "volume_type")


def services(c: Cinder) -> Services:
    return c.service("services", Services)


def _invalid(field: str, value: Any, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. {why}")


def _object(call: Call) -> dict[str, Any]:
    body = call.json
    if not isinstance(body, dict):
        raise BadRequest(f"{body!r} is not of type 'object'")
    return body


def _check(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise BadRequest("Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in extra)} "
                         f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    for key in ("binary", "service", "disabled_reason"):
        if key in body:
            value = body[key]
            if not isinstance(value, str):
                raise _invalid(key, value, f"{value!r} is not of type 'string'")
            if not 1 <= len(value) <= 255:
                raise _invalid(key, value, f"{value!r} is too "
                               f"{'short' if not value else 'long'}")
    host = body.get("host")
    if host is not None and (not isinstance(host, str) or len(host) > 255
                             or not HOST_RE.match(host)):
        raise _invalid("host", host, f"{host!r} does not match '{HOST_RE.pattern}'")
    for key in ("cluster", "server", "prefix", "backend_id"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise _invalid(key, body[key], f"{body[key]!r} is not of type 'string', 'null'")


def _host(body: dict[str, Any]) -> str:
    host = body.get("host")
    if not host:
        raise BadRequest("Invalid input received: Host field is missing.")
    return host


# --- os-services -----------------------------------------------------------------------------
def list_services(c: Cinder, call: Call) -> Reply:
    found = services(c).list(call.ctx, call.q("host"), call.q("binary"),
                             cluster=c.at_least(call, "3.7"),
                             backend_state=c.at_least(call, "3.49"))
    return c.reply(call, 200, {"services": found})


def _enable_disable(c: Cinder, call: Call, action: str) -> Reply:
    body = _object(call)
    allowed = ("binary", "host", "cluster", "service")
    if action == "disable-log-reason":
        allowed += ("disabled_reason",)
    _check(body, allowed)
    if "binary" not in body and "service" not in body:
        raise BadRequest(f"{body!r} is not valid under any of the given schemas")
    host = _host(body)
    binary = body.get("binary") or body.get("service")
    reply: dict[str, Any] = {"host": host, "service": body.get("service", ""),
                             "binary": body.get("binary", "")}
    if action == "enable":
        services(c).set_enabled(call.ctx, host, binary, True)
        reply.update(status="enabled", disabled=False, disabled_reason=None)
        return c.reply(call, 200, reply)
    reason = body.get("disabled_reason")
    if action == "disable-log-reason":
        if "disabled_reason" not in body:
            raise BadRequest("Invalid input received: Disabled reason is missing.")
        if not reason.strip():
            raise _invalid("disabled_reason", reason, "Disabled reason contains invalid "
                           "characters or is too long")
    services(c).set_enabled(call.ctx, host, binary, False, reason)
    reply.update(status="disabled", disabled=True)
    if action == "disable-log-reason":
        reply["disabled_reason"] = reason
    return c.reply(call, 200, reply)


def _freeze_thaw(c: Cinder, call: Call, frozen: bool) -> Reply:
    body = _object(call)
    _check(body, ("host", "cluster"))
    services(c).set_frozen(call.ctx, _host(body), frozen)
    return c.reply(call, 200)


def failover_host(c: Cinder, call: Call) -> Reply:
    """No backend here replicates: Cinder's answer for a backend that is not
    replication-enabled."""
    body = _object(call)
    _check(body, ("host", "backend_id", "cluster"))
    host = _host(body)
    s = services(c)
    s.policy.enforce("volume:failover_host", call.ctx, {"project_id": call.ctx.project_id})
    found = [e["host"] for e in s.list(call.ctx, host, "cinder-volume")]
    if not found:
        raise BadRequest(f"Invalid input received: No service found with host={host}")
    raise BadRequest("Invalid input received: No service could be changed: "
                     f"replication_status in {found} must be enabled or failed-over and "
                     "must be up to failover.")


def _log_body(c: Cinder, call: Call, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not c.at_least(call, "3.32"):
        raise NotFound("The resource could not be found.")
    body = _object(call)
    _check(body, allowed)
    binary = body.get("binary")
    if binary not in (None, "", "*", API, *LOG_BINARIES):
        raise _invalid("binary", binary, f"{binary!r} is not one of "
                       f"{['*', API, *LOG_BINARIES]}")
    return body


def set_log(c: Cinder, call: Call) -> Reply:
    """Log levels of the services this process runs (the API, and the agents ``onestack
    up`` runs beside it): loggers under ``prefix`` get ``level``."""
    body = _log_body(c, call, ("binary", "server", "prefix", "level"))
    level = body.get("level")
    if not isinstance(level, str) or level.upper() not in LOG_LEVELS:
        raise _invalid("level", level, f"{level!r} is not a 'level'")
    if services(c).log_targets(call.ctx, body.get("binary"), body.get("server")):
        for name in _loggers(body.get("prefix")):
            logging.getLogger(name).setLevel(level.upper())
    return c.reply(call, 202)


def get_log(c: Cinder, call: Call) -> Reply:
    body = _log_body(c, call, ("binary", "server", "prefix"))
    prefix = body.get("prefix")
    levels = {name: logging.getLevelName(logging.getLogger(name).getEffectiveLevel())
              for name in _loggers(prefix)}
    out = [{"host": host, "binary": binary, "levels": levels}
           for host, binary in services(c).log_targets(call.ctx, body.get("binary"),
                                                       body.get("server"))]
    return c.reply(call, 200, {"log_levels": out})


def _loggers(prefix: str | None) -> list[str]:
    known = [n for n in logging.root.manager.loggerDict if n.startswith("onestack")]
    return sorted(n for n in known if not prefix or n.startswith(prefix))


# --- os-availability-zone, os-hosts ------------------------------------------------------------
def list_zones(c: Cinder, call: Call) -> Reply:
    return c.reply(call, 200, {"availabilityZoneInfo": services(c).availability_zones()})


def list_hosts(c: Cinder, call: Call) -> Reply:
    return c.reply(call, 200, {"hosts": services(c).hosts(call.ctx, call.q("zone"),
                                                          call.q("service"))})


def show_host(c: Cinder, call: Call) -> Reply:
    return c.reply(call, 200, {"host": services(c).host_usage(call.ctx,
                                                              call.params["host_name"])})


# --- scheduler-stats, capabilities -------------------------------------------------------------
def get_pools(c: Cinder, call: Call) -> Reply:
    detail = bool_param(call, "detail")
    filters = {k: v for k, v in call.query.items() if k != "detail"}
    name = vtype = None
    if c.at_least(call, "3.28"):
        if c.at_least(call, "3.33"):
            bad = sorted(k for k in filters if k not in POOL_FILTERS)
            if bad:
                raise BadRequest(f"Invalid filters {', '.join(bad)} are found in query "
                                 "options.")
        name = filters.get("name")
        if c.at_least(call, "3.35") and filters.get("volume_type"):
            vtype = filters["volume_type"]
    pools = services(c).pools(call.ctx, detail, name=name, volume_type=vtype)
    return c.reply(call, 200, {"pools": pools})


def show_capabilities(c: Cinder, call: Call) -> Reply:
    return c.reply(call, 200, services(c).capabilities(call.ctx, call.params["host"]))


# --- extensions ----------------------------------------------------------------------------------
# (name, alias, updated, description) of the Cinder extensions this API serves
EXTENSIONS = [
    ("AdminActions", "os-admin-actions", "2012-08-25T00:00:00+00:00", "Enable admin actions."),
    ("AvailabilityZones", "os-availability-zone", "2013-06-27T00:00:00+00:00",
     "Describe Availability Zones."),
    ("Backups", "backups", "2012-12-12T00:00:00+00:00", "Backups support."),
    ("Capabilities", "capabilities", "2015-08-31T00:00:00+00:00", "Capabilities support."),
    ("ExtendedServices", "os-extended-services", "2014-01-10T00:00:00-00:00",
     "Extended services support."),
    ("ExtendedSnapshotAttributes", "os-extended-snapshot-attributes",
     "2012-06-19T00:00:00+00:00", "Extended SnapshotAttributes support."),
    ("Hosts", "os-hosts", "2011-06-29T00:00:00+00:00", "Admin-only host administration."),
    ("Qos_specs_manage", "qos-specs", "2013-08-02T00:00:00+00:00", "QoS specs support."),
    ("QuotaClasses", "os-quota-class-sets", "2012-03-12T00:00:00+00:00",
     "Quota classes management support."),
    ("Quotas", "os-quota-sets", "2011-08-08T00:00:00+00:00", "Quota management support."),
    ("Scheduler_stats", "scheduler-stats", "2014-09-07T00:00:00+00:00",
     "Scheduler stats support."),
    ("Services", "os-services", "2012-10-28T00:00:00-00:00", "Services support."),
    ("SnapshotActions", "os-snapshot-actions", "2013-07-16T00:00:00+00:00",
     "Enable snapshot manager actions."),
    ("TypesExtraSpecs", "os-types-extra-specs", "2011-08-24T00:00:00+00:00",
     "Type extra specs support."),
    ("TypesManage", "os-types-manage", "2011-08-24T00:00:00+00:00", "Types manage support."),
    ("UsedLimits", "os-used-limits", "2013-10-03T00:00:00+00:00",
     "Provide data on limited resources that are being used."),
    ("VolumeActions", "os-volume-actions", "2012-05-31T00:00:00+00:00",
     "Enable volume actions."),
    ("VolumeHostAttribute", "os-vol-host-attr", "2011-11-03T00:00:00+00:00",
     "Expose host as an attribute of a volume."),
    ("VolumeImageMetadata", "os-vol-image-meta", "2012-12-07T00:00:00+00:00",
     "Show image metadata associated with the volume."),
    ("VolumeMigStatusAttribute", "os-vol-mig-status-attr", "2013-08-08T00:00:00+00:00",
     "Expose migration_status as an attribute of a volume."),
    ("VolumeTenantAttribute", "os-vol-tenant-attr", "2011-11-03T00:00:00+00:00",
     "Expose the internal project_id as an attribute of a volume."),
    ("VolumeTransfer", "os-volume-transfer", "2013-05-29T00:00:00+00:00",
     "Volume transfer management support."),
    ("VolumeTypeAccess", "os-volume-type-access", "2014-06-26T00:00:00Z",
     "Volume type access support."),
    ("VolumeTypeEncryption", "encryption", "2013-07-01T00:00:00+00:00",
     "Encryption support for volume types."),
    ("VolumeUnmanage", "os-volume-unmanage", "2012-05-31T00:00:00+00:00",
     "Enable volume unmanage operation."),
]


def list_extensions(c: Cinder, call: Call) -> Reply:
    return c.reply(call, 200, {"extensions": [
        {"name": name, "alias": alias, "updated": updated, "description": text,
         "links": []} for name, alias, updated, text in EXTENSIONS]})


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    r.add("GET", "/os-services", partial(list_services, c))
    for action in ("enable", "disable", "disable-log-reason"):
        r.add("PUT", f"/os-services/{action}", partial(_enable_disable, c, action=action))
    r.add("PUT", "/os-services/freeze", partial(_freeze_thaw, c, frozen=True))
    r.add("PUT", "/os-services/thaw", partial(_freeze_thaw, c, frozen=False))
    r.add("PUT", "/os-services/failover_host", partial(failover_host, c))
    r.add("PUT", "/os-services/failover", partial(failover_host, c))
    r.add("PUT", "/os-services/set-log", partial(set_log, c))
    r.add("PUT", "/os-services/get-log", partial(get_log, c))
    r.add("GET", "/os-availability-zone", partial(list_zones, c))
    r.add("GET", "/os-hosts", partial(list_hosts, c))
    r.add("GET", "/os-hosts/{host_name}", partial(show_host, c))
    r.add("GET", "/scheduler-stats/get_pools", partial(get_pools, c))
    r.add("GET", "/capabilities/{host}", partial(show_capabilities, c))
    r.add("GET", "/extensions", partial(list_extensions, c))
    return r
