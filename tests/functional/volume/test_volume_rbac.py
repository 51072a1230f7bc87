"""Who may do what with volumes: a project reader reads, a member makes, changes and
deletes in its project, an admin anything; another project's volume is a 404 to every
verb (never a 403, so ids don't leak)."""
from __future__ import annotations

import pytest

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud, Member


@pytest.fixture(scope="module")
def team(cloud: Cloud, vol: VolApi) -> dict[str, Member]:
    member = cloud.make_project_member()
    reader = cloud.make_project_member(role="reader", project=member.project)
    vol.unlimit(member.project["id"])
    return {"member": member, "reader": reader}


def test_reader_reads_but_cannot_write(vol: VolApi, team: dict[str, Member]) -> None:
    v = vol.volume(team["member"].token, metadata={"k": "v"})
    t = team["reader"].token
    assert assert_status(vol.get(f"/volumes/{v['id']}", t), 200)["volume"]["id"] == v["id"]
    assert v["id"] in [x["id"] for x in assert_status(vol.get("/volumes", t), 200)["volumes"]]
    assert assert_status(vol.get(f"/volumes/{v['id']}/metadata", t), 200) == \
        {"metadata": {"k": "v"}}
    cinder_fault(vol.post("/volumes", t, json={"volume": {"size": 1}}), 403)
    cinder_fault(vol.put(f"/volumes/{v['id']}", t, json={"volume": {"name": "x"}}), 403)
    cinder_fault(vol.delete(f"/volumes/{v['id']}", t), 403)
    cinder_fault(vol.post(f"/volumes/{v['id']}/metadata", t,
                          json={"metadata": {"a": "b"}}), 403)
    cinder_fault(vol.delete(f"/volumes/{v['id']}/metadata/k", t), 403)


def test_member_writes_in_its_project(vol: VolApi, team: dict[str, Member]) -> None:
    t = team["member"].token
    v = vol.volume(t)
    shown = assert_status(vol.get(f"/volumes/{v['id']}", t), 200)["volume"]
    assert "os-vol-host-attr:host" not in shown and "migration_status" not in shown
    assert shown["os-vol-tenant-attr:tenant_id"] == team["member"].project["id"]
    assert_status(vol.put(f"/volumes/{v['id']}", t, json={"volume": {"name": "m"}}), 200)
    assert_status(vol.put(f"/volumes/{v['id']}/metadata", t,
                          json={"metadata": {"a": "b"}}), 200)
    assert_status(vol.delete(f"/volumes/{v['id']}", t), 202)


def test_another_projects_volume_is_404(vol: VolApi, team: dict[str, Member],
                                        cloud: Cloud) -> None:
    v = vol.volume(team["member"].token)
    stranger = cloud.make_project_member().token
    path = f"/volumes/{v['id']}"
    cinder_fault(vol.get(path, stranger), 404)
    cinder_fault(vol.put(path, stranger, json={"volume": {"name": "x"}}), 404)
    cinder_fault(vol.delete(path, stranger), 404)
    cinder_fault(vol.get(f"{path}/metadata", stranger), 404)
    cinder_fault(vol.post(f"{path}/metadata", stranger, json={"metadata": {"a": "b"}}), 404)
    cinder_fault(vol.post("/volumes", stranger,
                          json={"volume": {"size": 1, "source_volid": v["id"]}}), 404)
    # the project form of the URL names only the caller's own project
    other = team["member"].project["id"]
    cinder_fault(vol.get(f"/{other}/volumes/{v['id']}", stranger), 400)


def test_admin_sees_and_changes_any_project(vol: VolApi, team: dict[str, Member]) -> None:
    v = vol.volume(team["member"].token)
    shown = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert shown["os-vol-tenant-attr:tenant_id"] == team["member"].project["id"]
    assert shown["os-vol-host-attr:host"]
    assert_status(vol.put(f"/volumes/{v['id']}", json={"volume": {"name": "a"}}), 200)
    assert_status(vol.delete(f"/volumes/{v['id']}"), 202)
