"""Resources of the Networking API described as data: each attribute says whether a client
may set it on create or update, its default, how its input is checked and converted, and
whether only an admin may set or see it. The generic engine (``service.engine``) does the
rest — body validation, defaults, list filters and sorting, ``fields=``, per-attribute
policy — the same way for every resource, as Neutron's clients expect.
"""
from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from onestack.core.errors import BadRequest

REQUIRED = object()  # no default: the attribute must be given on create
Convert = Callable[[Any], Any]


def invalid(message: str) -> BadRequest:
    """Neutron's 400 for a bad attribute value."""
    return BadRequest(f"Invalid input for operation: {message}.", kind="InvalidInput")


def invalid_attr(name: str, value: Any, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for {name}. Reason: {why}.", kind="HTTPBadRequest")


@dataclass(frozen=True)
class Attr:
    """One attribute of a resource.

    ``column`` names the model attribute holding it (default: the attribute name, with
    ``:`` replaced by ``_``); ``computed`` attributes are filled by the resource's
    ``extras`` hook and never stored by the engine. ``admin_*`` flags add the policy rules
    ``create_<resource>:<name>`` / ``update_…`` / ``get_…`` that default to admin only.
    """

    name: str
    default: Any = None
    post: bool = True
    put: bool = False
    convert: Convert | None = None
    column: str | None = None
    computed: bool = False
    visible: bool = True
    admin_post: bool = False
    admin_put: bool = False
    admin_get: bool = False
    filter: bool = True
    sort: bool = True

    @property
    def key(self) -> str:
        return self.column or self.name.replace(":", "_")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_value(self) -> Any:
        value = self.default
        if callable(value):
            return value()
        if isinstance(value, (list, dict)):
            return type(value)(value)
        return value


@dataclass(frozen=True)
class Resource:
    """A collection of the API (``networks``) and its member name (``network``)."""

    name: str
    collection: str
    attrs: tuple[Attr, ...]
    standard: bool = True  # name/description/timestamps/revision/tags
    project_scoped: bool = True  # has project_id / tenant_id
    taggable: bool = True
    not_found: str = ""  # NeutronError type of a 404 (default: <Name>NotFound)
    label: str = ""  # "Network" in "Network <id> could not be found."
    by_name: dict[str, Attr] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {a.name: a for a in self.attrs})

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").title().replace(" ", "")

    @property
    def not_found_kind(self) -> str:
        return self.not_found or f"{self.title.replace(' ', '')}NotFound"


# --- converters: raise ``invalid_attr``/``invalid`` on bad input ------------------------

def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise invalid(f"'{value}' cannot be converted to boolean")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise invalid(f"'{value}' is not an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"'{value}' is not an integer") from None


def string(max_len: int = 255, *, nullable: bool = False) -> Convert:
    def convert(value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise invalid(f"'{value}' is not a valid string")
        if len(value) > max_len:
            raise invalid(f"'{value}' exceeds maximum length of {max_len}")
        return value
    return convert


def uuid_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return uuid_str(value)


def uuid_str(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(f"'{value}' is not a valid UUID")
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid(f"'{value}' is not a valid UUID") from None
    return value


def one_of(*choices: Any, nullable: bool = False) -> Convert:
    def convert(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value not in choices:
            raise invalid(f"'{value}' is not in {list(choices)}")
        return value
    return convert


def list_of(item: Convert | None = None) -> Convert:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise invalid(f"'{value}' is not a list")
        return [item(v) if item else v for v in value]
    return convert


def ip_address(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except (TypeError, ValueError):
        raise invalid(f"'{value}' is not a valid IP address") from None


def cidr(value: Any) -> str:
    """A network in CIDR form; host bits set → 400 as Neutron answers."""
    if not isinstance(value, str) or "/" not in value:
        raise invalid(f"'{value}' is not a valid IP subnet")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise invalid(f"'{value}' is not a valid IP subnet") from None
    if ipaddress.ip_interface(value).ip != net.network_address:
        raise invalid(f"'{value}' isn't a recommended CIDR, '{net}' is recommended")
    return str(net)


_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


def mac_address(value: Any) -> str:
    if not isinstance(value, str) or not _MAC.match(value) or value in (
            "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
        raise invalid(f"'{value}' is not a valid MAC address")
    return value.lower().replace("-", ":")


def any_value(value: Any) -> Any:
    return value


def dict_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"'{value}' is not a dictionary")
    return value


# --- attributes every resource shares ----------------------------------------------------

def standard_attrs(name_default: Any = "") -> tuple[Attr, ...]:
    """name, description, timestamps, revision and tags (Neutron's standard attributes)."""
    return (
        Attr("id", post=False, sort=True),
        Attr("name", default=name_default, put=True, convert=string(255)),
        Attr("description", default="", put=True, convert=string(255)),
        Attr("created_at", post=False),
        Attr("updated_at", post=False),
        Attr("revision_number", post=False),
        Attr("tags", computed=True, post=False, filter=False, sort=False),
    )


def project_attrs() -> tuple[Attr, ...]:
    """project_id and its legacy alias tenant_id (the engine keeps them equal)."""
    return (
        Attr("project_id", convert=string(255), column="project_id"),
        Attr("tenant_id", convert=string(255), column="project_id"),
    )


_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def dns_domain(value: Any) -> str:
    """A DNS domain ('' clears it); Neutron keeps the trailing dot."""
    if not isinstance(value, str) or len(value) > 255:
        raise invalid(f"'{value}' is not a valid domain name")
    labels = value.rstrip(".").split(".") if value else []
    if any(not _DNS_LABEL.match(label) for label in labels):
        raise invalid(f"'{value}' is not a valid domain name")
    return value
