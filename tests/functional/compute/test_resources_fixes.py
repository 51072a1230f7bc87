"""Defects found in the compute resource APIs beside servers (issues 6 and 7), each through
the whole app: key pair quota before key generation (F22), imported public keys kept as
given, quota updates for unknown projects and control characters in names (F13), huge
microversion and integer values (F12), the advertised-but-missing ``os-security-groups``,
one microversion negotiation per request and a bounded schema validator cache."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from onestack.compute import schemas
from onestack.compute.api import microversion
from tests.support.api import Api
from tests.support.identity import Member, unique

ROOT = "/compute/v2.1"
ED25519 = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILsqJX6VwjQ4yYwR/gUuPBq+JrKrX6TQ/XSHvUh62YXR "
           "unit@test")
HUGE = "9" * 5000


def nova(api: Api, token: str, method: str, path: str, version: str = "2.1",
         **kw: Any) -> httpx.Response:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
    headers.update(kw.pop("headers", {}))
    return api.http.request(method, ROOT + path, headers=headers, **kw)


def fault(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    (name, inner), = body.items()
    assert inner["code"] == status, body
    return inner["message"]


@pytest.fixture
def no_keygen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts RSA key generations (the CPU-heavy step of creating a key pair) and makes them
    fail, so a test sees whether the generator ran at all."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    calls: list[int] = []

    def refuse(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        raise AssertionError("the key generator ran")
    monkeypatch.setattr(rsa, "generate_private_key", refuse)
    return calls


@pytest.mark.parametrize("kind", ["ssh", "x509"])
def test_keypair_quota_is_checked_before_generating(api: Api, admin_token: str,
                                                    member: Member, no_keygen: list[int],
                                                    kind: str):
    """F22: a project at its key pair quota gets 403 without a key being generated."""
    pid = member.project["id"]
    r = nova(api, admin_token, "PUT", f"/os-quota-sets/{pid}",
             json={"quota_set": {"key_pairs": 0}})
    assert r.status_code == 200, r.text
    r = nova(api, member.token, "POST", "/os-keypairs", "2.2",
             json={"keypair": {"name": unique("kp"), "type": kind}})
    assert "Quota exceeded" in fault(r, 403)
    assert no_keygen == []


def test_keypair_quota_still_holds_for_imports(api: Api, admin_token: str, member: Member):
    pid = member.project["id"]
    r = nova(api, admin_token, "PUT", f"/os-quota-sets/{pid}",
             json={"quota_set": {"key_pairs": 1}})
    assert r.status_code == 200, r.text
    first = nova(api, member.token, "POST", "/os-keypairs", "2.2",
                 json={"keypair": {"name": unique("kp"), "public_key": ED25519}})
    assert first.status_code == 201, first.text
    second = nova(api, member.token, "POST", "/os-keypairs", "2.2",
                  json={"keypair": {"name": unique("kp"), "public_key": ED25519}})
    fault(second, 403)


def test_imported_public_key_keeps_its_trailing_newline(api: Api, member: Member):
    name = unique("kp")
    given = ED25519 + "\n"
    made = nova(api, member.token, "POST", "/os-keypairs", "2.2",
                json={"keypair": {"name": name, "public_key": given}})
    assert made.status_code == 201, made.text
    assert made.json()["keypair"]["public_key"] == given
    shown = nova(api, member.token, "GET", f"/os-keypairs/{name}", "2.2")
    assert shown.json()["keypair"]["public_key"] == given
    listed = nova(api, member.token, "GET", "/os-keypairs", "2.2").json()["keypairs"]
    assert [k["keypair"]["public_key"] for k in listed
            if k["keypair"]["name"] == name] == [given]


def test_quota_update_for_unknown_project_is_400(api: Api, admin_token: str):
    """F13: Nova checks the project with identity before storing its quotas."""
    r = nova(api, admin_token, "PUT", f"/os-quota-sets/{unique('no-such-project')}",
             json={"quota_set": {"cores": 3}})
    assert "not a valid project" in fault(r, 400)


def test_quota_update_for_known_project_still_works(api: Api, admin_token: str,
                                                    member: Member):
    pid = member.project["id"]
    r = nova(api, admin_token, "PUT", f"/os-quota-sets/{pid}",
             json={"quota_set": {"cores": 3}})
    assert r.status_code == 200, r.text
    assert r.json()["quota_set"]["cores"] == 3


@pytest.mark.parametrize("name", ["bad\x00name", "tab\there", "bell\x07", "del\x7f",
                                  "line\u2028sep"])
def test_flavor_name_with_control_characters_is_400(api: Api, admin_token: str, name: str):
    """F13: Nova's name type allows printable characters only."""
    r = nova(api, admin_token, "POST", "/flavors",
             json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0}})
    fault(r, 400)


