"""Keystone's inexact list filters (``name__contains``, ``__startswith``, ``__endswith`` and
their case-insensitive ``__i…`` forms) are applied, with LIKE wildcards taken literally."""
from __future__ import annotations

import uuid

import pytest

from tests.support.api import assert_status

# (collection path, body key, name attribute); policies are filtered by ``type``.
RESOURCES = [("/v3/projects", "project", "name"), ("/v3/users", "user", "name"),
             ("/v3/groups", "group", "name"), ("/v3/roles", "role", "name"),
             ("/v3/domains", "domain", "name"), ("/v3/policies", "policy", "type")]


def _make(api, token, path, key, attr, value):
    body = {attr: value}
    if key == "policy":
        body["blob"] = "{}"
    return assert_status(api.post(path, token=token, json={key: body}), 201)[key]


@pytest.fixture(scope="module")
def named(api, admin_token):
    """Per resource: a unique stem and the names made from it."""
    made = {}
    for path, key, attr in RESOURCES:
        stem = "f" + uuid.uuid4().hex[:8]
        # No two names differ in case only: MariaDB's default collation makes those one name.
        names = {"upper": f"{stem}-Alpha", "longer": f"{stem}-alphabet",
                 "lower": f"{stem}-xalpha", "other": f"{stem}-beta",
                 "literal": f"{stem}_x%y", "decoy": f"{stem}-Qxz"}
        for name in names.values():
            _make(api, admin_token, path, key, attr, name)
        made[path] = (stem, names)
    return made


def _all_listed(api, token, path, params):
    plural = path.rsplit("/", 1)[1]
    return assert_status(api.get(path, token=token, params=params), 200)[plural]


@pytest.mark.parametrize("path,key,attr", RESOURCES, ids=[r[1] for r in RESOURCES])
def test_inexact_filters(api, admin_token, named, path, key, attr):
    stem, n = named[path]
    everything = set(n.values())

    def q(op, value):
        items = _all_listed(api, admin_token, path, {f"{attr}__{op}": value})
        return {x[attr] for x in items}

    assert q("contains", stem) == everything
    assert q("startswith", f"{stem}-A") == {n["upper"]}
    assert q("istartswith", f"{stem}-A") == {n["upper"], n["longer"]}
    assert q("endswith", "lpha") & everything == {n["upper"], n["lower"]}
    assert q("endswith", "Alpha") & everything == {n["upper"]}
    assert q("endswith", "alpha") & everything == {n["lower"]}
    assert q("iendswith", "ALPHA") & everything == {n["upper"], n["lower"]}
    assert q("contains", f"{stem}-al") == {n["longer"]}
    assert q("icontains", stem.upper() + "-AL") == {n["upper"], n["longer"]}
    assert q("equals", n["upper"]) == {n["upper"]}
    assert q("equals", n["upper"].lower()) == set()
    assert q("iequals", n["upper"].upper()) == {n["upper"]}


@pytest.mark.parametrize("path,key,attr", RESOURCES, ids=[r[1] for r in RESOURCES])
def test_like_wildcards_are_literal(api, admin_token, named, path, key, attr):
    stem, n = named[path]

    def q(op, value):
        return {x[attr] for x in _all_listed(api, admin_token, path, {f"{attr}__{op}": value})}

    # Unescaped, ``_x%`` would also match "-Qxz"; ``%`` alone would match everything.
    assert q("contains", f"{stem}_x%") == {n["literal"]}
    assert q("icontains", "_X%Y") >= {n["literal"]}
    assert n["decoy"] not in q("icontains", "_X%Y")
    assert q("endswith", "%") == set()
    assert q("startswith", f"{stem}%") == set()


def test_exact_name_filter_still_applies(api, admin_token, named):
    stem, n = named["/v3/projects"]
    items = _all_listed(api, admin_token, "/v3/projects", {"name": n["other"]})
    assert [x["name"] for x in items] == [n["other"]]


def test_filters_combine(api, admin_token, named):
    stem, n = named["/v3/users"]
    items = _all_listed(api, admin_token, "/v3/users",
                        {"name__startswith": stem, "name__iendswith": "ALPHA"})
    assert {x["name"] for x in items} == {n["upper"], n["lower"]}
