"""(being built) the volume actions routes."""
from __future__ import annotations

from onestack.volume.api.common import Cinder, VolumeRoutes


def routes(c: Cinder) -> VolumeRoutes:
    return VolumeRoutes()
