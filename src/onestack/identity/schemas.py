"""Request schemas of the identity API (JSON Schema), validated before any service call.

Most identity resources accept extra attributes (Keystone stores them and returns them), so
``additionalProperties`` stays open where the API reference allows it.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import jsonschema

from onestack.core.errors import ValidationError

_name64 = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"[\S]"}
_name255 = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]"}
_id = {"type": "string", "minLength": 1, "maxLength": 64}
_id_or_null = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
_desc = {"type": ["string", "null"]}
_bool = {"type": "boolean"}
_tag = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"}
_tags = {"type": "array", "items": _tag, "maxItems": 80, "uniqueItems": True}
_options = {"type": "object"}

PROJECT_CREATE = {
    "type": "object",
    "properties": {"name": _name64, "description": _desc, "domain_id": _id_or_null,
                   "parent_id": _id_or_null, "enabled": _bool, "is_domain": _bool,
                   "tags": _tags, "options": _options},
    "required": ["name"], "additionalProperties": True,
}
PROJECT_UPDATE = {
    "type": "object",
    "properties": {"name": _name64, "description": _desc, "enabled": _bool, "tags": _tags,
                   "options": _options, "domain_id": _id_or_null, "parent_id": _id_or_null,
                   "is_domain": _bool},
    "minProperties": 1, "additionalProperties": True,
}
DOMAIN_CREATE = {
    "type": "object",
    "properties": {"name": _name64, "description": _desc, "enabled": _bool, "tags": _tags,
                   "options": _options, "explicit_domain_id": _id},
    "required": ["name"], "additionalProperties": True,
}
DOMAIN_UPDATE = {
    "type": "object",
    "properties": {"name": _name64, "description": _desc, "enabled": _bool, "tags": _tags,
                   "options": _options},
    "minProperties": 1, "additionalProperties": True,
}
_password = {"type": ["string", "null"], "maxLength": 4096}
# Keystone's boolean user options (null unsets one); other options are stored as given.
_flag = {"type": ["boolean", "null"]}
_user_options = {"type": "object", "properties": {name: _flag for name in (
    "ignore_change_password_upon_first_use", "ignore_password_expiry",
    "ignore_lockout_failure_attempts", "lock_password", "ignore_user_inactivity",
    "multi_factor_auth_enabled")}}
USER_CREATE = {
    "type": "object",
    "properties": {"name": _name255, "domain_id": _id_or_null, "default_project_id": _id_or_null,
                   "enabled": _bool, "password": _password, "description": _desc,
                   "options": _user_options, "email": {"type": ["string", "null"]}},
    "required": ["name"], "additionalProperties": True,
}
USER_UPDATE = {
    "type": "object",
    "properties": {"name": _name255, "domain_id": _id_or_null, "default_project_id": _id_or_null,
                   "enabled": _bool, "password": _password, "description": _desc,
                   "options": _user_options},
    "minProperties": 1, "additionalProperties": True,
}
PASSWORD_CHANGE = {
    "type": "object",
    "properties": {"original_password": {"type": "string"},
                   "password": {"type": "string", "maxLength": 4096}},
    "required": ["original_password", "password"], "additionalProperties": False,
}
GROUP_CREATE = {
    "type": "object",
    "properties": {"name": _name64, "description": _desc, "domain_id": _id_or_null},
    "required": ["name"], "additionalProperties": True,
}
GROUP_UPDATE = {**GROUP_CREATE, "required": [], "minProperties": 1}
ROLE_CREATE = {
    "type": "object",
    "properties": {"name": _name255, "description": _desc, "domain_id": _id_or_null,
                   "options": _options},
    "required": ["name"], "additionalProperties": True,
}
ROLE_UPDATE = {**ROLE_CREATE, "required": [], "minProperties": 1}
REGION_CREATE = {
    "type": "object",
    "properties": {"id": _id, "description": {"type": ["string", "null"], "maxLength": 255},
                   "parent_region_id": _id_or_null},
    "additionalProperties": True,
}
REGION_UPDATE = {**REGION_CREATE, "minProperties": 1}
SERVICE_CREATE = {
    "type": "object",
    "properties": {"type": _name255, "enabled": _bool, "name": {"type": ["string", "null"]},
                   "description": _desc},
    "required": ["type"], "additionalProperties": True,
}
SERVICE_UPDATE = {**SERVICE_CREATE, "required": [], "minProperties": 1}
_url = {"type": "string", "minLength": 1, "maxLength": 225, "pattern": "^[a-zA-Z0-9+.-]+:.+"}
_interface = {"type": "string", "enum": ["public", "internal", "admin"]}
ENDPOINT_CREATE = {
    "type": "object",
    "properties": {"interface": _interface, "url": _url, "service_id": _id,
                   "region_id": _id_or_null, "region": _id_or_null, "enabled": _bool},
    "required": ["interface", "url", "service_id"], "additionalProperties": True,
}
ENDPOINT_UPDATE = {**ENDPOINT_CREATE, "required": [], "minProperties": 1}
ENDPOINT_GROUP = {
    "type": "object",
    "properties": {"name": _name255, "description": _desc, "filters": {
        "type": "object", "minProperties": 1,
        "properties": {"interface": _interface, "service_id": _id, "region_id": _id}}},
    "required": ["name", "filters"], "additionalProperties": True,
}
ENDPOINT_GROUP_UPDATE = {**ENDPOINT_GROUP, "required": [], "minProperties": 1}
CREDENTIAL_CREATE = {
    "type": "object",
    "properties": {"type": _name255, "blob": {"type": "string"}, "user_id": _id,
                   "project_id": _id_or_null},
    "required": ["type", "blob", "user_id"], "additionalProperties": True,
}
CREDENTIAL_UPDATE = {**CREDENTIAL_CREATE, "required": [], "minProperties": 1}
POLICY_CREATE = {
    "type": "object",
    "properties": {"type": _name255, "blob": {"type": "string"}},
    "required": ["type", "blob"], "additionalProperties": True,
}
POLICY_UPDATE = {**POLICY_CREATE, "required": [], "minProperties": 1}
_role_ref = {"type": "object", "properties": {"id": _id, "name": _name255},
             "minProperties": 1, "additionalProperties": False}
_access_rule = {"type": "object", "properties": {
    "id": _id, "path": {"type": "string", "minLength": 1, "maxLength": 255},
    "method": {"type": "string", "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]},
    "service": {"type": "string", "minLength": 1, "maxLength": 64}},
    "additionalProperties": False}
APP_CREDENTIAL_CREATE = {
    "type": "object",
    "properties": {"name": _name255, "description": _desc, "secret": {"type": ["string", "null"]},
                   "expires_at": {"type": ["string", "null"]},
                   "roles": {"type": "array", "items": _role_ref},
                   "unrestricted": {"type": ["boolean", "null"]},
                   "access_rules": {"type": "array", "items": _access_rule},
                   "project_id": _id_or_null,
                   "system": {"type": ["string", "null"], "enum": ["all", None]}},
    "required": ["name"], "additionalProperties": False,
}
TRUST_CREATE = {
    "type": "object",
    "properties": {"trustor_user_id": _id, "trustee_user_id": _id, "project_id": _id_or_null,
                   "impersonation": _bool, "expires_at": {"type": ["string", "null"]},
                   "remaining_uses": {"type": ["integer", "null"], "minimum": 1,
                                      "maximum": 2 ** 31 - 1},
                   "roles": {"type": "array", "items": _role_ref},
                   "allow_redelegation": {"type": ["boolean", "null"]},
                   "redelegation_count": {"type": ["integer", "null"], "minimum": 0,
                                          "maximum": 2 ** 31 - 1}},
    "required": ["trustor_user_id", "trustee_user_id", "impersonation"],
    "additionalProperties": True,
}
_limit_common = {"service_id": _id, "region_id": _id_or_null,
                 "resource_name": {"type": "string", "minLength": 1, "maxLength": 255},
                 "description": _desc}
REGISTERED_LIMITS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "properties": {**_limit_common, "default_limit": {
        "type": "integer", "minimum": -1, "maximum": 2 ** 31 - 1}},
        "required": ["service_id", "resource_name", "default_limit"],
        "additionalProperties": False},
}
REGISTERED_LIMIT_UPDATE = {
    "type": "object", "properties": {**_limit_common, "default_limit": {
        "type": "integer", "minimum": -1, "maximum": 2 ** 31 - 1}}, "minProperties": 1,
    "additionalProperties": False,
}
LIMITS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "properties": {
        **_limit_common, "project_id": _id_or_null, "domain_id": _id_or_null,
        "resource_limit": {"type": "integer", "minimum": -1, "maximum": 2 ** 31 - 1}},
        "required": ["service_id", "resource_name", "resource_limit"],
        "additionalProperties": False},
}
LIMIT_UPDATE = {
    "type": "object", "properties": {"resource_limit": {"type": "integer", "minimum": -1,
                                                        "maximum": 2 ** 31 - 1},
                                     "description": _desc},
    "minProperties": 1, "additionalProperties": False,
}
CONSUMER = {"type": "object", "properties": {"description": _desc},
            "additionalProperties": True}
TAG = _tag

# Compiled validators, keyed by the schema's content (not its id(): a schema built per request
# would add an entry each time), least recently used dropped beyond the bound. A small
# identity map in front saves serialising the module's constant schemas on every request; it
# holds the schema itself, so an id is never mistaken for a later object's.
VALIDATOR_CACHE_SIZE = 256
RECENT_OBJECTS = 32
_validators: OrderedDict[str, jsonschema.protocols.Validator] = OrderedDict()
_recent: OrderedDict[int, tuple[dict, jsonschema.protocols.Validator]] = OrderedDict()
_validators_lock = threading.Lock()


def _remember(cache: OrderedDict, key: Any, value: Any, bound: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > bound:
        cache.popitem(last=False)


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    with _validators_lock:
        seen = _recent.get(id(schema))
        if seen is not None and seen[0] is schema:
            _recent.move_to_end(id(schema))
            return seen[1]
    key = json.dumps(schema, sort_keys=True, default=repr)
    with _validators_lock:
        validator = _validators.get(key)
    if validator is None:
        validator = jsonschema.Draft7Validator(schema)
    with _validators_lock:
        _remember(_validators, key, validator, VALIDATOR_CACHE_SIZE)
        _remember(_recent, id(schema), (schema, validator), RECENT_OBJECTS)
    return validator


def cache_size() -> int:
    return len(_validators)


def validate(schema: dict[str, Any], instance: Any) -> Any:
    """Validate ``instance``; a failure is a 400 with the schema's own explanation."""
    validator = _validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise ValidationError(
            f"Invalid input for field '{where}': {error.message}" if where else
            f"Invalid input: {error.message}")
    return instance

_str = {"type": "string"}
_ref_domain = {"type": "object", "properties": {"id": _str, "name": _str}}
_auth_user = {"type": "object", "properties": {"id": _str, "name": _str, "password": _str,
                                               "domain": _ref_domain}}
AUTH = {
    "type": "object",
    "properties": {
        "identity": {
            "type": "object",
            "properties": {
                "methods": {"type": "array", "items": _str},  # empty: 401, as Keystone
                "password": {"type": "object", "properties": {"user": _auth_user}},
                "token": {"type": "object", "properties": {"id": _str}, "required": ["id"]},
                "application_credential": {"type": "object", "properties": {
                    "id": _str, "name": _str, "secret": _str, "user": _auth_user}},
            },
            "required": ["methods"],
        },
        "scope": {
            "type": ["object", "string"],
            "properties": {
                "project": {"type": "object", "properties": {
                    "id": _str, "name": _str, "domain": _ref_domain}},
                "domain": _ref_domain,
                "OS-TRUST:trust": {"type": "object", "properties": {"id": _str}},
                "system": {"type": "object", "properties": {"all": {"type": "boolean"}}},
            },
        },
    },
    "required": ["identity"],
}
