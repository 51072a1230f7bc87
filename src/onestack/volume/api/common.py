"""The Block Storage API's container and what its route modules share.

Cinder serves every resource both under ``/v3/{project_id}/…`` (the catalog URLs of older
deployments and clients) and, since 3.67, under ``/v3/…``; ``VolumeRoutes`` registers each
path in both forms. A project id in the URL must be the caller's own project (an admin may
name any).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Handler, Reply, RouteTable
from onestack.core.platform import Platform
from onestack.volume.api import microversion

PREFIX = "/volume"
ROOT = PREFIX + "/v3"
_VERSION_ATTR = "_volume_microversion"


@dataclass
class Cinder:
    """What every route module is built with: the platform (database, policy, bus,
    settings, the neighbours' seams) and the services built from it, once each."""

    platform: Platform
    max_version: tuple[int, int]
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, platform: Platform) -> Cinder:
        from onestack.volume.app import MICROVERSIONS

        return cls(platform, microversion.parse(MICROVERSIONS.maximum))

    def service(self, name: str, factory: Callable[[Platform], Any]) -> Any:
        """The one instance of a service class over this platform (route modules of
        several areas share, e.g., the volumes service)."""
        found = self.services.get(name)
        if found is None:
            found = self.services[name] = factory(self.platform)
        return found

    def version(self, call: Call) -> tuple[int, int]:
        found = call.__dict__.get(_VERSION_ATTR)
        if found is None:
            found = microversion.negotiate(call, self.max_version)
            call.__dict__[_VERSION_ATTR] = found
        return found

    def at_least(self, call: Call, version: str) -> bool:
        return self.version(call) >= microversion.parse(version)

    def reply(self, call: Call, status: int = 200, body: Any = None,
              headers: dict[str, str] | None = None) -> Reply:
        h = microversion.response_headers(self.version(call))
        h.update(headers or {})
        return Reply(status, body, h)


class VolumeRoutes(RouteTable):
    """Registers ``/v3{path}`` and ``/v3/{project_id}{path}`` for every route; the project
    form checks the URL's project against the caller's."""

    def add(self, method: str, path: str, handler: Handler, *, auth: bool = True,
            stream: bool = False) -> None:
        super().add(method, f"/v3/{{project_id}}{path}", _checked(handler), auth=auth,
                    stream=stream)
        super().add(method, f"/v3{path}", handler, auth=auth, stream=stream)


def _checked(handler: Handler) -> Handler:
    def run(call: Call) -> Reply:
        named = call.params.get("project_id")
        ctx = call.ctx
        if (named and ctx is not None and named != ctx.project_id
                and "admin" not in (ctx.roles or ())):
            raise BadRequest("Malformed request url")
        return handler(call)
    return run


def root(call: Call) -> str:
    return call.base_url + ROOT


def links(call: Call, kind: str, ident: str) -> list[dict[str, str]]:
    project = call.params.get("project_id") or (call.ctx.project_id if call.ctx else "")
    base = f"{call.base_url}{ROOT}/{project}" if project else f"{call.base_url}{ROOT}"
    return [{"rel": "self", "href": f"{base}/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{call.base_url}{PREFIX}/{project}/{kind}/{ident}"}]


def iso(moment: datetime | None) -> str | None:
    """Cinder's timestamps: ``2026-11-27T19:07:05.000000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None
