"""Flavor views per microversion, list filters and sorting, create normalisation and the
extra spec checks of 2.86."""
from __future__ import annotations

from datetime import datetime

import pytest

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import flavors
from onestack.core.errors import BadRequest

from tests.unit.compute.helpers import call


def flavor(**changes) -> cm.Flavor:
    values = dict(id="42", name="m1.nano", vcpus=1, ram=128, disk=1, ephemeral=0, swap=0,
                  rxtx_factor=1.0, is_public=True, disabled=False, description=None,
                  extra_specs={"hw:cpu_policy": "shared"}, created_at=datetime(2024, 1, 1))
    values.update(changes)
    return cm.Flavor(**values)


def test_view_21_has_the_extension_fields_and_an_empty_swap():
    view = flavors.flavor_view(call(), flavor(), (2, 1), True)
    assert view["swap"] == ""
    assert view["OS-FLV-EXT-DATA:ephemeral"] == 0
    assert view["OS-FLV-DISABLED:disabled"] is False
    assert view["os-flavor-access:is_public"] is True
    assert view["links"][0] == {"rel": "self",
                                "href": "http://cloud.test/compute/v2.1/flavors/42"}
    assert "description" not in view and "extra_specs" not in view


def test_view_fields_follow_the_microversion():
    assert flavors.flavor_view(call(), flavor(swap=512), (2, 1), True)["swap"] == 512
    assert flavors.flavor_view(call(), flavor(), (2, 75), True)["swap"] == 0
    v255 = flavors.flavor_view(call(), flavor(description="d"), (2, 55), True)
    assert v255["description"] == "d" and "extra_specs" not in v255
    v261 = flavors.flavor_view(call(), flavor(), (2, 61), True)
    assert v261["extra_specs"] == {"hw:cpu_policy": "shared"}
    assert "extra_specs" not in flavors.flavor_view(call(), flavor(), (2, 61), False)
    assert set(flavors.brief_view(call(), flavor(), (2, 1))) == {"id", "name", "links"}
    assert "description" in flavors.brief_view(call(), flavor(), (2, 55))


@pytest.mark.parametrize("value,expected", [(None, None), ("None", None), ("false", False),
                                            ("f", False), ("0", False), ("yes", True),
                                            ("t", True)])
def test_parse_is_public(value, expected):
    assert flavors.parse_is_public(value) is expected


def test_parse_is_public_rejects_garbage():
    with pytest.raises(BadRequest):
        flavors.parse_is_public("maybe")


def test_sort_by_flavorid_then_other_keys():
    rows = [flavor(id="2", ram=2048, name="b"), flavor(id="1", ram=512, name="c"),
            flavor(id="3", ram=512, name="a")]
    assert [f.id for f in flavors.sort_flavors(rows, "flavorid", "asc")] == ["1", "2", "3"]
    assert [f.id for f in flavors.sort_flavors(rows, "memory_mb", "desc")] == ["2", "3", "1"]
    assert [f.id for f in flavors.sort_flavors(rows, "name", "asc")] == ["3", "2", "1"]
    with pytest.raises(BadRequest):
        flavors.sort_flavors(rows, "bogus", "asc")
    with pytest.raises(BadRequest):
        flavors.sort_flavors(rows, "name", "up")


def test_new_flavor_normalises_ids_and_numbers():
    f = flavors.new_flavor({"name": "x", "ram": "1024", "vcpus": 2, "disk": "0", "id": 1234,
                            "os-flavor-access:is_public": "False", "rxtx_factor": "2.5"})
    assert (f.id, f.ram, f.vcpus, f.disk, f.is_public, f.rxtx_factor) == \
        ("1234", 1024, 2, 0, False, 2.5)
    generated = flavors.new_flavor({"name": "y", "ram": 1, "vcpus": 1, "disk": 0, "id": None})
    assert len(generated.id) == 36 and generated.is_public is True and generated.swap == 0


@pytest.mark.parametrize("body", [
    {"name": "x", "ram": "0", "vcpus": 1, "disk": 0},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 0, "id": "a/b"},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 0, "id": " lead"},
])
def test_new_flavor_rejects_bad_values(body):
    with pytest.raises(BadRequest):
        flavors.new_flavor(body)


def test_create_schema_by_version():
    body = {"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0, "description": "d"}}
    with pytest.raises(BadRequest):
        schemas.validate(flavors.CREATE_21, body)
    schemas.validate(flavors.CREATE_255, body)
    with pytest.raises(BadRequest):
        schemas.validate(flavors.CREATE_21, {"flavor": {"name": "x", "ram": 1, "vcpus": 1}})


def test_spec_values_stringify_and_validate_from_286():
    assert flavors.spec_values({"hw:numa_nodes": 2, "a": "b"}, (2, 1)) == \
        {"hw:numa_nodes": "2", "a": "b"}
    assert flavors.spec_values({"hw:cpu_policy": "bad"}, (2, 85)) == {"hw:cpu_policy": "bad"}
    with pytest.raises(BadRequest):
        flavors.spec_values({"hw:cpu_policy": "bad"}, (2, 86))
    with pytest.raises(BadRequest):
        flavors.spec_values({"hw:numa_nodes": "0"}, (2, 86))
    assert flavors.spec_values({"foo:bar": "baz"}, (2, 86)) == {"foo:bar": "baz"}


def test_extra_spec_item_schema_takes_exactly_one_key():
    schemas.validate(flavors.EXTRA_SPEC_ITEM, {"hw:numa_nodes": "1"})
    for bad in ({}, {"a": "1", "b": "2"}, {"bad/key": "1"}):
        with pytest.raises(BadRequest):
            schemas.validate(flavors.EXTRA_SPEC_ITEM, bad)
