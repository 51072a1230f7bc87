"""The type routes' request schemas answer Cinder's 400 wording, never a 500."""
from __future__ import annotations

import pytest

from onestack.core.errors import BadRequest
from onestack.volume.api import type_schemas as schemas


@pytest.mark.parametrize(("body", "message"), [
    ({"volume_type": {"name": "   "}},
     "An invalid 'name' value was provided. The 'name' can not be empty."),
    ({"volume_type": {"name": "x", "extra_specs": {"k": 5}}},
     "Invalid input for field/attribute k. Value: 5."),
    ({"volume_type": {"name": "x", "description": "bell\x07"}},
     "Invalid input for field/attribute description."),
    ({"volume_type": {"name": "x", "os-volume-type-access:is_public": "maybe"}},
     "Invalid input for field/attribute os-volume-type-access:is_public. Value: maybe."),
    (None, "None is not of type 'object'"),
])
def test_type_create_refusals(body: object, message: str) -> None:
    with pytest.raises(BadRequest) as err:
        schemas.validate(schemas.TYPE_CREATE, body)
    assert message in err.value.message


def test_extra_spec_keys_have_no_spaces_on_the_extra_specs_routes() -> None:
    schemas.validate(schemas.TYPE_CREATE, {"volume_type": {"name": "x",
                                                           "extra_specs": {"a b/c": "v"}}})
    with pytest.raises(BadRequest):
        schemas.validate(schemas.EXTRA_SPECS_CREATE, {"extra_specs": {"a b": "v"}})
    with pytest.raises(BadRequest):
        schemas.validate(schemas.EXTRA_SPEC_UPDATE, {"a": "1", "b": "2"})


@pytest.mark.parametrize("size", ["abc", "1.5", True])
def test_encryption_key_size_must_be_an_integer(size: object) -> None:
    with pytest.raises(BadRequest):
        schemas.validate(schemas.ENCRYPTION_CREATE, {"encryption": {
            "provider": "p", "control_location": "front-end", "key_size": size}})
    schemas.validate(schemas.ENCRYPTION_CREATE, {"encryption": {
        "provider": "p", "control_location": "front-end", "key_size": "256"}})


def test_qos_names_are_checked_stripped() -> None:
    with pytest.raises(BadRequest) as err:
        schemas.validate(schemas.QOS_CREATE, {"qos_specs": {"name": "  "}})
    assert "can not be empty" in err.value.message
    with pytest.raises(BadRequest) as err:
        schemas.validate(schemas.QOS_CREATE, {"qos_specs": {"name": " " + "x" * 256}})
    assert "greater than 255" in err.value.message


@pytest.mark.parametrize(("raw", "expected"), [(True, True), ("yes", True), ("0", False),
                                               (False, False), ("OFF", False)])
def test_as_bool(raw: object, expected: bool) -> None:
    assert schemas.as_bool(raw) is expected
