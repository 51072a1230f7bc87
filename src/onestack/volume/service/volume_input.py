"""Request bodies of the volumes API checked as Cinder's schemas check them
(``cinder/api/schemas/volumes.py``), with its 400 messages: field types and lengths,
sizes given as integers or digit strings, metadata of strings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from onestack.core.errors import BadRequest

DB_MAX_INT = 0x7FFFFFFF
NAME_MAX = 255
_SOURCES = ("snapshot_id", "source_volid", "imageRef", "backup_id")


def invalid(path: str, value: Any, why: str) -> BadRequest:
    shown = repr(value) if isinstance(value, str) else value
    return BadRequest(f"Invalid input for field/attribute {path}. Value: {shown}. {why}")


def optional_string(body: dict[str, Any], key: str, *, max_len: int = NAME_MAX,
                    min_len: int = 0) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(key, value, f"{value!r} is not of type 'string', 'null'")
    if len(value) > max_len:
        raise invalid(key, value, f"{value!r} is too long")
    if len(value) < min_len:
        raise invalid(key, value, f"{value!r} is too short")
    return value


def check_metadata(value: Any, path: str = "metadata") -> dict[str, str]:
    """A metadata object: keys 1–255 characters, values strings of at most 255."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(path, value, f"{value!r} is not of type 'object'")
    for key, item in value.items():
        if not key:
            raise BadRequest("Invalid input received: Metadata property key blank.")
        if len(key) > NAME_MAX:
            raise BadRequest("Invalid input received: Metadata property key greater "
                             "than 255 characters.")
        if not isinstance(item, str):
            raise invalid(f"{path}.{key}", item, f"{item!r} is not of type 'string'")
        if len(item) > NAME_MAX:
            raise BadRequest("Invalid input received: Metadata property value greater "
                             "than 255 characters.")
    return dict(value)


def parse_size(value: Any) -> int | None:
    """``size``: an integer or a string of digits (or null); 0 and anything not a
    positive integer is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise invalid("size", value, f"{value!r} is not of type 'integer', 'string', "
                                     "'null'")
    if isinstance(value, str):
        if not value.isdigit() or not value.isascii():
            raise invalid("size", value, f"{value!r} does not match '^[0-9]+$'")
        value = int(value)
    if value > DB_MAX_INT:
        raise invalid("size", value, f"{value} is greater than the maximum of {DB_MAX_INT}")
    if value < 1:
        raise BadRequest(f"Invalid input received: Volume size '{value}' must be an "
                         "integer and greater than 0")
    return value


@dataclass
class CreateRequest:
    name: str | None = None
    description: str | None = None
    size: int | None = None
    availability_zone: str | None = None
    volume_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    snapshot_id: str | None = None
    source_volid: str | None = None
    image_ref: str | None = None
    backup_id: str | None = None
    group_id: str | None = None
    multiattach: bool = False
    hints: dict[str, Any] = field(default_factory=dict)
    # 3.46: an ``imageRef`` naming a compute snapshot of a volume-backed server (a
    # zero-byte image whose ``block_device_mapping`` maps the boot volume's snapshot) makes
    # the volume from that snapshot instead of from the image's bytes
    boot_snapshot_images: bool = False


def parse_create(body: Any, *, backups_allowed: bool) -> CreateRequest:
    if not isinstance(body, dict):
        raise BadRequest("Invalid input for field/attribute volume. The request body must "
                         "be an object.")
    volume = body.get("volume")
    if not isinstance(volume, dict):
        raise BadRequest("Invalid input for field/attribute volume. Value: "
                         f"{volume!r}. 'volume' is a required property"
                         if volume is None else
                         f"Invalid input for field/attribute volume. Value: {volume!r}. "
                         f"{volume!r} is not of type 'object'")
    extra = set(body) - {"volume", "OS-SCH-HNT:scheduler_hints"}
    if extra:
        raise BadRequest("Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in sorted(extra))} were unexpected)")
    req = CreateRequest()
    req.name = optional_string(volume, "name") if "name" in volume else \
        optional_string(volume, "display_name")
    req.description = optional_string(volume, "description") if "description" in volume \
        else optional_string(volume, "display_description")
    req.size = parse_size(volume.get("size"))
    req.availability_zone = optional_string(volume, "availability_zone", min_len=1)
    vtype = volume.get("volume_type")
    if vtype is not None and not isinstance(vtype, str):
        raise invalid("volume_type", vtype, f"{vtype!r} is not of type 'string', 'null'")
    req.volume_type = vtype or None
    req.metadata = check_metadata(volume.get("metadata"))
    for key in ("snapshot_id", "source_volid", "backup_id", "group_id",
                "consistencygroup_id"):
        value = volume.get(key)
        if value is not None and not isinstance(value, str):
            raise invalid(key, value, f"{value!r} is not of type 'string', 'null'")
    req.snapshot_id = volume.get("snapshot_id") or None
    req.source_volid = volume.get("source_volid") or None
    req.group_id = volume.get("group_id") or None
    image = volume.get("imageRef", volume.get("image_id"))
    if image is not None and not isinstance(image, str):
        raise invalid("imageRef", image, f"{image!r} is not of type 'string', 'null'")
    req.image_ref = image or None
    if backups_allowed:
        req.backup_id = volume.get("backup_id") or None
    multi = volume.get("multiattach")
    if multi is not None and not isinstance(multi, bool):
        raise invalid("multiattach", multi, f"{multi!r} is not of type 'boolean'")
    req.multiattach = bool(multi)
    hints = body.get("OS-SCH-HNT:scheduler_hints")
    if hints is not None and not isinstance(hints, dict):
        raise invalid("OS-SCH-HNT:scheduler_hints", hints,
                      f"{hints!r} is not of type 'object'")
    req.hints = hints or {}
    sources = [k for k, v in (("snapshot_id", req.snapshot_id),
                              ("source_volid", req.source_volid),
                              ("imageRef", req.image_ref), ("backup_id", req.backup_id)) if v]
    if len(sources) > 1:
        raise BadRequest("Invalid input received: Only one of "
                         f"{', '.join(_SOURCES)} may be specified.")
    if req.size is None and not (req.snapshot_id or req.source_volid or req.backup_id):
        raise BadRequest("Invalid input received: Volume size 'None' must be an integer "
                         "and greater than 0")
    return req


def parse_update(body: Any) -> dict[str, Any]:
    """``PUT /volumes/{id}``: name, description (or the display_ forms), metadata."""
    if not isinstance(body, dict) or not isinstance(body.get("volume"), dict):
        raise BadRequest("Invalid input for field/attribute volume. 'volume' is a required "
                         "property")
    volume = body["volume"]
    allowed = {"name", "description", "display_name", "display_description", "metadata"}
    extra = set(volume) - allowed
    if extra:
        raise BadRequest("Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in sorted(extra))} were unexpected)")
    changes: dict[str, Any] = {}
    for key, column in (("display_name", "name"), ("name", "name"),
                        ("display_description", "description"),
                        ("description", "description")):
        if key in volume:
            changes[column] = optional_string(volume, key)
    if "metadata" in volume:
        changes["metadata"] = check_metadata(volume["metadata"])
    return changes
