"""Every snapshot, transfer, group and manage route given wrong JSON types, odd envelopes,
odd ids and odd query strings answers a 4xx (or its success), never a 5xx."""
from __future__ import annotations

import itertools
from typing import Any

from tests.functional.volume.conftest import VolApi
from tests.functional.volume.snapshot_support import snapshot, volume_row
from tests.support.identity import Member

ODD_VALUES: list[Any] = [None, 0, -1, 10 ** 30, 1.5, True, "", "x" * 300, [], ["a"], {},
                         {"a": {"b": 1}}, "'; DROP TABLE x; --", "\u0000", "%", "None"]
ODD_IDS = ["", "x" * 300, "None", "%00", "..", "a b"]


def _bodies(envelope: str, fields: list[str]) -> list[Any]:
    out: list[Any] = [None, [], "text", 5, {}, {envelope: None}, {envelope: []},
                      {envelope: "x"}, {envelope: {}}, {"other": {}}]
    for field_name, value in itertools.product(fields, ODD_VALUES):
        out.append({envelope: {field_name: value}})
    return out


def _no_5xx(vol: VolApi, method: str, path: str, token: str, body: Any = None,
            version: str | None = "3.71") -> None:
    kw: dict[str, Any] = {"version": version}
    if body is not None:
        kw["json"] = body
    response = vol.request(method, path, token, **kw)
    assert response.status_code < 500, (method, path, body, response.status_code,
                                        response.text[:300])


def test_snapshot_routes(vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, member.project["id"])
    sid = snapshot(vol, vid, member.token)["id"]
    for token in (member.token, vol.admin):
        for body in _bodies("snapshot", ["volume_id", "name", "description", "force",
                                         "metadata", "display_name"]):
            _no_5xx(vol, "POST", "/snapshots", token, body)
            _no_5xx(vol, "PUT", f"/snapshots/{sid}", token, body)
        for action in ("os-reset_status", "os-force_delete", "os-update_snapshot_status",
                       "os-update_progress", "os-unmanage", "bogus"):
            for value in [*ODD_VALUES, {"status": "error", "progress": 5}]:
                _no_5xx(vol, "POST", f"/snapshots/{sid}/action", token, {action: value})
        for body in _bodies("metadata", ["k", ""]) + _bodies("meta", ["k"]):
            _no_5xx(vol, "POST", f"/snapshots/{sid}/metadata", token, body)
            _no_5xx(vol, "PUT", f"/snapshots/{sid}/metadata", token, body)
            _no_5xx(vol, "PUT", f"/snapshots/{sid}/metadata/k", token, body)
        for odd in ODD_IDS:
            for method in ("GET", "PUT", "DELETE"):
                _no_5xx(vol, method, f"/snapshots/{odd}", token, {"snapshot": {"name": "x"}})
            _no_5xx(vol, "GET", f"/snapshots/{sid}/metadata/{odd}", token)
        for query in ("limit=x", "limit=-1", "limit=99999999999999999999", "offset=-2",
                      "offset=x", "marker=x", "marker=" + "x" * 300, "sort=:", "sort=id:up",
                      "sort=,,", "sort_key=id&sort=id", "all_tenants=maybe",
                      "with_count=maybe", "metadata={", "metadata=[1]",
                      "metadata={'a':{'b':1}}", "name~=%", "status=%00", "name=" + "x" * 5000,
                      "project_id=x", "created_at=lt:x"):
            _no_5xx(vol, "GET", f"/snapshots?{query}", token)
            _no_5xx(vol, "GET", f"/snapshots/detail?{query}", token)


