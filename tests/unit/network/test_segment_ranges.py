"""The segment type configuration: range strings parsed as ML2 reads them, and the walk
that visits every id of the ranges exactly once from a random start."""
from __future__ import annotations

import random

from onestack.core.config import Settings
from onestack.network.service.segments import (TypeConfig, _walk, allocation_key,
                                               parse_ranges, parse_vlan_ranges)


def test_parse_ranges() -> None:
    assert parse_ranges("1:1000") == ((1, 1000),)
    assert parse_ranges(" 5:7, 10:10 ,") == ((5, 7), (10, 10))
    assert parse_ranges("") == ()


def test_parse_vlan_ranges() -> None:
    assert parse_vlan_ranges("physnet1:1000:2999,physnet1:3100:3200,physnet2") == {
        "physnet1": ((1000, 2999), (3100, 3200)), "physnet2": ()}


def test_walk_visits_every_id_once() -> None:
    random.seed(7)
    ranges = ((1, 3), (10, 12), (20, 20))
    for _ in range(20):
        seen = list(_walk(ranges))
        assert sorted(seen) == [1, 2, 3, 10, 11, 12, 20]
    assert list(_walk(())) == []


def test_config_from_settings() -> None:
    cfg = TypeConfig.from_settings(Settings(network_vni_ranges="5:6",
                                            network_flat_networks="a, b"))
    assert cfg.tunnel("vxlan") == ((5, 6),) and cfg.tunnel("geneve") == ((1, 1000),)
    assert cfg.flat_networks == ("a", "b") and cfg.project_type == "vxlan"
    assert cfg.vlan_physnets() == {"physnet1": ((1000, 2999),)}


def test_allocation_keys() -> None:
    assert allocation_key("vlan", "physnet1", 5) == "vlan:physnet1:5"
    assert allocation_key("vxlan", None, 5) == "vxlan::5"
    assert allocation_key("flat", "public", None) == "flat:public:"
    assert allocation_key("local", None, None) is None
