"""Odd input to the quota, limits, services, hosts, pools, capabilities and messages
routes: always Cinder's 4xx, never a 5xx."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.functional.volume.conftest import VolApi

ODD_VALUES: list[Any] = [None, True, 1.5, "", "x" * 300, -2, 2 ** 40, [], {}, {"a": 1},
                         "1e3", " 7 ", "\u00e9"]
PROJECT = uuid.uuid4().hex


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_quota_values(vol: VolApi, value: Any) -> None:
    for path, key in ((f"/os-quota-sets/{PROJECT}", "quota_set"),
                      ("/os-quota-class-sets/robust", "quota_class_set")):
        for body in ({key: {"volumes": value}}, {key: value}, value,
                     {key: {str(value)[:40] or "k": 1}}):
            response = vol.put(path, json=body)
            assert response.status_code < 500, (path, body, response.text)


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_service_bodies(vol: VolApi, value: Any) -> None:
    for action in ("enable", "disable", "disable-log-reason", "freeze", "thaw",
                   "failover_host", "set-log", "get-log"):
        for body in ({"host": value, "binary": "cinder-volume"},
                     {"host": "vtest@file", "binary": value},
                     {"host": "vtest@file", "binary": "cinder-volume",
                      "disabled_reason": value},
                     {"host": "vtest@file", "level": value, "prefix": value},
                     value):
            response = vol.put(f"/os-services/{action}", json=body, version="3.32")
            assert response.status_code < 500, (action, body, response.text)
    vol.put("/os-services/enable", json={"host": "vtest@file", "binary": "cinder-volume"})
    vol.put("/os-services/thaw", json={"host": "vtest@file"})


@pytest.mark.parametrize("query", [
    {"usage": "maybe"}, {"limit": "-1"}, {"limit": "x"}, {"limit": str(2 ** 70)},
    {"marker": "nope"}, {"sort": "created_at:sideways"}, {"sort": "nope"},
    {"sort_key": "id", "sort": "id"}, {"sort_dir": "up"}, {"detail": "perhaps"},
    {"project_id": "x" * 300}, {"volume_type": "x" * 300}, {"name": "\u00e9"},
    {"resource_uuid": "zzz", "sort": "resource_uuid:asc", "marker": str(uuid.uuid4())},
])
def test_odd_queries(vol: VolApi, query: dict[str, str]) -> None:
    for path in (f"/os-quota-sets/{PROJECT}", "/limits", "/os-services", "/os-hosts",
                 "/scheduler-stats/get_pools", "/messages", "/os-availability-zone",
                 f"/os-quota-sets/{PROJECT}/defaults", "/extensions"):
        response = vol.get(path, params=query, version="3.71")
        assert response.status_code < 500, (path, query, response.text)


@pytest.mark.parametrize("ident", ["x" * 300, "%25", "a b", "..", "\u00e9", "a#b"])
def test_odd_path_segments(vol: VolApi, ident: str) -> None:
    for path in (f"/messages/{ident}", f"/capabilities/{ident}", f"/os-hosts/{ident}",
                 f"/os-quota-class-sets/{ident}", f"/os-quota-sets/{ident}"):
        for method in ("GET", "DELETE"):
            response = vol.request(method, path, version="3.71")
            assert response.status_code < 500, (method, path, response.text)
