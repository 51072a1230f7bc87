"""The image, member and task JSON Schemas: published under ``/v2/schemas/…`` (clients such
as glanceclient build their forms and checks from them) and used to validate what callers
may set on an image."""
from __future__ import annotations

from typing import Any

import jsonschema

from onestack.core.errors import BadRequest
from onestack.image import states

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                "-([0-9a-fA-F]){12}$")
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop", "gpt"]  # gpt: a whole disk with a partition table (Glance 2024.2)
MAX_INT = 2**31 - 1

# What a caller may set on an image, beyond custom (string) properties.
SETTABLE = ("name", "visibility", "protected", "os_hidden", "owner", "container_format",
            "disk_format", "min_ram", "min_disk", "tags")
# What only the service sets.
READ_ONLY = ("status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
             "created_at", "updated_at", "direct_url", "self", "file", "schema", "stores")
# Names no caller may use at all.
RESERVED = ("location", "locations", "deleted", "deleted_at")
RESERVED_PREFIX = "os_glance"

_string_or_null = {"type": ["null", "string"]}

_IMAGE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "description": "An identifier for the image",
           "pattern": UUID_PATTERN},
    "name": {"type": ["null", "string"], "maxLength": 255,
             "description": "Descriptive name for the image"},
    "status": {"type": "string", "readOnly": True, "enum": list(states.ALL),
               "description": "Status of the image"},
    "visibility": {"type": "string", "enum": list(states.VISIBILITIES),
                   "description": "Scope of image accessibility"},
    "protected": {"type": "boolean",
                  "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean",
                  "description": "If true, image will not appear in default image list "
                                 "response."},
    "checksum": {"type": ["null", "string"], "readOnly": True, "maxLength": 32,
                 "description": "md5 hash of image contents."},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": True, "maxLength": 64,
                     "description": "Algorithm to calculate the os_hash_value"},
    "os_hash_value": {"type": ["null", "string"], "readOnly": True, "maxLength": 128,
                      "description": "Hexdigest of the image contents using the algorithm "
                                     "specified by the os_hash_algo"},
    "owner": {"type": ["null", "string"], "maxLength": 255,
              "description": "Owner of the image"},
    "size": {"type": ["null", "integer"], "readOnly": True,
             "description": "Size of image file in bytes"},
    "virtual_size": {"type": ["null", "integer"], "readOnly": True,
                     "description": "Virtual size of image in bytes"},
    "container_format": {"type": ["null", "string"], "enum": [None, *CONTAINER_FORMATS],
                         "description": "Format of the container"},
    "disk_format": {"type": ["null", "string"], "enum": [None, *DISK_FORMATS],
                    "description": "Format of the disk"},
    "created_at": {"type": "string", "readOnly": True,
                   "description": "Date and time of image registration"},
    "updated_at": {"type": "string", "readOnly": True,
                   "description": "Date and time of the last image modification"},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 255},
             "description": "List of strings related to the image"},
    "direct_url": {"type": "string", "readOnly": True,
                   "description": "URL to access the image file kept in external store"},
    "min_ram": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                "description": "Amount of ram (in MB) required to boot image."},
    "min_disk": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                 "description": "Amount of disk space (in GB) required to boot image."},
    "self": {"type": "string", "readOnly": True,
             "description": "An image self url"},
    "file": {"type": "string", "readOnly": True,
             "description": "An image file url"},
    "stores": {"type": "string", "readOnly": True,
               "description": "Store in which image data resides.  Only present when the "
                              "operator has enabled multiple stores.  May be a comma-separated "
                              "list of store identifiers."},
    "schema": {"type": "string", "readOnly": True,
               "description": "An image schema url"},
    "locations": {"type": "array", "items": {"type": "object", "properties": {
        "url": {"type": "string", "maxLength": 255},
        "metadata": {"type": "object"},
        "validation_data": {"type": "object"}}, "required": ["url", "metadata"]},
        "description": "A set of URLs to access the image file kept in external store"},
    # Common (non-core) properties clients know about; stored like any custom property.
    "kernel_id": {"type": ["null", "string"], "pattern": UUID_PATTERN, "is_base": False,
                  "description": "ID of image stored in Glance that should be used as the "
                                 "kernel when booting an AMI-style image."},
    "ramdisk_id": {"type": ["null", "string"], "pattern": UUID_PATTERN, "is_base": False,
                   "description": "ID of image stored in Glance that should be used as the "
                                  "ramdisk when booting an AMI-style image."},
    "instance_uuid": {"type": "string", "is_base": False,
                      "description": "Metadata which can be used to record which instance "
                                     "this image is associated with."},
    "architecture": {"type": "string", "is_base": False,
                     "description": "Operating system architecture as specified in "
                                    "https://docs.openstack.org/python-glanceclient/latest/"
                                    "cli/property-keys.html"},
    "os_distro": {"type": "string", "is_base": False,
                  "description": "Common name of operating system distribution"},
    "os_version": {"type": "string", "is_base": False,
                   "description": "Operating system version as specified by the "
                                  "distributor"},
    "description": {"type": "string", "is_base": False,
                    "description": "A human-readable string describing this image."},
}

