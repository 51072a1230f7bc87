"""``os-quota-sets``, ``os-quota-class-sets`` and ``/limits`` over HTTP, in the shapes of
Tempest's volume quota schemas, with Cinder's validation answers."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from onestack.core.db import Database
from onestack.volume.service import quotas
from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud, Member

BASE = {"volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes",
        "per_volume_gigabytes", "groups"}


def charge(db: Database, project_id: str, deltas: dict[str, int],
           type_name: str | None = None) -> None:
    """What a volume or snapshot create does to the project's usage."""
    db.write(lambda s: quotas.charge(s, project_id, deltas, type_name))


@pytest.fixture
def project() -> str:
    return uuid.uuid4().hex


def quota_set(vol: VolApi, project_id: str, token: str | None = None,
              **params: Any) -> dict[str, Any]:
    body = assert_status(vol.get(f"/os-quota-sets/{project_id}", token, params=params), 200)
    return body["quota_set"]


def test_show_has_every_resource_and_per_type_keys(vol: VolApi, project: str) -> None:
    found = quota_set(vol, project)
    assert found["id"] == project
    assert BASE <= set(found)
    assert found["volumes"] == 10 and found["gigabytes"] == 1000
    assert found["per_volume_gigabytes"] == -1 and found["groups"] == 10
    # __DEFAULT__ exists from the start: its per-type keys, unlimited
    assert found["volumes___DEFAULT__"] == -1
    assert found["gigabytes___DEFAULT__"] == -1 and found["snapshots___DEFAULT__"] == -1
    assert all(isinstance(v, int) for k, v in found.items() if k != "id")


def test_show_with_usage(vol: VolApi, vol_db: Database, project: str) -> None:
    charge(vol_db, project, {"volumes": 2, "gigabytes": 3})
    found = quota_set(vol, project, usage="true")
    assert found["volumes"] == {"limit": 10, "in_use": 2, "reserved": 0, "allocated": 0}
    assert found["gigabytes"]["in_use"] == 3
    assert found["snapshots"]["in_use"] == 0
    assert found["id"] == project
    assert cinder_fault(vol.get(f"/os-quota-sets/{project}", params={"usage": "maybe"}),
                        400) == "Invalid value 'maybe' for usage"


def test_update_then_delete_goes_back_to_defaults(vol: VolApi, project: str) -> None:
    new = {"gigabytes": 1009, "volumes": 11, "snapshots": 11, "backups": 11,
           "backup_gigabytes": 1009, "per_volume_gigabytes": 1009}
    body = assert_status(vol.put(f"/os-quota-sets/{project}", json={"quota_set": new}), 200)
    assert new.items() <= body["quota_set"].items()
    assert "id" not in body["quota_set"]
    assert quota_set(vol, project)["volumes"] == 11
    response = vol.delete(f"/os-quota-sets/{project}")
    assert response.status_code == 200 and response.content == b""
    assert quota_set(vol, project)["volumes"] == 10


def test_update_validation(vol: VolApi, vol_db: Database, project: str) -> None:
    path = f"/os-quota-sets/{project}"
    msg = cinder_fault(vol.put(path, json={"quota_set": {"bogus": 1}}), 400)
    assert msg == "Invalid input received: Bad key(s) in quota set: bogus"
    assert cinder_fault(vol.put(path, json={"quota_set": {"volumes": "x"}}), 400) == (
        "volumes must be an integer")
    assert cinder_fault(vol.put(path, json={"quota_set": {"volumes": -2}}), 400) == (
        "volumes must be >= -1")
    cinder_fault(vol.put(path, json={"quota_set": {}}), 400)
    cinder_fault(vol.put(path, json={"quota": {"volumes": 1}}), 400)
    cinder_fault(vol.put(path, json={"quota_set": {"volumes": 1}, "x": 1}), 400)
    # below what the project holds
    charge(vol_db, project, {"volumes": 3, "gigabytes": 3})
    assert cinder_fault(vol.put(path, json={"quota_set": {"volumes": 2}}), 400) == (
        "Quota volumes limit must be equal or greater than existing resources. Current "
        "usage is 3 and the requested limit is 2.")
    # -1, the current usage itself, and ids/tenant_id are accepted
    assert_status(vol.put(path, json={"quota_set": {"volumes": 3, "gigabytes": -1,
                                                    "tenant_id": project}}), 200)
    assert quota_set(vol, project)["volumes"] == 3


