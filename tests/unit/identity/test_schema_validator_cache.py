"""Issue 6/7: the identity schema validator cache is bounded and keyed by the schema's content,
so schemas built per request neither grow it nor get a stale validator."""
from __future__ import annotations

import pytest

from onestack.core.errors import ValidationError
from onestack.identity import schemas


def per_request_schema(max_length: int) -> dict:
    return {"type": "object", "properties": {"name": {"type": "string",
                                                      "maxLength": max_length}}}


def test_repeated_per_request_schemas_leave_the_cache_size_constant():
    schemas.validate(per_request_schema(5), {"name": "abc"})
    size = schemas.cache_size()
    kept = [per_request_schema(5) for _ in range(300)]  # alive at once: distinct ids
    for schema in kept:
        schemas.validate(schema, {"name": "abc"})
    assert schemas.cache_size() == size


def test_the_cache_is_bounded():
    for n in range(schemas.VALIDATOR_CACHE_SIZE + 50):
        schemas.validate(per_request_schema(1000 + n), {"name": "abc"})
    assert schemas.cache_size() <= schemas.VALIDATOR_CACHE_SIZE


def test_equal_schemas_share_rules_and_different_ones_do_not():
    schemas.validate(per_request_schema(3), {"name": "abc"})
    with pytest.raises(ValidationError):
        schemas.validate(per_request_schema(2), {"name": "abc"})
    schemas.validate(schemas.PASSWORD_CHANGE, {"original_password": "a", "password": "b"})
