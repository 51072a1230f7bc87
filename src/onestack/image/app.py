"""Registers the image service (Glance v2 API) and builds its container: stores and
policy defaults, routes under ``/image``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onestack.core.registry import CatalogEntry, ServiceSpec, collect_routes

if TYPE_CHECKING:
    from onestack.core.http import Route
    from onestack.core.platform import Platform
    from onestack.image.api.common import Glance
    from onestack.image.drivers.base import ImageStore
    from onestack.image.seam import ImageSeam

PREFIX = "/image"
CATALOG = [("image", "glance", PREFIX)]

# Route modules under onestack.image.api taking the container, after ``versions`` (which
# takes the prefix); data and members before images: their paths are longer.
ROUTE_MODULES = ["data", "members", "images", "discovery", "tasks", "metadefs"]


def build(platform: Platform, store: ImageStore, staging: ImageStore) -> Glance:
    """The service container over the seam's stores (``routes``). Its policy defaults
    (``SPEC.policies``) are registered by the caller."""
    from onestack.image.api.common import Glance
    from onestack.image.service.common import Deps

    return Glance.build(Deps(platform.db, platform.policy, store, staging,
                             region=platform.settings.region, web=web_source(platform)))


def web_source(platform: Platform) -> Any:
    """Where ``web-download`` may fetch from: the ``image_web_download_hosts`` setting."""
    from onestack.image.service.web_download import WebSource, parse_hosts

    return WebSource(parse_hosts(getattr(platform.settings, "image_web_download_hosts", "")))


def seam(platform: Platform) -> ImageSeam:
    """The compute ↔ image seam over the stores the settings name, chosen now, once; the
    image API built on this platform (``routes``) shares them."""
    from onestack.image.seam import ImageSeam

    return ImageSeam.from_settings(platform.db, platform.settings)


def routes(platform: Platform) -> list[Route]:
    from onestack.image.api import versions

    offered = platform.seams.get(SPEC.name) or seam(platform)
    glance = build(platform, offered.store, offered.staging)
    return (list(versions.routes(PREFIX).routes)
            + collect_routes(tuple(f"onestack.image.api.{n}" for n in ROUTE_MODULES), glance))


SPEC = ServiceSpec(
    name="image", prefix=PREFIX, routes=routes,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=("onestack.image.api.versions",
                   *(f"onestack.image.api.{n}" for n in ROUTE_MODULES)),
    models=("onestack.image.models",), policies=("onestack.image.policies",),
    settings_section="image", fault_style="glance", seam=seam)