def test_only_admins_change_quotas_readers_see_their_own(
        vol: VolApi, cloud: Cloud, member: Member) -> None:
    own = member.project["id"]
    other = uuid.uuid4().hex
    assert quota_set(vol, own, member.token)["volumes"] == 10
    cinder_fault(vol.get(f"/os-quota-sets/{other}", member.token), 403)
    cinder_fault(vol.put(f"/os-quota-sets/{own}", member.token,
                         json={"quota_set": {"volumes": 50}}), 403)
    cinder_fault(vol.delete(f"/os-quota-sets/{own}", member.token), 403)
    cinder_fault(vol.get("/os-quota-class-sets/default", member.token), 403)
    # the project-scoped URL form
    body = assert_status(vol.get(f"/volume/v3/{own}/os-quota-sets/{own}".removeprefix(
        "/volume/v3"), member.token), 200)
    assert body["quota_set"]["id"] == own


def test_defaults_follow_the_default_quota_class(vol: VolApi, project: str) -> None:
    original = assert_status(vol.get("/os-quota-class-sets/default"), 200)["quota_class_set"]
    assert original.pop("id") == "default"
    type_name = f"qt-{uuid.uuid4().hex[:6]}"
    vol_db_type(vol, type_name)
    update = {"volumes": original["volumes"] + 1, f"volumes_{type_name}": 4,
              f"gigabytes_{type_name}": 7}
    try:
        body = assert_status(vol.put("/os-quota-class-sets/default",
                                     json={"quota_class_set": update}), 200)
        assert update.items() <= body["quota_class_set"].items()
        defaults = assert_status(vol.get(f"/os-quota-sets/{project}/defaults"),
                                 200)["quota_set"]
        assert update.items() <= defaults.items() and defaults["id"] == project
        assert quota_set(vol, project)["volumes"] == original["volumes"] + 1
    finally:
        assert_status(vol.put("/os-quota-class-sets/default", json={"quota_class_set": {
            "volumes": original["volumes"], f"volumes_{type_name}": -1,
            f"gigabytes_{type_name}": -1}}), 200)
    assert quota_set(vol, project)["volumes"] == original["volumes"]


def test_quota_class_validation(vol: VolApi) -> None:
    msg = cinder_fault(vol.put("/os-quota-class-sets/default",
                               json={"quota_class_set": {"nope": 1}}), 400)
    assert msg == "Invalid input received: Bad key(s) in quota class set: nope"
    cinder_fault(vol.put("/os-quota-class-sets/default",
                         json={"quota_class_set": {"volumes": -5}}), 400)
    cinder_fault(vol.put("/os-quota-class-sets/default",
                         json={"quota_class_set": {"volumes": "ten"}}), 400)


def test_another_class_shows_defaults_where_it_sets_nothing(vol: VolApi) -> None:
    name = f"gold-{uuid.uuid4().hex[:6]}"
    body = assert_status(vol.put(f"/os-quota-class-sets/{name}",
                                 json={"quota_class_set": {"volumes": "25"}}), 200)
    assert body["quota_class_set"]["volumes"] == 25
    shown = assert_status(vol.get(f"/os-quota-class-sets/{name}"), 200)["quota_class_set"]
    assert shown["id"] == name and shown["volumes"] == 25 and shown["snapshots"] == 10


