"""Malformed input to every volumes route — bodies of the wrong shape, every field given
each wrong type, huge strings, odd query strings — is a Cinder 4xx fault, never a 5xx."""
from __future__ import annotations

import pytest

from tests.functional.volume.conftest import VolApi

ODD = [None, True, 0, -1, 1.5, 2 ** 64, "", "x" * 70000, [], [1], {}, {"a": {"b": 1}},
       "\u2603", "' OR 1=1 --"]
FIELDS = ["name", "description", "size", "availability_zone", "volume_type", "metadata",
          "snapshot_id", "source_volid", "imageRef", "backup_id", "multiattach",
          "display_name", "group_id"]


@pytest.fixture(scope="module")
def volume_id(vol: VolApi, admin_project_id: str) -> str:
    vol.unlimit(admin_project_id)
    return vol.volume()["id"]


def _fine(response) -> None:  # noqa: ANN001
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        (fault,) = body.values()
        assert fault["code"] == response.status_code


def test_create_bodies(vol: VolApi) -> None:
    for body in ODD:
        _fine(vol.post("/volumes", json=body))
        _fine(vol.post("/volumes", json={"volume": body}))
    for field in FIELDS:
        for value in ODD:
            _fine(vol.post("/volumes", version="3.47",
                           json={"volume": {"size": 1, field: value}}))
    _fine(vol.post("/volumes", content=b"{not json"))


def test_update_and_metadata_bodies(vol: VolApi, volume_id: str) -> None:
    for value in ODD:
        for field in ("name", "description", "metadata"):
            _fine(vol.put(f"/volumes/{volume_id}", json={"volume": {field: value}}))
        _fine(vol.put(f"/volumes/{volume_id}", json=value))
        for method in ("post", "put"):
            _fine(getattr(vol, method)(f"/volumes/{volume_id}/metadata",
                                       json={"metadata": value}))
            _fine(getattr(vol, method)(f"/volumes/{volume_id}/metadata", json=value))
        _fine(vol.put(f"/volumes/{volume_id}/metadata/k", json={"meta": value}))
        _fine(vol.put(f"/volumes/{volume_id}/metadata/k", json=value))


def test_query_strings(vol: VolApi) -> None:
    odd = ["", "x", "-1", "99999999999999999999999", "null", "{'a':", "[1,2]", "{}",
           "gt:", "%00", "\u2603", "1e309", "True"]
    keys = ["limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count",
            "all_tenants", "name", "status", "metadata", "bootable", "size",
            "created_at", "updated_at", "name~", "availability_zone", "project_id",
            "glance_metadata", "volume_type", "host", "nope"]
    for key in keys:
        for value in odd:
            for path in ("/volumes", "/volumes/detail", "/volumes/summary"):
                _fine(vol.get(path, version="3.60", params={key: value}))
    for value in odd:
        _fine(vol.delete("/volumes/x", params={"cascade": value}))
        _fine(vol.delete("/volumes/x", version="3.23", params={"force": value}))
