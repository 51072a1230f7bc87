"""Upload a small public image to a running onestack (what Tempest's compute tests boot).

Usage: seed_image.py AUTH_URL PASSWORD [NAME]
"""
from __future__ import annotations

import os
import sys

import httpx


def main() -> int:
    auth_url, password = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "tempest-image"
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    token = r.headers["x-subject-token"]
    image_url = next(e["url"] for s in r.json()["token"]["catalog"] if s["type"] == "image"
                     for e in s["endpoints"] if e["interface"] == "public")
    headers = {"X-Auth-Token": token}
    r = httpx.post(image_url + "/v2/images", headers=headers, timeout=30, json={
        "name": name, "disk_format": "raw", "container_format": "bare",
        "visibility": "public"})
    r.raise_for_status()
    image_id = r.json()["id"]
    r = httpx.put(f"{image_url}/v2/images/{image_id}/file", timeout=60,
                  headers={**headers, "Content-Type": "application/octet-stream"},
                  content=os.urandom(1 << 20))
    r.raise_for_status()
    print(image_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
