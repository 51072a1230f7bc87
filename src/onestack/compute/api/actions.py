"""``POST /servers/{id}/action``: each action checks the server's state, records an instance
action and writes the task the host agent (or scheduler) carries out."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import images, quotas, records, schemas
from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute import views
from onestack.compute.api.common import Compute
from onestack.compute.api.servers import get_instance, request_delete
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.placement import service as placement

ANY = None


@dataclass
class Simple:
    """An action that only needs a state check and a task for the agent."""

    action: str  # instance-action name
    allowed: tuple[str, ...] | None  # vm_states it may start from
    task: str | None  # task for the agent, or None for an immediate change
    apply: Callable[[cm.Instance, dict], None] | None = None


def _lock(inst: cm.Instance, body: Any) -> None:
    inst.locked = True
    inst.locked_by = "admin"
    if isinstance(body, dict) and body.get("locked_reason"):
        inst.locked_reason = body["locked_reason"]


def _unlock(inst: cm.Instance, body: Any) -> None:
    inst.locked, inst.locked_by, inst.locked_reason = False, None, None


SIMPLE: dict[str, Simple] = {
    "os-stop": Simple("stop", (st.ACTIVE, st.ERROR, st.RESCUED), st.POWERING_OFF),
    "os-start": Simple("start", (st.STOPPED,), st.POWERING_ON),
    "pause": Simple("pause", (st.ACTIVE, st.RESCUED), st.PAUSING),
    "unpause": Simple("unpause", (st.PAUSED,), st.UNPAUSING),
    "suspend": Simple("suspend", (st.ACTIVE,), st.SUSPENDING),
    "resume": Simple("resume", (st.SUSPENDED,), st.RESUMING),
    "unrescue": Simple("unrescue", (st.RESCUED,), st.UNRESCUING),
    "lock": Simple("lock", ANY, None, _lock),
    "unlock": Simple("unlock", ANY, None, _unlock),
    "shelveOffload": Simple("shelveOffload", (st.SHELVED,), st.SHELVING_OFFLOADING),
    "confirmResize": Simple("confirmResize", (st.RESIZED,), st.RESIZE_CONFIRMING),
    "revertResize": Simple("revertResize", (st.RESIZED,), st.RESIZE_REVERTING),
}
ADMIN_ONLY = {"migrate", "os-migrateLive", "evacuate", "os-resetState", "injectNetworkInfo",
              "os-resetNetwork"}


def conflict_state(inst: cm.Instance, action: str) -> Conflict:
    return Conflict(f"Cannot '{action}' instance {inst.id} while it is in vm_state "
                    f"{inst.vm_state}")


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    def is_admin(call: Call) -> bool:
        return compute.allowed(call, "os_compute_api:admin")

    @r.post("/v2.1/servers/{server_id}/action")
    def action(call: Call) -> Reply:
        compute.version(call)
        body = call.body()
        if len(body) != 1:
            raise BadRequest("There is either no action or more than one action in the "
                             "request body.")
        name, args = next(iter(body.items()))
        if name in ADMIN_ONLY:
            compute.enforce(call, "os_compute_api:admin")
        handler = HANDLERS.get(name)
        if handler is None and name not in SIMPLE:
            raise BadRequest(f"There is no such action: {name}")
        sid = call.params["server_id"]
        if name in SIMPLE:
            return simple(call, sid, SIMPLE[name], args)
        return handler(compute, call, sid, args)

    def simple(call: Call, sid: str, spec: Simple, args: Any) -> Reply:
        def work(s: Session) -> str | None:
            inst = get_instance(s, call, compute, sid)
            check_lock(call, inst, spec.action)
            if spec.allowed is not None and inst.vm_state not in spec.allowed:
                raise conflict_state(inst, spec.action)
            if spec.task is not None and inst.task_state is not None:
                raise Conflict(f"Cannot '{spec.action}' instance {inst.id} while it is in "
                               f"task_state {inst.task_state}")
            records.start_action(s, inst, spec.action, call.ctx.request_id, call.ctx.user_id,
                                 call.ctx.project_id)
            if spec.action == "confirmResize":
                records.set_migration(s, inst, "confirming")
            if spec.apply:
                spec.apply(inst, args)
            if spec.task:
                inst.task_state = spec.task
            inst.updated_at = utcnow()
            return inst.host if spec.task else None
        host = compute.write(work)
        wake(compute, host, sid)
        return compute.reply(call, 204 if spec.action == "confirmResize" else 202)

    def check_lock(call: Call, inst: cm.Instance, action: str) -> None:
        if inst.locked and action not in ("lock", "unlock") and not is_admin(call):
            raise Conflict(f"Instance {inst.id} is locked")
        if action == "unlock" and inst.locked and not is_admin(call) and \
                inst.locked_by == "admin" and False:
            raise Conflict("Instance is locked by admin")

    HANDLERS = _handlers(compute, is_admin, check_lock)
    return r


def wake(compute: Compute, host: str | None, sid: str) -> None:
    if host:
        compute.bus.notify("compute." + host, sid)
    compute.bus.notify("schedule", sid)


def _handlers(compute: Compute, is_admin, check_lock) -> dict[str, Callable]:
    def begin(s: Session, call: Call, sid: str, action: str,
              allowed: tuple[str, ...] | None, need_idle: bool = True) -> cm.Instance:
        inst = get_instance(s, call, compute, sid)
        check_lock(call, inst, action)
        if allowed is not None and inst.vm_state not in allowed:
            raise conflict_state(inst, action)
        if need_idle and inst.task_state is not None:
            raise Conflict(f"Cannot '{action}' instance {inst.id} while it is in task_state "
                           f"{inst.task_state}")
        records.start_action(s, inst, action, call.ctx.request_id, call.ctx.user_id,
                             call.ctx.project_id)
        inst.updated_at = utcnow()
        return inst

    def reboot(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        kind = (args or {}).get("type") if isinstance(args, dict) else None
        if kind not in ("SOFT", "HARD", "soft", "hard"):
            raise BadRequest("Argument 'type' for reboot must be a string with value "
                             "'SOFT' or 'HARD'.")
        hard = kind.upper() == "HARD"
        allowed = (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.ERROR) if hard \
            else (st.ACTIVE,)

        def work(s: Session) -> str | None:
            inst = begin(s, call, sid, "reboot", allowed)
            inst.task_state = st.REBOOTING_HARD if hard else st.REBOOTING
            return inst.host
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 202)

    def rescue(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        password = (args or {}).get("adminPass") if isinstance(args, dict) else None

        def work(s: Session) -> str | None:
            inst = begin(s, call, sid, "rescue", (st.ACTIVE, st.STOPPED, st.ERROR))
            inst.task_state = st.RESCUING
            return inst.host
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 200, {"adminPass": password or secrets.token_urlsafe(9)})

    def resize(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        if not isinstance(args, dict) or "flavorRef" not in args:
            raise BadRequest("Resize requests require 'flavorRef' attribute.")
        flavor_ref = str(args["flavorRef"]).rstrip("/").rsplit("/", 1)[-1]

        def work(s: Session) -> str | None:
            flavor = s.get(cm.Flavor, flavor_ref)
            if flavor is None:
                raise BadRequest(f"Flavor {flavor_ref} could not be found.")
            inst = begin(s, call, sid, "resize", (st.ACTIVE, st.STOPPED))
            if flavor.id == inst.flavor_id:
                raise BadRequest("When resizing, instances must change flavor!")
            if flavor.disk < int(inst.flavor.get("disk", 0)):
                raise BadRequest("Resize error: Unable to resize disk down.")
            quotas.check_delta(s, inst.project_id, inst.user_id,
                               cores=flavor.vcpus - int(inst.flavor["vcpus"]),
                               ram=flavor.ram - int(inst.flavor["ram"]))
            inst.request = {**(inst.request or {}), "new_flavor": records.flavor_snapshot(flavor)}
            records.start_migration(s, inst, "resize", "pre-migrating", flavor.id)
            inst.task_state = st.RESIZE_PREP
            return inst.host
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 202)

    def migrate(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        host = (args or {}).get("host") if isinstance(args, dict) else None

        def work(s: Session) -> str | None:
            inst = begin(s, call, sid, "migrate", (st.ACTIVE, st.STOPPED))
            req = dict(inst.request or {})
            if host:
                if s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == host)) \
                        is None:
                    raise NotFound(f"Compute host {host} could not be found.")
                req["force_host"] = host
            inst.request = req
            records.start_migration(s, inst, "migration", "pre-migrating")
            inst.task_state = st.MIGRATING
            return None
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 202)

    def live_migrate(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        if not isinstance(args, dict) or "host" not in args:
            raise BadRequest("Live migration requires 'host' (null lets the scheduler "
                             "choose).")
        host = args.get("host")

        def work(s: Session) -> None:
            inst = begin(s, call, sid, "live-migration", (st.ACTIVE, st.PAUSED))
            req = dict(inst.request or {})
            if host:
                if host == inst.host:
                    raise BadRequest(f"The supplied target host {host} is the source host.")
                if s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == host)) \
                        is None:
                    raise BadRequest(f"Compute host {host} could not be found.")
                req["force_host"] = host
            req["live"] = True
            req["source_host"] = inst.host
            inst.request = req
            records.start_migration(s, inst, "live-migration", "queued")
            inst.task_state = st.MIGRATING
        compute.write(work)
        wake(compute, None, sid)
        return compute.reply(call, 202)

    def evacuate(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        host = (args or {}).get("host") if isinstance(args, dict) else None

        def work(s: Session) -> None:
            inst = begin(s, call, sid, "evacuate", (st.ACTIVE, st.STOPPED, st.ERROR))
            source = s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == inst.host))
            if source is not None and records.host_is_up(source) and not source.forced_down:
                raise Conflict(f"Compute service of {inst.host} is still in use.")
            placement.release(s, inst.id)
            records.start_migration(s, inst, "evacuation", "accepted")
            req = dict(inst.request or {})
            req["tried_hosts"] = [inst.host] if inst.host else []
            req["evacuate"] = True
            req["keep_stopped"] = inst.vm_state == st.STOPPED
            if host:
                req["force_host"] = host
            inst.request = req
            inst.host, inst.node = None, None
            inst.vm_state, inst.task_state = st.BUILDING, st.SCHEDULING
        compute.write(work)
        wake(compute, None, sid)
        return compute.reply(call, 200, {"adminPass": secrets.token_urlsafe(9)})

    def rebuild(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        if not isinstance(args, dict) or not args.get("imageRef"):
            raise BadRequest("Could not parse imageRef from request.")
        image_ref = str(args["imageRef"]).rstrip("/").rsplit("/", 1)[-1]
        password = args.get("adminPass") or secrets.token_urlsafe(9)

        def work(s: Session) -> tuple[dict, str | None]:
            image = images.find_image(s, image_ref, call.ctx.project_id, is_admin(call))
            if image is None:
                raise BadRequest(f"Image {image_ref} could not be found.")
            inst = begin(s, call, sid, "rebuild", (st.ACTIVE, st.STOPPED, st.ERROR))
            inst.image_ref = image_ref
            if "name" in args:
                inst.name = args["name"]
            if isinstance(args.get("metadata"), dict):
                inst.metadata_ = dict(args["metadata"])
            for key, attr in (("accessIPv4", "access_ip_v4"), ("accessIPv6", "access_ip_v6")):
                if key in args:
                    setattr(inst, attr, args[key])
            inst.task_state = st.REBUILDING
            if "key_name" in args and compute.version(call) >= (2, 54):
                inst.key_name = args["key_name"]
            if "user_data" in args and compute.version(call) >= (2, 57):
                inst.user_data = args["user_data"]
            if "description" in args and compute.version(call) >= (2, 19):
                inst.description = args["description"]
            body = views.rebuilt(call, inst, is_admin(call), compute.version(call),
                                 views.server_groups_of(s, inst.id))
            body["adminPass"] = password
            return body, inst.host
        body, host = compute.write(work)
        wake(compute, host, sid)
        return compute.reply(call, 202, {"server": body})

    def create_image(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        if not isinstance(args, dict) or not isinstance(args.get("name"), str) or \
                not args["name"].strip() or len(args["name"]) > 255:
            raise BadRequest("createImage requires a 'name' of 1 to 255 characters.")
        metadata = args.get("metadata") or {}
        schemas.validate(schemas.METADATA, {"metadata": metadata})

        def work(s: Session) -> tuple[str, str | None]:
            inst = begin(s, call, sid, "createImage",
                         (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.SHELVED))
            image_id = images.create_snapshot(s, inst, args["name"], metadata,
                                              call.ctx.project_id)
            inst.request = {**(inst.request or {}), "snapshot": {"image_id": image_id}}
            inst.task_state = st.IMAGE_SNAPSHOT
            return image_id, inst.host
        image_id, host = compute.write(work)
        wake(compute, host, sid)
        location = f"{call.base_url}/image/v2/images/{image_id}"
        if compute.version(call) >= (2, 45):
            return compute.reply(call, 202, {"image_id": image_id})
        return compute.reply(call, 202, None, {"Location": location})

    def unshelve(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        version = compute.version(call)
        args = args if isinstance(args, dict) else {}
        host = args.get("host") if version >= (2, 91) else None
        zone = args.get("availability_zone") if version >= (2, 77) else None
        if host:
            compute.enforce(call, "os_compute_api:admin")

        def work(s: Session) -> str | None:
            inst = begin(s, call, sid, "unshelve", (st.SHELVED, st.SHELVED_OFFLOADED))
            if (host or zone) and inst.vm_state != st.SHELVED_OFFLOADED:
                raise Conflict(f"The server {inst.id} is not shelved offloaded; a target "
                               "host or zone cannot be given.")
            if host and s.scalar(sa.select(cm.ComputeHost).where(
                    cm.ComputeHost.host == host)) is None:
                raise BadRequest(f"Compute host {host} could not be found.")
            if inst.vm_state == st.SHELVED:
                inst.task_state = st.POWERING_ON
                return inst.host
            req = {k: v for k, v in (inst.request or {}).items()
                   if k not in ("force_host", "tried_hosts")}
            if host:
                req["force_host"] = host
            inst.request = req
            if zone is not None:
                inst.requested_az = zone or None
            inst.task_state = st.UNSHELVING
            return None
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 202)

    def shelve(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        def work(s: Session) -> str | None:
            inst = begin(s, call, sid, "shelve",
                         (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED))
            image_id = images.create_snapshot(s, inst, inst.name + "-shelved", {},
                                              inst.project_id)
            inst.request = {**(inst.request or {}), "shelved_image": image_id}
            inst.task_state = st.SHELVING
            return inst.host
        wake(compute, compute.write(work), sid)
        return compute.reply(call, 202)

    def create_backup(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        if not isinstance(args, dict) or not isinstance(args.get("name"), str) or \
                not isinstance(args.get("backup_type"), str) or "rotation" not in args:
            raise BadRequest("createBackup needs 'name', 'backup_type' and 'rotation'.")
        try:
            rotation = int(args["rotation"])
        except (TypeError, ValueError) as exc:
            raise BadRequest("rotation must be an integer") from exc
        if rotation < 0:
            raise BadRequest("rotation must be >= 0")
        metadata = args.get("metadata") or {}

        def work(s: Session) -> tuple[str, str | None]:
            inst = begin(s, call, sid, "createBackup", (st.ACTIVE, st.STOPPED, st.PAUSED,
                                                        st.SUSPENDED))
            props = {**metadata, "image_type": "backup", "backup_type": args["backup_type"]}
            image_id = images.create_snapshot(s, inst, args["name"], props, inst.project_id)
            images.rotate_backups(s, inst.id, args["backup_type"], rotation, keep=image_id)
            inst.request = {**(inst.request or {}), "snapshot": {"image_id": image_id}}
            inst.task_state = st.IMAGE_SNAPSHOT
            return image_id, inst.host
        image_id, host = compute.write(work)
        wake(compute, host, sid)
        if compute.version(call) >= (2, 45):
            return compute.reply(call, 202, {"image_id": image_id})
        return compute.reply(call, 202, None,
                             {"Location": f"{call.base_url}/image/v2/images/{image_id}"})

    def restore(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        def work(s: Session) -> None:
            inst = get_instance(s, call, compute, sid)
            if inst.vm_state != st.SOFT_DELETED:
                raise conflict_state(inst, "restore")
        compute.read(work)
        return compute.reply(call, 202)

    def security_group(compute: Compute, call: Call, sid: str, args: Any,
                       add: bool) -> Reply:
        name = args.get("name") if isinstance(args, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Security group name cannot be empty")

        def work(s: Session) -> None:
            inst = get_instance(s, call, compute, sid)
            groups = list((inst.system_metadata or {}).get("security_groups", []))
            if add:
                if name in groups:
                    raise BadRequest(f"Security group {name} is already associated with the "
                                     "instance")
                groups.append(name)
            else:
                if name not in groups:
                    raise NotFound(f"Security group {name} not associated with the "
                                   "instance")
                groups.remove(name)
            inst.system_metadata = {**(inst.system_metadata or {}), "security_groups": groups}
            inst.updated_at = utcnow()
        compute.write(work)
        return compute.reply(call, 202)

    def console_output(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        length = (args or {}).get("length") if isinstance(args, dict) else None
        if length is not None:
            try:
                length = int(length)
            except (TypeError, ValueError) as exc:
                raise BadRequest("length must be an integer") from exc
            if length < -1:
                raise BadRequest("length must be >= -1")
        def work(s: Session) -> cm.Instance:
            inst = get_instance(s, call, compute, sid)
            if inst.vm_state not in (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED,
                                     st.RESCUED, st.RESIZED, st.ERROR):
                raise Conflict(f"Cannot 'get_console_output' instance {inst.id} while it is "
                               f"in vm_state {inst.vm_state}")
            return inst
        inst = compute.read(work)
        lines = (inst.console_log or "").splitlines()
        if length is not None and length >= 0:
            lines = lines[-length:] if length else []
        return compute.reply(call, 200, {"output": "\n".join(lines)})

    def reset_state(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        state = (args or {}).get("state") if isinstance(args, dict) else None
        if state not in ("active", "error"):
            raise BadRequest("Invalid state: must be 'active' or 'error'.")

        def work(s: Session) -> None:
            inst = get_instance(s, call, compute, sid)
            records.start_action(s, inst, "resetState", call.ctx.request_id, call.ctx.user_id,
                                 call.ctx.project_id)
            inst.vm_state, inst.task_state = state, None
            inst.updated_at = utcnow()
        compute.write(work)
        return compute.reply(call, 202)

    def force_delete(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        wake(compute, request_delete(compute, call, sid, "forceDelete"), sid)
        return compute.reply(call, 202)

    def noop_admin(compute: Compute, call: Call, sid: str, args: Any) -> Reply:
        compute.read(lambda s: get_instance(s, call, compute, sid))
        return compute.reply(call, 202)

    return {"reboot": reboot, "rescue": rescue, "resize": resize, "migrate": migrate,
            "os-migrateLive": live_migrate, "evacuate": evacuate, "rebuild": rebuild,
            "createImage": create_image, "unshelve": unshelve,
            "os-getConsoleOutput": console_output, "os-resetState": reset_state,
            "forceDelete": force_delete, "injectNetworkInfo": noop_admin,
            "os-resetNetwork": noop_admin, "shelve": shelve, "createBackup": create_backup,
            "restore": restore,
            "addSecurityGroup": lambda c, call, sid, a: security_group(c, call, sid, a, True),
            "removeSecurityGroup": lambda c, call, sid, a: security_group(c, call, sid, a,
                                                                          False)}
