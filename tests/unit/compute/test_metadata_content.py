"""The metadata documents rendered from an instance's facts, in the shapes Nova serves
(what cloud-init and our guest image read), with no database."""
from __future__ import annotations

import base64
import datetime
import json

from onestack.compute.metadata import content
from onestack.compute.metadata.facts import Disk, FixedIP, InstanceFacts, Nic, Subnet, \
    decode_user_data

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyMaterial test@example"
UUID = "5f0c8d7e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"
PORT = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"
NET = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

V4_DHCP = Subnet("10.0.0.0/26", 4, "10.0.0.1", True, None, ("10.0.0.2", "9.9.9.9"))
V4_STATIC = Subnet("192.168.7.0/24", 4, "192.168.7.1", False, None, ("192.168.7.53",),
                   (("172.16.0.0/16", "192.168.7.254"),))
V6_SLAAC = Subnet("fd00:1::/64", 6, "fd00:1::1", True, "slaac", ("fd00:1::53",))


def facts(**changes) -> InstanceFacts:
    base = dict(uuid=UUID, name="web 1", hostname="web-1", project_id="p1",
                availability_zone="nova", launch_index=0, reservation_id="r-abc123",
                image_ref="3e4f5a6b-0000-4000-8000-000000000000", flavor_name="m1.tiny",
                key_name="mykey", key_data=KEY, key_type="ssh",
                user_data=b"#!/bin/sh\necho hello > /tmp/marker\n", meta={"role": "web"},
                security_groups=("default",),
                nics=(Nic(PORT, "fa:16:3e:00:00:01", NET, 1450,
                          (FixedIP("10.0.0.5", V4_DHCP), FixedIP("fd00:1::5", V6_SLAAC)),
                          ("203.0.113.10",), "eth-front"),))
    base.update(changes)
    return InstanceFacts(**base)


def get(f: InstanceFacts, path: str) -> content.Document:
    doc = content.lookup(f, path, seed="c2VlZA==")
    assert doc is not None, path
    return doc


def test_meta_data_json_latest_has_identity_keys_and_project():
    doc = get(facts(), "openstack/latest/meta_data.json")
    assert doc.content_type == "application/json"
    md = json.loads(doc.body)
    assert md["uuid"] == UUID and md["name"] == "web 1" and md["hostname"] == "web-1"
    assert md["public_keys"] == {"mykey": KEY}
    assert md["keys"] == [{"name": "mykey", "type": "ssh", "data": KEY}]
    assert (md["launch_index"], md["availability_zone"], md["project_id"]) == (0, "nova", "p1")
    assert md["meta"] == {"role": "web"}
    assert md["random_seed"] == "c2VlZA=="
    assert md["devices"] == [{"type": "nic", "mac": "fa:16:3e:00:00:01",
                              "tags": ["eth-front"]}]
    assert md["dedicated_cpus"] == []


def test_tagged_volumes_are_devices_the_guest_finds_by_serial():
    vol_boot = "0a1b2c3d-0000-4000-8000-00000000000b"
    vol_data = "0a1b2c3d-0000-4000-8000-00000000000d"
    md = json.loads(get(facts(disks=(Disk(vol_boot, "boot"), Disk(vol_data, "data"))),
                        "openstack/latest/meta_data.json").body)
    assert md["devices"] == [
        {"type": "nic", "mac": "fa:16:3e:00:00:01", "tags": ["eth-front"]},
        {"type": "disk", "serial": vol_boot, "tags": ["boot"]},
        {"type": "disk", "serial": vol_data, "tags": ["data"]}]
    untagged = json.loads(get(facts(nics=()), "openstack/latest/meta_data.json").body)
    assert untagged["devices"] == []


def test_older_versions_carry_only_their_fields():
    folsom = json.loads(get(facts(), "openstack/2012-08-10/meta_data.json").body)
    assert "random_seed" not in folsom and "project_id" not in folsom
    assert "devices" not in folsom and folsom["public_keys"] == {"mykey": KEY}
    assert get(facts(), "openstack/2012-08-10").body.decode().split("\n") == [
        "meta_data.json", "user_data"]
    assert content.lookup(facts(), "openstack/2012-08-10/network_data.json") is None
    liberty = json.loads(get(facts(), "openstack/2015-10-15/meta_data.json").body)
    assert liberty["project_id"] == "p1" and "devices" not in liberty


def test_no_key_no_meta_means_no_such_fields():
    md = json.loads(get(facts(key_name=None, key_data=None, meta={}),
                        "openstack/latest/meta_data.json").body)
    assert "public_keys" not in md and "keys" not in md and "meta" not in md


def test_user_data_is_served_raw_and_absent_user_data_is_a_404():
    assert get(facts(), "openstack/latest/user_data").body == \
        b"#!/bin/sh\necho hello > /tmp/marker\n"
    bare = facts(user_data=None)
    assert content.lookup(bare, "openstack/latest/user_data") is None
    assert "user_data" not in get(bare, "openstack/latest").body.decode().split("\n")
    assert content.lookup(bare, "latest/user-data") is None


def test_user_data_decodes_what_the_api_stored():
    raw = bytes(range(256))
    assert decode_user_data(base64.b64encode(raw).decode()) == raw
    assert decode_user_data(None) is None


