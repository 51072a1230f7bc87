"""``/types`` (volume types), ``/types/{id}/extra_specs``, ``/types/{id}/encryption``,
``/types/{id}/action`` (add/removeProjectAccess), ``/types/{id}/os-volume-type-access``
and ``/default-types`` (3.62): parse, call the service, render."""
from __future__ import annotations

from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api import type_schemas as schemas
from onestack.volume.api.common import ROOT, Cinder, VolumeRoutes
from onestack.volume.service.listing import next_links, parse_params
from onestack.volume.service.type_extras import EncryptionService, ExtraSpecService
from onestack.volume.service.types import TypeService

DEFAULT_TYPES_VERSION = "3.62"
GENERAL_FILTERING_VERSION = "3.52"


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    types = c.service("types", TypeService)
    type_routes(r, c, types)
    access_routes(r, c, types)
    extra_spec_routes(r, c, c.service("type_extra_specs", ExtraSpecService))
    encryption_routes(r, c, c.service("type_encryption", EncryptionService))
    default_type_routes(r, c, types)
    return r


def type_routes(r: VolumeRoutes, c: Cinder, types: TypeService) -> None:
    @r.get("/types")
    def list_types(call: Call) -> Reply:
        p = parse_params(call.query, with_count_allowed=False)
        found = types.list(call.ctx, p, c.at_least(call, GENERAL_FILTERING_VERSION))
        body: dict[str, Any] = {"volume_types": found}
        links = next_links(call.base_url, list_path(call, "types"), call.query, found, p)
        if links:
            body["volume_type_links"] = links
        return c.reply(call, 200, body)

    @r.get("/types/{type_id}")
    def show_type(call: Call) -> Reply:
        return c.reply(call, 200, {"volume_type": types.show(call.ctx,
                                                               call.params["type_id"])})

    @r.post("/types")
    def create_type(call: Call) -> Reply:
        body = schemas.validate(schemas.TYPE_CREATE, call.json)["volume_type"]
        public = body.get("os-volume-type-access:is_public", True)
        created = types.create(call.ctx, body["name"], body.get("description"),
                               body.get("extra_specs") or {}, schemas.as_bool(public))
        return c.reply(call, 200, {"volume_type": created})

    @r.put("/types/{type_id}")
    def update_type(call: Call) -> Reply:
        body = schemas.validate(schemas.TYPE_UPDATE, call.json)["volume_type"]
        public = body.get("is_public")
        updated = types.update(call.ctx, call.params["type_id"], body.get("name"),
                               body.get("description"),
                               None if public is None else schemas.as_bool(public))
        return c.reply(call, 200, {"volume_type": updated})

    @r.delete("/types/{type_id}")
    def delete_type(call: Call) -> Reply:
        types.delete(call.ctx, call.params["type_id"])
        return c.reply(call, 202)



def access_routes(r: VolumeRoutes, c: Cinder, types: TypeService) -> None:
    @r.post("/types/{type_id}/action")
    def type_action(call: Call) -> Reply:
        body = call.json
        if not isinstance(body, dict) or len(body) != 1:
            raise BadRequest("Malformed request body")
        (action,) = body
        type_id = call.params["type_id"]
        if action == "addProjectAccess":
            project = schemas.validate(schemas.ADD_PROJECT_ACCESS, body)[action]["project"]
            types.add_access(call.ctx, type_id, project)
        elif action == "removeProjectAccess":
            project = schemas.validate(schemas.REMOVE_PROJECT_ACCESS, body)[action]["project"]
            types.remove_access(call.ctx, type_id, project)
        else:
            raise BadRequest(f"There is no such action: {action}")
        return c.reply(call, 202)

    @r.get("/types/{type_id}/os-volume-type-access")
    def list_access(call: Call) -> Reply:
        return c.reply(call, 200, {"volume_type_access": types.access_list(
            call.ctx, call.params["type_id"])})



