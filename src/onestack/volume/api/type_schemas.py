"""Request schemas of volume types, extra specs, type access, encryption types, QoS specs
and default types (as Cinder's ``api/schemas``), and the ``validate`` these routes use:
a 400 worded as Cinder words it (``Invalid input for field/attribute …``)."""
from __future__ import annotations

import copy
import unicodedata
from typing import Any

import jsonschema

from onestack.core.errors import BadRequest


class InvalidName(Exception):
    """A name format failure; its message is the whole 400."""


_checker = jsonschema.FormatChecker()


@_checker.checks("name", raises=InvalidName)
def _name(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not value:
        raise InvalidName("An invalid 'name' value was provided. The 'name' can not be None.")
    if not value.strip():
        raise InvalidName("An invalid 'name' value was provided. The 'name' can not be "
                          "empty.")
    return True


@_checker.checks("name_skip_leading_trailing_spaces", raises=InvalidName)
def _name_stripped(value: object) -> bool:
    if not isinstance(value, str):
        return True
    _name(value)
    if len(value.strip()) > 255:
        raise InvalidName("An invalid 'name' value was provided. The 'name' can not be "
                          "greater than 255 characters.")
    return True


@_checker.checks("printable")
def _printable(value: object) -> bool:
    """Cinder's descriptions: letters, marks, numbers, punctuation, symbols and spaces."""
    if not isinstance(value, str):
        return True
    for char in value:
        category = unicodedata.category(char)
        if category.startswith("C") or (category.startswith("Z") and category != "Zs"):
            return False
    return True


@_checker.checks("key_size", raises=BadRequest)
def _key_size(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return value is None
    try:
        int(str(value))
    except ValueError:
        raise BadRequest("Invalid input received: key_size must be an integer.") from None
    return True


NAME = {"type": "string", "minLength": 1, "maxLength": 255, "format": "name"}
UPDATE_NAME = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255,
               "format": "printable"}
BOOLEAN = {"type": ["boolean", "string"],
           "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
                    "y", "t", False, "False", "FALSE", "false", "0", "OFF", "Off", "off",
                    "NO", "No", "no", "n", "f"]}
_TRUE = {True, "true", "1", "on", "yes", "y", "t"}
EXTRA_SPECS_WITH_NULL = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {"type": ["string", "null"],
                                                         "maxLength": 255}},
    "additionalProperties": False}
EXTRA_SPECS_NO_SPACES = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:.]{1,255}$": {"type": ["string", "null"],
                                                       "minLength": 0, "maxLength": 255}},
    "additionalProperties": False}

TYPE_CREATE = {
    "type": "object",
    "properties": {"volume_type": {
        "type": "object",
        "properties": {"name": NAME, "description": DESCRIPTION,
                       "extra_specs": EXTRA_SPECS_WITH_NULL,
                       "os-volume-type-access:is_public": BOOLEAN},
        "required": ["name"], "additionalProperties": False}},
    "required": ["volume_type"], "additionalProperties": False}
TYPE_UPDATE = {
    "type": "object",
    "properties": {"volume_type": {
        "type": "object",
        "properties": {"name": UPDATE_NAME, "description": DESCRIPTION,
                       "is_public": BOOLEAN},
        "additionalProperties": False}},
    "required": ["volume_type"], "additionalProperties": False}
EXTRA_SPECS_CREATE = {"type": "object", "properties": {"extra_specs": EXTRA_SPECS_NO_SPACES},
                      "required": ["extra_specs"], "additionalProperties": False}
EXTRA_SPEC_UPDATE = {**copy.deepcopy(EXTRA_SPECS_NO_SPACES), "minProperties": 1,
                     "maxProperties": 1}
_PROJECT = {"type": "object", "properties": {"project": {"type": "string"}},
            "required": ["project"], "additionalProperties": False}
ADD_PROJECT_ACCESS = {"type": "object", "properties": {"addProjectAccess": _PROJECT},
                      "required": ["addProjectAccess"], "additionalProperties": False}
REMOVE_PROJECT_ACCESS = {"type": "object", "properties": {"removeProjectAccess": _PROJECT},
                         "required": ["removeProjectAccess"], "additionalProperties": False}
ENCRYPTION_CREATE = {
    "type": "object",
    "properties": {"encryption": {
        "type": "object",
        "properties": {
            "key_size": {"type": ["string", "integer", "null"], "minimum": 0,
                         "maximum": 2147483647, "format": "key_size"},
            "provider": {"type": "string", "minLength": 0, "maxLength": 255},
            "control_location": {"enum": ["front-end", "back-end"]},
            "cipher": {"type": ["string", "null"], "minLength": 0, "maxLength": 255}},
        "required": ["provider", "control_location"], "additionalProperties": True}},
    "required": ["encryption"], "additionalProperties": False}
ENCRYPTION_UPDATE = copy.deepcopy(ENCRYPTION_CREATE)
ENCRYPTION_UPDATE["properties"]["encryption"]["required"] = []
QOS_CREATE = {
    "type": "object",
    "properties": {"qos_specs": {
        "type": "object",
        "properties": {"name": {"type": "string",
                                "format": "name_skip_leading_trailing_spaces"}},
        "required": ["name"], "additionalProperties": True}},
    "required": ["qos_specs"], "additionalProperties": False}
QOS_SET = {"type": "object", "properties": {"qos_specs": EXTRA_SPECS_WITH_NULL},
           "required": ["qos_specs"], "additionalProperties": False}
QOS_UNSET = {
    "type": "object",
    "properties": {"keys": {"type": "array", "uniqueItems": True,
                            "items": {"type": "string", "minLength": 1, "maxLength": 255}}},
    "required": ["keys"], "additionalProperties": False}
DEFAULT_TYPE_SET = {
    "type": "object",
    "properties": {"default_type": {
        "type": "object", "properties": {"volume_type": NAME},
        "required": ["volume_type"], "additionalProperties": False}}}

_validators: dict[int, Any] = {}


def validate(schema: dict[str, Any], instance: Any) -> Any:
    """``instance`` when it matches ``schema``; else a 400 with Cinder's wording."""
    compiled = _validators.get(id(schema))
    if compiled is None:
        compiled = _validators[id(schema)] = jsonschema.Draft4Validator(
            schema, format_checker=_checker)
    try:
        error = jsonschema.exceptions.best_match(compiled.iter_errors(instance))
    except BadRequest:
        raise
    if error is None:
        return instance
    if isinstance(error.cause, (InvalidName, BadRequest)):
        raise BadRequest(str(error.cause.message if isinstance(error.cause, BadRequest)
                             else error.cause))
    if error.path:
        raise BadRequest(f"Invalid input for field/attribute {error.path[-1]}. "
                         f"Value: {error.instance}. {error.message}")
    raise BadRequest(error.message)


def as_bool(value: Any) -> bool:
    """A ``BOOLEAN`` value (already validated) as a bool."""
    return value is True or (isinstance(value, str) and value.lower() in _TRUE)
