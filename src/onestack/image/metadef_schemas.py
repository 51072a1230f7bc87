"""The metadata-definition (metadefs) schemas, published under ``/v2/schemas/metadefs/…``
and used to validate metadef requests."""
from __future__ import annotations

from typing import Any

_ts = {"type": "string", "readOnly": True}

PROPERTY_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]

_PROPERTY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 255},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "operators": {"type": "array", "items": {"type": "string"}},
    "type": {"type": ["string", "null"], "enum": PROPERTY_TYPES},
    "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "maxLength": {"type": "integer", "minimum": 0},
    "minLength": {"type": "integer", "minimum": 0},
    "pattern": {"type": "string", "format": "regex"},
    "enum": {"type": "array"},
    "readonly": {"type": "boolean"},
    "default": {},
    "items": {"type": "object", "properties": {
        "type": {"type": "string", "enum": PROPERTY_TYPES}, "enum": {"type": "array"}}},
    "maxItems": {"type": "integer", "minimum": 0},
    "minItems": {"type": "integer", "minimum": 0},
    "uniqueItems": {"type": "boolean", "default": False},
    "additionalItems": {"type": "boolean"},
}

_DEFINITIONS: dict[str, Any] = {
    "positiveInteger": {"type": "integer", "minimum": 0},
    "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"},
                                          {"default": 0}]},
    "stringArray": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "property": {"type": "object", "additionalProperties": {
        "type": "object", "required": ["title", "type"],
        "properties": {k: v for k, v in _PROPERTY_FIELDS.items() if k != "name"}}},
}

RESOURCE_TYPE_ASSOCIATION: dict[str, Any] = {
    "name": "resource_type_association",
    "properties": {
        "name": {"type": "string", "maxLength": 80,
                 "description": "Resource type names should be aligned with Heat resource "
                                "types whenever possible."},
        "prefix": {"type": "string", "maxLength": 80,
                   "description": "Specifies the prefix to use for the given resource type."},
        "properties_target": {"type": "string", "maxLength": 80,
                              "description": "Some resource types allow more than one "
                                             "key / value pair per instance."},
        "created_at": _ts, "updated_at": _ts,
    },
    "required": ["name"],
    "additionalProperties": False,
}

OBJECT: dict[str, Any] = {
    "name": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 80},
        "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"},
        "properties": {"$ref": "#/definitions/property"},
        "schema": {"type": "string", "readOnly": True},
        "self": {"type": "string", "readOnly": True},
        "created_at": _ts, "updated_at": _ts,
    },
    "required": ["name"],
    "additionalProperties": False,
    "definitions": _DEFINITIONS,
}

PROPERTY: dict[str, Any] = {
    "name": "property",
    "properties": _PROPERTY_FIELDS,
    "required": ["name", "title", "type"],
    "additionalProperties": False,
    "definitions": _DEFINITIONS,
}

TAG: dict[str, Any] = {
    "name": "tag",
    "properties": {"name": {"type": "string", "maxLength": 255},
                   "created_at": _ts, "updated_at": _ts},
    "required": ["name"],
    "additionalProperties": False,
}

NAMESPACE: dict[str, Any] = {
    "name": "namespace",
    "properties": {
        "namespace": {"type": "string", "maxLength": 80,
                      "description": "The unique namespace text."},
        "display_name": {"type": "string", "maxLength": 80},
        "description": {"type": "string", "maxLength": 500},
        "visibility": {"type": "string", "enum": ["public", "private"]},
        "protected": {"type": "boolean"},
        "owner": {"type": "string", "maxLength": 255},
        "created_at": _ts, "updated_at": _ts,
        "schema": {"type": "string", "readOnly": True},
        "self": {"type": "string", "readOnly": True},
        "resource_type_associations": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"},
                                             "prefix": {"type": "string"},
                                             "properties_target": {"type": "string"}}}},
        "properties": {"$ref": "#/definitions/property"},
        "objects": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "required": {"$ref": "#/definitions/stringArray"},
            "properties": {"$ref": "#/definitions/property"}}}},
        "tags": {"type": "array", "items": {"type": "object",
                                            "properties": {"name": {"type": "string"}}}},
    },
    "required": ["namespace"],
    "additionalProperties": False,
    "definitions": _DEFINITIONS,
}


def _collection(name: str, key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"name": name,
            "properties": {key: {"type": "array", "items": item},
                           "first": {"type": "string"}, "next": {"type": "string"},
                           "schema": {"type": "string"}},
            "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"},
                      {"href": "{schema}", "rel": "describedby"}]}


PROPERTIES: dict[str, Any] = {
    "name": "properties",
    "properties": {"properties": {"$ref": "#/definitions/property"},
                   "schema": {"type": "string"}},
    "links": [{"href": "{schema}", "rel": "describedby"}],
    "definitions": _DEFINITIONS,
}

# path under /v2/schemas/ → document
DOCUMENTS: dict[str, dict[str, Any]] = {
    "metadefs/namespace": NAMESPACE,
    "metadefs/namespaces": _collection("namespaces", "namespaces", NAMESPACE),
    "metadefs/resource_type": RESOURCE_TYPE_ASSOCIATION,
    "metadefs/resource_types": _collection("resource_type_associations",
                                           "resource_type_associations",
                                           RESOURCE_TYPE_ASSOCIATION),
    "metadefs/object": OBJECT,
    "metadefs/objects": _collection("objects", "objects", OBJECT),
    "metadefs/property": PROPERTY,
    "metadefs/properties": PROPERTIES,
    "metadefs/tag": TAG,
    "metadefs/tags": _collection("tags", "tags", TAG),
}
