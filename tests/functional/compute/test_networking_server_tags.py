"""Server tags (``/servers/{id}/tags``, from 2.26), which Tempest's compute tests reach
once servers boot on networks."""
from __future__ import annotations

import pytest

from tests.functional.compute.servers_support import Nova, boot, ensure_flavors, make_image
from tests.support.api import Api
from tests.support.identity import Cloud


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    return Nova(api)


def test_tags_are_added_replaced_checked_and_removed(api: Api, nova: Nova, cloud: Cloud,
                                                     db_url: str) -> None:
    ensure_flavors(db_url)
    owner = cloud.make_project_member()
    sid = boot(nova, owner.token, make_image(api, owner.token))
    base, v = f"/servers/{sid}/tags", "2.26"
    assert nova("GET", base, owner.token, "2.25").status_code == 404
    r = nova("PUT", base + "/a", owner.token, v)
    assert r.status_code == 201 and r.headers["Location"].endswith(base + "/a")
    assert nova("PUT", base + "/a", owner.token, v).status_code == 204
    assert nova("GET", base + "/a", owner.token, v).status_code == 204
    assert nova("GET", base + "/b", owner.token, v).status_code == 404
    r = nova("PUT", base, owner.token, v, json={"tags": ["x", "y"]})
    assert r.status_code == 200 and r.json() == {"tags": ["x", "y"]}
    assert nova("PUT", base, owner.token, v, json={"tags": ["a/b"]}).status_code == 400
    assert nova("DELETE", base + "/x", owner.token, v).status_code == 204
    assert nova("DELETE", base + "/x", owner.token, v).status_code == 404
    assert nova("GET", base, owner.token, v).json() == {"tags": ["y"]}
    assert nova("DELETE", base, owner.token, v).status_code == 204
    assert nova("GET", base, owner.token, v).json() == {"tags": []}