def test_flavor_name_with_printable_unicode_is_accepted(api: Api, admin_token: str):
    name = unique("flavor ü 雪")
    r = nova(api, admin_token, "POST", "/flavors",
             json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0}})
    assert r.status_code == 200, r.text
    assert r.json()["flavor"]["name"] == name


def test_server_group_and_aggregate_names_refuse_nul(api: Api, admin_token: str):
    r = nova(api, admin_token, "POST", "/os-server-groups",
             json={"server_group": {"name": "g\x00", "policies": ["affinity"]}})
    fault(r, 400)
    r = nova(api, admin_token, "POST", "/os-aggregates",
             json={"aggregate": {"name": "a\x00"}})
    fault(r, 400)


@pytest.mark.parametrize("header", [
    {"OpenStack-API-Version": f"compute 2.{HUGE}"},
    {"OpenStack-API-Version": f"compute {HUGE}.1"},
    {"X-OpenStack-Nova-API-Version": f"2.{HUGE}"},
])
def test_huge_microversion_is_a_client_error(api: Api, admin_token: str,
                                             header: dict[str, str]):
    """F12 through the whole app: never a 500. Which 4xx depends on the layer that refuses
    it (the core's header-length check answers 400, compute's negotiation 406); the unit
    test ``test_microversion_huge`` pins compute's answer."""
    headers = {"X-Auth-Token": admin_token, **header}
    r = api.http.get(ROOT + "/flavors", headers=headers)
    assert r.status_code in (400, 406), r.text[:300]
    fault(r, r.status_code)


@pytest.mark.parametrize("version", [f"2.{'9' * 40}", f"{'9' * 40}.1"])
def test_long_but_short_enough_microversion_is_406(api: Api, admin_token: str,
                                                   version: str):
    r = api.http.get(ROOT + "/flavors", headers={"X-Auth-Token": admin_token,
                                                 "X-OpenStack-Nova-API-Version": version})
    fault(r, 406)


def test_malformed_microversion_is_400(api: Api, admin_token: str):
    r = api.http.get(ROOT + "/flavors", headers={"X-Auth-Token": admin_token,
                                                 "OpenStack-API-Version": "compute 2.x1"})
    fault(r, 400)


@pytest.mark.parametrize("method,path,version", [
    ("GET", f"/flavors?limit={HUGE}", "2.1"),
    ("GET", f"/flavors?minRam={HUGE}", "2.1"),
    ("GET", f"/flavors?minDisk={HUGE}", "2.1"),
    ("GET", f"/os-keypairs?limit={HUGE}", "2.35"),
    ("GET", f"/os-server-groups?limit={HUGE}", "2.1"),
    ("GET", f"/os-server-groups?offset={HUGE}", "2.1"),
    ("GET", f"/os-aggregates/{HUGE}", "2.1"),
    ("GET", f"/os-hypervisors?limit={HUGE}", "2.33"),
    ("GET", f"/os-simple-tenant-usage?limit={HUGE}", "2.40"),
    ("GET", f"/images?limit={HUGE}", "2.1"),
    ("GET", f"/images?minRam={HUGE}", "2.1"),
    ("GET", f"/os-services/{HUGE}", "2.1"),
])
def test_huge_integers_in_queries_and_paths_are_never_500(api: Api, admin_token: str,
                                                          method: str, path: str,
                                                          version: str):
    r = nova(api, admin_token, method, path, version)
    assert r.status_code < 500, r.text[:300]


