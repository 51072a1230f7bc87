"""The REST APIs of the end-to-end cloud (``tests/dataplane/cloud.py``) as its admin, and
the polling every step of those tests waits with."""
from __future__ import annotations

import secrets
import time
from typing import Any, Callable

import httpx

PASSWORD = "e2e-" + secrets.token_hex(8)  # the admin's, for `onestack up`


def wait_until(what: str, check: Callable[[], Any], timeout: float,
               interval: float = 0.5) -> Any:
    """``check()``'s first true answer; an AssertionError naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def admin_client(base_url: str, password: str = PASSWORD) -> tuple[httpx.Client, Any]:
    """An HTTP client that carries an admin token (compute microversion 2.79), and the
    token's body (its catalog)."""
    http = httpx.Client(trust_env=False, timeout=60.0)
    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    answer = http.post(f"{base_url}/identity/v3/auth/tokens", json=auth)
    answer.raise_for_status()
    http.headers["X-Auth-Token"] = answer.headers["X-Subject-Token"]
    http.headers["OpenStack-API-Version"] = "compute 2.79"
    return http, answer.json()["token"]


class Api:
    """The cloud's REST APIs as the admin, endpoints from the token's catalog."""

    def __init__(self, base_url: str):
        self.http, token = admin_client(base_url)
        self.endpoints = {entry["type"]: next(e["url"] for e in entry["endpoints"]
                                              if e["interface"] == "public")
                          for entry in token["catalog"]}

    def url(self, service: str, path: str) -> str:
        base = self.endpoints[service].rstrip("/")
        if service == "network" and not base.endswith("/v2.0"):
            base += "/v2.0"
        if service == "image" and not base.endswith("/v2"):
            base += "/v2"
        return base + path

    def call(self, method: str, service: str, path: str, expect: tuple[int, ...] = (),
             **kwargs: Any) -> httpx.Response:
        answer = self.http.request(method, self.url(service, path), **kwargs)
        ok = answer.status_code in expect if expect else answer.status_code < 400
        assert ok, f"{method} {path}: {answer.status_code} {answer.text[:2000]}"
        return answer

    def get(self, service: str, path: str) -> Any:
        return self.call("GET", service, path).json()

    def post(self, service: str, path: str, body: Any) -> httpx.Response:
        return self.call("POST", service, path, json=body)

    def action(self, server_id: str, body: dict[str, Any]) -> httpx.Response:
        return self.post("compute", f"/servers/{server_id}/action", body)

    def server(self, server_id: str) -> dict[str, Any]:
        return self.get("compute", f"/servers/{server_id}")["server"]

    def wait_server(self, server_id: str, status: str, timeout: float = 240.0
                    ) -> dict[str, Any]:
        """The server once its status is ``status`` and no task runs; ERROR fails early."""
        def settled() -> dict[str, Any] | None:
            s = self.server(server_id)
            if s["status"] == "ERROR" and status != "ERROR":
                raise AssertionError(f"server {server_id} went to ERROR: {s.get('fault')}")
            if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
                return s
            return None
        return wait_until(f"server {server_id} {status}", settled, timeout)

    def volume(self, volume_id: str) -> dict[str, Any]:
        return self.get("block-storage", f"/volumes/{volume_id}")["volume"]

    def wait_volume(self, volume_id: str, status: str, timeout: float = 120.0) -> None:
        wait_until(f"volume {volume_id} {status}",
                   lambda: self.volume(volume_id)["status"] == status, timeout)

    def close(self) -> None:
        self.http.close()
