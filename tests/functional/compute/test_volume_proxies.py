"""Nova's pre-2.36 proxies ``os-volumes`` and ``os-snapshots`` over the volume service:
Nova's bodies (``displayName``, ``attachments: [{}]``), the caller's volumes only, the
400s for a bad size, 404 for another project's volume and from 2.36 on."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from onestack.core.db import Database
from tests.functional.compute.servers_support import Nova
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    return Nova(api)


@pytest.fixture(scope="module", autouse=True)
def seeded(db_url: str) -> Iterator[None]:
    from onestack.volume.app import seed

    db = Database(db_url)
    seed(db)
    db.dispose()
    yield


@pytest.fixture(scope="module")
def owner(cloud: Cloud) -> Member:
    return cloud.make_project_member()


def test_volume_create_show_list_delete(nova: Nova, owner: Member, cloud: Cloud) -> None:
    name = unique("pv")
    made = assert_status(nova("POST", "/os-volumes", owner.token, json={"volume": {
        "size": 1, "display_name": name, "metadata": {"k": "v"}}}), 200)["volume"]
    assert set(made) == {"id", "status", "size", "availabilityZone", "createdAt",
                         "attachments", "displayName", "displayDescription", "volumeType",
                         "snapshotId", "metadata"}
    assert (made["displayName"], made["size"], made["metadata"], made["attachments"]) == (
        name, 1, {"k": "v"}, [{}])
    vid = made["id"]
    shown = assert_status(nova("GET", f"/os-volumes/{vid}", owner.token), 200)["volume"]
    assert shown["id"] == vid
    listed = assert_status(nova("GET", "/os-volumes/detail", owner.token), 200)["volumes"]
    assert [v["id"] for v in listed] == [vid]
    assert assert_status(nova("GET", "/os-volumes?limit=0", owner.token),
                         200)["volumes"] == []
    other = cloud.make_project_member()
    assert nova("GET", f"/os-volumes/{vid}", other.token).status_code == 404
    assert nova("GET", "/os-volumes", owner.token, "2.36").status_code == 404
    assert nova("DELETE", f"/os-volumes/{vid}", owner.token).status_code == 202
    assert nova("DELETE", f"/os-volumes/{uuid.uuid4()}", owner.token).status_code == 404
    # an empty id is not the list (Tempest's "without passing volume id")
    for method in ("GET", "DELETE"):
        for path in ("/os-volumes/", "/os-snapshots/"):
            assert nova(method, path, owner.token).status_code == 404, (method, path)


@pytest.mark.parametrize("size", [0, "#$%", None, -1])
def test_bad_sizes_are_400(nova: Nova, owner: Member, size: object) -> None:
    volume = {"display_name": "x"} if size is None else {"size": size}
    assert nova("POST", "/os-volumes", owner.token,
                json={"volume": volume}).status_code == 400


def test_snapshot_of_an_available_volume(nova: Nova, owner: Member, sql: Database) -> None:
    from onestack.volume.models.volumes import Volume

    vid = assert_status(nova("POST", "/os-volumes", owner.token, json={"volume": {
        "size": 1}}), 200)["volume"]["id"]
    sql.write(lambda s: setattr(s.get(Volume, vid), "status", "available"))
    snap = assert_status(nova("POST", "/os-snapshots", owner.token, json={"snapshot": {
        "volume_id": vid, "display_name": "s1", "force": False}}), 200)["snapshot"]
    assert set(snap) == {"id", "volumeId", "status", "size", "createdAt", "displayName",
                         "displayDescription"}
    assert (snap["volumeId"], snap["displayName"], snap["size"]) == (vid, "s1", 1)
    listed = assert_status(nova("GET", "/os-snapshots/detail", owner.token),
                           200)["snapshots"]
    assert [s["id"] for s in listed] == [snap["id"]]
    assert assert_status(nova("GET", f"/os-snapshots/{snap['id']}", owner.token),
                         200)["snapshot"]["id"] == snap["id"]
