"""A robustness sweep of the Networking API, as the cloud admin: every POST and PUT route
gets malformed bodies (not JSON, JSON of the wrong shape, every attribute of the resource
with values of the wrong type, huge, nested or null), every GET route malformed query
strings (bad limit, marker, sort, fields, page_reverse, unknown and ill-typed filters).
Whatever is sent, the answer is never a 5xx, and a 4xx carries a ``NeutronError`` body
(``type``, ``message``, ``detail``), as Neutron answers.

The routes come from the RBAC matrix's network table (``tests/functional/rbac/network.py``),
which ``test_the_sweep_covers_every_served_route`` holds equal to what the app serves, and
so do the fresh resources each route's path needs and the valid body each mutation starts
from: a route added without a line there fails here too."""
from __future__ import annotations

import importlib
import json
import re
from types import SimpleNamespace
from typing import Any, Iterator

import httpx
import pytest

from onestack.core.db import Database
from onestack.network.attributes import Resource
from onestack.network.resources import MODULES
from tests.functional.rbac import network as rbac_network
from tests.functional.rbac.test_matrix import _register_network_agents, served_routes
from tests.support.api import Api
from tests.support.identity import Cloud

PARAM = re.compile(r"\{(\w+)\}")
LINES = [line.split() for line in rbac_network.lines().splitlines()]
WRITES = sorted({(m, p) for _, m, p in LINES if m in ("POST", "PUT")})
READS = sorted({p for _, m, p in LINES if m == "GET" and p.startswith(rbac_network.V2 + "/")
                and not p.endswith("/{tag}")})

# values of the wrong type for any attribute: every attribute gets each of them
WRONG: list[Any] = ["not-valid", 7, -1, 2 ** 33, 2 ** 70, 1.5, True, None, [], ["x", 1], {},
                    {"k": {"deep": [None, {"x": []}]}}, "x" * 70000, "\u0000\ud7ff\U0001f600",
                    [[[[[]]]]]]
# bodies that are not a JSON object with the member key
RAW: list[bytes] = [b"not json", b"{", b"[1, 2]", b'"string"', b"null", b"123", b"{}",
                    b'{"x": 1}', b"\xff\xfe", b"[" * 200 + b"]" * 200]

IF_MATCH = ["garbage", "revision_number=abc", "revision_number=" + "9" * 30,
            "revision_number=-1", "revision_number=0,revision_number=x", "*", "=,=,"]

# malformed query strings, each sent on every GET route
QUERIES: list[str] = [
    "limit=abc", "limit=-1", "limit=1.5", "limit=" + "9" * 30, "limit=2147483647", "limit=", "limit=1&limit=2",
    "marker=not-a-uuid", "marker=6f1d8f5c-0000-4000-8000-000000000000", "marker=",
    "limit=1&marker=not-a-uuid", "limit=1&marker=6f1d8f5c-0000-4000-8000-000000000000",
    "sort_dir=sideways", "sort_dir=asc", "sort_key=nonexistent",
    "sort_key=id&sort_dir=asc&sort_dir=desc", "sort_key=&sort_dir=", "sort_key=tags",
    "sort_key=id&sort_dir=desc&limit=1&page_reverse=maybe",
    "fields=nonexistent", "fields=", "fields=id,,name", "fields=" + "f" * 5000,
    "page_reverse=maybe", "page_reverse=",
    "bogus=1", "id=not-a-uuid", "admin_state_up=maybe", "shared=maybe",
    "revision_number=abc", "created_at=abc", "mtu=abc", "ip_version=abc",
    "port_range_min=abc", "router:external=maybe", "fixed_ips=abc",
    "fixed_ips=ip_address%3Dnot-an-ip", "fixed_ips=subnet_id%3Dx",
    "tags=", "not-tags-any=,,", "tags-any=" + "t," * 300,
    "name=" + "x" * 10000, "name=%00", "%ff=%fe", "description=%ff",
    "project_id=&tenant_id=", "security_groups=", "fields=id&fields=name&fields=",
]


def resources() -> dict[str, Resource]:
    """Every Resource of the service, by member name (``network``)."""
    found: dict[str, Resource] = {}
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, Resource):
                found.setdefault(value.name, value)
    return found


RESOURCES = resources()


@pytest.fixture(scope="module")
def world(api: Api, cloud: Cloud, db_url: str) -> rbac_network.NetworkWorld:
    """The RBAC matrix's network resource factory, over a fresh member's project (A)."""
    db = Database(db_url)
    try:
        db.write(_register_network_agents)
    finally:
        db.dispose()
    member, other = cloud.make_project_member(), cloud.make_project_member()
    w = SimpleNamespace(api=api, cloud=cloud, project_a=member.project,
                        project_b=other.project, member=SimpleNamespace(token=member.token))
    unlimited = {k: -1 for k in ("network", "subnet", "port", "router", "floatingip",
                                 "security_group", "security_group_rule", "rbac_policy")}
    r = api.http.put(f"{rbac_network.V2}/quotas/{cloud.admin_project_id}",
                     headers={"X-Auth-Token": cloud.admin_token},
                     json={"quota": unlimited})
    assert r.status_code == 200, r.text
    return rbac_network.NetworkWorld(w)  # type: ignore[arg-type]


