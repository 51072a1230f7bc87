"""``POST /volumes/{id}/action``: the older attach API, flags, image metadata, the admin
actions, extend, upload to image, retype, revert and migrate — statuses, Cinder's 400s,
policy, and another project's volume answering 404."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud, unique

CONNECTOR = {"host": "compute-1", "initiator": "iqn.test"}


@pytest.fixture(autouse=True)
def _file_backend(vol: VolApi) -> None:
    vol.backend(driver="file")


@pytest.fixture(scope="module", autouse=True)
def _admin_unlimited(vol: VolApi, admin_project_id: str) -> None:
    """The admin project makes many volumes here and no agent deletes them."""
    from onestack.volume.models.quotas import QuotaLimit

    def work(s: Any) -> None:
        for resource in ("volumes", "gigabytes"):
            if s.get(QuotaLimit, (admin_project_id, resource)) is None:
                s.add(QuotaLimit(project_id=admin_project_id, resource=resource,
                                 hard_limit=-1))
    vol.db.write(work)


def placed(vol: VolApi, token: str | None = None, **attrs: Any) -> dict[str, Any]:
    volume = vol.volume(token, **attrs)
    vol.set(volume["id"], host=BACKEND, provider_location=f"/data/volume-{volume['id']}")
    return volume


def act(vol: VolApi, volume_id: str, action: str, body: Any = None, *,
        token: str | None = None, version: str | None = None) -> Any:
    return vol.post(f"/volumes/{volume_id}/action", token, version=version,
                    json={action: {} if body is None else body})


def ok(response: Any, status: int = 202) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


def row(vol: VolApi, volume_id: str) -> Any:
    from onestack.volume.models.volumes import Volume

    return vol.db.read(lambda s: s.get(Volume, volume_id))


def admin_metadata(vol: VolApi, volume_id: str) -> dict[str, str]:
    from onestack.volume.service.attach_ops import admin_metadata as read

    return vol.db.read(lambda s: read(s, volume_id))


def show(vol: VolApi, volume_id: str, token: str | None = None) -> dict[str, Any]:
    return assert_status(vol.get(f"/volumes/{volume_id}", token), 200)["volume"]


# --- the older attach API ------------------------------------------------------------------
def test_reserve_unreserve(vol: VolApi) -> None:
    volume = placed(vol)
    ok(act(vol, volume["id"], "os-reserve"))
    assert show(vol, volume["id"])["status"] == "attaching"
    message = cinder_fault(act(vol, volume["id"], "os-reserve"), 400)
    assert message == ("Invalid volume: Volume status must be available to reserve, but the "
                       "status is attaching.")
    ok(act(vol, volume["id"], "os-unreserve"))
    assert show(vol, volume["id"])["status"] == "available"
    ok(act(vol, volume["id"], "os-unreserve"))  # nothing reserved: nothing to do
    assert show(vol, volume["id"])["status"] == "available"


def test_attach_detach_shows_the_attachment(vol: VolApi) -> None:
    volume = placed(vol)
    server = str(uuid.uuid4())
    ok(act(vol, volume["id"], "os-attach", {"instance_uuid": server, "mountpoint": "/dev/vdb"}))
    shown = show(vol, volume["id"])
    assert shown["status"] == "in-use"
    (att,) = shown["attachments"]
    assert att["server_id"] == server and att["device"] == "/dev/vdb"
    assert att["id"] == volume["id"] and att["volume_id"] == volume["id"]
    assert row(vol, volume["id"]).attach_status == "attached"
    # a second server cannot take a non-multiattach volume
    message = cinder_fault(act(vol, volume["id"], "os-attach",
                               {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdc"}),
                           400)
    assert message == "Invalid volume: volume is already attached"
    ok(act(vol, volume["id"], "os-detach", {"attachment_id": att["attachment_id"]}))
    shown = show(vol, volume["id"])
    assert shown["status"] == "available" and shown["attachments"] == []


def test_attach_rules(vol: VolApi) -> None:
    volume = placed(vol)
    cinder_fault(act(vol, volume["id"], "os-attach", {"mountpoint": "/dev/vdb"}), 400,
                 "invalid target")
    cinder_fault(act(vol, volume["id"], "os-attach",
                     {"instance_uuid": str(uuid.uuid4()), "mode": "xx"}), 400, "mode")
    ok(act(vol, volume["id"], "os-update_readonly_flag", {"readonly": True}))
    cinder_fault(act(vol, volume["id"], "os-attach",
                     {"instance_uuid": str(uuid.uuid4()), "mode": "rw"}), 400,
                 "Invalid attaching mode")
    ok(act(vol, volume["id"], "os-attach",
           {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdb", "mode": "ro"}))
    assert show(vol, volume["id"])["status"] == "in-use"
    cinder_fault(act(vol, str(uuid.uuid4()), "os-attach",
                     {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdc"}), 404)
    cinder_fault(act(vol, "xxx", "os-detach"), 404)


def test_begin_and_roll_detaching(vol: VolApi) -> None:
    volume = placed(vol)
    message = cinder_fault(act(vol, volume["id"], "os-begin_detaching"), 400)
    assert "Volume status must be 'in-use'" in message
    ok(act(vol, volume["id"], "os-attach", {"instance_uuid": str(uuid.uuid4()),
                                            "mountpoint": "/dev/vdb"}))
    ok(act(vol, volume["id"], "os-begin_detaching"))
    assert show(vol, volume["id"])["status"] == "detaching"
    ok(act(vol, volume["id"], "os-roll_detaching"))
    assert show(vol, volume["id"])["status"] == "in-use"


def test_initialize_and_terminate_connection(vol: VolApi) -> None:
    volume = placed(vol)
    body = ok(act(vol, volume["id"], "os-initialize_connection", {"connector": CONNECTOR}),
              200)
    info = body["connection_info"]
    assert info["driver_volume_type"] == "file"
    assert info["data"]["device_path"] == f"/data/volume-{volume['id']}"
    cinder_fault(act(vol, volume["id"], "os-initialize_connection", {}), 400, "connector")
    ok(act(vol, volume["id"], "os-reserve"))
    ok(act(vol, volume["id"], "os-terminate_connection", {"connector": CONNECTOR}))
    assert show(vol, volume["id"])["status"] == "available"


# --- flags and image metadata ----------------------------------------------------------------
def test_bootable_and_readonly_flags(vol: VolApi) -> None:
    volume = placed(vol)
    for flag in (True, False, "true"):
        ok(act(vol, volume["id"], "os-set_bootable", {"bootable": flag}), 200)
        assert show(vol, volume["id"])["bootable"] == str(flag).lower()
    cinder_fault(act(vol, volume["id"], "os-set_bootable", {"bootable": "maybe"}), 400)
    for flag in (True, False):
        ok(act(vol, volume["id"], "os-update_readonly_flag", {"readonly": flag}))
        assert admin_metadata(vol, volume["id"])["readonly"] == str(flag)
        assert show(vol, volume["id"])["metadata"]["readonly"] == str(flag)
    vol.settle(volume["id"], "in-use")
    message = cinder_fault(act(vol, volume["id"], "os-update_readonly_flag",
                               {"readonly": True}), 400)
    assert "must be available to update readonly flag" in message


def test_image_metadata(vol: VolApi) -> None:
    volume = placed(vol)
    meta = {"image_id": str(uuid.uuid4()), "image_name": "img", "ramdisk_id": "rd"}
    body = ok(act(vol, volume["id"], "os-set_image_metadata", {"metadata": meta}), 200)
    assert body["metadata"] == meta
    assert show(vol, volume["id"])["volume_image_metadata"] == meta
    ok(act(vol, volume["id"], "os-unset_image_metadata", {"key": "ramdisk_id"}), 200)
    body = ok(act(vol, volume["id"], "os-show_image_metadata"), 200)
    assert "ramdisk_id" not in body["metadata"] and body["metadata"]["image_name"] == "img"
    cinder_fault(act(vol, volume["id"], "os-unset_image_metadata", {"key": "ramdisk_id"}),
                 404)
    cinder_fault(act(vol, volume["id"], "os-set_image_metadata", {"metadata": {"k": 1}}), 400)


# --- admin actions -------------------------------------------------------------------------
def test_reset_status_is_admin_only(vol: VolApi, cloud: Cloud) -> None:
    member = cloud.make_project_member()
    volume = placed(vol, member.token)
    for status in ("error", "available", "maintenance"):
        ok(act(vol, volume["id"], "os-reset_status", {"status": status}))
        assert show(vol, volume["id"], member.token)["status"] == status
    cinder_fault(act(vol, volume["id"], "os-reset_status", {"status": "available"},
                     token=member.token), 403)
    cinder_fault(act(vol, volume["id"], "os-reset_status", {"status": "bogus"}), 400,
                 "valid status")
    cinder_fault(act(vol, volume["id"], "os-reset_status", {}), 400)
    ok(act(vol, volume["id"], "os-reset_status",
           {"status": "available", "attach_status": "detached", "migration_status": "none"}))
    assert row(vol, volume["id"]).migration_status is None


@pytest.mark.parametrize("status", ["creating", "attaching", "error", "maintenance"])
def test_force_delete(vol: VolApi, cloud: Cloud, status: str) -> None:
    member = cloud.make_project_member()
    volume = placed(vol, member.token)
    vol.settle(volume["id"], status)
    cinder_fault(act(vol, volume["id"], "os-force_delete", token=member.token), 403)
    ok(act(vol, volume["id"], "os-force_delete"))
    assert row(vol, volume["id"]).status == "deleting"


def test_force_detach(vol: VolApi) -> None:
    volume = placed(vol)
    ok(act(vol, volume["id"], "os-attach", {"instance_uuid": str(uuid.uuid4()),
                                            "mountpoint": "/dev/vdb"}))
    (att,) = show(vol, volume["id"])["attachments"]
    ok(act(vol, volume["id"], "os-reset_status", {"status": "error"}))
    ok(act(vol, volume["id"], "os-force_detach",
           {"connector": None, "attachment_id": att["attachment_id"]}))
    shown = show(vol, volume["id"])
    assert shown["status"] == "available" and shown["attachments"] == []


# --- extend ------------------------------------------------------------------------------------
def test_extend(vol: VolApi) -> None:
    volume = placed(vol, size=1)
    for bad in (0, 1, "abc", None):
        cinder_fault(act(vol, volume["id"], "os-extend", {"new_size": bad}), 400)
    assert row(vol, volume["id"]).status == "available"
    ok(act(vol, volume["id"], "os-extend", {"new_size": 3}))
    r = row(vol, volume["id"])
    assert (r.status, r.target_size, r.previous_status) == ("extending", 3, "available")
    cinder_fault(act(vol, str(uuid.uuid4()), "os-extend", {"new_size": 3}), 404)
    cinder_fault(act(vol, "None", "os-extend", {"new_size": 3}), 404)


def test_extend_in_use_from_3_42(vol: VolApi) -> None:
    volume = placed(vol, size=1)
    ok(act(vol, volume["id"], "os-attach", {"instance_uuid": str(uuid.uuid4()),
                                            "mountpoint": "/dev/vdb"}))
    message = cinder_fault(act(vol, volume["id"], "os-extend", {"new_size": 2}), 400)
    assert "status must be 'available' to extend, currently in-use" in message
    ok(act(vol, volume["id"], "os-extend", {"new_size": 2}, version="3.42"))
    r = row(vol, volume["id"])
    assert (r.status, r.previous_status) == ("extending", "in-use")


def test_extend_over_gigabytes_quota_is_413(vol: VolApi, cloud: Cloud) -> None:
    from onestack.volume.models.quotas import QuotaLimit

    member = cloud.make_project_member()
    volume = placed(vol, member.token, size=1)
    vol.db.write(lambda s: s.add(QuotaLimit(project_id=member.project["id"],
                                            resource="gigabytes", hard_limit=2)))
    response = act(vol, volume["id"], "os-extend", {"new_size": 5}, token=member.token)
    cinder_fault(response, 413, "gigabytes")
    assert row(vol, volume["id"]).status == "available"


# --- upload to image ---------------------------------------------------------------------------
def test_upload_to_image(vol: VolApi, cloud: Cloud) -> None:
    member = cloud.make_project_member()
    volume = placed(vol, member.token, size=1)
    name = unique("img")
    body = ok(act(vol, volume["id"], "os-volume_upload_image",
                  {"image_name": name, "disk_format": "qcow2"}, token=member.token))
    up = body["os-volume_upload_image"]
    assert up["status"] == "uploading" and up["image_name"] == name
    assert up["disk_format"] == "qcow2" and up["container_format"] == "bare"
    assert up["id"] == volume["id"] and up["size"] == 1 and up["visibility"] == "private"
    assert up["volume_type"]["name"] == "__DEFAULT__"
    r = row(vol, volume["id"])
    assert (r.status, r.previous_status, r.task_image_id) == ("uploading", "available",
                                                             up["image_id"])
    image = assert_status(vol.http.get(f"/image/v2/images/{up['image_id']}",
                                       headers={"X-Auth-Token": member.token}), 200)
    assert (image["name"], image["disk_format"], image["status"]) == (name, "qcow2", "queued")
    message = cinder_fault(act(vol, volume["id"], "os-volume_upload_image",
                               {"image_name": name}, token=member.token), 400)
    assert "status must be available" in message
    vol.settle(volume["id"])
    cinder_fault(act(vol, volume["id"], "os-volume_upload_image",
                     {"image_name": name, "visibility": "public"}, token=member.token,
                     version="3.1"), 403)
    cinder_fault(act(vol, volume["id"], "os-volume_upload_image",
                     {"image_name": name, "disk_format": "iso9660"}), 400, "disk-format")


# --- retype ------------------------------------------------------------------------------------
def make_type(vol: VolApi, **specs: str) -> dict[str, Any]:
    body = {"name": unique("type")}
    if specs:
        body["extra_specs"] = specs
    return assert_status(vol.post("/types", json={"volume_type": body}), 200)["volume_type"]


def test_retype_on_the_same_backend(vol: VolApi) -> None:
    src, dst = make_type(vol), make_type(vol)
    volume = placed(vol, volume_type=src["name"])
    ok(act(vol, volume["id"], "os-retype", {"new_type": dst["name"],
                                            "migration_policy": "never"}))
    shown = show(vol, volume["id"])
    assert shown["volume_type"] == dst["name"] and shown["status"] == "available"
    assert shown["os-vol-host-attr:host"] == BACKEND and shown["migration_status"] is None
    message = cinder_fault(act(vol, volume["id"], "os-retype", {"new_type": dst["id"]}), 400)
    assert "requested type has to be different" in message
    cinder_fault(act(vol, volume["id"], "os-retype", {"new_type": unique("none")}), 404)
    elsewhere = make_type(vol, volume_backend_name="other-backend")
    cinder_fault(act(vol, volume["id"], "os-retype", {"new_type": elsewhere["name"]}), 400,
                 "migration")


def test_retype_to_multiattach_only_when_available(vol: VolApi) -> None:
    multi = make_type(vol, multiattach="<is> True")
    volume = placed(vol)
    vol.settle(volume["id"], "in-use")
    cinder_fault(act(vol, volume["id"], "os-retype", {"new_type": multi["name"]}), 400,
                 "multiattach")
    vol.settle(volume["id"])
    ok(act(vol, volume["id"], "os-retype", {"new_type": multi["name"]}))
    assert show(vol, volume["id"])["multiattach"] is True


# --- revert (3.40) -----------------------------------------------------------------------------
def snapshot_row(vol: VolApi, volume: dict[str, Any], status: str = "available") -> str:
    from onestack.core.db import utcnow
    from onestack.volume.models.snapshots import Snapshot

    ident = str(uuid.uuid4())
    project = row(vol, volume["id"]).project_id
    vol.db.write(lambda s: s.add(Snapshot(
        id=ident, volume_id=volume["id"], project_id=project, status=status,
        size=volume["size"], host=BACKEND, created_at=utcnow())))
    return ident


def test_revert_to_the_latest_snapshot(vol: VolApi) -> None:
    from datetime import timedelta

    from onestack.core.db import utcnow
    from onestack.volume.models.snapshots import Snapshot

    volume = placed(vol)
    older = snapshot_row(vol, volume)
    latest = snapshot_row(vol, volume)
    vol.db.write(lambda s: s.execute(sa.update(Snapshot).where(Snapshot.id == older)
                                     .values(created_at=utcnow() - timedelta(hours=1))))
    cinder_fault(act(vol, volume["id"], "os-revert", {"snapshot_id": latest}), 404)  # < 3.40
    cinder_fault(act(vol, volume["id"], "os-revert", {"snapshot_id": older}, version="3.40"),
                 400, "not the latest")
    ok(act(vol, volume["id"], "os-revert", {"snapshot_id": latest}, version="3.40"))
    assert row(vol, volume["id"]).status == "reverting"
    assert vol.db.read(lambda s: s.get(Snapshot, latest).status) == "restoring"


# --- migrate, unknown actions, other projects ------------------------------------------------
def test_migrate_checks(vol: VolApi) -> None:
    volume = placed(vol)
    cinder_fault(act(vol, volume["id"], "os-migrate_volume", {"host": BACKEND}), 400,
                 "must be different")
    cinder_fault(act(vol, volume["id"], "os-migrate_volume", {"host": "nowhere@x#x"}), 400,
                 "No available service")


def test_unknown_action_and_other_projects(vol: VolApi, cloud: Cloud) -> None:
    alice, bob = cloud.make_project_member(), cloud.make_project_member()
    volume = placed(vol, alice.token)
    cinder_fault(act(vol, volume["id"], "os-frobnicate"), 400, "no such action")
    for action, body in (("os-reserve", None), ("os-extend", {"new_size": 5}),
                         ("os-set_bootable", {"bootable": True}),
                         ("os-attach", {"instance_uuid": str(uuid.uuid4())}),
                         ("os-volume_upload_image", {"image_name": "x"})):
        cinder_fault(act(vol, volume["id"], action, body, token=bob.token), 404)
    assert show(vol, volume["id"], alice.token)["status"] == "available"


def test_detach_needs_an_attachment_id_when_several(vol: VolApi) -> None:
    volume = placed(vol)
    vol.set(volume["id"], multiattach=True)
    for _ in range(2):
        ok(act(vol, volume["id"], "os-attach", {"instance_uuid": str(uuid.uuid4()),
                                                "mountpoint": "/dev/vdb"}))
    attachments = show(vol, volume["id"])["attachments"]
    assert len(attachments) == 2
    cinder_fault(act(vol, volume["id"], "os-detach"), 400, "More than one attachment")
    cinder_fault(act(vol, volume["id"], "os-detach", {"attachment_id": str(uuid.uuid4())}),
                 404)
    ok(act(vol, volume["id"], "os-detach", {"attachment_id": attachments[0]["attachment_id"]}))
    shown = show(vol, volume["id"])
    assert shown["status"] == "in-use" and len(shown["attachments"]) == 1
    ok(act(vol, volume["id"], "os-detach"))
    assert show(vol, volume["id"])["status"] == "available"
