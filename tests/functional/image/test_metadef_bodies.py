"""Metadef endpoints given JSON that is not an object (a list, a string, a number, null)
answer 400, as Glance's schema validation does, never 500 (issue 7, F12)."""
from __future__ import annotations

import uuid

import pytest

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status

NS = "/v2/metadefs/namespaces"
NOT_OBJECTS = ([], ["namespace"], "namespace", 7, None, True)


@pytest.fixture
def namespace(glance, cloud):
    name = f"OS::Bodies::{uuid.uuid4().hex[:8]}"
    assert_status(glance.post(NS, token=cloud.admin_token, json={
        "namespace": name, "visibility": "public"}), 201)
    for kind, body in (("objects", {"name": "o1"}), ("properties",
                       {"name": "p1", "title": "P", "type": "string"}),
                       ("tags", None)):
        path = f"{NS}/{name}/{kind}" + ("/t1" if kind == "tags" else "")
        assert_status(glance.post(path, token=cloud.admin_token, json=body), 201)
    yield name
    glance.delete(f"{NS}/{name}", token=cloud.admin_token)


def _writes(name: str) -> list[tuple[str, str]]:
    ns = f"{NS}/{name}"
    return [("POST", NS), ("PUT", ns), ("POST", f"{ns}/objects"), ("PUT", f"{ns}/objects/o1"),
            ("POST", f"{ns}/properties"), ("PUT", f"{ns}/properties/p1"),
            ("POST", f"{ns}/tags"), ("PUT", f"{ns}/tags/t1"),
            ("POST", f"{ns}/resource_types")]


@pytest.mark.parametrize("body", NOT_OBJECTS, ids=repr)
def test_non_object_bodies_are_400(glance, cloud, namespace, body):
    for method, path in _writes(namespace):
        response = glance.http.request(method, "/image" + path, json=body, headers={
            "X-Auth-Token": cloud.admin_token})
        assert_glance_fault(response, 400)
