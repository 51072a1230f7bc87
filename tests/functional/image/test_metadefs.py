"""Metadata definitions: namespaces and their objects, properties, tags, resource types."""
from __future__ import annotations

import uuid

import pytest

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status

NS = "/v2/metadefs/namespaces"


@pytest.fixture
def namespace(glance, cloud):
    name = f"OS::Test::{uuid.uuid4().hex[:8]}"
    body = assert_status(glance.post(NS, token=cloud.admin_token, json={
        "namespace": name, "display_name": name, "description": "test",
        "visibility": "public", "protected": False}), 201)
    yield body["namespace"]
    glance.delete(f"{NS}/{name}", token=cloud.admin_token)


def test_namespace_lifecycle(glance, cloud, owner):
    types = assert_status(glance.get("/v2/metadefs/resource_types", token=owner.token), 200)
    names = [t["name"] for t in types["resource_types"]]
    assert "OS::Glance::Image" in names and "OS::Nova::Flavor" in names
    name = f"OS::Life::{uuid.uuid4().hex[:8]}"
    created = assert_status(glance.post(NS, token=cloud.admin_token, json={
        "namespace": name, "visibility": "public", "protected": True,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        "properties": {"cpu": {"title": "CPU", "type": "integer"}},
        "objects": [{"name": "obj", "properties": {}}], "tags": [{"name": "t"}]}), 201)
    assert created["self"] == f"{NS}/{name}" and created["protected"] is True
    assert created["properties"]["cpu"]["title"] == "CPU"
    assert_glance_fault(glance.post(NS, token=cloud.admin_token, json={"namespace": name}),
                        409)
    assert_glance_fault(glance.post(NS, token=owner.token, json={"namespace": "x"}), 403)
    listed = assert_status(glance.get(NS, token=owner.token), 200)["namespaces"]
    assert name in [n["namespace"] for n in listed]
    filtered = assert_status(glance.get(NS, token=owner.token,
                                        params={"resource_types": "OS::Glance::Image"}), 200)
    assert name in [n["namespace"] for n in filtered["namespaces"]]
    shown = assert_status(glance.get(f"{NS}/{name}", token=owner.token), 200)
    assert shown["resource_type_associations"][0]["prefix"] == "hw_"
    assert [t["name"] for t in shown["tags"]] == ["t"]
    assert_glance_fault(glance.delete(f"{NS}/{name}", token=cloud.admin_token), 403)
    updated = assert_status(glance.put(f"{NS}/{name}", token=cloud.admin_token, json={
        "namespace": name, "visibility": "private", "protected": False}), 200)
    assert updated["visibility"] == "private" and updated["protected"] is False
    # private now: the owner (the admin project) sees it, other projects do not
    assert_glance_fault(glance.get(f"{NS}/{name}", token=owner.token), 404)
    assert_status(glance.delete(f"{NS}/{name}", token=cloud.admin_token), 204)
    assert_glance_fault(glance.get(f"{NS}/{name}", token=cloud.admin_token), 404)


def test_objects(glance, cloud, namespace):
    base = f"{NS}/{namespace}/objects"
    made = assert_status(glance.post(base, token=cloud.admin_token, json={
        "name": "o1", "description": "d", "required": ["a"],
        "properties": {"a": {"title": "A", "type": "string"}}}), 201)
    assert made["self"] == f"{base}/o1" and made["required"] == ["a"]
    assert_glance_fault(glance.post(base, token=cloud.admin_token, json={"name": "o1"}), 409)
    renamed = assert_status(glance.put(f"{base}/o1", token=cloud.admin_token,
                                       json={"name": "o2"}), 200)
    assert renamed["name"] == "o2"
    listed = assert_status(glance.get(base, token=cloud.admin_token), 200)["objects"]
    assert [o["name"] for o in listed] == ["o2"]
    assert_status(glance.get(f"{base}/o2", token=cloud.admin_token), 200)
    assert_status(glance.delete(f"{base}/o2", token=cloud.admin_token), 204)
    assert_glance_fault(glance.get(f"{base}/o2", token=cloud.admin_token), 404)


def test_properties(glance, cloud, namespace):
    base = f"{NS}/{namespace}/properties"
    made = assert_status(glance.post(base, token=cloud.admin_token, json={
        "name": "hypervisor", "title": "Hypervisor", "type": "string",
        "enum": ["kvm", "qemu"]}), 201)
    assert made == {"name": "hypervisor", "title": "Hypervisor", "type": "string",
                    "enum": ["kvm", "qemu"]}
    assert_glance_fault(glance.post(base, token=cloud.admin_token,
                                    json={"name": "x", "type": "string"}), 400)
    updated = assert_status(glance.put(f"{base}/hypervisor", token=cloud.admin_token, json={
        "name": "hypervisor", "title": "HV", "type": "string"}), 200)
    assert updated["title"] == "HV"
    props = assert_status(glance.get(base, token=cloud.admin_token), 200)["properties"]
    assert props == {"hypervisor": {"name": "hypervisor", "title": "HV", "type": "string"}}
    assert_status(glance.delete(f"{base}/hypervisor", token=cloud.admin_token), 204)
    assert assert_status(glance.get(base, token=cloud.admin_token), 200)["properties"] == {}


def test_tags(glance, cloud, namespace):
    base = f"{NS}/{namespace}/tags"
    made = assert_status(glance.post(base, token=cloud.admin_token, json={
        "tags": [{"name": "a"}, {"name": "b"}]}), 201)
    assert [t["name"] for t in made["tags"]] == ["a", "b"]
    assert_status(glance.post(f"{base}/c", token=cloud.admin_token), 201)
    assert_glance_fault(glance.post(f"{base}/c", token=cloud.admin_token), 409)
    assert_status(glance.put(f"{base}/c", token=cloud.admin_token, json={"name": "d"}), 200)
    assert_status(glance.get(f"{base}/d", token=cloud.admin_token), 200)
    names = [t["name"] for t in assert_status(glance.get(base, token=cloud.admin_token),
                                              200)["tags"]]
    assert names == ["a", "b", "d"]
    assert_status(glance.delete(f"{base}/d", token=cloud.admin_token), 204)
    assert_status(glance.delete(base, token=cloud.admin_token), 204)
    assert assert_status(glance.get(base, token=cloud.admin_token), 200)["tags"] == []


def test_resource_type_associations(glance, cloud, namespace):
    base = f"{NS}/{namespace}/resource_types"
    made = assert_status(glance.post(base, token=cloud.admin_token, json={
        "name": "OS::Nova::Flavor", "prefix": "hw:"}), 201)
    assert made["name"] == "OS::Nova::Flavor" and made["prefix"] == "hw:"
    assert_glance_fault(glance.post(base, token=cloud.admin_token,
                                    json={"name": "OS::Nova::Flavor"}), 409)
    listed = assert_status(glance.get(base, token=cloud.admin_token), 200)
    assert [a["name"] for a in listed["resource_type_associations"]] == ["OS::Nova::Flavor"]
    assert_status(glance.delete(f"{base}/OS::Nova::Flavor", token=cloud.admin_token), 204)
    assert_glance_fault(glance.delete(f"{base}/OS::Nova::Flavor", token=cloud.admin_token),
                        404)
