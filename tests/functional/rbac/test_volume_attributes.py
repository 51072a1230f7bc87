"""Block Storage fields that Cinder's policies show or hide per persona (the ``fatal=False``
checks of its views), read as the admin, a member and a reader of project A and, for
volume types (which belong to no project), a member of project B: each field is there
exactly for the personas whose rule allows it (``cinder/policies``' defaults)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.functional.rbac import params
from tests.functional.rbac.test_matrix import backend, world  # noqa: F401 - fixtures
from tests.functional.rbac.volume import HEADERS, V3, VolumeWorld
from tests.functional.rbac.world import World, call

ALL = {"admin", "member", "reader", "other"}
READERS = {"admin", "member", "reader"}
MEMBERS = {"admin", "member", "other"}  # a type rule's target is the caller's own project


def _sensitive_type(vw: VolumeWorld) -> str:
    type_id = vw.volume_type(specs=False)
    vw._admin(f"/types/{type_id}/extra_specs", {"extra_specs": {
        "multiattach": "<is> False", "k1": "v"}})
    return type_id


# resource, path, member key, field, personas who see it (Cinder's rule)
CASES: list[Any] = [
    ("volume", "/volumes/{}", "volume", "os-vol-host-attr:host", {"admin"}),
    ("volume", "/volumes/{}", "volume", "os-vol-tenant-attr:tenant_id", READERS),
    ("volume", "/volumes/{}", "volume", "os-vol-mig-status-attr:migstat", {"admin"}),
    ("volume", "/volumes/{}", "volume", "os-vol-mig-status-attr:name_id", {"admin"}),
    ("snapshot", "/snapshots/{}", "snapshot", "os-extended-snapshot-attributes:project_id",
     READERS),
    ("snapshot", "/snapshots/{}", "snapshot", "os-extended-snapshot-attributes:progress",
     READERS),
    ("backup", "/backups/{}", "backup", "os-backup-project-attr:project_id", {"admin"}),
    ("backup", "/backups/{}", "backup", "user_id", {"admin"}),
    ("group", "/groups/{}", "group", "project_id", {"admin"}),
    ("group_snapshot", "/group_snapshots/{}", "group_snapshot", "project_id", {"admin"}),
    ("type", "/types/{}", "volume_type", "qos_specs_id", {"admin"}),
    ("type", "/types/{}", "volume_type", "os-volume-type-access:is_public", MEMBERS),
    ("type", "/types/{}", "volume_type", "extra_specs", ALL),
]
MAKERS: dict[str, Callable[[VolumeWorld], str]] = {
    "volume": VolumeWorld.volume, "snapshot": VolumeWorld.snapshot,
    "backup": VolumeWorld.backup, "group": VolumeWorld.group,
    "group_snapshot": VolumeWorld.group_snapshot, "type": _sensitive_type,
}


def _read(w: World, persona: str, path: str) -> Any:
    return call(w.api, "GET", V3 + path, w.personas[persona].token, headers=HEADERS)


@pytest.mark.parametrize("kind,path,key,field,seen", CASES, ids=[
    c.id if hasattr(c, "marks") else f"{c[0]}:{c[3]}" for c in CASES])
def test_field_is_shown_to_the_personas_its_rule_allows(world, kind, path, key,  # noqa: F811
                                                         field, seen) -> None:
    vw = params._volume_world(world)
    ident = MAKERS[kind](vw)
    personas = ALL if kind == "type" else READERS
    wrong = []
    for persona in sorted(personas):
        r = _read(world, persona, path.format(ident))
        assert r.status_code == 200, f"{persona}: {r.status_code} {r.text[:200]}"
        shown = field in r.json()[key]
        if shown != (persona in seen):
            wrong.append(f"{persona}: {'shown' if shown else 'hidden'}")
    assert not wrong, f"{field} of a {kind}: " + ", ".join(wrong)


def test_sensitive_extra_specs_only_for_admins(world) -> None:  # noqa: F811
    """Others see only the user-visible specs (multiattach, replication_enabled,
    RESKEY:availability_zones), in the type and under its extra_specs routes."""
    vw = params._volume_world(world)
    type_id = _sensitive_type(vw)
    wrong = []
    for persona in sorted(ALL):
        want = {"multiattach", "k1"} if persona == "admin" else {"multiattach"}
        for path, key in ((f"/types/{type_id}", "volume_type"),
                          (f"/types/{type_id}/extra_specs", None)):
            r = _read(world, persona, path)
            assert r.status_code == 200, f"{persona} {path}: {r.status_code} {r.text[:200]}"
            body = r.json()
            specs = (body[key] if key else body).get("extra_specs", {})
            if set(specs) != want:
                wrong.append(f"{persona} {path}: {sorted(specs)}")
    assert not wrong, "\n".join(wrong)
