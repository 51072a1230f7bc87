"""Wires the image service: stores, policy defaults, routes under ``/image``."""
from __future__ import annotations

from onestack.core.app import Mount
from onestack.core.platform import Platform
from onestack.image import policies
from onestack.image.api import data, discovery, images, members, metadefs, tasks, versions
from onestack.image.api.common import PREFIX, Glance
from onestack.image.drivers.base import ImageStore
from onestack.image.service.common import Deps
from onestack.image.stores import filesystem_stores

CATALOG = [("image", "glance", PREFIX)]


def build(platform: Platform, store: ImageStore | None = None,
          staging: ImageStore | None = None) -> Glance:
    """The service container; the stores default to the filesystem ones (``stores``)."""
    if store is None or staging is None:
        fs_store, fs_staging = filesystem_stores(platform.settings.database_url)
        store, staging = store or fs_store, staging or fs_staging
    platform.policy.register(policies.RULES)
    return Glance.build(Deps(platform.db, platform.policy, store, staging,
                             region=platform.settings.region))


def mount(platform: Platform) -> Mount:
    return mount_glance(build(platform))


def mount_glance(g: Glance) -> Mount:
    routes = list(versions.routes(PREFIX).routes)
    # data and members before images: their paths are longer, the order keeps them clear
    for module in (data, members, images, discovery, tasks, metadefs):
        routes.extend(module.routes(g).routes)
    return Mount(PREFIX, routes, "glance")
