"""The volume actions' input rules, as Cinder's schemas have them: booleans as JSON or as
one of Cinder's strings, sizes as integers or digit strings from 1 to 2**31-1."""
from __future__ import annotations

import pytest

from onestack.core.errors import BadRequest
from onestack.volume.service.actions import check_metadata, parse_bool
from onestack.volume.service.attach_ops import settle_status
from onestack.volume.service.volume_work import parse_size


@pytest.mark.parametrize("value,expected", [(True, True), (False, False), ("true", True),
                                            ("On", True), ("1", True), ("no", False),
                                            ("F", False), ("0", False)])
def test_booleans(value: object, expected: bool) -> None:
    assert parse_bool("bootable", value) is expected


@pytest.mark.parametrize("value", ["maybe", "", None, 1, 0, [], {}])
def test_not_booleans(value: object) -> None:
    with pytest.raises(BadRequest, match="bootable"):
        parse_bool("bootable", value)


@pytest.mark.parametrize("value,expected", [(1, 1), ("7", 7), (" 3 ", 3),
                                            (2 ** 31 - 1, 2 ** 31 - 1)])
def test_sizes(value: object, expected: int) -> None:
    assert parse_size("new_size", value) == expected


@pytest.mark.parametrize("value", [0, -1, "abc", None, True, 1.5, "1.5", 2 ** 31, [2]])
def test_not_sizes(value: object) -> None:
    with pytest.raises(BadRequest, match="new_size"):
        parse_size("new_size", value)


def test_metadata_rules() -> None:
    assert check_metadata({"a": "b"}) == {"a": "b"}
    for bad in ({"a": 1}, {"": "x"}, {"k" * 256: "x"}, {"a": "v" * 256}, ["a"]):
        with pytest.raises(BadRequest):
            check_metadata(bad)


def test_settle_status_without_attachments_frees_an_errored_volume() -> None:
    """What a force detach relies on: the last attachment gone, ``error`` → ``available``."""
    from types import SimpleNamespace

    vol = SimpleNamespace(id="v", status="error", attach_status="attached", updated_at=None)
    session = SimpleNamespace(get=lambda *a: None, delete=lambda *a: None,
                              add=lambda *a: None)
    settle_status(session, vol, [])  # type: ignore[arg-type]
    assert (vol.status, vol.attach_status) == ("available", "detached")
    kept = SimpleNamespace(id="v", status="detaching", attach_status="detaching",
                           updated_at=None)
    settle_status(session, kept, [SimpleNamespace(attach_status="attached")])  # type: ignore
    assert (kept.status, kept.attach_status) == ("in-use", "attached")
