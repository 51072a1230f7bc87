"""Schemas and the info calls clients read."""
from __future__ import annotations

import pytest

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status


@pytest.mark.parametrize("name,title", [
    ("image", "image"), ("images", "images"), ("member", "member"), ("members", "members"),
    ("task", "task"), ("tasks", "tasks"),
    ("metadefs/namespace", "namespace"), ("metadefs/namespaces", "namespaces"),
    ("metadefs/resource_type", "resource_type_association"),
    ("metadefs/resource_types", "resource_type_associations"),
    ("metadefs/object", "object"), ("metadefs/objects", "objects"),
    ("metadefs/property", "property"), ("metadefs/properties", "properties"),
    ("metadefs/tag", "tag"), ("metadefs/tags", "tags")])
def test_schemas(glance, reader, name, title):
    body = assert_status(glance.get(f"/v2/schemas/{name}", token=reader.token), 200)
    assert body["name"] == title and "properties" in body


def test_image_schema_describes_what_clients_check(glance, reader):
    schema = assert_status(glance.get("/v2/schemas/image", token=reader.token), 200)
    props = schema["properties"]
    assert props["status"]["readOnly"] is True
    assert "qcow2" in props["disk_format"]["enum"] and None in props["disk_format"]["enum"]
    assert "bare" in props["container_format"]["enum"]
    assert schema["additionalProperties"] == {"type": "string"}
    assert {link["rel"] for link in schema["links"]} == {"self", "enclosure", "describedby"}


def test_unknown_schema(glance, reader):
    assert_glance_fault(glance.get("/v2/schemas/nope", token=reader.token), 404)


def test_info(glance, reader):
    methods = assert_status(glance.get("/v2/info/import", token=reader.token), 200)
    assert methods["import-methods"]["value"] == ["glance-direct", "web-download"]
    stores = assert_status(glance.get("/v2/info/stores", token=reader.token), 200)["stores"]
    assert stores == [{"id": "file", "description": "Image store 'file'", "default": True}]
    usage = assert_status(glance.get("/v2/info/usage", token=reader.token), 200)["usage"]
    assert set(usage) == {"image_size_total", "image_stage_total", "image_count_total",
                          "image_count_uploading"}