def test_version_listings():
    today = datetime.date(2026, 1, 1)
    listed = content.lookup(facts(), "openstack", today=today).body.decode().split("\n")
    assert listed[0] == "2012-08-10" and listed[-1] == "latest"
    assert "2025-04-04" in listed
    early = content.lookup(facts(), "openstack/", today=datetime.date(2016, 1, 1))
    assert early.body.decode().split("\n")[-2:] == ["2015-10-15", "latest"]
    root = get(facts(), "").body.decode().split("\n")
    assert root[0] == "1.0" and root[-2:] == ["2009-04-04", "latest"]
    assert get(facts(), "openstack/latest").body.decode().split("\n") == [
        "meta_data.json", "user_data", "vendor_data.json", "network_data.json",
        "vendor_data2.json"]
    assert content.lookup(facts(), "openstack/1999-01-01/meta_data.json") is None
    assert content.lookup(facts(), "openstack/latest/nothing") is None


def test_vendor_data_is_an_empty_object():
    for name in ("vendor_data.json", "vendor_data2.json"):
        doc = get(facts(), f"openstack/latest/{name}")
        assert (json.loads(doc.body), doc.content_type) == ({}, "application/json")


def test_network_data_dhcp_link_and_slaac_network():
    nd = json.loads(get(facts(), "openstack/latest/network_data.json").body)
    link = "tap8a9b0c1d-2e"
    assert nd["links"] == [{"id": link, "vif_id": PORT, "type": "bridge", "mtu": None,
                            "ethernet_mac_address": "fa:16:3e:00:00:01"}]
    assert nd["networks"][0] == {"id": "network0", "type": "ipv4_dhcp", "link": link,
                                 "network_id": NET}
    v6 = nd["networks"][1]
    assert (v6["type"], v6["ip_address"], v6["netmask"]) == (
        "ipv6_slaac", "fd00:1::5", "ffff:ffff:ffff:ffff::")
    assert v6["routes"] == [{"network": "::", "netmask": "::", "gateway": "fd00:1::1"}]
    assert nd["services"] == [{"type": "dns", "address": "10.0.0.2"},
                              {"type": "dns", "address": "9.9.9.9"},
                              {"type": "dns", "address": "fd00:1::53"}]


def test_network_data_static_subnet_has_address_routes_and_mtu():
    nic = Nic(PORT, "fa:16:3e:00:00:02", NET, 1400, (FixedIP("192.168.7.20", V4_STATIC),))
    nd = json.loads(get(facts(nics=(nic,)), "openstack/latest/network_data.json").body)
    assert nd["links"][0]["mtu"] == 1400
    assert nd["networks"] == [{
        "id": "network0", "type": "ipv4", "link": "tap8a9b0c1d-2e", "network_id": NET,
        "ip_address": "192.168.7.20", "netmask": "255.255.255.0",
        "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "192.168.7.1"},
                   {"network": "172.16.0.0", "netmask": "255.255.0.0",
                    "gateway": "192.168.7.254"}],
        "services": [{"type": "dns", "address": "192.168.7.53"}]}]


def test_network_data_without_nics_is_empty():
    nd = json.loads(get(facts(nics=()), "openstack/latest/network_data.json").body)
    assert nd == {"links": [], "networks": [], "services": []}


def test_ec2_tree():
    f = facts()
    assert get(f, "latest").body.decode().split("\n") == ["meta-data/", "user-data"]
    listing = get(f, "latest/meta-data/").body.decode().split("\n")
    assert listing == sorted(listing)
    assert {"instance-id", "hostname", "local-ipv4", "public-ipv4", "public-keys/",
            "placement/", "block-device-mapping/", "security-groups"} <= set(listing)
    assert "0=mykey" == get(f, "latest/meta-data/public-keys").body.decode()
    assert get(f, "2009-04-04/meta-data/public-keys/0").body == b"openssh-key"
    assert get(f, "latest/meta-data/public-keys/0/openssh-key").body.decode() == KEY
    assert get(f, "latest/meta-data/instance-id").body == b"i-5f0c8d7e"
    assert get(f, "latest/meta-data/hostname").body == b"web-1"
    assert get(f, "latest/meta-data/local-ipv4").body == b"10.0.0.5"
    assert get(f, "latest/meta-data/public-ipv4").body == b"203.0.113.10"
    assert get(f, "latest/meta-data/placement/availability-zone").body == b"nova"
    assert get(f, "latest/meta-data/security-groups").body == b"default"
    assert get(f, "ec2/latest/meta-data/ami-launch-index").body == b"0"
    assert get(f, "latest/user-data").body == f.user_data
    assert content.lookup(f, "latest/meta-data/nothing") is None
    assert content.lookup(f, "1.0/meta-data/placement") is None  # newer than 1.0
    assert content.lookup(f, "2042-01-01/meta-data") is None


def test_paths_cannot_climb_out():
    assert get(facts(), "openstack/../openstack/latest/meta_data.json").content_type == \
        "application/json"
    assert content.lookup(facts(), "openstack/latest/../../../etc/passwd") is None


def test_drive_documents_cover_every_version_and_ec2():
    docs = content.drive_documents(facts(), seed="c2VlZA==")
    assert json.loads(docs["openstack/latest/meta_data.json"])["hostname"] == "web-1"
    assert json.loads(docs["openstack/2012-08-10/meta_data.json"])["uuid"] == UUID
    assert docs["openstack/latest/user_data"] == facts().user_data
    assert "openstack/2012-08-10/network_data.json" not in docs
    assert "openstack/latest/network_data.json" in docs
    ec2 = json.loads(docs["ec2/latest/meta-data.json"])
    assert ec2["public-keys"] == {"0": {"openssh-key": KEY}}
    assert docs["ec2/2009-04-04/user-data"] == facts().user_data
    assert "openstack/latest/user_data" not in content.drive_documents(facts(user_data=None))
