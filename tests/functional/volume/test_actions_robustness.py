"""Every volume action and attachment route given odd input — wrong JSON types for the
action's body and for each field it reads, unknown ids — answers a 4xx, never a 5xx."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.functional.volume.conftest import BACKEND, VolApi

ACTIONS = {
    "os-reserve": [], "os-unreserve": [], "os-begin_detaching": [], "os-roll_detaching": [],
    "os-attach": ["instance_uuid", "host_name", "mountpoint", "mode"],
    "os-detach": ["attachment_id"], "os-initialize_connection": ["connector"],
    "os-terminate_connection": ["connector"], "os-set_bootable": ["bootable"],
    "os-update_readonly_flag": ["readonly"], "os-show_image_metadata": [],
    "os-set_image_metadata": ["metadata"], "os-unset_image_metadata": ["key"],
    "os-reset_status": ["status", "attach_status", "migration_status"],
    "os-force_detach": ["attachment_id", "connector"], "os-extend": ["new_size"],
    "os-volume_upload_image": ["image_name", "disk_format", "container_format", "force",
                               "visibility", "protected"],
    "os-retype": ["new_type", "migration_policy"], "os-revert": ["snapshot_id"],
    "os-migrate_volume": ["host", "cluster", "force_host_copy", "lock_volume"],
}
ODD: list[Any] = [None, True, 0, -1, 2 ** 70, 1.5, "", "x" * 300, [], ["a"], {}, {"a": {}}]


@pytest.fixture(scope="module")
def volume_id(vol: VolApi, admin_project_id: str) -> str:
    from onestack.volume.models.quotas import QuotaLimit

    def unlimited(s: Any) -> None:
        for resource in ("volumes", "gigabytes"):
            if s.get(QuotaLimit, (admin_project_id, resource)) is None:
                s.add(QuotaLimit(project_id=admin_project_id, resource=resource,
                                 hard_limit=-1))
    vol.db.write(unlimited)
    vol.backend(driver="file")
    volume = vol.volume()
    vol.set(volume["id"], host=BACKEND, provider_location="/data/x")
    return volume["id"]


def check(vol: VolApi, volume_id: str, response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    vol.set(volume_id, status="available", attach_status="detached", migration_status=None)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_odd_action_bodies(vol: VolApi, volume_id: str, action: str) -> None:
    for body in ODD:
        check(vol, volume_id, vol.post(f"/volumes/{volume_id}/action", version="3.71",
                                       json={action: body}))
    for field in ACTIONS[action]:
        for value in ODD:
            check(vol, volume_id, vol.post(f"/volumes/{volume_id}/action", version="3.71",
                                           json={action: {field: value}}))


def test_odd_action_envelopes(vol: VolApi, volume_id: str) -> None:
    for body in ODD + [{"os-reserve": {}, "os-unreserve": {}}]:
        check(vol, volume_id, vol.post(f"/volumes/{volume_id}/action", json=body))
    check(vol, volume_id, vol.post(f"/volumes/{volume_id}/action", content=b"{not json"))
    check(vol, volume_id, vol.post(f"/volumes/{'x' * 300}/action", json={"os-reserve": {}}))


def test_odd_attachment_requests(vol: VolApi, volume_id: str) -> None:
    for field in ("volume_uuid", "instance_uuid", "connector", "mode"):
        for value in ODD:
            body = {"volume_uuid": volume_id, "instance_uuid": str(uuid.uuid4()),
                    field: value}
            response = vol.post("/attachments", version="3.54", json={"attachment": body})
            if response.status_code == 200:
                att = response.json()["attachment"]["id"]
                check(vol, volume_id, vol.delete(f"/attachments/{att}", version="3.54"))
            check(vol, volume_id, response)
    for body in ODD:
        check(vol, volume_id, vol.post("/attachments", version="3.54", json={"attachment": body}))
        check(vol, volume_id, vol.post("/attachments", version="3.54", json=body))
        check(vol, volume_id, vol.put(f"/attachments/{uuid.uuid4()}", version="3.54",
                                      json={"attachment": {"connector": body}}))
        check(vol, volume_id, vol.post(f"/attachments/{uuid.uuid4()}/action", version="3.54",
                                       json=body))
    for query in ("limit=-1", "limit=x", "limit=99999999999999999999", "marker=nope",
                  "sort=bogus", "sort_key=id&sort_dir=sideways", "all_tenants=maybe",
                  "volume_id=" + "x" * 300):
        check(vol, volume_id, vol.get(f"/attachments?{query}", version="3.54"))
        check(vol, volume_id, vol.get(f"/attachments/detail?{query}", version="3.54"))
