"""The EC2-compatible metadata tree (``/<version>/meta-data/...``) that cloud-init and
older guests read: a nested dict rendered as EC2 renders it (a directory lists its
children one per line, a sub-directory with a trailing ``/``)."""
from __future__ import annotations

from typing import Any

from onestack.compute.metadata.facts import InstanceFacts

EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
                "2008-02-01", "2008-09-01", "2009-04-04")


def ec2_version(requested: str) -> str | None:
    """The EC2 version a request names (``latest``: the newest), None when unknown."""
    if requested == "latest":
        return EC2_VERSIONS[-1]
    return requested if requested in EC2_VERSIONS else None


def _since(first: str, version: str) -> bool:
    return EC2_VERSIONS.index(version) >= EC2_VERSIONS.index(first)


def short_id(prefix: str, ident: str) -> str:
    """An EC2-style id (``i-1a2b3c4d``) from a UUID: EC2 clients expect the shape, and
    the first eight hex digits of the UUID keep it recognisable."""
    digits = "".join(c for c in ident.lower() if c in "0123456789abcdef")
    return f"{prefix}-{(digits + '0' * 8)[:8]}"


def first_addresses(facts: InstanceFacts) -> tuple[str, str]:
    """(the first fixed IPv4 address, the first floating address), "" when none."""
    fixed = next((ip.address for nic in facts.nics for ip in nic.fixed_ips
                  if ip.subnet.ip_version == 4), "")
    floating = next((f for nic in facts.nics for f in nic.floating_ips), "")
    return fixed, floating


def meta_data(facts: InstanceFacts, version: str) -> dict[str, Any]:
    """The ``meta-data`` tree of ``version`` (a known EC2 version, not ``latest``)."""
    fixed, floating = first_addresses(facts)
    tree: dict[str, Any] = {
        "ami-id": short_id("ami", facts.image_ref),
        "ami-launch-index": facts.launch_index,
        "instance-id": short_id("i", facts.uuid),
        "hostname": facts.hostname,
        "local-ipv4": fixed,
        "reservation-id": facts.reservation_id,
        "security-groups": list(facts.security_groups),
    }
    if facts.key_name:
        # the directory lists ``0=<name>``; ``0/`` holds the key itself
        tree["public-keys"] = {"0": {"_name": f"0={facts.key_name}",
                                     "openssh-key": facts.key_data or ""}}
    if _since("2007-01-19", version):
        tree.update({"local-hostname": facts.hostname, "public-hostname": facts.hostname,
                     "public-ipv4": floating})
    if _since("2007-08-29", version):
        tree["instance-type"] = facts.flavor_name
    if _since("2007-12-15", version):
        tree["block-device-mapping"] = {"ami": "vda", "root": "/dev/vda"}
    if _since("2008-02-01", version):
        tree["placement"] = {"availability-zone": facts.availability_zone}
    if _since("2008-09-01", version):
        tree["instance-action"] = "none"
    return tree


def version_tree(facts: InstanceFacts, version: str) -> dict[str, Any]:
    """Everything under ``/<version>/``: ``meta-data`` and, when given, ``user-data``."""
    tree: dict[str, Any] = {"meta-data": meta_data(facts, version)}
    if facts.user_data is not None:
        tree["user-data"] = facts.user_data
    return tree


def find(tree: Any, parts: list[str]) -> Any:
    """The node at ``parts`` under ``tree``; raises ``KeyError`` when there is none."""
    node = tree
    for part in parts:
        if not isinstance(node, dict) or part not in node or part == "_name":
            raise KeyError("/".join(parts))
        node = node[part]
    return node


def render(node: Any) -> bytes:
    """A node as EC2 answers it: a directory's children one per line, a list one item
    per line, a leaf as its text."""
    if isinstance(node, dict):
        lines = []
        for key in sorted(k for k in node if k != "_name"):
            child = node[key]
            if isinstance(child, dict):
                lines.append(str(child.get("_name", key + "/")))
            else:
                lines.append(key)
        return "\n".join(lines).encode()
    if isinstance(node, list):
        return "\n".join(str(item) for item in node).encode()
    if isinstance(node, bytes):
        return node
    return str(node).encode()


def drive_meta_data(facts: InstanceFacts, version: str) -> dict[str, Any]:
    """The tree as the config drive's ``ec2/<version>/meta-data.json`` holds it (the
    listing-only ``_name`` left out)."""
    tree = meta_data(facts, version)
    keys = tree.get("public-keys")
    if keys:
        tree["public-keys"] = {i: {k: v for k, v in entry.items() if k != "_name"}
                               for i, entry in keys.items()}
    return tree
