"""The image proxy's pure parts: Glance ↔ Nova statuses, list filters parsed from the query
string, the detail view, reserved metadata keys; and the network views."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from onestack.compute.api import images, networks
from onestack.compute.service import network_proxy
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden
from onestack.image import models as im
from tests.unit.compute.helpers import call

T0 = datetime(2024, 5, 1, 12, 30, 0, 123456)


def row(**kw) -> im.Image:
    attrs = {"id": "6f0c0b5e-0a4e-4b7e-9d55-0c9f1f3b2a10", "name": "cirros",
             "status": "active", "visibility": "public", "owner": "p1", "size": 42,
             "min_disk": None, "min_ram": 256, "created_at": T0, "updated_at": T0}
    return im.Image(**{**attrs, **kw})


@pytest.mark.parametrize("value,expected", [
    ("ACTIVE", {"active"}),
    ("active", {"active"}),
    ("SAVING", {"queued", "saving", "uploading", "importing"}),
    ("saving", {"queued", "saving", "uploading", "importing"}),
    ("queued", {"queued"}),
    ("ERROR", {"killed"}),
    ("DELETED", {"deleted", "pending_delete"}),
    ("UNKNOWN", {"deactivated"}),
    ("bogus", set()),
])
def test_status_filter_means_glance_statuses(value: str, expected: set[str]):
    assert set(images.glance_statuses(value)) == expected


def test_filters_from_query():
    f = images.parse_filters(call(
        "name=n&status=ACTIVE&type=snapshot&server=http://x/compute/v2.1/servers/abc/"
        "&property-os_distro=cirros&changes-since=2024-05-01T10:00:00%2B02:00"
        "&minRam=512&minDisk=1"))
    assert f.name == "n" and f.statuses == ("active",)
    assert f.properties == (("instance_uuid", "abc"), ("image_type", "snapshot"),
                            ("os_distro", "cirros"))
    assert f.changes_since == datetime(2024, 5, 1, 8, 0, 0)  # naive UTC, as stored
    assert (f.min_ram, f.min_disk) == (512, 1)
    assert images.parse_filters(call("server=abc")).properties == (("instance_uuid", "abc"),)
    assert images.parse_filters(call("")) == images.Filters()


@pytest.mark.parametrize("query", ["changes-since=soon", "minRam=x", "minDisk=1.5"])
def test_bad_filters_are_400(query: str):
    with pytest.raises(BadRequest):
        images.parse_filters(call(query))


def test_detail_view():
    c = call(path="/compute/v2.1/images/detail")
    view = images.detail_view(c, row(), {"instance_uuid": "srv", "auto_disk_config": "False"})
    assert view["status"] == "ACTIVE" and view["progress"] == 100
    assert (view["minDisk"], view["minRam"], view["OS-EXT-IMG-SIZE:size"]) == (0, 256, 42)
    assert view["created"] == view["updated"] == "2024-05-01T12:30:00Z"
    assert view["server"]["id"] == "srv"
    assert view["server"]["links"][0]["href"] == "http://cloud.test/compute/v2.1/servers/srv"
    assert view["OS-DCF:diskConfig"] == "MANUAL"
    assert [link["rel"] for link in view["links"]] == ["self", "bookmark", "alternate"]
    plain = images.detail_view(c, row(status="killed"), {})
    assert "server" not in plain and "OS-DCF:diskConfig" not in plain
    assert (plain["status"], plain["progress"]) == ("ERROR", 0)
    assert images.detail_view(c, row(status="deactivated"), {})["status"] == "UNKNOWN"


@pytest.mark.parametrize("key", ["name", "min_ram", "status", "id", "locations",
                                 "os_glance_import_task"])
def test_image_attributes_are_not_metadata(key: str):
    with pytest.raises(Forbidden):
        images.check_keys({key: "1"})


@pytest.mark.parametrize("key", ["os_distro", "image_type", "hw:cpu", "custom"])
def test_custom_keys_are_metadata(key: str):
    assert images.check_keys({key: "x"}) is None  # accepted as metadata
    with pytest.raises(Forbidden):  # and checked beside a reserved one, which is refused
        images.check_keys({key: "x", "min_ram": "1"})


def test_network_views():
    net = {"id": "n1", "label": "private", "cidr": "10.0.0.0/24", "mtu": 1450}
    assert networks.tenant_view(net, True) == {"id": "n1", "label": "private",
                                               "cidr": "10.0.0.0/24"}
    basic = networks.full_view(net, False)
    assert basic["label"] == "private" and "mtu" not in basic and basic["gateway"] is None
    assert networks.full_view(net, True)["mtu"] == 1450
    no_network_service = SimpleNamespace(network=None)
    assert network_proxy.networks(no_network_service, RequestContext("r")) == []
