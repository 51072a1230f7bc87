"""Servers plugged into the network service: a boot's ``networks`` validated at the API
and kept as rows, the host agent's port step (made once, bound to its host, the spawn
waiting until the port is wired), ``addresses``/``ips``, ``os-interface`` and the
releases on delete. The scheduler and the host agent are driven directly (no loop); the
network agent's "wired" is written through the ports service as that agent writes it."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.agent.filling import nics_of
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.network_models import RequestedNetwork
from onestack.compute.scheduler import Scheduler
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from onestack.network import seam as network_seam
from onestack.network.models.ports import Port
from tests.functional.compute.servers_support import Nova, boot, ensure_flavors, make_image
from tests.functional.conftest import settings_for
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique

NET = "/network/v2.0"


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    return Nova(api)


@pytest.fixture(scope="module")
def seam(db_url: str) -> Any:
    db = Database(db_url)
    try:
        yield network_seam.build(SimpleNamespace(db=db, settings=settings_for(db_url),
                                                 bus=InProcessBus()))
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def host(sql_module: Database, seam: Any) -> HostAgent:
    name = unique("net-host")
    agent = HostAgent(sql_module, InProcessBus(), name, FakeDriver(name), "nova")
    agent.network = seam
    agent.quick_wait = 0.0
    agent.register()
    return agent


@pytest.fixture(scope="module")
def sql_module(db_url: str) -> Any:
    db = Database(db_url)
    try:
        yield db
    finally:
        db.dispose()


def post(api: Api, path: str, token: str, body: dict) -> dict:
    r = api.http.post(NET + path, json=body, headers={"X-Auth-Token": token})
    return assert_status(r, 201)


def network_with_subnet(api: Api, token: str, cidr: str = "10.20.0.0/24") -> dict:
    net = post(api, "/networks", token, {"network": {"name": unique("net")}})["network"]
    post(api, "/subnets", token, {"subnet": {"network_id": net["id"], "cidr": cidr,
                                             "ip_version": 4}})
    return net


def wire(sql: Database, seam: Any, server_id: str) -> list[str]:
    """What the network agent does for a port bound to its host: ACTIVE."""
    def work(s) -> list[str]:
        ids = [p.id for p in seam.ports_of(s, [server_id])[server_id]]
        for pid in ids:
            seam.deps.collections["ports"].set_status(s, pid, "ACTIVE")
        return ids
    return sql.write(work)


def build(sql: Database, host: HostAgent, server_id: str) -> cm.Instance:
    Scheduler(sql, InProcessBus()).reconcile(server_id)
    sql.write(lambda s: setattr(s.get(cm.Instance, server_id), "host", host.host))
    host.reconcile(server_id)
    return sql.read(lambda s: s.get(cm.Instance, server_id))


def running(sql: Database, seam: Any, host: HostAgent, server_id: str) -> None:
    """Built on ``host``, its ports wired and the guest's NICs following them."""
    build(sql, host, server_id)
    wire(sql, seam, server_id)
    host.reconcile(server_id)


@pytest.fixture()
def owner(cloud: Cloud) -> Member:
    return cloud.make_project_member()


@pytest.fixture()
def image(api: Api, owner: Member, db_url: str) -> str:
    ensure_flavors(db_url)
    return make_image(api, owner.token)


