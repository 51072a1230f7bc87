"""The RBAC matrix: every route of every mounted service, called as the cloud admin, a member
and a reader of project A and a member of project B, against a fresh resource of project A;
each outcome must be the one the policy defaults give (``expectations.py``). A route the app
serves without a line in the table fails the suite, and so does a line for a route that no
longer exists."""
from __future__ import annotations

from collections import Counter
from typing import Iterator

import pytest

from onestack.compute.flavors import ensure_default_flavors
from onestack.core.db import Database
from tests.functional.rbac import expectations, params
from tests.functional.rbac.world import PERSONAS, World, call
from tests.support.databases import Backend

ENTRIES = expectations.entries()
ALLOWED = {
    "PUBLIC": set(PERSONAS), "ANY": set(PERSONAS),
    "CREATE": {"admin", "member", "other"}, "READ": {"admin", "member", "reader"},
    "WRITE": {"admin", "member"}, "ADMIN": {"admin"}, "SELF": {"admin", "member"},
    "OWNER": {"member"}, "MEMBER": {"admin", "other"},
}
HEADERS = {"/placement": {"OpenStack-API-Version": "placement 1.39"},
           "/compute": {"X-OpenStack-Nova-API-Version": "2.96"},
           "/volume": {"OpenStack-API-Version": "volume 3.71"}}
# routes Nova removed in later microversions are called at 2.1, where they exist
OLD_COMPUTE = ("/compute/v2.1/os-hosts", "/compute/v2.1/images", "/compute/v2.1/os-networks",
               "/compute/v2.1/os-tenant-networks", "/compute/v2.1/os-hypervisors/statistics",
               "/compute/v2.1/os-hypervisors/{hypervisor_id}/uptime",
               "/compute/v2.1/os-hypervisors/{pattern}", "/compute/v2.1/os-security-groups",
               "/compute/v2.1/os-security-group-rules", "/compute/v2.1/os-floating-ip",
               "/compute/v2.1/os-volumes", "/compute/v2.1/os-snapshots")
QUERIES = {"GET /placement/usages": "?project_id=p1",
           "GET /placement/allocation_candidates": "?resources=VCPU:1",
           "DELETE /compute/v2.1/os-assisted-volume-snapshots/{snapshot_id}":
               '?delete_info={"volume_id":"0b7a2fd5-4f6e-4d41-9c1b-2bd4bb0a07c1"}'}
PATCH_TYPE = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


@pytest.fixture(scope="module")
def backend() -> Backend:
    return Backend("sqlite")  # policy does not depend on the database: one backend is enough


@pytest.fixture(scope="module")
def world(api, cloud, db_url) -> Iterator[World]:
    db = Database(db_url)
    try:
        ensure_default_flavors(db)
        db.write(_register_network_agents)
    finally:
        db.dispose()
    yield World.build(api, cloud)


def _register_network_agents(s) -> None:
    """The agent rows a host's network agent registers (the matrix runs no agents)."""
    from onestack.network.service import agents

    for kind in agents.HOST_AGENTS:
        agents.register(s, "rbac-host", kind, zone="nova", configurations={})


def served_routes(api) -> set[tuple[str, str]]:
    app = api.http._transport._asgi.app  # the RequestIdLayer
    owner = app.owner
    return {(r.method, m.prefix + r.path) for m in owner.mounts for r in m.routes
            if r.method != "HEAD"}


def test_every_route_has_an_expectation_and_every_expectation_a_route(api) -> None:
    served = served_routes(api)
    expected = {(method, path) for _, method, path, _ in ENTRIES}
    assert not served - expected, f"routes without an RBAC expectation: {served - expected}"
    assert not expected - served, f"expectations for routes not served: {expected - served}"


def outcome_ok(kind: str, persona: str, status: int, path: str = "") -> bool:
    if status >= 500:
        return False
    if persona in ALLOWED[kind]:
        return status not in (401, 403)
    if path.startswith("/network"):  # Neutron hides what a caller may not read: 404 or 403
        return status in (403, 404)
    if kind in ("OWNER", "SELF") or persona == "other":
        return status in (403, 404)
    return status == 403


CASES = [e for e in ENTRIES if e[0] != "EXEMPT"]


@pytest.mark.parametrize("kind,method,path,action", CASES,
                         ids=[f"{m} {p}{'#' + a if a else ''}" for _, m, p, a in CASES])
def test_route_answers_each_persona_as_its_policy_says(world, kind, method, path,
                                                        action) -> None:
    concrete, values = params.fill(world, method, path)
    body = params.body(world, method, path, action, values)
    if action == "rebuild":
        body = {"rebuild": {"imageRef": world.public_image}}
    headers = dict(next((h for prefix, h in HEADERS.items() if path.startswith(prefix)), {}))
    if path.startswith(OLD_COMPUTE):
        headers["X-OpenStack-Nova-API-Version"] = "2.1"
    if method == "PATCH" and path.startswith("/image"):
        headers.update(PATCH_TYPE)
    concrete += QUERIES.get(f"{method} {path}", "")
    wrong = []
    for persona_name in PERSONAS:
        persona = world.personas[persona_name]
        extra = dict(headers)
        if path == "/identity/v3/auth/tokens":
            extra["X-Subject-Token"] = persona.fresh_token(world.api)
        own = concrete.replace(params.OWN_PROJECT, persona.project_id)  # volume's URLs
        r = call(world.api, method, own, persona.token,
                 body if method in ("POST", "PUT", "PATCH") else None, extra)
        if not outcome_ok(kind, persona_name, r.status_code, path):
            wrong.append(f"{persona_name}: {r.status_code} {r.text[:160]}")
    assert not wrong, f"{kind} {method} {concrete}:\n" + "\n".join(wrong)


def test_matrix_size() -> None:
    """The matrix's coverage, printed for the record (routes × personas)."""
    kinds = Counter(kind for kind, *_ in ENTRIES)
    assert len(CASES) * len(PERSONAS) >= 1600, (len(CASES), kinds)