IMAGE_SCHEMA: dict[str, Any] = {
    "name": "image",
    "properties": _IMAGE_PROPERTIES,
    "additionalProperties": {"type": "string"},
    "links": [{"href": "{self}", "rel": "self"}, {"href": "{file}", "rel": "enclosure"},
              {"href": "{schema}", "rel": "describedby"}],
}

IMAGES_SCHEMA: dict[str, Any] = {
    "name": "images",
    "properties": {
        "images": {"type": "array", "items": IMAGE_SCHEMA},
        "schema": {"type": "string"},
        "first": {"type": "string"},
        "next": {"type": "string"},
    },
    "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"},
              {"href": "{schema}", "rel": "describedby"}],
}

MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "created_at": {"type": "string", "description": "Date and time of image member "
                                                        "creation"},
        "image_id": {"type": "string", "pattern": UUID_PATTERN,
                     "description": "An identifier for the image"},
        "member_id": {"type": "string", "description": "An identifier for the image member "
                                                       "(project_id)"},
        "schema": {"type": "string", "readOnly": True},
        "status": {"type": "string", "enum": list(states.MEMBER_STATUSES),
                   "description": "The status of this image member"},
        "updated_at": {"type": "string", "description": "Date and time of last modification "
                                                        "of image member"},
    },
}

MEMBERS_SCHEMA: dict[str, Any] = {
    "name": "members",
    "properties": {"members": {"type": "array", "items": MEMBER_SCHEMA},
                   "schema": {"type": "string"}},
    "links": [{"href": "{schema}", "rel": "describedby"}],
}

TASK_SCHEMA: dict[str, Any] = {
    "name": "task",
    "properties": {
        "id": {"type": "string", "pattern": UUID_PATTERN},
        "type": {"type": "string", "enum": ["import", "api_image_import"]},
        "status": {"type": "string", "enum": ["pending", "processing", "success",
                                              "failure"]},
        "input": {"type": ["null", "object"]},
        "result": {"type": ["null", "object"]},
        "owner": {"type": "string"},
        "message": {"type": "string"},
        "image_id": {"type": "string"},
        "request_id": {"type": "string"},
        "user_id": {"type": "string"},
        "expires_at": {"type": ["null", "string"]},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "self": {"type": "string"},
        "schema": {"type": "string"},
    },
    "required": ["type", "input"],
    "links": [{"href": "{self}", "rel": "self"}, {"href": "{schema}", "rel": "describedby"}],
}

TASKS_SCHEMA: dict[str, Any] = {
    "name": "tasks",
    "properties": {"tasks": {"type": "array", "items": TASK_SCHEMA},
                   "schema": {"type": "string"}, "first": {"type": "string"},
                   "next": {"type": "string"}},
    "links": [{"href": "{schema}", "rel": "describedby"}, {"href": "{first}", "rel": "first"},
              {"href": "{next}", "rel": "next"}],
}

_SETTABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {k: v for k, v in _IMAGE_PROPERTIES.items()
                   if not v.get("readOnly") and k not in ("locations",)},
    "additionalProperties": {"type": "string", "maxLength": 65535},
}
_settable_validator = jsonschema.Draft4Validator(_SETTABLE_SCHEMA)


def validate_image_fields(doc: dict[str, Any]) -> None:
    """400 unless every settable field and custom property in ``doc`` is well formed."""
    error = jsonschema.exceptions.best_match(_settable_validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise BadRequest(f"Provided object does not match schema 'image': {error.message}"
                         + (f" (at {where})" if where else ""))
    for key in doc:
        if len(key) > 255:
            raise BadRequest(f"Property name '{key[:40]}…' is longer than 255 characters.")


MEMBER_CREATE = {"type": "object", "properties": {"member": {"type": "string", "minLength": 1,
                                                             "maxLength": 255}},
                 "required": ["member"], "additionalProperties": False}
MEMBER_UPDATE = {"type": "object",
                 "properties": {"status": {"type": "string",
                                           "enum": list(states.MEMBER_STATUSES)}},
                 "required": ["status"], "additionalProperties": False}


def validate(schema: dict[str, Any], doc: Any, name: str) -> Any:
    error = jsonschema.exceptions.best_match(jsonschema.Draft4Validator(schema).iter_errors(doc))
    if error is not None:
        raise BadRequest(f"Provided object does not match schema '{name}': {error.message}")
    return doc
