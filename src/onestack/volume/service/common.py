"""What the Block Storage area services share: the platform, its database, the volumes
service (built when first needed: it is the one that knows which volume a caller may see)
and a policy check against a project."""
from __future__ import annotations

from typing import Any

from onestack.core.context import RequestContext
from onestack.core.platform import Platform


class AreaService:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.db = platform.db
        self._volumes: Any = None

    @property
    def volumes(self) -> Any:
        """The volumes area's service (``visible_volume``), built when first needed."""
        if self._volumes is None:
            from onestack.volume.service.volumes import VolumeService

            self._volumes = VolumeService(self.platform)
        return self._volumes

    def enforce(self, rule: str, ctx: RequestContext, project_id: str) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": project_id})