def test_transfer_routes(vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, member.project["id"])
    for token in (member.token, vol.admin):
        for base in ("/os-volume-transfer", "/volume-transfers"):
            for body in _bodies("transfer", ["volume_id", "name", "no_snapshots"]):
                _no_5xx(vol, "POST", base, token, body)
            for body in _bodies("accept", ["auth_key"]):
                _no_5xx(vol, "POST", f"{base}/{vid}/accept", token, body)
            for odd in ODD_IDS:
                _no_5xx(vol, "GET", f"{base}/{odd}", token)
                _no_5xx(vol, "DELETE", f"{base}/{odd}", token)
                _no_5xx(vol, "POST", f"{base}/{odd}/accept", token, {"accept": {
                    "auth_key": "k"}})
            for query in ("all_tenants=maybe", "name=%00", "volume_id=" + "x" * 300):
                _no_5xx(vol, "GET", f"{base}?{query}", token)
                _no_5xx(vol, "GET", f"{base}/detail?{query}", token)


def test_group_and_manage_routes(vol: VolApi, member: Member) -> None:
    gid = None
    for token in (vol.admin, member.token):
        for body in _bodies("group_type", ["name", "description", "is_public",
                                           "group_specs"]):
            _no_5xx(vol, "POST", "/group_types", token, body)
        for body in _bodies("group", ["name", "description", "group_type", "volume_types",
                                      "availability_zone", "add_volumes",
                                      "remove_volumes"]):
            _no_5xx(vol, "POST", "/groups", token, body)
        for body in _bodies("create-from-src", ["source_group_id", "group_snapshot_id",
                                                "name"]):
            _no_5xx(vol, "POST", "/groups/action", token, body)
        for body in _bodies("group_snapshot", ["group_id", "name", "description"]):
            _no_5xx(vol, "POST", "/group_snapshots", token, body)
        for body in _bodies("volume", ["host", "ref", "name", "volume_type",
                                       "availability_zone", "metadata", "bootable"]):
            _no_5xx(vol, "POST", "/os-volume-manage", token, body)
        for body in _bodies("snapshot", ["volume_id", "ref", "name", "metadata"]):
            _no_5xx(vol, "POST", "/os-snapshot-manage", token, body)
        for query in ("is_public=maybe", "sort=x:y", "all_tenants=maybe", "list_volume=maybe"):
            for path in ("/group_types", "/groups", "/groups/detail", "/group_snapshots",
                         "/group_snapshots/detail"):
                _no_5xx(vol, "GET", f"{path}?{query}", token)
        for odd in ODD_IDS:
            for path in (f"/group_types/{odd}", f"/groups/{odd}", f"/group_snapshots/{odd}",
                         f"/group_types/{odd}/group_specs", f"/group_types/{odd}/group_specs/k"):
                _no_5xx(vol, "GET", path, token)
                _no_5xx(vol, "DELETE", path, token)
            _no_5xx(vol, "PUT", f"/groups/{odd}", token, {"group": {"name": "x"}})
            _no_5xx(vol, "POST", f"/groups/{odd}/action", token, {"delete": {}})
    import uuid

    from tests.support.api import assert_status

    gtype = assert_status(vol.post("/group_types", version="3.71", json={"group_type": {
        "name": f"gt-{uuid.uuid4().hex[:8]}"}}), 202)["group_type"]["id"]
    default = assert_status(vol.get("/types/default"), 200)["volume_type"]["id"]
    gid = assert_status(vol.post("/groups", member.token, version="3.71", json={"group": {
        "group_type": gtype, "volume_types": [default]}}), 202)["group"]["id"]
    for value in ODD_VALUES:
        for key in ("delete", "reset_status", "bogus"):
            _no_5xx(vol, "POST", f"/groups/{gid}/action", member.token, {key: value})
            _no_5xx(vol, "POST", f"/groups/{gid}/action", member.token,
                    {key: {"status": value, "delete-volumes": value}})
        _no_5xx(vol, "PUT", f"/groups/{gid}", member.token, {"group": {
            "add_volumes": value, "remove_volumes": value, "name": value}})
        _no_5xx(vol, "PUT", f"/group_types/{gtype}", vol.admin, {"group_type": {
            "name": value, "is_public": value}})
        _no_5xx(vol, "PUT", f"/group_types/{gtype}/group_specs/k", vol.admin, {"k": value})
        _no_5xx(vol, "POST", f"/group_types/{gtype}/group_specs", vol.admin,
                {"group_specs": value})