def test_a_server_waits_for_its_wired_port_then_shows_its_address(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str) -> None:
    net = network_with_subnet(api, owner.token)
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    rows = sql.read(lambda s: list(s.query(RequestedNetwork).filter_by(instance_id=sid)))
    assert [(r.network_id, r.port_id, r.user_port) for r in rows] == [
        (net["id"], None, False)]

    inst = build(sql, host, sid)
    assert (inst.vm_state, inst.task_state) == (st.BUILDING, st.SPAWNING)  # not wired yet
    port = sql.read(lambda s: s.query(Port).filter_by(device_id=sid).one())
    assert (port.binding_host_id, port.status, port.device_owner) == (
        host.host, "DOWN", "compute:nova")
    host.reconcile(sid)  # again: no second port
    assert sql.read(lambda s: s.query(Port).filter_by(device_id=sid).count()) == 1

    wire(sql, seam, sid)
    host.reconcile(sid)
    body = nova("GET", f"/servers/{sid}", owner.token).json()["server"]
    assert body["status"] == "ACTIVE"
    [entry] = body["addresses"][net["name"]]
    assert entry["OS-EXT-IPS:type"] == "fixed" and entry["version"] == 4
    assert entry["addr"].startswith("10.20.0.")
    assert entry["OS-EXT-IPS-MAC:mac_addr"] == port.mac_address
    ips = nova("GET", f"/servers/{sid}/ips", owner.token).json()  # no OS-EXT-IPS keys
    assert ips == {"addresses": {net["name"]: [{"version": 4, "addr": entry["addr"]}]}}
    one = nova("GET", f"/servers/{sid}/ips/{net['name']}", owner.token)
    assert one.status_code == 200 and one.json() == {
        net["name"]: [{"version": 4, "addr": entry["addr"]}]}
    assert nova("GET", f"/servers/{sid}/ips/nowhere", owner.token).status_code == 404
    by_ip = nova("GET", f"/servers?ip={entry['addr']}", owner.token).json()["servers"]
    assert [s["id"] for s in by_ip] == [sid]
    assert nova("GET", "/servers?ip=10.99.", owner.token).json()["servers"] == []
    listed = nova("GET", "/servers/detail", owner.token).json()["servers"]
    assert [s["addresses"] for s in listed if s["id"] == sid] == [body["addresses"]]

    ifaces = nova("GET", f"/servers/{sid}/os-interface", owner.token).json()
    assert ifaces == {"interfaceAttachments": [{
        "port_state": "ACTIVE", "port_id": port.id, "net_id": net["id"],
        "mac_addr": port.mac_address,
        "fixed_ips": [{"subnet_id": ifaces["interfaceAttachments"][0]["fixed_ips"][0][
            "subnet_id"], "ip_address": entry["addr"]}]}]}

    assert nova("DELETE", f"/servers/{sid}", owner.token).status_code == 204
    host.reconcile(sid)
    assert sql.read(lambda s: s.get(Port, port.id)) is None  # compute made it: deleted
    assert sql.read(lambda s: s.query(RequestedNetwork).filter_by(
        instance_id=sid).count()) == 0


def test_a_user_port_is_claimed_and_only_given_back(api: Api, nova: Nova, sql: Database,
                                                    seam: Any, host: HostAgent,
                                                    owner: Member, image: str) -> None:
    net = network_with_subnet(api, owner.token, "10.21.0.0/24")
    port = post(api, "/ports", owner.token, {"port": {"network_id": net["id"]}})["port"]
    sid = boot(nova, owner.token, image, networks=[{"port": port["id"]}])
    again = nova("POST", "/servers", owner.token, json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42",
        "networks": [{"port": port["id"]}]}})
    assert again.status_code == 409, again.text
    assert again.json()["conflictingRequest"]["message"] == \
        f"Port {port['id']} is still in use."
    running(sql, seam, host, sid)
    assert sql.read(lambda s: s.get(cm.Instance, sid).vm_state) == st.ACTIVE
    assert nova("DELETE", f"/servers/{sid}", owner.token).status_code == 204
    host.reconcile(sid)
    row = sql.read(lambda s: s.get(Port, port["id"]))
    assert row is not None and (row.device_id, row.binding_host_id) == ("", "")


