"""OS-FEDERATION CRUD: identity providers (remote ids, domain), protocols, mappings (rules
validated) and service providers, with Keystone's status codes and bodies."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique

FED = "/v3/OS-FEDERATION"
RULES = [{"local": [{"user": {"name": "{0}"}}, {"group": {"id": "g1"}}],
          "remote": [{"type": "REMOTE_USER"},
                     {"type": "ORG", "any_one_of": ["ops", "dev"]}]}]


def _mapping(api, t, mapping_id=None, rules=RULES):
    mapping_id = mapping_id or unique("map")
    return assert_status(api.put(f"{FED}/mappings/{mapping_id}", token=t,
                                 json={"mapping": {"rules": rules}}), 201)["mapping"]


def test_identity_provider_lifecycle(api, cloud):
    t = cloud.admin_token
    idp_id = unique("idp")
    remote = [unique("https://idp.example/"), unique("https://idp2.example/")]
    url = f"{FED}/identity_providers/{idp_id}"
    idp = assert_status(api.put(url, token=t, json={"identity_provider": {
        "description": "corp", "remote_ids": remote, "enabled": True}}), 201)[
        "identity_provider"]
    assert idp["id"] == idp_id and idp["enabled"] is True and idp["description"] == "corp"
    assert sorted(idp["remote_ids"]) == sorted(remote)
    assert idp["links"]["self"].endswith(url)
    assert idp["links"]["protocols"].endswith(url + "/protocols")
    # Without a domain_id Keystone makes a domain for the provider.
    domain = assert_status(api.get(f"/v3/domains/{idp['domain_id']}", token=t), 200)["domain"]
    assert domain["name"] == idp_id

    assert_fault(api.put(url, token=t, json={"identity_provider": {}}), 409)
    assert_fault(api.put(f"{FED}/identity_providers/{unique('idp')}", token=t, json={
        "identity_provider": {"remote_ids": [remote[0]]}}), 409)

    listed = assert_status(api.get(f"{FED}/identity_providers", token=t), 200)
    assert idp_id in {x["id"] for x in listed["identity_providers"]}
    assert "self" in listed["links"]
    only_enabled = assert_status(api.get(f"{FED}/identity_providers", token=t,
                                         params={"enabled": "false"}), 200)
    assert idp_id not in {x["id"] for x in only_enabled["identity_providers"]}

    patched = assert_status(api.patch(url, token=t, json={"identity_provider": {
        "enabled": False, "remote_ids": [remote[1]], "description": "new"}}), 200)[
        "identity_provider"]
    assert (patched["enabled"], patched["remote_ids"], patched["description"]) == \
        (False, [remote[1]], "new")
    assert_fault(api.patch(url, token=t, json={"identity_provider": {
        "domain_id": "default"}}), 400)
    assert assert_status(api.get(url, token=t), 200)["identity_provider"]["remote_ids"] == \
        [remote[1]]

    assert_status(api.delete(url, token=t), 204)
    assert_fault(api.get(url, token=t), 404)
    assert_fault(api.delete(url, token=t), 404)


def test_identity_provider_defaults_and_checks(api, cloud):
    t = cloud.admin_token
    idp_id = unique("idp")
    idp = assert_status(api.put(f"{FED}/identity_providers/{idp_id}", token=t, json={
        "identity_provider": {"domain_id": "default"}}), 201)["identity_provider"]
    assert (idp["domain_id"], idp["enabled"], idp["remote_ids"], idp["description"]) == \
        ("default", False, [], None)
    assert_fault(api.put(f"{FED}/identity_providers/{unique('idp')}", token=t, json={
        "identity_provider": {"domain_id": "no-such-domain"}}), 404)
    assert_fault(api.put(f"{FED}/identity_providers/{unique('idp')}", token=t, json={
        "identity_provider": {"bogus": 1}}), 400)


def test_protocols(api, cloud):
    t = cloud.admin_token
    idp_id = unique("idp")
    assert_status(api.put(f"{FED}/identity_providers/{idp_id}", token=t, json={
        "identity_provider": {"domain_id": "default"}}), 201)
    mapping = _mapping(api, t)
    other = _mapping(api, t)
    base = f"{FED}/identity_providers/{idp_id}/protocols"
    proto = assert_status(api.put(f"{base}/saml2", token=t, json={"protocol": {
        "mapping_id": mapping["id"]}}), 201)["protocol"]
    assert (proto["id"], proto["mapping_id"]) == ("saml2", mapping["id"])
    assert proto["links"]["identity_provider"].endswith(f"{FED}/identity_providers/{idp_id}")
    assert_fault(api.put(f"{base}/saml2", token=t, json={"protocol": {
        "mapping_id": mapping["id"]}}), 409)
    assert_fault(api.put(f"{base}/oidc", token=t, json={"protocol": {
        "mapping_id": "no-such-mapping"}}), 400)
    assert_fault(api.put(f"{FED}/identity_providers/nope/protocols/x", token=t, json={
        "protocol": {"mapping_id": mapping["id"]}}), 404)
    listed = assert_status(api.get(base, token=t), 200)["protocols"]
    assert [p["id"] for p in listed] == ["saml2"]
    patched = assert_status(api.patch(f"{base}/saml2", token=t, json={"protocol": {
        "mapping_id": other["id"]}}), 200)["protocol"]
    assert patched["mapping_id"] == other["id"]
    assert assert_status(api.get(f"{base}/saml2", token=t), 200)["protocol"]["mapping_id"] \
        == other["id"]
    assert_status(api.delete(f"{base}/saml2", token=t), 204)
    assert_fault(api.get(f"{base}/saml2", token=t), 404)
    # Deleting the provider takes its protocols with it.
    assert_status(api.put(f"{base}/oidc", token=t, json={"protocol": {
        "mapping_id": mapping["id"]}}), 201)
    assert_status(api.delete(f"{FED}/identity_providers/{idp_id}", token=t), 204)
    assert_fault(api.get(f"{base}/oidc", token=t), 404)


def test_mappings(api, cloud):
    t = cloud.admin_token
    mapping = _mapping(api, t)
    url = f"{FED}/mappings/{mapping['id']}"
    assert mapping["rules"] == RULES and mapping["links"]["self"].endswith(url)
    assert mapping["schema_version"] == "1.0"
    assert_fault(api.put(url, token=t, json={"mapping": {"rules": RULES}}), 409)
    shown = assert_status(api.get(url, token=t), 200)["mapping"]
    assert shown["rules"] == RULES
    assert mapping["id"] in {m["id"] for m in assert_status(
        api.get(f"{FED}/mappings", token=t), 200)["mappings"]}
    new_rules = [{"local": [{"group": {"id": "g2"}}], "remote": [{"type": "X"}]}]
    patched = assert_status(api.patch(url, token=t, json={"mapping": {"rules": new_rules}}),
                            200)["mapping"]
    assert patched["rules"] == new_rules
    assert_status(api.delete(url, token=t), 204)
    assert_fault(api.get(url, token=t), 404)


@pytest.mark.parametrize("rules", [
    [],  # at least one rule
    [{"local": [{"user": {"name": "x"}}]}],  # remote missing
    [{"remote": [{"type": "A"}]}],  # local missing
    [{"local": [{"user": {"name": "x"}}], "remote": [{"any_one_of": ["a"]}]}],  # no type
    [{"local": [{"user": {"name": "x"}}], "remote": [{"type": "A", "any_one_of": "a"}]}],
    [{"local": [{"user": {"name": "x"}}],
      "remote": [{"type": "A", "any_one_of": ["a"], "not_any_of": ["b"]}]}],
    [{"local": [{"nonsense": {}}], "remote": [{"type": "A"}]}],
    "not-a-list",
], ids=["empty", "no-remote", "no-local", "no-type", "any-one-of-string", "two-conditions",
        "unknown-local", "not-a-list"])
def test_mapping_rules_are_validated(api, cloud, rules):
    assert_fault(api.put(f"{FED}/mappings/{unique('map')}", token=cloud.admin_token,
                         json={"mapping": {"rules": rules}}), 400)


def test_service_providers(api, cloud):
    t = cloud.admin_token
    sp_id = unique("sp")
    url = f"{FED}/service_providers/{sp_id}"
    body = {"auth_url": "https://sp.example/v3/OS-FEDERATION/identity_providers/x/protocols/"
                        "saml2/auth",
            "sp_url": "https://sp.example/Shibboleth.sso/SAML2/ECP"}
    sp = assert_status(api.put(url, token=t, json={"service_provider": body}), 201)[
        "service_provider"]
    assert (sp["id"], sp["auth_url"], sp["sp_url"]) == (sp_id, body["auth_url"], body["sp_url"])
    assert (sp["enabled"], sp["relay_state_prefix"], sp["description"]) == \
        (False, "ss:mem:", None)
    assert sp["links"]["self"].endswith(url)
    assert_fault(api.put(url, token=t, json={"service_provider": body}), 409)
    assert_fault(api.put(f"{FED}/service_providers/{unique('sp')}", token=t, json={
        "service_provider": {"auth_url": "not a url", "sp_url": body["sp_url"]}}), 400)
    assert_fault(api.put(f"{FED}/service_providers/{unique('sp')}", token=t, json={
        "service_provider": {"sp_url": body["sp_url"]}}), 400)
    patched = assert_status(api.patch(url, token=t, json={"service_provider": {
        "enabled": True, "relay_state_prefix": "ss:other:"}}), 200)["service_provider"]
    assert (patched["enabled"], patched["relay_state_prefix"]) == (True, "ss:other:")
    assert sp_id in {x["id"] for x in assert_status(
        api.get(f"{FED}/service_providers", token=t), 200)["service_providers"]}
    assert_status(api.delete(url, token=t), 204)
    assert_fault(api.get(url, token=t), 404)


def test_federation_writes_need_admin(api, cloud, member):
    assert_fault(api.put(f"{FED}/mappings/{unique('map')}", token=member.token,
                         json={"mapping": {"rules": RULES}}), 403)
    assert_fault(api.put(f"{FED}/identity_providers/{unique('idp')}", token=member.token,
                         json={"identity_provider": {}}), 403)
    assert_fault(api.get(f"{FED}/service_providers", token=member.token), 403)