def test_huge_integers_in_bodies_are_400(api: Api, admin_token: str, member: Member):
    pid = member.project["id"]
    r = nova(api, admin_token, "PUT", f"/os-quota-sets/{pid}",
             json={"quota_set": {"cores": HUGE}})
    fault(r, 400)
    r = nova(api, admin_token, "POST", "/flavors",
             json={"flavor": {"name": unique("f"), "ram": HUGE, "vcpus": 1, "disk": 0}})
    fault(r, 400)


def test_security_groups_are_not_advertised_without_being_served(api: Api,
                                                                 admin_token: str):
    """An extension the API lists is one it answers: ``os-security-groups`` needs a network
    service, which this cloud does not have yet."""
    listed = nova(api, admin_token, "GET", "/extensions").json()["extensions"]
    served = nova(api, admin_token, "GET", "/os-security-groups").status_code != 404
    assert served or "os-security-groups" not in {e["alias"] for e in listed}
    if not served:
        fault(nova(api, admin_token, "GET", "/extensions/os-security-groups"), 404)


def test_microversion_is_negotiated_once_per_request(api: Api, admin_token: str,
                                                     monkeypatch: pytest.MonkeyPatch):
    seen: list[str] = []
    real = microversion.negotiate

    def counting(call: Any, *args: Any, **kw: Any) -> Any:
        seen.append(call.path)
        return real(call, *args, **kw)
    monkeypatch.setattr(microversion, "negotiate", counting)
    for path in ("/flavors", "/os-keypairs", "/os-server-groups", "/os-aggregates",
                 "/os-availability-zone", f"/os-quota-sets/{unique('p')}/defaults"):
        seen.clear()
        r = nova(api, admin_token, "GET", path, "2.60")
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["OpenStack-API-Version"] == "compute 2.60"
        assert len(seen) == 1, (path, seen)


def test_schema_cache_stays_bounded_over_1000_requests(api: Api, admin_token: str,
                                                      admin_project_id: str):
    """Key pair, server group and quota set schemas depend on the microversion; after one
    request of each kind at every microversion, 1,000 more requests leave the validator
    cache the size it was."""
    kinds = [
        lambda v: nova(api, admin_token, "POST", "/os-keypairs", v,
                       json={"keypair": {"name": 1}}),
        lambda v: nova(api, admin_token, "POST", "/os-server-groups", v,
                       json={"server_group": {"name": ""}}),
        lambda v: nova(api, admin_token, "PUT", f"/os-quota-sets/{admin_project_id}", v,
                       json={"quota_set": {"nope": 1}}),
    ]
    versions = [f"2.{minor}" for minor in range(1, 97)]
    for v in versions:
        for send in kinds:
            assert send(v).status_code == 400
    size = len(schemas._validators)
    for i in range(1000):
        assert kinds[i % 3](versions[i % 96]).status_code == 400
    assert len(schemas._validators) == size


def test_another_projects_server_group_is_404(api: Api, make_project_member):
    """Another project's resources answer 404 (a forbidden action on one's own is 403)."""
    owner, other = make_project_member(), make_project_member()
    reader = make_project_member(role="reader", project=owner.project)
    made = nova(api, owner.token, "POST", "/os-server-groups",
                json={"server_group": {"name": unique("g"), "policies": ["affinity"]}})
    assert made.status_code == 200, made.text
    gid = made.json()["server_group"]["id"]
    fault(nova(api, other.token, "GET", f"/os-server-groups/{gid}"), 404)
    fault(nova(api, other.token, "DELETE", f"/os-server-groups/{gid}"), 404)
    fault(nova(api, reader.token, "DELETE", f"/os-server-groups/{gid}"), 403)
    assert nova(api, reader.token, "GET", f"/os-server-groups/{gid}").status_code == 200
    assert nova(api, owner.token, "DELETE", f"/os-server-groups/{gid}").status_code == 204


@pytest.mark.parametrize("name", ["vm\x00", "vm\x1b[31m"])
def test_server_names_with_control_characters_are_400(api: Api, member: Member, name: str):
    """The server schemas share Nova's printable-name rule (checked before anything is
    looked up, so no image or flavor is needed to see it)."""
    r = nova(api, member.token, "POST", "/servers",
             json={"server": {"name": name, "flavorRef": "1",
                              "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b"}})
    assert "server/name" in fault(r, 400)
