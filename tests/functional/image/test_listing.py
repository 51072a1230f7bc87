"""``GET /v2/images``: filters, sorting, pagination and who sees what."""
from __future__ import annotations

import struct
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status

MAGIC = {"qcow2": b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, 1 << 20) + b"\0" * 64,
         "vhd": b"conectix"}


@pytest.fixture
def five(glance, owner):
    """Five images of one project with distinct sizes, names and formats (the bytes begin
    as their format does: uploads are format-inspected)."""
    made = []
    for i, (disk, size) in enumerate([("raw", 300), ("qcow2", 100), ("raw", 500),
                                      ("vhd", 200), ("raw", 400)]):
        image = glance.create(owner.token, name=f"img-{i}", disk_format=disk,
                              container_format="bare", tags=[f"t{i}", "all"],
                              os_distro="debian" if i % 2 else "fedora")
        data = (MAGIC.get(disk, b"") + b"x" * size)[:size]
        assert_status(glance.upload(owner.token, image["id"], data), 204)
        made.append(image["id"])
    return made


def test_default_list_is_newest_first_with_links(glance, owner, five):
    body = assert_status(glance.get("/v2/images", token=owner.token), 200)
    assert [i["id"] for i in body["images"]] == five[::-1]
    assert body["first"] == "/v2/images" and body["schema"] == "/v2/schemas/images"
    assert "next" not in body


def test_pagination_follows_next_links(glance, owner, five):
    seen, url = [], "/v2/images?limit=2&sort_key=name&sort_dir=asc"
    while url:
        body = assert_status(glance.get(url, token=owner.token), 200)
        assert len(body["images"]) <= 2
        seen.extend(i["name"] for i in body["images"])
        assert body["first"] == "/v2/images?limit=2&sort_key=name&sort_dir=asc"
        url = body.get("next")
        if url:
            assert parse_qs(urlsplit(url).query)["marker"] == [body["images"][-1]["id"]]
    assert seen == [f"img-{i}" for i in range(5)]


@pytest.mark.parametrize("params,expected", [
    ({"disk_format": "raw"}, [0, 2, 4]),
    ({"name": "img-3"}, [3]),
    ({"name": 'in:"img-1",img-2'}, [1, 2]),
    ({"size_min": 250, "size_max": 450}, [0, 4]),
    ({"size": 200}, [3]),
    ({"tag": "t1"}, [1]),
    ({"os_distro": "debian"}, [1, 3]),
    ({"status": "active"}, [0, 1, 2, 3, 4]),
    ({"visibility": "shared"}, []),
    ({"visibility": "private"}, []),
    ({"protected": "false"}, [0, 1, 2, 3, 4]),
])
def test_filters(glance, owner, five, params, expected):
    got = set(glance.ids(owner.token, **params)) & set(five)
    assert got == {five[i] for i in expected}


@pytest.mark.parametrize("params", [
    {"sort": "size:desc"}, {"sort_key": "size", "sort_dir": "desc"},
    {"sort": "size:asc,name:desc"}, {"sort_key": ["disk_format", "size"],
                                      "sort_dir": ["asc", "desc"]}])
def test_sorting(glance, owner, five, params):
    body = assert_status(glance.get("/v2/images", token=owner.token, params=params), 200)
    images = [i for i in body["images"] if i["id"] in five]
    if "sort" in params:
        first, _, direction = params["sort"].split(",")[0].partition(":")
    else:
        keys = params["sort_key"] if isinstance(params["sort_key"], list) else [params["sort_key"]]
        dirs = params["sort_dir"] if isinstance(params["sort_dir"], list) else [params["sort_dir"]]
        first, direction = keys[0], dirs[0]
    values = [i[first] for i in images]
    assert values == sorted(values, reverse=direction == "desc")


@pytest.mark.parametrize("params", [
    {"limit": "x"}, {"limit": -1}, {"sort_key": "nope"}, {"sort_dir": "sideways"},
    {"sort": "name:up"}, {"sort": "name", "sort_key": "name"}, {"visibility": "nope"},
    {"member_status": "nope"}, {"size_min": "big"}, {"protected": "maybe"},
    {"marker": "00000000-0000-0000-0000-000000000000"}, {"created_at": "gt:yesterday"}])
def test_bad_queries(glance, owner, params):
    assert_glance_fault(glance.get("/v2/images", token=owner.token, params=params), 400)


def test_hidden_images_are_listed_only_on_request(glance, owner):
    hidden = glance.create(owner.token, os_hidden=True)
    shown = glance.create(owner.token)
    assert hidden["id"] not in glance.ids(owner.token)
    assert hidden["id"] in glance.ids(owner.token, os_hidden="true")
    assert shown["id"] not in glance.ids(owner.token, os_hidden="true")
    glance.patch_image(owner.token, shown["id"], [
        {"op": "replace", "path": "/os_hidden", "value": True}])
    assert shown["id"] not in glance.ids(owner.token)


def test_time_filters(glance, owner):
    image = glance.create(owner.token)
    assert image["id"] in glance.ids(owner.token, created_at=f"gte:{image['created_at']}")
    assert image["id"] not in glance.ids(owner.token, created_at="lt:2000-01-01T00:00:00Z")
