"""The image service container the routes are built from, and small parsing helpers."""
from __future__ import annotations

from dataclasses import dataclass

from onestack.core.errors import BadRequest
from onestack.core.http import Call
from onestack.image.service.common import Deps
from onestack.image.service.data import ImageData
from onestack.image.service.images import ImageService
from onestack.image.service.members import Members
from onestack.image.service.metadefs import Metadefs
from onestack.image.service.quotas import Quotas
from onestack.image.service.tasks import Tasks

PREFIX = "/image"


@dataclass
class Glance:
    deps: Deps
    images: ImageService
    data: ImageData
    members: Members
    tasks: Tasks
    quotas: Quotas
    metadefs: Metadefs

    @classmethod
    def build(cls, deps: Deps) -> Glance:
        quotas = Quotas(deps.region)
        images, data = ImageService(deps, quotas), ImageData(deps, quotas)
        return cls(deps, images, data, Members(deps), Tasks(deps, images, data), quotas,
                   Metadefs(deps))


def parse_bool(name: str, value: str) -> bool:
    low = value.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"Invalid value '{value}' for parameter '{name}': must be a boolean.")


def parse_int(name: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Invalid value '{value}' for parameter '{name}': must be an "
                         "integer.") from exc
    if number < minimum:
        raise BadRequest(f"Invalid value '{value}' for parameter '{name}': must be at least "
                         f"{minimum}.")
    return number


def content_length(call: Call) -> int | None:
    raw = call.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None
