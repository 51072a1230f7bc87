"""Every types / extra specs / access / encryption / default types / QoS route answers
malformed input with a 4xx, never a 5xx (as an admin, who passes every policy)."""
from __future__ import annotations

import json
import uuid

from tests.functional.volume.conftest import VolApi
from tests.functional.volume.test_qos_specs import make_qos
from tests.functional.volume.test_types import make_type

BODIES = [b"", b"not json", b"[]", b"{}", b'"x"', b"123", b"null", b'{"a": null}',
          json.dumps({"volume_type": {"name": ["x"]}}).encode(),
          json.dumps({"extra_specs": {"k" * 300: "v"}}).encode(),
          json.dumps({"encryption": {"provider": "p", "control_location": "front-end",
                                     "key_size": 10 ** 30}}).encode(),
          json.dumps({"qos_specs": {"name": "x", "nested": {"a": 1}}}).encode(),
          json.dumps({"keys": "not-a-list"}).encode(),
          json.dumps({"default_type": {"volume_type": None}}).encode(),
          json.dumps({"addProjectAccess": {"project": 5}}).encode(),
          json.dumps({"removeProjectAccess": None}).encode()]


def routes(type_id: str, qos_id: str, project: str) -> list[tuple[str, str]]:
    t, q = f"/types/{type_id}", f"/qos-specs/{qos_id}"
    return [("POST", "/types"), ("PUT", t), ("POST", f"{t}/action"),
            ("POST", f"{t}/extra_specs"), ("PUT", f"{t}/extra_specs/k"),
            ("POST", f"{t}/encryption"), ("PUT", f"{t}/encryption/{uuid.uuid4()}"),
            ("PUT", f"/default-types/{project}"), ("POST", "/qos-specs"), ("PUT", q),
            ("PUT", f"{q}/delete_keys")]


def test_malformed_bodies_are_4xx(vol: VolApi, admin_project_id: str) -> None:
    t, q = make_type(vol), make_qos(vol)
    seen = []
    for method, path in routes(t["id"], q["id"], admin_project_id):
        for body in BODIES:
            response = vol.request(method, path, version="3.62", content=body,
                                   headers={"Content-Type": "application/json"})
            seen.append((method, path, body[:40], response.status_code))
            assert 400 <= response.status_code < 500, seen[-1]


def test_odd_query_strings_are_4xx_or_200(vol: VolApi) -> None:
    q = make_qos(vol)
    for query in ("limit=abc", "limit=-5", "offset=x", "marker=%00", "sort=name:up",
                  "sort_key=name&sort=id", "is_public=2", "extra_specs=[1]",
                  "extra_specs=" + "(" * 200, "sort=" + "x" * 5000, "limit=99999999999999999"):
        for path in ("/types", "/qos-specs"):
            status = vol.get(f"{path}?{query}").status_code
            assert status == 200 or 400 <= status < 500, (path, query, status)
    for path in (f"/qos-specs/{q['id']}/associate?vol_type_id=%00",
                 f"/qos-specs/{q['id']}/disassociate?vol_type_id=" + "x" * 300,
                 f"/qos-specs/{q['id']}?force=x", "/types/" + "x" * 300,
                 "/types/default/extra_specs", "/types/%00/encryption/x"):
        status = vol.get(path).status_code
        assert 200 <= status < 500 and status != 500, (path, status)
