"""Request bodies of the Placement API, per microversion where they differ."""
from __future__ import annotations

from typing import Any

import jsonschema

from onestack.core.errors import BadRequest

_UUID = {"type": "string", "minLength": 1, "maxLength": 64}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_AMOUNT = {"type": "integer", "minimum": 1}
_RESOURCES = {"type": "object", "minProperties": 1,
              "patternProperties": {"^[A-Z0-9_]+$": _AMOUNT}, "additionalProperties": False}
_INT = {"type": "integer"}

PROVIDER_CREATE = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {"name": _NAME, "uuid": _UUID,
                   "parent_provider_uuid": {"anyOf": [_UUID, {"type": "null"}]}}}
PROVIDER_UPDATE = {
    "type": "object", "additionalProperties": False,
    "properties": {"name": _NAME,
                   "parent_provider_uuid": {"anyOf": [_UUID, {"type": "null"}]}}}
INVENTORY_FIELDS = {
    "total": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "reserved": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    "min_unit": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "max_unit": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "step_size": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "allocation_ratio": {"type": "number", "minimum": 0, "maximum": 3.40282e+38},
}
INVENTORY = {"type": "object", "required": ["total"], "additionalProperties": False,
             "properties": INVENTORY_FIELDS}
INVENTORIES = {
    "type": "object", "required": ["inventories", "resource_provider_generation"],
    "additionalProperties": False,
    "properties": {"resource_provider_generation": _INT,
                   "inventories": {"type": "object",
                                   "patternProperties": {"^[A-Z0-9_]+$": INVENTORY},
                                   "additionalProperties": False}}}
INVENTORY_PUT = {"type": "object", "required": ["total", "resource_provider_generation"],
                 "additionalProperties": False,
                 "properties": {**INVENTORY_FIELDS, "resource_provider_generation": _INT}}

_ALLOCATIONS_DICT = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["resources"],
    "properties": {"resources": _RESOURCES, "generation": {}}}}
_ALLOCATIONS_LIST = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["resource_provider", "resources"],
    "properties": {"resource_provider": {"type": "object", "required": ["uuid"],
                                         "properties": {"uuid": _UUID}},
                   "resources": _RESOURCES}}}


def allocations_body(version: tuple[int, int]) -> dict[str, Any]:
    """``PUT /allocations/{consumer}``: a list of providers before 1.12, a dict after;
    project and user required from 1.8; consumer generation from 1.28."""
    props: dict[str, Any] = {"allocations": _ALLOCATIONS_DICT if version >= (1, 12)
                             else _ALLOCATIONS_LIST,
                             "project_id": {"type": "string", "minLength": 1,
                                            "maxLength": 255},
                             "user_id": {"type": "string", "minLength": 1, "maxLength": 255}}
    required = ["allocations"] + (["project_id", "user_id"] if version >= (1, 8) else [])
    if version >= (1, 28):
        props["consumer_generation"] = {"type": ["integer", "null"]}
        required.append("consumer_generation")
    if version >= (1, 38):
        props["consumer_type"] = {"type": "string", "maxLength": 64}
    return {"type": "object", "required": required, "properties": props,
            "additionalProperties": version < (1, 12)}


TRAITS_PUT = {"type": "object", "required": ["traits", "resource_provider_generation"],
              "additionalProperties": False,
              "properties": {"resource_provider_generation": _INT,
                             "traits": {"type": "array",
                                        "items": {"type": "string", "maxLength": 255}}}}
AGGREGATES_OLD = {"type": "array", "items": _UUID}
AGGREGATES = {"type": "object", "required": ["aggregates", "resource_provider_generation"],
              "additionalProperties": False,
              "properties": {"resource_provider_generation": _INT,
                             "aggregates": AGGREGATES_OLD}}
RESOURCE_CLASS = {"type": "object", "required": ["name"], "additionalProperties": False,
                  "properties": {"name": {"type": "string", "pattern": "^CUSTOM_[A-Z0-9_]+$",
                                          "maxLength": 255}}}

_validators: dict[str, jsonschema.Draft7Validator] = {}


def validate(schema: dict[str, Any], instance: Any) -> Any:
    """``instance`` when it matches ``schema``; a 400 naming the first problem otherwise.
    Validators are cached by the schema's canonical form: bounded by the schemas above."""
    import json

    key = json.dumps(schema, sort_keys=True)
    validator = _validators.get(key)
    if validator is None:
        validator = _validators[key] = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise BadRequest(f"JSON does not validate: {error.message} (at {where})")
    return instance
