"""Nova's image proxy through the whole app: images made with the image API (``/image/v2``)
are read, filtered, paged, deleted and given metadata through ``/compute/v2.1/images``,
with Glance's visibility and Nova's shapes, faults and microversion cut-offs."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from onestack.image.stores import image_dir
from tests.support.api import Api
from tests.support.identity import Cloud, Member, unique

ROOT = "/compute/v2.1"
DETAIL_KEYS = {"id", "name", "status", "progress", "minDisk", "minRam", "created", "updated",
               "metadata", "links", "OS-EXT-IMG-SIZE:size"}


@pytest.fixture(scope="module", autouse=True)
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Image bytes of server backends go here (SQLite keeps them next to its file)."""
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


class Clients:
    """Compute and image calls on the app's in-process client."""

    def __init__(self, api: Api):
        self.http = api.http

    def nova(self, method: str, path: str, token: str, version: str = "2.1",
             **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
        return self.http.request(method, ROOT + path, headers=headers, **kw)

    def image(self, token: str, *, data: bytes | None = b"x" * 512,
              **attrs: Any) -> dict[str, Any]:
        """A new image (active when ``data`` is given), as the image API shows it."""
        attrs = {"name": unique("img"), "disk_format": "raw", "container_format": "bare",
                 **attrs}
        h = {"X-Auth-Token": token}
        created = ok(self.http.post("/image/v2/images", json=attrs, headers=h), 201)
        if data is not None:
            ok(self.http.put(f"/image/v2/images/{created['id']}/file", content=data,
                             headers={**h, "Content-Type": "application/octet-stream"}), 204)
        return created

    def glance(self, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, "/image/v2" + path,
                                 headers={"X-Auth-Token": token, **kw.pop("headers", {})},
                                 **kw)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:800]
    return response.json() if response.content else {}


