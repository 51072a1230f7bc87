"""``POST /volumes/{volume_id}/action``: the body names one action (``{"os-extend":
{"new_size": 2}}``); each action's handler parses its part and calls the service
(``service.actions`` / ``service.volume_work``). Other areas add actions of their own on
the same path (``os-unmanage``, ``os-reimage``, …) by defining ``volume_actions(c)`` in
their route module (one of ``EXTRA_ACTION_MODULES``) returning ``{name: handler}`` with
``handler(call, volume_id, body) -> Reply``.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.service.actions import ActionService
from onestack.volume.service.volume_work import VolumeWork

ActionHandler = Callable[[Call, str, Any], Reply]
EXTRA_ACTION_MODULES = ("onestack.volume.api.manage", "onestack.volume.api.volumes",
                        "onestack.volume.api.backups", "onestack.volume.api.transfers")


def actions(c: Cinder) -> ActionService:
    def build(platform: Any) -> ActionService:
        from onestack.volume.service.volumes import VolumeService

        return ActionService(platform, c.service("volumes", VolumeService))

    return c.service("actions", build)


def work(c: Cinder) -> VolumeWork:
    return c.service("volume_work", lambda platform: VolumeWork(actions(c)))


def handlers(c: Cinder) -> dict[str, ActionHandler]:
    """Action name → handler; every one answers as Cinder does (202 without a body unless
    noted)."""
    def accepted(call: Call) -> Reply:
        return c.reply(call, 202)

    def simple(method: str) -> ActionHandler:
        def run(call: Call, volume_id: str, body: Any) -> Reply:
            getattr(actions(c), method)(call.ctx, volume_id)
            return accepted(call)
        return run

    def with_body(method: str, status: int = 202) -> ActionHandler:
        def run(call: Call, volume_id: str, body: Any) -> Reply:
            getattr(actions(c), method)(call.ctx, volume_id, body)
            return c.reply(call, status)
        return run

    def attach(call: Call, volume_id: str, body: Any) -> Reply:
        actions(c).attach(call.ctx, volume_id, _object(body, "os-attach"))
        return accepted(call)

    def detach(call: Call, volume_id: str, body: Any) -> Reply:
        body = body if isinstance(body, dict) else {}
        actions(c).detach(call.ctx, volume_id, body.get("attachment_id"))
        return accepted(call)

    def initialize(call: Call, volume_id: str, body: Any) -> Reply:
        connector = _object(body, "os-initialize_connection").get("connector")
        info = actions(c).initialize_connection(call.ctx, volume_id, connector)
        return c.reply(call, 200, {"connection_info": info})

    def terminate(call: Call, volume_id: str, body: Any) -> Reply:
        connector = _object(body, "os-terminate_connection").get("connector")
        actions(c).terminate_connection(call.ctx, volume_id, connector)
        return accepted(call)

    def show_image_metadata(call: Call, volume_id: str, body: Any) -> Reply:
        return c.reply(call, 200, {"metadata": actions(c).show_image_metadata(
            call.ctx, volume_id)})

    def set_image_metadata(call: Call, volume_id: str, body: Any) -> Reply:
        return c.reply(call, 200, {"metadata": actions(c).set_image_metadata(
            call.ctx, volume_id, body)})

    def extend(call: Call, volume_id: str, body: Any) -> Reply:
        work(c).extend(call.ctx, volume_id, body, attached_ok=c.at_least(call, "3.42"))
        return accepted(call)

    def upload(call: Call, volume_id: str, body: Any) -> Reply:
        out = work(c).upload_image(call.ctx, volume_id, body,
                                   visibility_ok=c.at_least(call, "3.1"))
        return c.reply(call, 202, {"os-volume_upload_image": out})

    def retype(call: Call, volume_id: str, body: Any) -> Reply:
        work(c).retype(call.ctx, volume_id, body)
        return accepted(call)

    def revert(call: Call, volume_id: str, body: Any) -> Reply:
        if not c.at_least(call, "3.40"):
            raise NotFound("The resource could not be found.")
        work(c).revert(call.ctx, volume_id, body)
        return accepted(call)

    def migrate(call: Call, volume_id: str, body: Any) -> Reply:
        work(c).migrate(call.ctx, volume_id, body)
        return accepted(call)

    return {
        "os-reserve": simple("reserve"), "os-unreserve": simple("unreserve"),
        "os-begin_detaching": simple("begin_detaching"),
        "os-roll_detaching": simple("roll_detaching"),
        "os-attach": attach, "os-detach": detach,
        "os-initialize_connection": initialize, "os-terminate_connection": terminate,
        "os-set_bootable": with_body("set_bootable", 200),
        "os-update_readonly_flag": with_body("update_readonly_flag"),
        "os-show_image_metadata": show_image_metadata,
        "os-set_image_metadata": set_image_metadata,
        "os-unset_image_metadata": with_body("unset_image_metadata", 200),
        "os-reset_status": with_body("reset_status"),
        "os-force_delete": simple("force_delete"),
        "os-force_detach": with_body("force_detach"),
        "os-extend": extend, "os-volume_upload_image": upload, "os-retype": retype,
        "os-revert": revert, "revert": revert, "os-migrate_volume": migrate,
    }


def _object(body: Any, action: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest(f"Invalid input for field/attribute {action}. Value: {body}. "
                         f"{body!r} is not of type 'object'")
    return body


def _extra(c: Cinder) -> dict[str, ActionHandler]:
    found: dict[str, ActionHandler] = {}
    for name in EXTRA_ACTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        provider = getattr(module, "volume_actions", None)
        if provider is not None:
            found.update(provider(c))
    return found


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    table: dict[str, ActionHandler] = {}

    def action(call: Call) -> Reply:
        if not table:
            table.update(_extra(c))
            table.update(handlers(c))
        body = call.json
        if not isinstance(body, dict) or len(body) != 1:
            raise BadRequest("Malformed request body: the body must be an object naming "
                             "one action")
        ((name, part),) = body.items()
        handler = table.get(name)
        if handler is None:
            raise BadRequest(f"There is no such action: {name}")
        return handler(call, call.params["volume_id"], part)

    r.add("POST", "/volumes/{volume_id}/action", action)
    return r