def extra_spec_routes(r: VolumeRoutes, c: Cinder, specs: ExtraSpecService) -> None:
    @r.get("/types/{type_id}/extra_specs")
    def list_specs(call: Call) -> Reply:
        return c.reply(call, 200, {"extra_specs": specs.index(call.ctx,
                                                              call.params["type_id"])})

    @r.post("/types/{type_id}/extra_specs")
    def create_specs(call: Call) -> Reply:
        body = schemas.validate(schemas.EXTRA_SPECS_CREATE, call.json)
        specs.set(call.ctx, call.params["type_id"], body["extra_specs"])
        return c.reply(call, 200, body)

    @r.get("/types/{type_id}/extra_specs/{key}")
    def show_spec(call: Call) -> Reply:
        return c.reply(call, 200, specs.show(call.ctx, call.params["type_id"],
                                             call.params["key"]))

    @r.put("/types/{type_id}/extra_specs/{key}")
    def update_spec(call: Call) -> Reply:
        body = schemas.validate(schemas.EXTRA_SPEC_UPDATE, call.json)
        specs.set(call.ctx, call.params["type_id"], body,
                  rule="volume_extension:types_extra_specs:update", key=call.params["key"])
        return c.reply(call, 200, body)

    @r.delete("/types/{type_id}/extra_specs/{key}")
    def delete_spec(call: Call) -> Reply:
        specs.delete(call.ctx, call.params["type_id"], call.params["key"])
        return c.reply(call, 202)



def encryption_routes(r: VolumeRoutes, c: Cinder, encryption: EncryptionService) -> None:
    @r.get("/types/{type_id}/encryption")
    def show_encryption(call: Call) -> Reply:
        return c.reply(call, 200, encryption.show(call.ctx, call.params["type_id"]))

    @r.post("/types/{type_id}/encryption")
    def create_encryption(call: Call) -> Reply:
        body = schemas.validate(schemas.ENCRYPTION_CREATE, call.json)["encryption"]
        return c.reply(call, 200, {"encryption": encryption.create(
            call.ctx, call.params["type_id"], body)})

    @r.get("/types/{type_id}/encryption/{key}")
    def show_encryption_item(call: Call) -> Reply:
        return c.reply(call, 200, encryption.show_item(call.ctx, call.params["type_id"],
                                                       call.params["key"]))

    @r.put("/types/{type_id}/encryption/{encryption_id}")
    def update_encryption(call: Call) -> Reply:
        body = schemas.validate(schemas.ENCRYPTION_UPDATE, call.json)["encryption"]
        return c.reply(call, 200, {"encryption": encryption.update(
            call.ctx, call.params["type_id"], body)})

    @r.delete("/types/{type_id}/encryption/{encryption_id}")
    def delete_encryption(call: Call) -> Reply:
        encryption.delete(call.ctx, call.params["type_id"])
        return c.reply(call, 202)



def default_type_routes(r: VolumeRoutes, c: Cinder, types: TypeService) -> None:
    """``/default-types`` (3.62; 404 below it, as Cinder)."""
    def since_362(call: Call) -> None:
        if not c.at_least(call, DEFAULT_TYPES_VERSION):
            raise NotFound(f"API version {c.version(call)[0]}.{c.version(call)[1]} is not "
                           "supported on this method.")

    @r.put("/default-types/{target_project}")
    def set_default(call: Call) -> Reply:
        since_362(call)
        body = schemas.validate(schemas.DEFAULT_TYPE_SET, call.json)
        if "default_type" not in body:
            raise BadRequest("Invalid input for field/attribute default_type. Value: None. "
                             "'default_type' is a required property")
        chosen = types.set_default(call.ctx, call.params["target_project"],
                                   body["default_type"]["volume_type"])
        return c.reply(call, 200, {"default_type": chosen})

    @r.get("/default-types")
    def list_defaults(call: Call) -> Reply:
        since_362(call)
        return c.reply(call, 200, {"default_types": types.list_defaults(call.ctx)})

    @r.get("/default-types/{target_project}")
    def show_default(call: Call) -> Reply:
        since_362(call)
        return c.reply(call, 200, {"default_type": types.get_default(
            call.ctx, call.params["target_project"])})

    @r.delete("/default-types/{target_project}")
    def unset_default(call: Call) -> Reply:
        since_362(call)
        types.unset_default(call.ctx, call.params["target_project"])
        return c.reply(call, 204)


def list_path(call: Call, kind: str) -> str:
    """The collection's path under the caller's project (Cinder's next links name it)."""
    project = call.params.get("project_id") or (call.ctx.project_id if call.ctx else "")
    return f"{ROOT}/{project}/{kind}" if project else f"{ROOT}/{kind}"
