"""Write the Tempest options a network-enabled run needs, from the running cloud itself:
``[network-feature-enabled] api_extensions`` is exactly what ``/v2.0/extensions`` lists (as
``tempest verify-config`` would write it), so Tempest tests what is built and skips the
rest. A base ini (``--base``) is copied first; its sections are kept.

Usage: tempest_network_conf.py AUTH_URL PASSWORD OUT [--base FILE]
"""
from __future__ import annotations

import sys
from pathlib import Path

import httpx


def main() -> int:
    args = sys.argv[1:]
    base = ""
    if "--base" in args:
        i = args.index("--base")
        base = Path(args[i + 1]).read_text()
        del args[i:i + 2]
    auth_url, password, out = args
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    network_url = next(e["url"] for s in r.json()["token"]["catalog"] if s["type"] == "network"
                       for e in s["endpoints"] if e["interface"] == "public")
    r = httpx.get(network_url.rstrip("/") + "/v2.0/extensions", timeout=30,
                  headers={"X-Auth-Token": r.headers["x-subject-token"]})
    r.raise_for_status()
    aliases = sorted(e["alias"] for e in r.json()["extensions"])
    text = base.rstrip() + "\n\n" if base.strip() else ""
    text += ("[network-feature-enabled]\n"
             f"api_extensions = {','.join(aliases)}\n"
             "ipv6_subnet_attributes = true\n"
             "port_security = true\n")
    Path(out).write_text(text)
    print(f"{len(aliases)} network API extensions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