def fault(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text[:800]
    body = response.json()
    assert list(body) == [name] and body[name]["code"] == status, body
    return body[name]["message"]


def ids(response: httpx.Response) -> list[str]:
    return [i["id"] for i in ok(response)["images"]]


@pytest.fixture(scope="module")
def c(api: Api) -> Clients:
    return Clients(api)


@pytest.fixture
def owner(cloud: Cloud) -> Member:
    return cloud.make_project_member()


@pytest.fixture
def other(cloud: Cloud) -> Member:
    return cloud.make_project_member()


def test_detail_and_list_shapes(c: Clients, owner: Member):
    img = c.image(owner.token, min_ram=64, min_disk=1, os_distro="cirros",
                  auto_disk_config="true")
    body = ok(c.nova("GET", f"/images/{img['id']}", owner.token))["image"]
    assert set(body) == DETAIL_KEYS | {"OS-DCF:diskConfig"}
    assert body["status"] == "ACTIVE" and body["progress"] == 100
    assert (body["minRam"], body["minDisk"], body["OS-EXT-IMG-SIZE:size"]) == (64, 1, 512)
    assert body["metadata"] == {"os_distro": "cirros", "auto_disk_config": "true"}
    assert body["OS-DCF:diskConfig"] == "AUTO"
    assert body["created"].endswith("Z") and "server" not in body
    rels = {link["rel"]: link for link in body["links"]}
    assert rels["self"]["href"] == f"http://onestack.test{ROOT}/images/{img['id']}"
    assert rels["bookmark"]["href"] == f"http://onestack.test/compute/images/{img['id']}"
    assert rels["alternate"]["type"] == "application/vnd.openstack.image"

    listed = ok(c.nova("GET", "/images", owner.token, params={"name": img["name"]}))
    assert listed == {"images": [{"id": img["id"], "name": img["name"],
                                  "links": body["links"]}]}
    detailed = ok(c.nova("GET", "/images/detail", owner.token,
                         params={"name": img["name"]}))["images"]
    assert detailed == [body]


def test_statuses_and_status_filter(c: Clients, owner: Member):
    queued = c.image(owner.token, data=None)
    active = c.image(owner.token)
    shown = ok(c.nova("GET", f"/images/{queued['id']}", owner.token))["image"]
    assert (shown["status"], shown["progress"], shown["OS-EXT-IMG-SIZE:size"]) == \
        ("SAVING", 25, None)
    saving = ids(c.nova("GET", "/images", owner.token, params={"status": "SAVING"}))
    assert queued["id"] in saving and active["id"] not in saving
    active_ids = ids(c.nova("GET", "/images/detail", owner.token, params={"status": "ACTIVE"}))
    assert active["id"] in active_ids and queued["id"] not in active_ids
    # a Glance status works as is
    assert queued["id"] in ids(c.nova("GET", "/images", owner.token,
                                      params={"status": "queued"}))
    ok(c.glance("POST", f"/images/{active['id']}/actions/deactivate", owner.token), 204)
    shown = ok(c.nova("GET", f"/images/{active['id']}", owner.token))["image"]
    assert (shown["status"], shown["progress"]) == ("UNKNOWN", 0)


def test_visibility_follows_glance(c: Clients, cloud: Cloud, owner: Member, other: Member):
    private = c.image(owner.token, visibility="private")
    public = c.image(cloud.admin_token, visibility="public")
    community = c.image(owner.token, visibility="community")
    shared = c.image(owner.token, visibility="shared")
    ok(c.glance("POST", f"/images/{shared['id']}/members", owner.token,
                json={"member": other.project["id"]}))

    listed = ids(c.nova("GET", "/images", other.token))
    assert public["id"] in listed
    assert not {private["id"], community["id"], shared["id"]} & set(listed)
    fault(c.nova("GET", f"/images/{private['id']}", other.token), 404, "itemNotFound")
    for img in (community, shared):  # found one by one, even while the share is pending
        ok(c.nova("GET", f"/images/{img['id']}", other.token))

    ok(c.glance("PUT", f"/images/{shared['id']}/members/{other.project['id']}", other.token,
                json={"status": "accepted"}))
    assert shared["id"] in ids(c.nova("GET", "/images/detail", other.token))

    everything = ids(c.nova("GET", "/images", cloud.admin_token, params={"limit": 1000}))
    assert {private["id"], community["id"], shared["id"]} <= set(everything)

    hidden = c.image(owner.token, os_hidden=True)  # left out of lists, as Glance does
    assert hidden["id"] not in ids(c.nova("GET", "/images", owner.token))
    assert hidden["id"] not in ids(c.nova("GET", "/images/detail", cloud.admin_token))
    ok(c.nova("GET", f"/images/{hidden['id']}", owner.token))


def test_snapshot_filters_and_server_link(c: Clients, owner: Member):
    server_a, server_b = str(uuid.uuid4()), str(uuid.uuid4())
    snap_a = c.image(owner.token, image_type="snapshot", instance_uuid=server_a)
    snap_b = c.image(owner.token, image_type="snapshot", instance_uuid=server_b)
    backup = c.image(owner.token, image_type="backup", instance_uuid=server_a)
    plain = c.image(owner.token)

    shown = ok(c.nova("GET", f"/images/{snap_a['id']}", owner.token))["image"]
    assert shown["server"] == {"id": server_a, "links": [
        {"rel": "self", "href": f"http://onestack.test{ROOT}/servers/{server_a}"},
        {"rel": "bookmark", "href": f"http://onestack.test/compute/servers/{server_a}"}]}

    snapshots = ids(c.nova("GET", "/images", owner.token, params={"type": "snapshot"}))
    assert {snap_a["id"], snap_b["id"]} <= set(snapshots)
    assert not {backup["id"], plain["id"]} & set(snapshots)
    for ref in (server_a, f"http://onestack.test{ROOT}/servers/{server_a}",
                f"http://onestack.test/compute/servers/{server_a}"):
        found = ids(c.nova("GET", "/images/detail", owner.token, params={"server": ref}))
        assert set(found) == {snap_a["id"], backup["id"]}
    both = ids(c.nova("GET", "/images", owner.token,
                      params={"server": server_a, "type": "backup"}))
    assert both == [backup["id"]]
    by_property = ids(c.nova("GET", "/images", owner.token,
                             params={"property-instance_uuid": server_b}))
    assert by_property == [snap_b["id"]]


def test_size_and_time_filters(c: Clients, owner: Member):
    small = c.image(owner.token, min_ram=128, min_disk=1)
    big = c.image(owner.token, min_ram=4096, min_disk=20)
    mine = {small["id"], big["id"]}
    assert set(ids(c.nova("GET", "/images", owner.token, params={"minRam": 1024}))) & mine \
        == {big["id"]}
    assert set(ids(c.nova("GET", "/images", owner.token, params={"minDisk": 1}))) & mine \
        == mine
    created = ok(c.nova("GET", f"/images/{big['id']}", owner.token))["image"]["created"]
    since = set(ids(c.nova("GET", "/images", owner.token,
                           params={"changes-since": created})))
    assert big["id"] in since
    future = ids(c.nova("GET", "/images", owner.token,
                        params={"changes-since": "2999-01-01T00:00:00Z"}))
    assert future == []
    fault(c.nova("GET", "/images", owner.token, params={"changes-since": "yesterday"}),
          400, "badRequest")
    fault(c.nova("GET", "/images", owner.token, params={"minRam": "lots"}), 400,
          "badRequest")


def test_paging_newest_first(c: Clients, owner: Member):
    batch = {"property-batch": unique("batch")}
    made = [c.image(owner.token, data=None, batch=batch["property-batch"])["id"]
            for _ in range(3)]
    first = ok(c.nova("GET", "/images/detail", owner.token, params={**batch, "limit": 2}))
    assert [i["id"] for i in first["images"]] == made[::-1][:2]
    (nxt,) = first["images_links"]
    assert nxt["rel"] == "next" and f"marker={made[1]}" in nxt["href"]
    assert nxt["href"].startswith(f"http://onestack.test{ROOT}/images/detail?")
    rest = ok(c.nova("GET", "/images/detail", owner.token,
                     params={**batch, "limit": 2, "marker": made[1]}))
    assert [i["id"] for i in rest["images"]] == [made[0]] and "images_links" not in rest
    fault(c.nova("GET", "/images", owner.token, params={"marker": str(uuid.uuid4())}), 400,
          "badRequest")
    fault(c.nova("GET", "/images", owner.token, params={"limit": -1}), 400, "badRequest")


def test_delete(c: Clients, cloud: Cloud, owner: Member, other: Member, db_url: str):
    img = c.image(owner.token, visibility="community", os_distro="x")
    fault(c.nova("DELETE", f"/images/{img['id']}", other.token), 403, "forbidden")
    stored = Path(image_dir(db_url)) / img["id"]
    assert stored.is_file(), "the upload should be in the filesystem store"
    ok(c.nova("DELETE", f"/images/{img['id']}", owner.token), 204)
    fault(c.nova("GET", f"/images/{img['id']}", owner.token), 404, "itemNotFound")
    assert c.glance("GET", f"/images/{img['id']}", owner.token).status_code == 404
    assert not stored.exists()

    protected = c.image(owner.token, protected=True)
    fault(c.nova("DELETE", f"/images/{protected['id']}", owner.token), 403, "forbidden")
    private = c.image(owner.token, visibility="private", data=None)
    fault(c.nova("DELETE", f"/images/{private['id']}", other.token), 404, "itemNotFound")
    ok(c.nova("DELETE", f"/images/{private['id']}", cloud.admin_token), 204)
    for bad in (str(uuid.uuid4()), "-1", "x" * 40, ""):
        fault(c.nova("DELETE", f"/images/{bad}", owner.token), 404, "itemNotFound")


def test_metadata(c: Clients, owner: Member, other: Member):
    img = c.image(owner.token, visibility="community", os_distro="cirros")
    meta = f"/images/{img['id']}/metadata"
    assert ok(c.nova("GET", meta, owner.token)) == {"metadata": {"os_distro": "cirros"}}
    merged = ok(c.nova("POST", meta, owner.token, json={"metadata": {"a": "1", "b": "2"}}))
    assert merged == {"metadata": {"os_distro": "cirros", "a": "1", "b": "2"}}
    replaced = ok(c.nova("PUT", meta, owner.token, json={"metadata": {"a": "9", "c": "3"}}))
    assert replaced == {"metadata": {"a": "9", "c": "3"}}
    assert ok(c.nova("GET", meta + "/a", owner.token)) == {"meta": {"a": "9"}}
    assert ok(c.nova("PUT", meta + "/d", owner.token, json={"meta": {"d": "4"}})) == \
        {"meta": {"d": "4"}}
    ok(c.nova("DELETE", meta + "/c", owner.token), 204)
    assert ok(c.nova("GET", meta, other.token)) == {"metadata": {"a": "9", "d": "4"}}
    # the image API sees the same custom properties
    glance_view = ok(c.glance("GET", f"/images/{img['id']}", owner.token))
    assert (glance_view["a"], glance_view["d"]) == ("9", "4") and "c" not in glance_view

    fault(c.nova("GET", meta + "/nope", owner.token), 404, "itemNotFound")
    fault(c.nova("DELETE", meta + "/nope", owner.token), 404, "itemNotFound")
    fault(c.nova("PUT", meta + "/a", owner.token, json={"meta": {"b": "1"}}), 400,
          "badRequest")
    fault(c.nova("PUT", meta + "/a", owner.token, json={"meta": {"a": "1", "b": "2"}}), 400,
          "badRequest")
    fault(c.nova("POST", meta, owner.token, json={"metadata": {"": "x"}}), 400, "badRequest")
    fault(c.nova("POST", meta, owner.token, json={"metadata": {"k": "v" * 256}}), 400,
          "badRequest")
    fault(c.nova("POST", meta, owner.token, json={"meta": {"a": "1"}}), 400, "badRequest")
    fault(c.nova("POST", meta, owner.token, json={"metadata": {"min_ram": "1"}}), 403,
          "forbidden")
    fault(c.nova("POST", meta, other.token, json={"metadata": {"a": "1"}}), 403, "forbidden")
    missing = f"/images/{uuid.uuid4()}/metadata"
    fault(c.nova("GET", missing, owner.token), 404, "itemNotFound")
    fault(c.nova("PUT", missing, owner.token, json={"metadata": {}}), 404, "itemNotFound")
    fault(c.nova("PUT", missing + "/a", owner.token, json={"meta": {"a": "1"}}), 404,
          "itemNotFound")
    fault(c.nova("DELETE", missing + "/a", owner.token), 404, "itemNotFound")


def test_metadata_items_quota(c: Clients, cloud: Cloud, owner: Member):
    project = owner.project["id"]
    ok(c.nova("PUT", f"/os-quota-sets/{project}", cloud.admin_token,
              json={"quota_set": {"metadata_items": 2}}))
    img = c.image(owner.token)
    meta = f"/images/{img['id']}/metadata"
    ok(c.nova("POST", meta, owner.token, json={"metadata": {"a": "1", "b": "2"}}))
    fault(c.nova("PUT", meta + "/c", owner.token, json={"meta": {"c": "3"}}), 403,
          "forbidden")
    ok(c.nova("PUT", meta + "/a", owner.token, json={"meta": {"a": "x"}}))  # not a new key


def test_microversion_cut_offs(c: Clients, owner: Member):
    img = c.image(owner.token)
    for path in ("/images", "/images/detail", f"/images/{img['id']}"):
        ok(c.nova("GET", path, owner.token, version="2.35"))
        fault(c.nova("GET", path, owner.token, version="2.36"), 404, "itemNotFound")
    fault(c.nova("DELETE", f"/images/{img['id']}", owner.token, version="2.36"), 404,
          "itemNotFound")
    meta = f"/images/{img['id']}/metadata"
    assert ok(c.nova("GET", meta, owner.token, version="2.38")) == {"metadata": {}}
    fault(c.nova("GET", meta, owner.token, version="2.39"), 404, "itemNotFound")
    fault(c.nova("POST", meta, owner.token, version="latest", json={"metadata": {}}), 404,
          "itemNotFound")
    response = c.nova("GET", "/images", owner.token, version="2.20")
    assert response.headers["openstack-api-version"] == "compute 2.20"


def test_readers_read_members_write(c: Clients, cloud: Cloud, owner: Member):
    reader = cloud.make_project_member(role="reader", project=owner.project)
    img = c.image(owner.token)
    ok(c.nova("GET", f"/images/{img['id']}", reader.token))
    ok(c.nova("GET", f"/images/{img['id']}/metadata", reader.token))
    fault(c.nova("POST", f"/images/{img['id']}/metadata", reader.token,
                 json={"metadata": {"a": "1"}}), 403, "forbidden")
    fault(c.nova("DELETE", f"/images/{img['id']}", reader.token), 403, "forbidden")
