"""Provider networks: the type drivers' validation, segmentation ids allocated from the
configured ranges (never one id to two networks, even across racing replicas), explicit ids
409 when taken and free again once their network is deleted."""
from __future__ import annotations

import threading

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status

PT, PP, PS = "provider:network_type", "provider:physical_network", "provider:segmentation_id"


def test_project_network_gets_a_vxlan_id_from_the_range(net: NetApi, member) -> None:
    mine = net.network(member.token)
    assert PT not in mine and mine["mtu"] == 1450
    shown = assert_status(net.get(f"/networks/{mine['id']}"), 200)["network"]
    assert shown[PT] == "vxlan" and shown[PP] is None
    assert 1 <= shown[PS] <= 1000


def test_explicit_ids_conflict_and_are_released(net: NetApi) -> None:
    vlan = net.network(**{PT: "vlan", PP: "physnet1", PS: 3001})
    assert (vlan[PT], vlan[PP], vlan[PS], vlan["mtu"]) == ("vlan", "physnet1", 3001, 1500)
    neutron_fault(net.post("/networks", json={"network": {PT: "vlan", PP: "physnet1",
                                                          PS: 3001}}), 409, "VlanIdInUse")
    tunnel = net.network(**{PT: "vxlan", PS: 70000})
    neutron_fault(net.post("/networks", json={"network": {PT: "vxlan", PS: 70000}}), 409,
                  "TunnelIdInUse")
    # the same number on another type is another wire
    geneve = net.network(**{PT: "geneve", PS: 70000})
    assert geneve["mtu"] == 1442
    for made in (vlan, tunnel, geneve):
        assert_status(net.delete(f"/networks/{made['id']}"), 204)
    again = net.network(**{PT: "vlan", PP: "physnet1", PS: "3001"})
    assert again[PS] == 3001
    assert_status(net.delete(f"/networks/{again['id']}"), 204)


def test_flat_network_uses_its_physnet_once(net: NetApi) -> None:
    flat = net.network(**{PT: "flat", PP: "public"})
    assert flat[PS] is None and flat["mtu"] == 1500
    neutron_fault(net.post("/networks", json={"network": {PT: "flat", PP: "public"}}), 409,
                  "FlatNetworkInUse")
    assert_status(net.delete(f"/networks/{flat['id']}"), 204)
    local = [net.network(**{PT: "local"}) for _ in range(2)]  # local claims nothing
    assert all(n[PS] is None and n[PP] is None for n in local)


def test_partial_vlan_allocates_from_the_physnet_range(net: NetApi) -> None:
    made = net.network(**{PT: "vlan", PP: "physnet1"})
    assert 1000 <= made[PS] <= 2999
    anywhere = net.network(**{PT: "vlan"})
    assert anywhere[PP] == "physnet1" and 1000 <= anywhere[PS] <= 2999
    assert anywhere[PS] != made[PS]


def test_bad_provider_attributes_are_invalid_input(net: NetApi) -> None:
    cases = [
        ({PT: "bogus"}, "network_type value 'bogus' not supported"),
        ({PP: "physnet1"}, "network_type required"),
        ({PT: "flat"}, "physical_network required for flat provider network"),
        ({PT: "flat", PP: "nowhere"}, "unknown for flat provider network"),
        ({PT: "flat", PP: "public", PS: 5}, "segmentation_id prohibited"),
        ({PT: "vlan", PP: "nowhere"}, "unknown for VLAN provider network"),
        ({PT: "vlan", PP: "physnet1", PS: 4095}, "out of range (1 through 4094)"),
        ({PT: "vlan", PS: 5}, "segmentation_id requires physical_network"),
        ({PT: "vxlan", PP: "physnet1"}, "provider:physical_network specified"),
        ({PT: "vxlan", PS: 2 ** 24}, "out of range (1 through 16777215)"),
        ({PT: "geneve", PS: 0}, "out of range"),
        ({PT: "local", PS: 3}, "prohibited for local provider network"),
        ({PT: "vlan", PP: "physnet1", PS: "x"}, "is not an integer"),
    ]
    for body, text in cases:
        error = neutron_fault(net.post("/networks", json={"network": body}), 400,
                              "InvalidInput")
        assert text in error["message"], (body, error)


def test_only_admin_sets_or_sees_provider_attributes(net: NetApi, member) -> None:
    neutron_fault(net.post("/networks", member.token, json={"network": {PT: "vxlan"}}), 403)
    mine = net.network(member.token)
    neutron_fault(net.put(f"/networks/{mine['id']}", member.token,
                          json={"network": {PS: 44}}), 403)
    listed = assert_status(net.get("/networks", member.token, params={"id": mine["id"]}),
                           200)["networks"]
    assert listed and PS not in listed[0]


def test_update_segmentation_id_only(net: NetApi) -> None:
    made = net.network(**{PT: "vxlan", PS: 80001})
    other = net.network(**{PT: "vxlan", PS: 80002})
    changed = assert_status(net.put(f"/networks/{made['id']}",
                                    json={"network": {PS: 80003}}), 200)["network"]
    assert changed[PS] == 80003 and changed[PT] == "vxlan"
    neutron_fault(net.put(f"/networks/{made['id']}", json={"network": {PS: 80002}}), 409,
                  "TunnelIdInUse")
    neutron_fault(net.put(f"/networks/{made['id']}", json={"network": {PT: "vlan"}}), 400,
                  "InvalidInput")
    # unchanged values are accepted, and the old id is free again
    assert_status(net.put(f"/networks/{made['id']}", json={"network": {PT: "vxlan"}}), 200)
    assert net.network(**{PT: "vxlan", PS: 80001})[PS] == 80001
    segments = assert_status(net.get("/segments", params={"network_id": made["id"]}),
                             200)["segments"]
    assert [s["segmentation_id"] for s in segments] == [80003]
    assert other[PS] == 80002


def test_racing_replicas_never_share_an_id_and_run_out_cleanly(net: NetApi,
                                                             make_api) -> None:
    """Two replicas, 12 concurrent creates, a range of 5 ids: exactly 5 networks, 5
    distinct ids, the rest 503 NoNetworkAvailable."""
    replicas = [NetApi(make_api(network_vni_ranges="90001:90005"), net.admin)
                for _ in range(2)]
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def create(n: int) -> None:
        barrier.wait()
        r = replicas[n % 2].post("/networks", json={"network": {"name": f"race-{n}"}})
        statuses.append(r.status_code)
        if r.status_code != 201:
            neutron_fault(r, 503, "NoNetworkAvailable")
    threads = [threading.Thread(target=create, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [n for n in assert_status(net.get("/networks"), 200)["networks"]
            if n["name"].startswith("race-")]
    ids = sorted(n[PS] for n in made)
    assert statuses.count(201) == 5 == len(made), statuses
    assert ids == [90001, 90002, 90003, 90004, 90005]
    assert sorted(statuses) == [201] * 5 + [503] * 7
