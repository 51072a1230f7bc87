"""Listing volumes: filters (user and admin ones, like filters 3.34, time filters 3.60,
metadata as Tempest sends it), sort, limit/marker with next links, with_count (3.45),
all_tenants, /volumes/summary (3.12, metadata 3.36)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.functional.volume.conftest import VolApi, cinder_fault, unique
from tests.support.api import assert_status
from tests.support.identity import Cloud, Member


@pytest.fixture(scope="module")
def owner(cloud: Cloud, vol: VolApi) -> Member:
    member = cloud.make_project_member()
    vol.unlimit(member.project["id"])
    return member


@pytest.fixture(scope="module")
def three(vol: VolApi, owner: Member) -> list[dict]:
    tag = unique("ls")
    out = []
    for i in range(3):
        out.append(vol.volume(owner.token, name=f"{tag}-{i}", size=i + 1,
                              metadata={"Type": "work", "n": str(i)}))
    vol.set(out[2]["id"], bootable=True)
    return out


def ids(response) -> list[str]:  # noqa: ANN001
    return [v["id"] for v in assert_status(response, 200)["volumes"]]


def test_list_summary_and_detail_shapes(vol: VolApi, owner: Member, three: list) -> None:
    body = assert_status(vol.get("/volumes", owner.token), 200)
    assert set(body) == {"volumes"}
    for item in body["volumes"]:
        assert set(item) == {"id", "name", "links"}
    assert {v["id"] for v in three} <= {v["id"] for v in body["volumes"]}
    detail = assert_status(vol.get("/volumes/detail", owner.token), 200)["volumes"]
    assert "os-vol-host-attr:host" not in detail[0]  # not for a member
    assert detail[0]["os-vol-tenant-attr:tenant_id"] == owner.project["id"]


def test_default_order_is_newest_first(vol: VolApi, owner: Member, three: list) -> None:
    listed = ids(vol.get("/volumes", owner.token))
    mine = [i for i in listed if i in {v["id"] for v in three}]
    assert mine == [v["id"] for v in reversed(three)]


def test_filters(vol: VolApi, owner: Member, three: list) -> None:
    t = owner.token
    assert ids(vol.get("/volumes", t, params={"name": three[1]["name"]})) == [three[1]["id"]]
    assert ids(vol.get("/volumes", t, params={"status": "null"})) == []
    assert set(ids(vol.get("/volumes/detail", t, params={"status": "available"}))) >= \
        {v["id"] for v in three}
    assert ids(vol.get("/volumes", t, params={"bootable": "true"})) == [three[2]["id"]]
    meta = ids(vol.get("/volumes/detail", t, params={"metadata": "{'n': '0'}"}))
    assert meta == [three[0]["id"]]
    assert len(ids(vol.get("/volumes", t, params={"metadata": '{"Type": "work"}'}))) == 3
    assert ids(vol.get("/volumes", t, version="3.33", params={"size": "2"})) == \
        [three[1]["id"]]
    zone = three[0]["availability_zone"]
    assert len(ids(vol.get("/volumes", t, params={"availability_zone": zone}))) >= 3


def test_unknown_filter_refused_for_members_from_3_33(vol: VolApi, owner: Member,
                                                      three: list) -> None:
    t = owner.token
    assert len(ids(vol.get("/volumes", t, params={"foo": "bar"}))) >= 3  # 3.0: dropped
    cinder_fault(vol.get("/volumes", t, version="3.33", params={"foo": "bar"}), 400,
                 "Invalid filters foo are found in query options.")
    # admins may filter on any column; one the table lacks matches nothing
    assert ids(vol.get("/volumes", params={"foo": "bar", "all_tenants": "1"})) == []
    assert ids(vol.get("/volumes", params={"host": "nope", "all_tenants": "1"})) == []


def test_like_filters_from_3_34(vol: VolApi, owner: Member, three: list) -> None:
    stem = three[0]["name"].rsplit("-", 1)[0]
    found = ids(vol.get("/volumes", owner.token, version="3.34", params={"name~": stem}))
    assert set(found) == {v["id"] for v in three}


def test_time_filters_from_3_60(vol: VolApi, owner: Member, three: list) -> None:
    first = assert_status(vol.get(f"/volumes/{three[0]['id']}", owner.token), 200)["volume"]
    later = ids(vol.get("/volumes", owner.token, version="3.60",
                        params={"created_at": f"gt:{first['created_at']}"}))
    assert three[0]["id"] not in later and three[2]["id"] in later
    cinder_fault(vol.get("/volumes", owner.token, version="3.60",
                         params={"created_at": "gt:yesterday"}), 400)


def test_sort_and_pagination(vol: VolApi, owner: Member, three: list) -> None:
    t = owner.token
    asc = ids(vol.get("/volumes", t, params={"sort": "size:asc"}))
    assert asc == [v["id"] for v in three]
    assert ids(vol.get("/volumes", t, params={"sort_key": "size", "sort_dir": "desc"})) == \
        [v["id"] for v in reversed(three)]
    by_id = sorted(v["id"] for v in three)
    assert ids(vol.get("/volumes", t, params={"sort": "id:asc"})) == by_id
    assert ids(vol.get("/volumes", t, params={"sort": "id:asc", "marker": by_id[0]})) == \
        by_id[1:]
    # one per page, following the next links: every volume once, then an empty last page
    seen, params = [], {"limit": "1"}
    for _ in range(5):
        body = assert_status(vol.get("/volumes/detail", t, params=params), 200)
        seen += [v["id"] for v in body["volumes"]]
        links = body.get("volumes_links", [])
        if not links:
            break
        href = urlparse(links[0]["href"])
        assert href.path == "/volume/v3/volumes/detail"
        params = {k: v[0] for k, v in parse_qs(href.query).items()}
    assert sorted(seen) == by_id and body["volumes"] == []
    cinder_fault(vol.get("/volumes", t, params={"sort": "nope:asc"}), 400)
    cinder_fault(vol.get("/volumes", t, params={"sort": "id:up"}), 400)
    cinder_fault(vol.get("/volumes", t, params={"sort": "id", "sort_key": "id"}), 400)
    cinder_fault(vol.get("/volumes", t, params={"limit": "x"}), 400)
    cinder_fault(vol.get("/volumes", t, params={"limit": "-1"}), 400)
    cinder_fault(vol.get("/volumes", t, params={"marker": "no-such"}), 404)


def test_with_count(vol: VolApi, owner: Member, three: list) -> None:
    body = assert_status(vol.get("/volumes", owner.token, version="3.45",
                                 params={"with_count": "true", "limit": "1"}), 200)
    assert body["count"] == 3 and len(body["volumes"]) == 1
    assert "count" not in assert_status(vol.get("/volumes", owner.token,
                                                params={"with_count": "true"}), 200)


def test_all_tenants_only_for_admins(vol: VolApi, owner: Member, three: list,
                                     cloud: Cloud) -> None:
    other = cloud.make_project_member()
    assert ids(vol.get("/volumes", other.token, params={"all_tenants": "1"})) == []
    everyone = ids(vol.get("/volumes", params={"all_tenants": "1"}))
    assert {v["id"] for v in three} <= set(everyone)
    assert set(ids(vol.get("/volumes", params={"all_tenants": "1",
                                               "project_id": owner.project["id"]}))) == \
        {v["id"] for v in three}
    assert not {v["id"] for v in three} & set(ids(vol.get("/volumes")))


def test_summary(vol: VolApi, owner: Member, three: list) -> None:
    cinder_fault(vol.get("/volumes/summary", owner.token), 404)
    body = assert_status(vol.get("/volumes/summary", owner.token, version="3.12"), 200)
    assert body == {"volume-summary": {"total_size": 6, "total_count": 3}}
    meta = assert_status(vol.get("/volumes/summary", owner.token, version="3.36"),
                         200)["volume-summary"]["metadata"]
    assert meta == {"Type": ["work"], "n": ["0", "1", "2"]}


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_paging_over_null_sort_values(vol: VolApi, cloud: Cloud, direction: str) -> None:
    """Keyset paging where the sort key is NULL for some rows (nameless volumes): every
    volume exactly once, in the order one unpaged list gives."""
    member = cloud.make_project_member()
    vol.unlimit(member.project["id"])
    for name in (None, "b", None, "a", "c"):
        assert_status(vol.post("/volumes", member.token,
                               json={"volume": {"size": 1, "name": name}}), 202)
    params = {"sort": f"name:{direction}"}
    whole = ids(vol.get("/volumes", member.token, params=params))
    assert len(whole) == 5
    paged, marker = [], None
    for _ in range(7):
        page = ids(vol.get("/volumes", member.token,
                           params={**params, "limit": "2",
                                   **({"marker": marker} if marker else {})}))
        if not page:
            break
        paged += page
        marker = page[-1]
    assert paged == whole