def test_limits_show_limits_and_usage(vol: VolApi, vol_db: Database, cloud: Cloud,
                                      member: Member) -> None:
    own = member.project["id"]
    charge(vol_db, own, {"volumes": 1, "gigabytes": 2})
    charge(vol_db, own, {"backups": 1, "backup_gigabytes": 2})
    assert_status(vol.put(f"/os-quota-sets/{own}", json={"quota_set": {"volumes": 7}}), 200)
    body = assert_status(vol.get("/limits", member.token), 200)
    assert body["limits"]["rate"] == []
    assert body["limits"]["absolute"] == {
        "maxTotalVolumes": 7, "maxTotalSnapshots": 10, "maxTotalVolumeGigabytes": 1000,
        "maxTotalBackups": 10, "maxTotalBackupGigabytes": 1000,
        "totalVolumesUsed": 1, "totalGigabytesUsed": 2, "totalSnapshotsUsed": 0,
        "totalBackupsUsed": 1, "totalBackupGigabytesUsed": 2}
    # an admin names the project from 3.39; before, the parameter is ignored
    seen = assert_status(vol.get("/limits", params={"project_id": own}, version="3.39"),
                         200)["limits"]["absolute"]
    assert seen["maxTotalVolumes"] == 7
    mine = assert_status(vol.get("/limits", params={"project_id": own}), 200)
    assert mine["limits"]["absolute"]["maxTotalVolumes"] == 10
    # a member cannot look at another project
    other = assert_status(vol.get("/limits", member.token, version="3.39",
                                  params={"project_id": uuid.uuid4().hex}), 200)
    assert other["limits"]["absolute"]["totalVolumesUsed"] == 1


def test_over_quota_answer_is_cinders_413(vol: VolApi, vol_db: Database,
                                          project: str) -> None:
    """The fault the volume API gives for a refused charge (rendered by the core)."""
    assert_status(vol.put(f"/os-quota-sets/{project}",
                          json={"quota_set": {"volumes": 0}}), 200)
    with pytest.raises(quotas.VolumeLimitExceeded) as err:
        charge(vol_db, project, {"volumes": 1, "gigabytes": 1})
    body = err.value.body("nova")
    assert body == {"overLimit": {"code": 413, "message": (
        "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota "
        "'volumes'.")}}


def vol_db_type(vol: VolApi, name: str) -> None:
    from onestack.core.db import utcnow
    from onestack.volume.models.types import VolumeType

    vol.db.write(lambda s: s.add(VolumeType(id=str(uuid.uuid4()), name=name,
                                            is_public=True, created_at=utcnow())))


def test_settings_class_is_not_an_api_class(vol: VolApi) -> None:
    cinder_fault(vol.get("/os-quota-class-sets/__settings__"), 400, "reserved")
    cinder_fault(vol.put("/os-quota-class-sets/__settings__",
                         json={"quota_class_set": {"volumes": 1}}), 400, "reserved")


def test_fifty_concurrent_creates_with_quota_forty(vol: VolApi, cloud: Cloud) -> None:
    """The issue's demonstration over HTTP: 50 creates at once in a project whose volumes
    quota is 40 give exactly 40 volumes; the other 10 get Cinder's 413."""
    from concurrent.futures import ThreadPoolExecutor

    member = cloud.make_project_member()
    own = member.project["id"]
    assert_status(vol.put(f"/os-quota-sets/{own}", json={"quota_set": {"volumes": 40}}),
                  200)

    def create(i: int) -> tuple[int, dict]:
        response = vol.post("/volumes", member.token,
                            json={"volume": {"size": 1, "name": f"race-{i}"}})
        return response.status_code, response.json()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(create, range(50)))
    codes = sorted(code for code, _ in results)
    assert codes == [202] * 40 + [413] * 10, codes
    refused = {body["overLimit"]["message"] for code, body in results if code == 413}
    assert refused == {"VolumeLimitExceeded: Maximum number of volumes allowed (40) "
                       "exceeded for quota 'volumes'."}
    found = quota_set(vol, own, usage="true")
    assert found["volumes"]["in_use"] == 40 and found["gigabytes"]["in_use"] == 40
    listed = assert_status(vol.get("/volumes", member.token), 200)["volumes"]
    assert len(listed) == 40
