"""Request schemas of OS-FEDERATION (identity providers, protocols, mappings, service
providers). Unlike most identity resources these take no extra attributes."""
from __future__ import annotations

_id = {"type": "string", "minLength": 1, "maxLength": 64}
_desc = {"type": ["string", "null"]}
_url = {"type": "string", "minLength": 1, "maxLength": 256,
        "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$"}

PATH_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^\s/]+$"}

_IDP = {"description": _desc, "enabled": {"type": "boolean"},
        "remote_ids": {"type": ["array", "null"], "uniqueItems": True,
                       "items": {"type": "string", "minLength": 1, "maxLength": 255}},
        "authorization_ttl": {"type": ["integer", "null"], "minimum": 0}}
IDP_CREATE = {"type": "object", "additionalProperties": False,
              "properties": {**_IDP, "domain_id": {**_id, "type": ["string", "null"]}}}
IDP_UPDATE = {"type": "object", "additionalProperties": False, "properties": _IDP}

_PROTOCOL = {"mapping_id": _id,
             "remote_id_attribute": {"type": "string", "minLength": 1, "maxLength": 64}}
PROTOCOL_CREATE = {"type": "object", "additionalProperties": False, "properties": _PROTOCOL,
                   "required": ["mapping_id"]}
PROTOCOL_UPDATE = {**PROTOCOL_CREATE, "required": [], "minProperties": 1}

_SP = {"auth_url": _url, "sp_url": _url, "description": _desc,
       "enabled": {"type": "boolean"},
       "relay_state_prefix": {"type": "string", "minLength": 1, "maxLength": 256}}
SP_CREATE = {"type": "object", "additionalProperties": False, "properties": _SP,
             "required": ["auth_url", "sp_url"]}
SP_UPDATE = {"type": "object", "additionalProperties": False, "properties": _SP,
             "minProperties": 1}

# A mapping rule: what the assertion must carry (``remote``: each entry names an attribute
# ``type`` and at most one condition on its values) and what that makes locally.
_strings = {"type": "array", "items": {"type": "string"}}
_conditions = {name: {"type": "object", "additionalProperties": False,
                      "required": ["type", name],
                      "properties": {"type": {"type": "string"}, name: _strings,
                                     "regex": {"type": "boolean"}}}
               for name in ("any_one_of", "not_any_of", "blacklist", "whitelist")}
_bare = {"type": "object", "additionalProperties": False, "required": ["type"],
         "properties": {"type": {"type": "string"}}}
_ref = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                         "domain": {"type": "object"}}}
_local = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "user": {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
        "domain": {"type": "object"}, "type": {"enum": ["local", "ephemeral"]}}},
    "group": _ref, "groups": {"type": "string"}, "group_ids": {"type": "string"},
    "domain": _ref, "projects": {"type": "array", "items": {
        "type": "object", "required": ["name", "roles"], "properties": {
            "name": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "object", "required": ["name"]}}}}}}}
_rule = {"type": "object", "additionalProperties": False, "required": ["local", "remote"],
         "properties": {"local": {"type": "array", "minItems": 1, "items": _local},
                        "remote": {"type": "array", "minItems": 1, "items": {
                            "oneOf": [_bare, *_conditions.values()]}}}}
MAPPING = {"type": "object", "additionalProperties": False, "required": ["rules"],
           "properties": {"rules": {"type": "array", "minItems": 1, "items": _rule},
                          "schema_version": {"type": "string", "enum": ["1.0", "2.0", "3.0"]}}}
MAPPING_UPDATE = MAPPING
