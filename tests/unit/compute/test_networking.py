"""A boot's ``networks`` parsed for the negotiated microversion (Nova's rules), without a
database."""
from __future__ import annotations

import pytest

from onestack.compute.api.interfaces import parse_networks, tags_allowed
from onestack.compute.service.networking import Nic
from onestack.core.errors import BadRequest

NET = "6a6c5a8e-3c1f-4a43-9d8e-6a4e0a1f3b10"
PORT = "0b1e4c2d-7f3a-4d5e-8a9b-1c2d3e4f5a6b"


def test_absent_networks_stay_absent() -> None:
    assert parse_networks(None, (2, 1)) is None
    assert parse_networks(None, (2, 90)) is None


@pytest.mark.parametrize("value", ["auto", "none"])
def test_auto_and_none_need_2_37(value: str) -> None:
    with pytest.raises(BadRequest):
        parse_networks(value, (2, 36))
    assert parse_networks(value, (2, 37)) == value


def test_a_list_becomes_nics_with_a_canonical_fixed_ip() -> None:
    nics = parse_networks([{"uuid": NET, "fixed_ip": "10.0.0.05".replace("05", "5")},
                           {"port": PORT}], (2, 1))
    assert nics == [Nic(NET, None, "10.0.0.5", None), Nic(None, PORT, None, None)]


@pytest.mark.parametrize("entry", [
    {"uuid": "a-b-c-d-e-f-g-h-i-j", "fixed_ip": "10.0.1.1"},
    {"uuid": NET, "fixed_ip": "10.0.0.300"},
    {"port": "not-a-uuid"},
    {"fixed_ip": "10.0.0.1"},
    {"uuid": NET, "extra": 1},
    "not-a-dict",
])
def test_bad_entries_are_400(entry: object) -> None:
    with pytest.raises(BadRequest):
        parse_networks([entry], (2, 1))


def test_tags_follow_their_microversions() -> None:
    assert [v for v in [(2, 31), (2, 32), (2, 36), (2, 37), (2, 41), (2, 42), (2, 90)]
            if tags_allowed(v)] == [(2, 32), (2, 36), (2, 42), (2, 90)]
    assert parse_networks([{"uuid": NET, "tag": "eth0"}], (2, 42))[0].tag == "eth0"
    with pytest.raises(BadRequest):
        parse_networks([{"uuid": NET, "tag": "eth0"}], (2, 37))
    with pytest.raises(BadRequest):
        parse_networks([{"uuid": NET, "tag": "a/b"}], (2, 42))
