"""Registers the Block Storage service (Cinder v3 API) under ``/volume``: its route
modules, catalog entries (``block-storage`` and the ``volumev3`` alias clients still look
up), microversions, models and the volume agent."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from onestack.core.registry import (AgentRunner, CatalogEntry, Microversions, ServiceSpec,
                                    collect_routes)

if TYPE_CHECKING:
    from onestack.core.http import Route
    from onestack.core.platform import Platform
    from onestack.core.registry import AgentContext
    from onestack.volume.seam import VolumeSeam

PREFIX = "/volume"
ROOT = PREFIX + "/v3"
MICROVERSIONS = Microversions("volume", "3.0", "3.71")
CATALOG = [("block-storage", "cinder", ROOT), ("volumev3", "cinderv3", ROOT)]

# Route modules under onestack.volume.api (each ``routes(cinder) -> RouteTable``), in
# match order: a module with literal paths (``/volumes/detail``) before ``{id}`` ones.
ROUTE_MODULES = ["versions", "volume_actions", "volumes", "types", "qos_specs",
                 "snapshots", "attachments", "backups", "transfers", "groups", "quotas",
                 "services", "messages", "manage"]


def routes(platform: Platform) -> list[Route]:
    """Every route, its handler run in one of the process's turns (``api.turns``)."""
    from onestack.volume.api.common import Cinder
    from onestack.volume.api.turns import turns_for

    turns = turns_for(platform)
    return [turns.route(r) for r in collect_routes(SPEC.route_modules,
                                                   Cinder.build(platform))]


def start_agents(ctx: AgentContext) -> Callable[[], None]:
    """A volume agent per host of ``ctx`` (one file backend each); its restores read
    backups through ``ctx.seams["volume_backup"]`` (the backup store's ``BackupSource``)."""
    from dataclasses import replace

    from onestack.volume.agent.runner import start
    from onestack.volume.backup.runner import backup_source

    return start(replace(ctx, seams={"volume_backup": backup_source(ctx), **ctx.seams}))


def start_backup(ctx: AgentContext) -> Callable[[], None]:
    """The backup worker (``cinder-backup``) of the first host of ``ctx``."""
    from onestack.volume.backup.runner import start

    return start(ctx)


def seam(platform: Platform) -> VolumeSeam:
    """The compute ↔ volume seam (``platform.seams["volume"]``; ``volume.seam`` documents
    the attach flow compute follows)."""
    from onestack.volume.seam import VolumeSeam

    return VolumeSeam(platform)


def seed(db) -> None:  # noqa: ANN001 - Database, imported lazily
    from onestack.volume.service.types import ensure_default_type

    ensure_default_type(db)


def bootstrap(db, settings, admin_project_id: str) -> None:  # noqa: ANN001
    """``onestack up``: the settings' quota defaults (``volume_quota_defaults``)."""
    from onestack.volume.service.quotas import apply_settings_defaults

    apply_settings_defaults(db, settings)


SPEC = ServiceSpec(
    name="volume", prefix=PREFIX, routes=routes,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=tuple(f"onestack.volume.api.{n}" for n in ROUTE_MODULES),
    models=("onestack.volume.models",), policies=("onestack.volume.policies",),
    settings_section="volume", fault_style="nova", microversions=MICROVERSIONS,
    agents=(AgentRunner("volume", start_agents), AgentRunner("backup", start_backup)),
    seed=seed, bootstrap=bootstrap, seam=seam)
