"""Nova's image proxy use cases (``/images`` and ``/images/{id}/metadata``): compute checks
its own ``os_compute_api:images:*`` rules, then asks the image service through its seam
(``compute.seams.ImageSeam.proxy``) — what a caller sees follows Glance, since Nova answered
with the caller's token, and a delete is the image service's one delete path (rows, then the
bytes from the image service's own stores). An image's Nova ``metadata`` is its custom
properties. With no image service in the cloud there are no images (404, empty lists)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from onestack.compute import quotas
from onestack.compute.seams import ImageProxy, ImageSeam
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.errors import NotFound

RULE = "os_compute_api:images:"


@dataclass
class Filters:
    """The list filters Nova passes on to Glance."""

    name: str | None = None
    statuses: tuple[str, ...] | None = None
    properties: tuple[tuple[str, str], ...] = ()
    changes_since: datetime | None = None
    min_ram: int | None = None
    min_disk: int | None = None


@dataclass
class Listed:
    """A page of images (``ProxiedImage``s), with properties on the detail view."""

    rows: list[Any]


@dataclass(frozen=True)
class ImageProxyService:
    deps: ResourceDeps
    images: ImageSeam | None

    def _proxy(self) -> ImageProxy:
        if self.images is None:
            raise NotFound("Image not found.")
        return self.images.proxy

    def _caller(self, ctx: RequestContext) -> tuple[str, bool]:
        return ctx.project_id, self.deps.allowed(ctx, RULE + "admin")

    def list_images(self, ctx: RequestContext, f: Filters, limit: int, marker: str | None,
                    detail: bool) -> Listed:
        """Newest first, after ``marker`` (400 when the caller cannot see it)."""
        self.deps.enforce(ctx, RULE + "list")
        if self.images is None:
            return Listed([])
        return Listed(self.images.proxy.list(*self._caller(ctx), f, limit, marker, detail))

    def show_image(self, ctx: RequestContext, image_id: str) -> Any:
        self.deps.enforce(ctx, RULE + "show")
        return self._proxy().show(*self._caller(ctx), image_id)

    def delete_image(self, ctx: RequestContext, image_id: str) -> None:
        """The image service's delete: rows, then bytes (an upload or snapshot still
        streaming finds no row and cleans up after itself)."""
        self.deps.enforce(ctx, RULE + "delete")
        self._proxy().delete(*self._caller(ctx), image_id)

    def read_metadata(self, ctx: RequestContext, image_id: str) -> dict[str, str]:
        self.deps.enforce(ctx, RULE + "metadata:show")
        return dict(self._proxy().show(*self._caller(ctx), image_id).properties)

    def authorize_metadata_change(self, ctx: RequestContext) -> None:
        self.deps.enforce(ctx, RULE + "metadata:update")

    def change_metadata(self, ctx: RequestContext, image_id: str,
                        fn: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Apply ``fn`` (current properties → new properties) under the image's row lock,
        within the project's ``metadata_items`` quota; returns the new properties."""
        self.authorize_metadata_change(ctx)
        limit = self.deps.read(lambda s: quotas.limits_for(s, ctx.project_id)["metadata_items"])
        return self._proxy().change_properties(*self._caller(ctx), image_id, fn, limit)
