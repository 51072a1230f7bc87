"""The compiled-validator cache of ``compute.schemas``: schemas built per request (key pairs,
server groups, quota sets depend on the microversion) must not grow it without bound, and a
schema must never be checked with another schema's validator."""
from __future__ import annotations

import pytest

from onestack.compute import schemas
from onestack.compute.api import keypairs, quota_sets, server_groups
from onestack.core.errors import BadRequest


def build_all(version: tuple[int, int]) -> list[tuple[dict, object]]:
    """(schema, an instance it accepts) for every per-microversion schema builder."""
    return [
        (keypairs.create_schema(version), {"keypair": {"name": "k", "public_key": "x"}}),
        (server_groups.create_schema(version),
         {"server_group": {"name": "g", "policy": "affinity"}} if version >= (2, 64)
         else {"server_group": {"name": "g", "policies": ["affinity"]}}),
        (quota_sets.update_schema("quota_set", quota_sets.set_resources(version), True),
         {"quota_set": {"cores": 1}}),
    ]


def test_1000_validations_of_per_request_schemas_keep_the_cache_size():
    versions = [(2, minor) for minor in range(1, 97)]
    for v in versions:
        for schema, body in build_all(v):
            schemas.validate(schema, body)
    size = len(schemas._validators)
    for i in range(1000):
        for schema, body in build_all(versions[i % len(versions)]):
            schemas.validate(schema, body)
    assert len(schemas._validators) == size


def test_the_cache_is_bounded_even_for_ever_new_schemas():
    for i in range(5000):
        schemas.validate({"type": "object", "properties": {f"k{i}": {"type": "string"}}},
                         {f"k{i}": "v"})
    assert len(schemas._validators) <= schemas.CACHE_SIZE


@pytest.mark.parametrize("rounds", [200])
def test_each_schema_is_checked_by_its_own_validator(rounds: int):
    """Short-lived schemas of alternating meaning: each is checked by its own rules (an
    ``id()``-keyed cache hands a freed schema's validator to a new one at the same
    address)."""
    for i in range(rounds):
        strings = {"type": "string"}
        schemas.validate(strings, "text")
        del strings
        integers = {"type": "integer"}
        with pytest.raises(BadRequest):
            schemas.validate(integers, "text")
        del integers


def test_per_microversion_schemas_are_compiled_once():
    """The builders hand out one schema per microversion, so a request reuses the compiled
    validator instead of compiling (and caching) a new one."""
    for v in [(2, 1), (2, 15), (2, 64), (2, 92)]:
        for (first, _), (second, _) in zip(build_all(v), build_all(v)):
            assert first is second
            assert schemas.validator(first) is schemas.validator(second)
