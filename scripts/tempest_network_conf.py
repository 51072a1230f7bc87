"""Write the Tempest options a network-enabled run needs, from the running cloud itself:
``[network-feature-enabled] api_extensions`` is exactly what ``/v2.0/extensions`` lists (as
``tempest verify-config`` would write it), so Tempest tests what is built and skips the
rest. A base ini (``--base``) is copied first; its sections are kept. ``--image NAME``
also sets ``[compute] image_ref`` and ``image_ref_alt`` to the id of the image of that
name; ``--set SECTION.OPTION=VALUE`` sets any option (repeatable).

Usage: tempest_network_conf.py AUTH_URL PASSWORD OUT [--base FILE] [--image NAME]
       [--set SECTION.OPTION=VALUE ...]
"""
from __future__ import annotations

import configparser
import sys
from pathlib import Path

import httpx


def take_option(args: list[str], flag: str) -> list[str]:
    """Remove every ``flag VALUE`` pair from ``args``; their values, in order."""
    values = []
    while flag in args:
        i = args.index(flag)
        values.append(args[i + 1])
        del args[i:i + 2]
    return values


def endpoint(catalog: list[dict], kind: str) -> str:
    return next(e["url"] for s in catalog if s["type"] == kind
                for e in s["endpoints"] if e["interface"] == "public").rstrip("/")


def main() -> int:
    args = sys.argv[1:]
    bases = take_option(args, "--base")
    images = take_option(args, "--image")
    settings = take_option(args, "--set")
    auth_url, password, out = args
    conf = configparser.RawConfigParser()
    conf.optionxform = str  # type: ignore[assignment,method-assign]
    for base in bases:
        conf.read(base)
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    catalog = r.json()["token"]["catalog"]
    headers = {"X-Auth-Token": r.headers["x-subject-token"]}
    r = httpx.get(endpoint(catalog, "network") + "/v2.0/extensions", timeout=30,
                  headers=headers)
    r.raise_for_status()
    aliases = sorted(e["alias"] for e in r.json()["extensions"])
    values = {("network-feature-enabled", "api_extensions"): ",".join(aliases),
              ("network-feature-enabled", "ipv6_subnet_attributes"): "true",
              ("network-feature-enabled", "port_security"): "true"}
    for name in images:
        r = httpx.get(endpoint(catalog, "image") + "/v2/images", timeout=30,
                      headers=headers, params={"name": name, "status": "active"})
        r.raise_for_status()
        found = r.json()["images"]
        if not found:
            raise SystemExit(f"no active image named {name}")
        values[("compute", "image_ref")] = values[("compute", "image_ref_alt")] = \
            found[0]["id"]
    for setting in settings:
        key, _, value = setting.partition("=")
        section, _, option = key.partition(".")
        values[(section, option)] = value
    for (section, option), value in values.items():
        if not conf.has_section(section):
            conf.add_section(section)
        conf.set(section, option, value)
    with open(out, "w") as f:
        conf.write(f)
    print(f"{len(aliases)} network API extensions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
