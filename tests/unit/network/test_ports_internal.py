"""The ports collection's internal API, called as routers, floating IPs, compute and the
network agent call it (inside their transaction, no policy check): make, bind, unbind,
set_status, fixed_ips_of, remove, and the network/subnet hooks."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import Conflict
from onestack.core.registry import AgentContext
from onestack.network.agent.runner import collections as network_collections
from onestack.network.models.l2 import Network
from onestack.network.models.ports import IPAllocation, Port
from onestack.network.models.subnets import Subnet
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


@pytest.fixture(scope="module")
def collections(db: Database) -> dict[str, Any]:
    return network_collections(AgentContext(db, InProcessBus(), Settings()))


@pytest.fixture
def ctx() -> RequestContext:
    return RequestContext(request_id="req-test", user_id="u", project_id=uuid.uuid4().hex,
                          roles=["member", "reader"])


def network(collections: dict[str, Any], ctx: RequestContext, cidr: str) -> tuple[str, str]:
    net = collections["networks"].create(ctx, [{"name": "n"}])[0]
    sub = collections["subnets"].create(ctx, [{"network_id": net["id"], "cidr": cidr,
                                               "ip_version": 4}])[0]
    return net["id"], sub["id"]


def test_make_bind_status_unbind_remove(db: Database, collections: dict[str, Any],
                                        ctx: RequestContext) -> None:
    ports = collections["ports"]
    net_id, sub_id = network(collections, ctx, "10.60.0.0/24")

    def made(s: Any) -> str:
        row = ports.make(s, ctx, network_id=net_id, project_id=ctx.project_id,
                         device_owner="compute:nova", device_id="vm-1",
                         fixed_ips=[{"ip_address": "10.60.0.10"}])
        assert ports.fixed_ips_of(s, [row.id]) == {
            row.id: [{"subnet_id": sub_id, "ip_address": "10.60.0.10"}]}
        return row.id
    port_id = db.write(made)
    revision = db.read(lambda s: s.get(Port, port_id).revision_number)

    db.write(lambda s: ports.bind(s, port_id, "host-1"))
    row = db.read(lambda s: s.get(Port, port_id))
    assert (row.binding_host_id, row.binding_vif_type, row.status) == ("host-1", "ovs", "DOWN")
    assert row.revision_number == revision + 1
    db.write(lambda s: ports.bind(s, port_id, "host-1"))  # bound already: nothing changes
    assert db.read(lambda s: s.get(Port, port_id).revision_number) == revision + 1

    assert db.write(lambda s: ports.set_status(s, port_id, "ACTIVE")) is True
    assert db.read(lambda s: s.get(Port, port_id).status) == "ACTIVE"
    db.write(lambda s: ports.bind(s, port_id, "host-2"))  # moved: not wired there yet
    assert db.read(lambda s: s.get(Port, port_id).status) == "DOWN"
    with pytest.raises(ValueError):
        db.write(lambda s: ports.set_status(s, port_id, "WIRED"))

    db.write(lambda s: ports.unbind(s, port_id))
    row = db.read(lambda s: s.get(Port, port_id))
    assert (row.binding_host_id, row.binding_vif_type, row.status) == ("", "unbound", "DOWN")

    db.write(lambda s: ports.remove(s, ctx, s.get(Port, port_id)))
    assert db.read(lambda s: s.get(Port, port_id)) is None
    assert db.write(lambda s: ports.set_status(s, port_id, "ACTIVE")) is False
    assert db.read(lambda s: ports.used_ips(s, sub_id)) == set()


def test_make_validates_as_the_api_does(db: Database, collections: dict[str, Any],
                                        ctx: RequestContext) -> None:
    ports = collections["ports"]
    net_id, sub_id = network(collections, ctx, "10.61.0.0/30")  # one free address: .2
    first = db.write(lambda s: ports.make(s, ctx, network_id=net_id,
                                          project_id=ctx.project_id).id)
    with pytest.raises(Conflict) as full:
        db.write(lambda s: ports.make(s, ctx, network_id=net_id, project_id=ctx.project_id))
    assert full.value.kind == "IpAddressGenerationFailure"
    # the router's port on the subnet's gateway address; its network is now "in use"
    gw = db.write(lambda s: ports.make(
        s, ctx, network_id=net_id, project_id=ctx.project_id,
        device_owner="network:router_interface", device_id="r-1",
        fixed_ips=[{"subnet_id": sub_id, "ip_address": "10.61.0.1"}]).id)
    assert db.read(lambda s: ports.ip_holder(s, sub_id, "10.61.0.1")) == gw
    assert db.read(lambda s: ports.used_ips(s, sub_id)) == {"10.61.0.1", "10.61.0.2"}
    net = db.read(lambda s: s.get(Network, net_id))
    sub = db.read(lambda s: s.get(Subnet, sub_id))
    assert db.read(lambda s: ports.network_in_use(s, net)) is True
    assert db.read(lambda s: ports.subnet_in_use(s, sub)) is True
    for port_id in (first, gw):
        db.write(lambda s, p=port_id: ports.remove(s, ctx, s.get(Port, p)))
    dhcp = db.write(lambda s: ports.make(s, ctx, network_id=net_id, project_id=ctx.project_id,
                                         device_owner="network:dhcp").id)
    # a DHCP port keeps neither the network nor the subnet "in use"
    assert db.read(lambda s: ports.network_in_use(s, net)) is False
    assert db.read(lambda s: ports.subnet_in_use(s, sub)) is False
    db.write(lambda s: ports.release_subnet(s, ctx, sub))
    assert db.read(lambda s: s.query(IPAllocation).filter_by(port_id=dhcp).count()) == 0
    db.write(lambda s: ports.delete_for_network(s, ctx, net))
    assert db.read(lambda s: s.get(Port, dhcp)) is None
