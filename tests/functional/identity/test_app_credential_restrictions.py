"""Issue 7, F7 and F20, the EC2 note, and issue 6 item 7: what an application credential may
create, where EC2 credentials may point, and the order access rules come back in."""
from __future__ import annotations

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


def app_credential(api, member, **attrs):
    body = {"name": unique("app"), **attrs}
    return assert_status(api.post(f"/v3/users/{member.user['id']}/application_credentials",
                                  token=member.token,
                                  json={"application_credential": body}),
                         201)["application_credential"]


def app_token(api, cred):
    response = api.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}})
    assert_status(response, 201)
    return response.headers["x-subject-token"]


def trust_body(member, trustee_id):
    return {"trust": {"trustor_user_id": member.user["id"], "trustee_user_id": trustee_id,
                      "project_id": member.project["id"], "impersonation": False,
                      "roles": [{"name": "member"}]}}


def test_restricted_app_credential_cannot_create_trusts(api, cloud, member):
    token = app_token(api, app_credential(api, member))
    trustee = cloud.make_user()
    assert_fault(api.post("/v3/OS-TRUST/trusts", token=token,
                          json=trust_body(member, trustee["id"])), 403)
    unrestricted = app_token(api, app_credential(api, member, unrestricted=True))
    assert_status(api.post("/v3/OS-TRUST/trusts", token=unrestricted,
                           json=trust_body(member, trustee["id"])), 201)


def test_restricted_app_credential_cannot_delete_trusts(api, cloud, member):
    trustee = cloud.make_user()
    trust = assert_status(api.post("/v3/OS-TRUST/trusts", token=member.token,
                                   json=trust_body(member, trustee["id"])), 201)["trust"]
    token = app_token(api, app_credential(api, member))
    assert_fault(api.delete(f"/v3/OS-TRUST/trusts/{trust['id']}", token=token), 403)


def test_restricted_app_credential_cannot_create_ec2_credentials(api, cloud, member):
    token = app_token(api, app_credential(api, member))
    uid = member.user["id"]
    assert_fault(api.post(f"/v3/users/{uid}/credentials/OS-EC2", token=token,
                          json={"tenant_id": member.project["id"]}), 403)
    blob = '{"access": "%s", "secret": "s"}' % unique("acc")
    assert_fault(api.post("/v3/credentials", token=token, json={"credential": {
        "type": "ec2", "user_id": uid, "project_id": member.project["id"], "blob": blob}}), 403)
    listed = assert_status(api.get(f"/v3/users/{uid}/credentials/OS-EC2",
                                   token=member.token), 200)
    assert listed["credentials"] == []
    unrestricted = app_token(api, app_credential(api, member, unrestricted=True))
    assert_status(api.post(f"/v3/users/{uid}/credentials/OS-EC2", token=unrestricted,
                           json={"tenant_id": member.project["id"]}), 201)


def test_restricted_app_credential_cannot_create_app_credentials(api, cloud, member):
    token = app_token(api, app_credential(api, member))
    path = f"/v3/users/{member.user['id']}/application_credentials"
    assert_fault(api.post(path, token=token, json={"application_credential": {
        "name": unique()}}), 403)
    unrestricted = app_token(api, app_credential(api, member, unrestricted=True))
    assert_status(api.post(path, token=unrestricted, json={"application_credential": {
        "name": unique()}}), 201)


def test_system_app_credential_needs_a_system_token(api, cloud, member):
    path = f"/v3/users/{member.user['id']}/application_credentials"
    name = unique()
    assert_fault(api.post(path, token=member.token, json={"application_credential": {
        "name": name, "system": "all"}}), 403)
    listed = assert_status(api.get(path, token=member.token, params={"name": name}), 200)
    assert listed["application_credentials"] == []


def test_ec2_credentials_need_a_role_on_the_project(api, cloud, member):
    elsewhere = cloud.make_project()
    uid = member.user["id"]
    assert_fault(api.post(f"/v3/users/{uid}/credentials/OS-EC2", token=member.token,
                          json={"tenant_id": elsewhere["id"]}), 403)
    blob = '{"access": "%s", "secret": "s"}' % unique("acc")
    assert_fault(api.post("/v3/credentials", token=member.token, json={"credential": {
        "type": "ec2", "user_id": uid, "project_id": elsewhere["id"], "blob": blob}}), 403)
    assert_status(api.post(f"/v3/users/{uid}/credentials/OS-EC2", token=member.token,
                           json={"tenant_id": member.project["id"]}), 201)


def test_the_admin_registers_ec2_credentials_for_anyone(api, cloud, member):
    """As Keystone (and Tempest's credential tests) expect: the role check is for users
    making their own EC2 credentials, not for the cloud admin."""
    elsewhere = cloud.make_project()
    blob = '{"access": "%s", "secret": "s"}' % unique("acc")
    assert_status(api.post("/v3/credentials", token=cloud.admin_token, json={"credential": {
        "type": "ec2", "user_id": member.user["id"], "project_id": elsewhere["id"],
        "blob": blob}}), 201)


def test_access_rules_come_back_in_the_order_given(api, cloud, member):
    rules = [{"service": "compute", "path": f"/v2.1/servers/{n}", "method": "GET"}
             for n in ("f", "b", "e", "a", "d", "c")]
    cred = app_credential(api, member, access_rules=rules)
    expect = [r["path"] for r in rules]
    assert [r["path"] for r in cred["access_rules"]] == expect
    shown = assert_status(api.get(
        f"/v3/users/{member.user['id']}/application_credentials/{cred['id']}",
        token=member.token), 200)["application_credential"]
    assert [r["path"] for r in shown["access_rules"]] == expect
    token = assert_status(cloud.validate(app_token(api, cred)), 200)["token"]
    assert [r["path"] for r in token["application_credential"]["access_rules"]] == expect


def test_restricted_app_credential_cannot_delete_app_credentials(api, cloud, member):
    other = app_credential(api, member)
    token = app_token(api, app_credential(api, member))
    path = f"/v3/users/{member.user['id']}/application_credentials/{other['id']}"
    assert_fault(api.delete(path, token=token), 403)
    assert_status(api.get(path, token=member.token), 200)  # still there
    unrestricted = app_token(api, app_credential(api, member, unrestricted=True))
    assert_status(api.delete(path, token=unrestricted), 204)
