"""Request schemas of every ``POST /servers/{id}/action`` body and of the scheduler hints,
plus the create/update fields the base server schemas leave open (hostname, config_drive).
Bodies are checked before anything else runs: a wrong type or an absurd size is a 400 (as
Nova's schemas answer), never a 500 or a stored 500 KB string."""
from __future__ import annotations

from typing import Any

from onestack.compute import schemas

_name = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
_metadata = {"type": "object",  # the item count is a quota (403), not a schema rule
             "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {
                 "type": "string", "maxLength": 255}},
             "additionalProperties": False}
_any_name = {"type": "string", "minLength": 1, "maxLength": 255}
_ref = {"type": ["string", "integer"], "minLength": 1, "maxLength": 255}
_host = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
_disk_config = {"type": "string", "enum": ["AUTO", "MANUAL"]}
_password = {"type": "string", "maxLength": 255}
_boolean = {"enum": [True, False, "True", "TRUE", "true", "1", "ON", "On", "on", "YES",
                     "Yes", "yes", "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO",
                     "No", "no"]}
_hostname = {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": r"^[a-zA-Z0-9._-]+$"}
_user_data = {"type": ["string", "null"], "format": "base64", "maxLength": 65535}
_uuid_list = {"oneOf": [{"type": "string", "maxLength": 255},
                        {"type": "array", "maxItems": 1000,
                         "items": {"type": "string", "maxLength": 255}}]}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (),
            nullable: bool = False, closed: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["object", "null"] if nullable else "object",
                           "properties": properties, "additionalProperties": not closed}
    if required:
        out["required"] = list(required)
    return out


SCHEDULER_HINTS = _object({
    "group": {"type": "string", "minLength": 1, "maxLength": 255},
    "different_host": _uuid_list, "same_host": _uuid_list,
    "query": {"type": ["string", "object"], "maxLength": 65535},
    "target_cell": {"type": "string", "maxLength": 255},
    "different_cell": _uuid_list,
    "build_near_host_ip": {"type": "string", "format": "ipv4"},
    "cidr": {"type": "string", "pattern": r"^/[0-9a-f.:]+$"},
}, closed=False)

ACTIONS: dict[str, dict[str, Any]] = {
    "reboot": _object({"type": {"enum": ["HARD", "SOFT", "hard", "soft"]}}, ("type",)),
    "lock": _object({"locked_reason": {"type": "string", "minLength": 1,
                                       "maxLength": 255}}, nullable=True, closed=False),
    "rescue": _object({"adminPass": _password,
                       "rescue_image_ref": {"type": "string", "maxLength": 255}},
                      nullable=True),
    "resize": _object({"flavorRef": _ref, "OS-DCF:diskConfig": _disk_config},
                      ("flavorRef",)),
    "rebuild": _object({
        "imageRef": {"type": "string", "minLength": 1, "maxLength": 255},
        "name": _name, "adminPass": _password, "metadata": _metadata,
        "preserve_ephemeral": {"type": "boolean"}, "OS-DCF:diskConfig": _disk_config,
        "accessIPv4": {"type": ["string", "null"], "format": "ipv4"},
        "accessIPv6": {"type": ["string", "null"], "format": "ipv6"},
        "personality": {"type": "array", "maxItems": 5, "items": {"type": "object"}},
        "key_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "user_data": _user_data,
        "description": {"type": ["string", "null"], "maxLength": 255},
        "trusted_image_certificates": {"type": ["array", "null"], "maxItems": 50,
                                       "items": {"type": "string", "maxLength": 255}},
        "hostname": _hostname,
    }, ("imageRef",)),
    "createImage": _object({"name": _any_name, "metadata": _metadata}, ("name",)),
    "createBackup": _object({
        "name": _any_name, "backup_type": {"type": "string", "minLength": 1, "maxLength": 255},
        "rotation": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0},
        "metadata": _metadata}, ("name", "backup_type", "rotation")),
    "os-getConsoleOutput": _object({"length": {
        "type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$", "minimum": -1}},
        nullable=True),
    "os-resetState": _object({"state": {"enum": ["active", "error"]}}, ("state",)),
    "addSecurityGroup": _object({"name": {"type": "string", "minLength": 1,
                                          "maxLength": 255}}, ("name",)),
    "removeSecurityGroup": _object({"name": {"type": "string", "minLength": 1,
                                             "maxLength": 255}}, ("name",)),
    "migrate": _object({"host": _host}, nullable=True),
    "os-migrateLive": _object({
        "host": _host, "block_migration": {"enum": [True, False, "auto"]},
        "disk_over_commit": _boolean, "force": _boolean}, ("host",)),
    "evacuate": _object({"host": {"type": "string", "minLength": 1, "maxLength": 255},
                         "onSharedStorage": _boolean, "adminPass": _password,
                         "targetState": {"enum": ["ACTIVE", "STOPPED"]}}, nullable=True),
    "unshelve": _object({"availability_zone": _host,
                         "host": {"type": "string", "minLength": 1, "maxLength": 255}},
                        nullable=True),
}

# Actions whose body carries nothing: null, or an empty object as some clients send.
_NOTHING = {"type": ["null", "object"], "properties": {}, "additionalProperties": False}
ACTIONS.update({name: _NOTHING for name in (
    "os-stop", "os-start", "pause", "unpause", "suspend", "resume", "unrescue", "unlock",
    "shelve", "shelveOffload", "confirmResize", "revertResize", "forceDelete", "restore",
    "injectNetworkInfo", "os-resetNetwork")})

SERVER_CREATE_EXTRA = _object({
    "server": _object({"hostname": _hostname, "config_drive": {"oneOf": [
        _boolean, {"type": "string", "enum": [""]}]}}, closed=False),
    "os:scheduler_hints": SCHEDULER_HINTS,
    "OS-SCH-HNT:scheduler_hints": SCHEDULER_HINTS,
}, closed=False)
SERVER_UPDATE_EXTRA = _object({"server": _object({"hostname": _hostname}, closed=False)},
                              closed=False)


def validate_action(name: str, args: Any) -> Any:
    """``args`` of action ``name`` against its schema (an unknown action is refused by the
    service, with Nova's message)."""
    schema = ACTIONS.get(name)
    if schema is not None:
        schemas.validate(_WRAPPED[name], {name: args})
    return args


_WRAPPED = {name: _object({name: schema}, (name,), closed=False)
            for name, schema in ACTIONS.items()}
