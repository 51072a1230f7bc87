"""The metadata service end to end on the in-process cloud: a server booted with a
network, a key, user data and metadata (the scheduler and a fake-driver host agent driven
directly, as in the networking tests), then its documents fetched at ``/metadata`` with
the headers a per-network proxy adds — and nothing for a request that does not name a
guest with a valid signature."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from onestack.compute import models as cm
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.metadata import signing
from onestack.compute.metadata.service import MetadataService
from onestack.compute.volume_models import ATTACHED, DETACHING, BlockDevice
from onestack.core.bus import InProcessBus
from onestack.core.db import Database, utcnow
from onestack.network import seam as network_seam
from tests.functional.compute.servers_support import Nova, boot, ensure_flavors, make_image
from tests.functional.compute.test_networking import build, network_with_subnet
from tests.functional.conftest import AppFactory, settings_for
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique

SECRET = "metadata-test-" + unique("secret")
USER_DATA = b"#!/bin/sh\necho onestack > /tmp/user-data-ran\n"


@pytest.fixture(scope="module")
def sql_module(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def seam(sql_module: Database, db_url: str) -> Any:
    return network_seam.build(SimpleNamespace(db=sql_module, settings=settings_for(db_url),
                                              bus=InProcessBus()))


@pytest.fixture(scope="module")
def host(sql_module: Database, seam: Any) -> HostAgent:
    name = unique("md-host")
    agent = HostAgent(sql_module, InProcessBus(), name, FakeDriver(name), "nova")
    agent.network = seam
    agent.quick_wait = 0.0
    agent.register()
    return agent


@pytest.fixture(scope="module")
def apps(db_url: str) -> Iterator[AppFactory]:
    factory = AppFactory(db_url)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def md_api(apps: AppFactory) -> Api:
    """The cloud's app with the proxies' secret set."""
    return apps(metadata_proxy_secret=SECRET)


@pytest.fixture(scope="module")
def guest(api: Api, cloud: Cloud, sql_module: Database, host: HostAgent, db_url: str
          ) -> dict[str, Any]:
    """A server with a keypair, user data and metadata, its port made by the host agent."""
    owner: Member = cloud.make_project_member()
    ensure_flavors(db_url)
    nova = Nova(api)
    image = make_image(api, owner.token)
    net = network_with_subnet(api, owner.token, cidr="10.77.0.0/24")
    kp = assert_status(nova("POST", "/os-keypairs", owner.token,
                            json={"keypair": {"name": unique("key")}}), 200)["keypair"]
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}],
               key_name=kp["name"], user_data=base64.b64encode(USER_DATA).decode(),
               metadata={"role": "web"})
    build(sql_module, host, sid)
    port = sql_module.read(lambda s: host.network.ports_of(s, [sid])[sid][0])
    inst = sql_module.read(lambda s: s.get(cm.Instance, sid))
    return {"id": sid, "name": inst.name, "project_id": owner.project["id"],
            "network_id": net["id"], "ip": port.fixed_ips[0]["ip_address"],
            "mac": port.mac_address, "port_id": port.id, "key": kp, "token": owner.token,
            "zone": inst.availability_zone,
            "hostname": (inst.system_metadata or {})["hostname"]}


def fetch(api: Api, path: str, headers: dict[str, str], method: str = "GET"
          ) -> httpx.Response:
    return api.http.request(method, "/metadata" + path, headers=headers)


def as_guest(api: Api, guest: dict[str, Any], path: str, method: str = "GET"
             ) -> httpx.Response:
    return fetch(api, path, signing.proxy_headers(SECRET, guest["network_id"], guest["ip"]),
                 method)


def test_meta_data_json_names_the_guest(md_api: Api, guest: dict[str, Any]):
    r = as_guest(md_api, guest, "/openstack/latest/meta_data.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    md = r.json()
    assert (md["uuid"], md["name"], md["project_id"]) == (
        guest["id"], guest["name"], guest["project_id"])
    assert md["hostname"] == guest["hostname"] and md["hostname"]
    key = guest["key"]
    assert md["public_keys"] == {key["name"]: key["public_key"]}
    assert md["keys"] == [{"name": key["name"], "type": "ssh", "data": key["public_key"]}]
    assert md["meta"] == {"role": "web"}
    assert md["availability_zone"] == guest["zone"]
    assert md["launch_index"] == 0


def test_user_data_and_network_data(md_api: Api, guest: dict[str, Any]):
    r = as_guest(md_api, guest, "/openstack/latest/user_data")
    assert (r.status_code, r.content) == (200, USER_DATA)
    nd = as_guest(md_api, guest, "/openstack/latest/network_data.json").json()
    assert [(link["vif_id"], link["ethernet_mac_address"]) for link in nd["links"]] == [
        (guest["port_id"], guest["mac"])]
    assert nd["networks"][0]["network_id"] == guest["network_id"]
    assert nd["networks"][0]["type"] == "ipv4_dhcp"
    assert as_guest(md_api, guest, "/openstack/latest/vendor_data2.json").json() == {}


def test_listings_and_the_ec2_tree(md_api: Api, guest: dict[str, Any]):
    versions = as_guest(md_api, guest, "/openstack").text.split("\n")
    assert versions[0] == "2012-08-10" and versions[-1] == "latest"
    assert as_guest(md_api, guest, "/").text.split("\n")[-1] == "latest"
    assert as_guest(md_api, guest, "/latest/meta-data/local-ipv4").text == guest["ip"]
    assert as_guest(md_api, guest, "/latest/meta-data/instance-id").text == \
        "i-" + guest["id"].replace("-", "")[:8]
    assert as_guest(md_api, guest, "/latest/meta-data/public-keys/0/openssh-key").text == \
        guest["key"]["public_key"]
    assert as_guest(md_api, guest, "/latest/user-data").content == USER_DATA
    head = as_guest(md_api, guest, "/openstack/latest/user_data", method="HEAD")
    assert (head.status_code, head.content) == (200, b"")
    assert as_guest(md_api, guest, "/openstack/latest/nothing").status_code == 404


def test_the_guest_posts_its_password_once_and_the_api_shows_and_clears_it(
        md_api: Api, api: Api, guest: dict[str, Any]):
    """What Tempest's server basic ops does with curl in the guest, and Nova's rules:
    kept once (409 after), at most 1020 bytes, only the password document takes a POST."""
    nova, token = Nova(api), guest["token"]
    path = "/openstack/2013-10-17/password"
    shown = f"/servers/{guest['id']}/os-server-password"
    assert as_guest(md_api, guest, path).content == b""
    assert as_guest(md_api, guest, "/openstack/2012-08-10/password").status_code == 404
    empty = fetch(md_api, path, signing.proxy_headers(SECRET, guest["network_id"],
                                                      guest["ip"]), "POST")
    assert empty.status_code == 200  # an empty password keeps nothing: a POST may follow
    assert nova("GET", shown, token).json() == {"password": ""}
    assert nova("DELETE", shown, token).status_code == 204
    headers = signing.proxy_headers(SECRET, guest["network_id"], guest["ip"])
    r = md_api.http.post("/metadata" + path, headers=headers, content=b"x" * 1021)
    assert r.status_code == 400
    r = md_api.http.post("/metadata" + path, headers=headers, content=b"secret-one")
    assert (r.status_code, r.content) == (200, b"")
    assert as_guest(md_api, guest, "/openstack/latest/password").content == b"secret-one"
    assert nova("GET", shown, token).json() == {"password": "secret-one"}
    again = md_api.http.post("/metadata" + path, headers=headers, content=b"secret-two")
    assert again.status_code == 409
    elsewhere = md_api.http.post("/metadata/openstack/latest/meta_data.json",
                                 headers=headers, content=b"x")
    assert elsewhere.status_code == 405
    unsigned = md_api.http.post("/metadata" + path, content=b"x")
    assert unsigned.status_code == 404
    assert nova("DELETE", shown, token).status_code == 204
    assert nova("GET", shown, token).json() == {"password": ""}
    r = md_api.http.post("/metadata" + path, headers=headers, content=b"secret-two")
    assert r.status_code == 200
    assert nova("GET", shown, token).json() == {"password": "secret-two"}


def test_tagged_volumes_are_devices_until_they_are_detached(
        md_api: Api, guest: dict[str, Any], sql_module: Database):
    """A tagged boot or attach is in ``devices`` by its serial, boot disk first; neither an
    untagged volume nor one being detached is."""
    rows = [BlockDevice(id=unique("bdm"), instance_id=guest["id"], source_type="volume",
                        uuid=volume, volume_id=volume, boot_index=index, tag=tag,
                        state=state, created_at=utcnow())
            for volume, index, tag, state in [
                (unique("vol-data"), None, "data", ATTACHED),
                (unique("vol-boot"), 0, "boot", ATTACHED),
                (unique("vol-plain"), None, None, ATTACHED),
                (unique("vol-going"), None, "going", DETACHING)]]
    sql_module.write(lambda s: s.add_all(rows))
    try:
        devices = as_guest(md_api, guest, "/openstack/latest/meta_data.json").json()["devices"]
        assert [d for d in devices if d["type"] == "disk"] == [
            {"type": "disk", "serial": rows[1].volume_id, "tags": ["boot"]},
            {"type": "disk", "serial": rows[0].volume_id, "tags": ["data"]}]
    finally:
        ids = [r.id for r in rows]
        sql_module.write(lambda s: s.query(BlockDevice).filter(
            BlockDevice.id.in_(ids)).delete(synchronize_session=False))
    devices = as_guest(md_api, guest, "/openstack/latest/meta_data.json").json()["devices"]
    assert [d for d in devices if d["type"] == "disk"] == []


def test_requests_that_name_no_guest_are_404(md_api: Api, guest: dict[str, Any]):
    net, ip = guest["network_id"], guest["ip"]
    path = "/openstack/latest/meta_data.json"
    signed_other_ip = signing.proxy_headers(SECRET, net, "10.77.0.250")
    assert fetch(md_api, path, signed_other_ip).status_code == 404
    forged = {**signing.proxy_headers(SECRET, net, ip),
              signing.SIGNATURE_HEADER: signing.sign("not-the-secret", net, ip)}
    assert fetch(md_api, path, forged).status_code == 404
    unsigned = {signing.NETWORK_HEADER: net, signing.FORWARDED_HEADER: ip}
    assert fetch(md_api, path, unsigned).status_code == 404
    # a signature is for one (network, address): moved to another address it is refused
    moved = {**signing.proxy_headers(SECRET, net, "10.77.0.250"),
             signing.FORWARDED_HEADER: ip}
    assert fetch(md_api, path, moved).status_code == 404
    other_net = signing.proxy_headers(SECRET, unique("net"), ip)
    assert fetch(md_api, path, other_net).status_code == 404
    assert fetch(md_api, path, {}).status_code == 404
    r = fetch(md_api, path, signing.proxy_headers(SECRET, net, "not-an-ip"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")


def test_without_a_secret_no_proxy_is_trusted(apps: AppFactory, guest: dict[str, Any]):
    open_api = apps()
    headers = signing.proxy_headers("", guest["network_id"], guest["ip"])
    assert fetch(open_api, "/openstack/latest/meta_data.json", headers).status_code == 404


def test_a_deleted_server_has_no_metadata(md_api: Api, guest: dict[str, Any],
                                          sql_module: Database, api: Api, cloud: Cloud,
                                          host: HostAgent, db_url: str):
    owner = cloud.make_project_member()
    nova = Nova(api)
    net = network_with_subnet(api, owner.token, cidr="10.78.0.0/24")
    sid = boot(nova, owner.token, make_image(api, owner.token), networks=[{"uuid": net["id"]}])
    build(sql_module, host, sid)
    ip = sql_module.read(lambda s: host.network.ports_of(s, [sid])[sid][0]).fixed_ips[0][
        "ip_address"]
    headers = signing.proxy_headers(SECRET, net["id"], ip)
    assert fetch(md_api, "/openstack/latest/meta_data.json", headers).json()["uuid"] == sid
    assert fetch(md_api, "/openstack/latest/user_data", headers).status_code == 404
    sql_module.write(lambda s: setattr(s.get(cm.Instance, sid), "deleted", True))
    assert fetch(md_api, "/openstack/latest/meta_data.json", headers).status_code == 404


def test_config_drive_documents_for_the_host_agent(sql_module: Database, seam: Any,
                                                  guest: dict[str, Any]):
    service = MetadataService(sql_module, seam, SECRET)
    docs = service.drive_documents(guest["id"])
    assert docs is not None
    assert json.loads(docs["openstack/latest/meta_data.json"])["uuid"] == guest["id"]
    assert docs["openstack/latest/user_data"] == USER_DATA
    assert json.loads(docs["ec2/latest/meta-data.json"])["local-ipv4"] == guest["ip"]
    assert service.drive_documents(unique("gone")) is None
