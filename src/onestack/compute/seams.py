"""What compute asks of its neighbours, as small Protocols — and nothing else: compute never
reads another service's tables or stores.

- ``ImageSeam`` (implemented by ``onestack.image.seam.ImageSeam``): the image service's one
  visibility rule, snapshot registration, streamed bytes, its one delete path, and Nova's
  image proxy. It owns the image stores, so it is built once with the image service's
  container and handed over by the composition root (``Platform.seams["image"]``).
- ``PlacementSeam`` (``onestack.placement.seam``): claims, releases and moves in compute's
  own transaction, and the reads the host APIs need. Stateless, so the module is the seam.
- ``ProjectDirectory`` (``onestack.identity.seam``): whether a project exists.

An import contract (``.importlinter``) keeps compute to these seam modules.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Callable, Protocol, runtime_checkable

from sqlalchemy.orm import Session


class ProxiedImage(Protocol):
    """An image as Nova's proxy renders it."""

    id: str
    name: str | None
    status: str
    min_disk: int | None
    min_ram: int | None
    size: int | None
    created_at: datetime | None
    updated_at: datetime | None
    properties: dict[str, str]


class ImageProxy(Protocol):
    """Nova's ``/images`` use cases, for a caller named by project and admin flag; raise
    the core faults (404 for what the caller cannot see, 403 for what it may not change)."""

    def list(self, project_id: str, admin: bool, f: Any, limit: int, marker: str | None,
             detail: bool) -> list[Any]: ...

    def show(self, project_id: str, admin: bool, image_id: str) -> Any: ...

    def delete(self, project_id: str, admin: bool, image_id: str) -> None: ...

    def change_properties(self, project_id: str, admin: bool, image_id: str,
                          fn: Callable[[dict[str, str]], dict[str, str]],
                          max_items: int) -> dict[str, str]: ...


@runtime_checkable
class ImageSeam(Protocol):
    """The image service as compute sees it. Session-taking calls run inside compute's
    transaction (boot, rebuild, createImage); the rest open their own."""

    @property
    def proxy(self) -> ImageProxy: ...

    def find_for(self, s: Session, project_id: str | None, admin: bool, image_id: str
                 ) -> dict[str, Any] | None: ...

    def create_snapshot(self, s: Session, inst: Any, name: str, metadata: dict[str, Any],
                        project_id: str) -> str: ...

    def rotate_backups(self, s: Session, instance_id: str, backup_type: str, rotation: int,
                       keep: str) -> list[str]: ...

    def open_bytes(self, image_id: str) -> Iterator[bytes] | None: ...

    def describe(self, image_id: str) -> dict[str, Any] | None:
        """The image's attributes (``disk_format``, ``checksum``, …), no visibility check:
        a host fetching a base image acts for a server already allowed to use it."""

    def store_snapshot(self, image_id: str, chunks: Iterable[bytes]) -> bool: ...

    def delete(self, image_id: str) -> None: ...


@runtime_checkable
class PlacementSeam(Protocol):
    """Placement's claim primitives and reads, each in the caller's transaction."""

    def replace_allocations(self, s: Session, consumer: str,
                            allocations: dict[str, dict[str, int]], project_id: str,
                            user_id: str) -> None: ...

    def release(self, s: Session, consumer: str) -> None: ...

    def move(self, s: Session, source_consumer: str, target_consumer: str) -> None: ...

    def ensure_provider(self, s: Session, uuid: str, name: str,
                        inventory: dict[str, dict]) -> None: ...

    def all_usages(self, s: Session, only: set[str] | None = None
                   ) -> dict[str, dict[str, int]]: ...

    def all_inventories(self, s: Session, only: set[str] | None = None
                        ) -> dict[str, dict[str, Any]]: ...

    def lock_provider(self, s: Session, provider_uuid: str) -> None: ...

    def holds(self, s: Session, consumer: str) -> bool: ...

    def consumers(self, s: Session, prefix: str | None = None) -> set[str]: ...

    def consumers_among(self, s: Session, candidates: Any) -> set[str]: ...

    def provider_in_use(self, s: Session, provider_uuid: str) -> bool: ...

    def remove_provider(self, s: Session, provider_uuid: str) -> None: ...


@runtime_checkable
class ProjectDirectory(Protocol):
    def project_exists(self, s: Session, project_id: str) -> bool: ...


def image_seam(platform: Any) -> ImageSeam | None:
    """The image service's seam the composition root handed over (None: no image service
    in this cloud, or a platform built piecemeal)."""
    seams = getattr(platform, "seams", None) or {}
    return seams.get("image")