def concrete(world: rbac_network.NetworkWorld, method: str, path: str) -> tuple[str, dict]:
    values: dict[str, str] = {}
    for name in PARAM.findall(path):
        values[name] = rbac_network.value(world, method, path, name, values)
    return PARAM.sub(lambda m: values[m.group(1)], path), values


def check(response: httpx.Response, what: str) -> str | None:
    """None when the answer is acceptable, else why not."""
    status = response.status_code
    if status >= 500:
        return f"{what}: {status} {response.text[:200]}"
    if status >= 400:
        try:
            error = response.json()["NeutronError"]
            assert set(error) == {"type", "message", "detail"}
            assert isinstance(error["type"], str) and error["type"]
            assert isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"{what}: {status} without a NeutronError body: {response.text[:200]}"
    return None


def mutations(method: str, body: Any) -> Iterator[tuple[str, Any]]:
    """(label, body) pairs: the valid ``body`` with one attribute at a time given a wrong
    value, the member key given a wrong shape, and, on a create, the bulk form broken."""
    if not isinstance(body, dict):
        body = {}
    for key, inner in body.items():
        for value in WRONG:
            yield f"{key}={_short(value)}", {**body, key: value}
        if isinstance(inner, dict):
            names = set(inner)
            resource = RESOURCES.get(key)
            if resource is not None:
                names |= {a.name for a in resource.attrs
                          if (a.post if method == "POST" else a.put) and not a.computed}
                names |= {"id", "tags", "bogus"}
            for name in sorted(names):
                for value in WRONG:
                    yield f"{key}.{name}={_short(value)}", {
                        **body, key: {**inner, name: value}}
            if method == "POST" and resource is not None:
                plural = resource.collection
                for value in ([inner, "x"], [None], [[]], "x", [], None, {}):
                    yield f"{plural}={_short(value)}", {plural: value}


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) < 40 else text[:37] + "..."


def test_the_sweep_covers_every_served_route(api: Api) -> None:
    served = {(m, p) for m, p in served_routes(api) if p.startswith("/network")}
    assert {(m, p) for m, p in served if m in ("POST", "PUT")} == set(WRITES)
    assert {p for m, p in served if m == "GET" and p.startswith(rbac_network.V2 + "/")
            and not p.endswith("/{tag}")} == set(READS)


@pytest.mark.parametrize("method,path", WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_malformed_bodies_are_never_a_5xx(net, world, method: str, path: str) -> None:
    url, values = concrete(world, method, path)
    base = rbac_network.body(world, method, path, values)
    headers = {"X-Auth-Token": net.admin, "Content-Type": "application/json"}
    wrong = []
    for raw in RAW:
        r = net.http.request(method, url, content=raw, headers=headers)
        wrong.append(check(r, f"raw {raw[:20]!r}"))
    r = net.http.request(method, url, content=b"{}", headers={
        "X-Auth-Token": net.admin, "Content-Type": "text/plain"})
    wrong.append(check(r, "text/plain"))
    for label, body in mutations(method, base):
        r = net.http.request(method, url, json=body, headers=headers)
        wrong.append(check(r, label))
    if method == "PUT":
        for if_match in IF_MATCH:
            r = net.http.request(method, url, json=base, headers={**headers,
                                                                   "If-Match": if_match})
            wrong.append(check(r, f"If-Match: {if_match[:40]}"))
    problems = [w for w in wrong if w]
    assert not problems, f"{method} {path}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("path", READS, ids=READS)
def test_malformed_query_strings_are_never_a_5xx(net, world, path: str) -> None:
    url, _ = concrete(world, "GET", path)
    wrong = []
    for query in QUERIES:
        r = net.http.get(f"{url}?{query}", headers={"X-Auth-Token": net.admin})
        wrong.append(check(r, query[:60]))
    problems = [w for w in wrong if w]
    assert not problems, f"GET {path}:\n" + "\n".join(problems[:40])


def test_a_timestamp_filter_matches_or_is_a_400(net) -> None:
    made = net.network()
    listed = net.get("/networks", params={"created_at": made["created_at"],
                                          "id": made["id"]})
    assert listed.status_code == 200, listed.text
    assert [n["id"] for n in listed.json()["networks"]] == [made["id"]]
    bad = net.get("/networks", params={"created_at": "abc"})
    assert bad.status_code == 400 and bad.json()["NeutronError"]["type"] == "InvalidInput"