def test_networks_are_validated_as_nova_validates_them(api: Api, nova: Nova, owner: Member,
                                                        cloud: Cloud, image: str) -> None:
    def create(networks: Any, version: str = "2.1") -> Any:
        return nova("POST", "/servers", owner.token, version, json={"server": {
            "name": "x", "imageRef": image, "flavorRef": "42", "networks": networks}})

    other = cloud.make_project_member()
    hidden = network_with_subnet(api, other.token, "10.22.0.0/24")
    r = create([{"uuid": hidden["id"]}])
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == f"Network {hidden['id']} could not be found."
    assert create([{"uuid": "a-b-c-d-e-f-g-h-i-j", "fixed_ip": "10.0.1.1"}]).status_code == 400
    mine = network_with_subnet(api, owner.token, "10.23.0.0/24")
    assert create([{"uuid": mine["id"], "fixed_ip": "not-an-ip"}]).status_code == 400
    assert create("none").status_code == 400  # a string needs 2.37
    assert create([{"uuid": mine["id"], "tag": "t"}], "2.33").status_code == 202
    assert create([{"uuid": mine["id"], "tag": "t"}], "2.37").status_code == 400
    none = create("none", "2.37")
    assert none.status_code == 202, none.text
    missing = nova("POST", "/servers", owner.token, "2.37", json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42"}})
    assert missing.status_code == 400  # required from 2.37
    assert "'networks' is a required property" in missing.json()["badRequest"]["message"]


def test_no_networks_means_the_one_usable_network_or_409(api: Api, nova: Nova, sql: Database,
                                                         cloud: Cloud, image: str,
                                                         owner: Member) -> None:
    net = network_with_subnet(api, owner.token, "10.24.0.0/24")
    sid = boot(nova, owner.token, image)
    rows = sql.read(lambda s: list(s.query(RequestedNetwork).filter_by(instance_id=sid)))
    assert [r.network_id for r in rows] == [net["id"]]
    network_with_subnet(api, owner.token, "10.25.0.0/24")
    r = nova("POST", "/servers", owner.token, json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42"}})
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"] == (
        "Multiple possible networks found, use a Network ID to be more specific.")


def test_unwired_ports_fail_the_build_after_the_bounded_wait(
        api: Api, nova: Nova, sql: Database, host: HostAgent, owner: Member,
        image: str) -> None:
    net = network_with_subnet(api, owner.token, "10.26.0.0/24")
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    build(sql, host, sid)
    host.wire_timeout = -1.0
    try:
        host.reconcile(sid)
    finally:
        host.wire_timeout = 300.0
    body = nova("GET", f"/servers/{sid}", owner.token).json()["server"]
    assert body["status"] == "ERROR"
    assert body["fault"]["message"].startswith(
        f"Build of instance {sid} aborted: Failed to allocate the network(s), not "
        "rescheduling.")


def test_attach_and_detach_an_interface(api: Api, nova: Nova, sql: Database, seam: Any,
                                        host: HostAgent, owner: Member, image: str) -> None:
    net = network_with_subnet(api, owner.token, "10.27.0.0/24")
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    running(sql, seam, host, sid)
    r = nova("POST", f"/servers/{sid}/os-interface", owner.token, json={
        "interfaceAttachment": {"net_id": net["id"],
                                "fixed_ips": [{"ip_address": "10.27.0.50"}]}})
    assert r.status_code == 200, r.text
    att = r.json()["interfaceAttachment"]
    assert att["net_id"] == net["id"] and att["fixed_ips"][0]["ip_address"] == "10.27.0.50"
    assert att["port_state"] == "DOWN"
    port = sql.read(lambda s: s.get(Port, att["port_id"]))
    assert port.binding_host_id == host.host
    shown = nova("GET", f"/servers/{sid}/os-interface/{att['port_id']}", owner.token)
    assert shown.status_code == 200 and shown.json()["interfaceAttachment"]["port_id"] == \
        att["port_id"]
    listed = nova("GET", f"/servers/{sid}/os-interface", owner.token).json()
    assert len(listed["interfaceAttachments"]) == 2
    r = nova("DELETE", f"/servers/{sid}/os-interface/{att['port_id']}", owner.token)
    assert r.status_code == 202
    assert sql.read(lambda s: s.get(Port, att["port_id"])) is None
    missing = nova("GET", f"/servers/{sid}/os-interface/{att['port_id']}", owner.token)
    assert missing.status_code == 404

    mine = post(api, "/ports", owner.token, {"port": {"network_id": net["id"]}})["port"]
    r = nova("POST", f"/servers/{sid}/os-interface", owner.token, json={
        "interfaceAttachment": {"port_id": mine["id"]}})
    assert r.status_code == 200 and r.json()["interfaceAttachment"]["port_id"] == mine["id"]
    again = nova("POST", f"/servers/{sid}/os-interface", owner.token, json={
        "interfaceAttachment": {"port_id": mine["id"]}})
    assert again.status_code == 409, again.text
    r = nova("DELETE", f"/servers/{sid}/os-interface/{mine['id']}", owner.token)
    assert r.status_code == 202
    kept = sql.read(lambda s: s.get(Port, mine["id"]))  # the user's: given back, not deleted
    assert kept is not None and (kept.device_id, kept.binding_host_id) == ("", "")


def test_an_interface_detach_is_finished_by_the_host_agent(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str) -> None:
    """The detach action gets its ``compute_detach_interface`` event (what callers wait
    on) when the host has reconciled the guest's NICs, once, not before; until then the
    host's wake-up lists the server."""
    net = network_with_subnet(api, owner.token, "10.29.0.0/24")
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    running(sql, seam, host, sid)
    att = nova("POST", f"/servers/{sid}/os-interface", owner.token, json={
        "interfaceAttachment": {"net_id": net["id"]}}).json()["interfaceAttachment"]
    r = nova("DELETE", f"/servers/{sid}/os-interface/{att['port_id']}", owner.token)
    assert r.status_code == 202

    def detach_events() -> list[list[str]]:
        return sql.read(lambda s: [
            [(e["event"], e["result"], e["host"]) for e in a.events or []]
            for a in s.query(cm.InstanceAction).filter(
                cm.InstanceAction.instance_id == sid,
                cm.InstanceAction.action == "detach_interface")])
    assert detach_events() == [[]]
    assert sid in host.pending()  # a wake-up lists it: no NIC drift may ever show it
    host.reconcile(sid)
    assert detach_events() == [[("compute_detach_interface", "Success", host.host)]]
    assert sid not in host.pending()
    host.reconcile(sid)
    assert detach_events() == [[("compute_detach_interface", "Success", host.host)]]


def test_the_guest_nics_follow_the_requested_order_not_the_ports_age(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str) -> None:
    """A port made before the server but asked for second is the guest's second NIC."""
    first = network_with_subnet(api, owner.token, "10.31.0.0/24")
    second = network_with_subnet(api, owner.token, "10.32.0.0/24")
    older = post(api, "/ports", owner.token, {"port": {"network_id": second["id"]}})["port"]
    sid = boot(nova, owner.token, image,
               networks=[{"uuid": first["id"]}, {"port": older["id"]}])
    build(sql, host, sid)
    nics = sql.read(lambda s: nics_of(s, seam, sid))
    assert [n.network_id for n in nics] == [first["id"], second["id"]]
    assert nics[1].port_id == older["id"]


def test_shelve_offload_unbinds_and_unshelve_binds_again(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str) -> None:
    net = network_with_subnet(api, owner.token, "10.28.0.0/24")
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    build(sql, host, sid)
    [pid] = wire(sql, seam, sid)
    host.reconcile(sid)
    assert nova.action(sid, owner.token, {"shelve": None}).status_code == 202
    host.reconcile(sid)
    inst = sql.read(lambda s: s.get(cm.Instance, sid))
    assert (inst.vm_state, inst.host) == (st.SHELVED_OFFLOADED, None)
    port = sql.read(lambda s: s.get(Port, pid))
    assert (port.binding_host_id, port.status, port.device_id) == ("", "DOWN", sid)

    assert nova.action(sid, owner.token, {"unshelve": None}).status_code == 202
    inst = build(sql, host, sid)
    assert inst.task_state == st.SPAWNING  # waits for the port to be wired again
    assert sql.read(lambda s: s.get(Port, pid).binding_host_id) == host.host
    wire(sql, seam, sid)
    host.reconcile(sid)
    assert sql.read(lambda s: s.get(cm.Instance, sid).vm_state) == st.ACTIVE
    assert sql.read(lambda s: s.query(Port).filter_by(device_id=sid).count()) == 1


def test_a_cold_migration_binds_the_ports_to_the_new_host(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str, cloud: Cloud) -> None:
    net = network_with_subnet(api, owner.token, "10.29.0.0/24")
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    build(sql, host, sid)
    [pid] = wire(sql, seam, sid)
    host.reconcile(sid)
    name = unique("net-host")
    other = HostAgent(sql, InProcessBus(), name, FakeDriver(name), "nova")
    other.network, other.quick_wait = seam, 0.0
    other.register()
    r = nova.action(sid, cloud.admin_token, {"migrate": {"host": other.host}}, "2.56")
    assert r.status_code == 202, r.text
    Scheduler(sql, InProcessBus()).reconcile(sid)
    other.reconcile(sid)
    inst = sql.read(lambda s: s.get(cm.Instance, sid))
    assert (inst.vm_state, inst.host) == (st.RESIZED, other.host)
    assert sql.read(lambda s: s.get(Port, pid).binding_host_id) == other.host


def test_auto_gives_a_project_without_networks_its_auto_allocated_one(
        api: Api, nova: Nova, sql: Database, owner: Member, image: str, cloud: Cloud) -> None:
    public = post(api, "/networks", cloud.admin_token, {"network": {
        "name": unique("public"), "router:external": True, "is_default": True}})["network"]
    post(api, "/subnets", cloud.admin_token, {"subnet": {
        "network_id": public["id"], "cidr": "203.0.113.0/24", "ip_version": 4}})
    r = nova("POST", "/servers", owner.token, "2.37", json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42", "networks": "auto"}})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    [row] = sql.read(lambda s: list(s.query(RequestedNetwork).filter_by(instance_id=sid)))
    topo = api.http.get(f"{NET}/auto-allocated-topology/{owner.project['id']}",
                        headers={"X-Auth-Token": owner.token})
    assert topo.status_code == 200, topo.text
    assert row.network_id == topo.json()["auto_allocated_topology"]["id"]
    again = nova("POST", "/servers", owner.token, "2.37", json={"server": {
        "name": "y", "imageRef": image, "flavorRef": "42", "networks": "auto"}})
    [row2] = sql.read(lambda s: list(s.query(RequestedNetwork).filter_by(
        instance_id=again.json()["server"]["id"])))
    assert row2.network_id == row.network_id  # the project's one network now


def test_add_floating_ip_takes_the_first_nic_the_boot_asked_for(
        api: Api, nova: Nova, sql: Database, seam: Any, host: HostAgent, owner: Member,
        image: str, cloud: Cloud) -> None:
    """``addFloatingIp`` with no fixed address takes the server's first NIC, as the boot
    ordered them: a port of the user's made before the server (on a network no router
    reaches) is not it because it is older. Tempest's tagged boot devices got its floating
    IP on such a port and never reached the guest."""
    public = post(api, "/networks", cloud.admin_token, {"network": {
        "name": unique("public"), "router:external": True}})["network"]
    post(api, "/subnets", cloud.admin_token, {"subnet": {
        "network_id": public["id"], "cidr": "198.51.100.0/24", "ip_version": 4}})
    routed = network_with_subnet(api, owner.token, "10.41.0.0/24")
    isolated = network_with_subnet(api, owner.token, "10.42.0.0/24")
    router = post(api, "/routers", owner.token, {"router": {
        "name": unique("r"), "external_gateway_info": {"network_id": public["id"]}}})["router"]
    r = api.http.put(f"{NET}/routers/{router['id']}/add_router_interface",
                     json={"subnet_id": subnet_of(api, owner.token, routed["id"])},
                     headers={"X-Auth-Token": owner.token})
    assert_status(r, 200)
    older = post(api, "/ports", owner.token, {"port": {"network_id": isolated["id"]}})["port"]
    sid = boot(nova, owner.token, image,
               networks=[{"uuid": routed["id"]}, {"port": older["id"]}])
    build(sql, host, sid)
    fip = post(api, "/floatingips", owner.token, {"floatingip": {
        "floating_network_id": public["id"]}})["floatingip"]
    r = nova.action(sid, owner.token,
                    {"addFloatingIp": {"address": fip["floating_ip_address"]}})
    assert r.status_code == 202, r.text
    shown = api.http.get(f"{NET}/floatingips/{fip['id']}",
                         headers={"X-Auth-Token": owner.token})
    port_id = assert_status(shown, 200)["floatingip"]["port_id"]
    first = [p for p in sql.read(lambda s: seam.ports_of(s, [sid])[sid])
             if p.network_id == routed["id"]]
    assert port_id == first[0].id != older["id"]


def subnet_of(api: Api, token: str, network_id: str) -> str:
    r = api.http.get(f"{NET}/subnets?network_id={network_id}", headers={"X-Auth-Token": token})
    return assert_status(r, 200)["subnets"][0]["id"]
