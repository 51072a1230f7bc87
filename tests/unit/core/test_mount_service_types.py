"""Access rules name a service by its catalog type: every mount the composition root builds
carries the type its service registered in the catalog, not one guessed from the prefix."""
from __future__ import annotations

from onestack.core.config import Settings
from onestack.server import build_app, default_registry


def test_each_mount_carries_its_catalog_type(tmp_path):
    app = build_app(Settings(database_url=f"sqlite:///{tmp_path}/m.db"))
    types = {mount.prefix: mount.service_type for mount in app.mounts
             if mount.prefix != ""}
    expected = {spec.prefix: spec.catalog[0].type for spec in default_registry()}
    assert types == expected
    assert set(expected.values()) == {"identity", "compute", "image", "placement",
                                      "network", "block-storage"}
