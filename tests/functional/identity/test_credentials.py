"""Credentials (encrypted at rest), EC2 credentials, application credentials and access rules
over HTTP."""
from __future__ import annotations

import json

import sqlalchemy as sa

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


def test_credential_crud_and_encryption_at_rest(api, cloud, member, sql):
    t = cloud.admin_token
    blob = json.dumps({"secret": "s3cr3t-" + unique()})
    created = assert_status(api.post("/v3/credentials", token=t, json={"credential": {
        "type": "totp", "user_id": member.user["id"], "blob": blob, "note": "kept"}}),
        201)["credential"]
    cid = created["id"]
    assert (created["type"], created["user_id"], created["blob"], created["note"]) == \
        ("totp", member.user["id"], blob, "kept")
    stored = sql.read(lambda s: s.execute(sa.text(
        "SELECT encrypted_blob FROM identity_credentials WHERE id = :i"), {"i": cid}).scalar())
    assert stored and "s3cr3t" not in stored  # only ciphertext in the database

    assert assert_status(api.get(f"/v3/credentials/{cid}", token=t), 200)["credential"] == \
        created
    listed = assert_status(api.get("/v3/credentials", token=t,
                                   params={"user_id": member.user["id"]}), 200)
    assert [c["id"] for c in listed["credentials"]] == [cid]
    updated = assert_status(api.patch(f"/v3/credentials/{cid}", token=t, json={
        "credential": {"blob": "new-blob"}}), 200)["credential"]
    assert updated["blob"] == "new-blob" and updated["note"] == "kept"
    assert_status(api.delete(f"/v3/credentials/{cid}", token=t), 204)
    assert_fault(api.get(f"/v3/credentials/{cid}", token=t), 404, cid)


def test_users_see_only_their_own_credentials(api, cloud, member):
    other = cloud.make_project_member()
    mine = assert_status(api.post("/v3/credentials", token=member.token, json={"credential": {
        "type": "cert", "user_id": member.user["id"], "blob": "mine"}}), 201)["credential"]
    theirs = assert_status(api.post("/v3/credentials", token=other.token, json={"credential": {
        "type": "cert", "user_id": other.user["id"], "blob": "theirs"}}), 201)["credential"]
    listed = assert_status(api.get("/v3/credentials", token=member.token), 200)["credentials"]
    assert [c["id"] for c in listed] == [mine["id"]]
    assert_fault(api.get(f"/v3/credentials/{theirs['id']}", token=member.token), 404)
    assert_fault(api.delete(f"/v3/credentials/{theirs['id']}", token=member.token), 404)
    assert_fault(api.post("/v3/credentials", token=member.token, json={"credential": {
        "type": "cert", "user_id": other.user["id"], "blob": "forged"}}), 403)
    still = assert_status(api.get(f"/v3/credentials/{theirs['id']}", token=other.token), 200)
    assert still["credential"]["blob"] == "theirs"


def test_ec2_credential_blob_and_id(api, cloud, member):
    t = cloud.admin_token
    access = unique("access")
    blob = json.dumps({"access": access, "secret": "sec"})
    created = assert_status(api.post("/v3/credentials", token=t, json={"credential": {
        "type": "ec2", "user_id": member.user["id"], "project_id": member.project["id"],
        "blob": blob}}), 201)["credential"]
    assert len(created["id"]) == 64  # the id is derived from the access key
    assert_fault(api.post("/v3/credentials", token=t, json={"credential": {
        "type": "ec2", "user_id": member.user["id"], "project_id": member.project["id"],
        "blob": blob}}), 409)
    for bad in ("not json", json.dumps({"secret": "no access"}), "[]"):
        assert_fault(api.post("/v3/credentials", token=t, json={"credential": {
            "type": "ec2", "user_id": member.user["id"], "project_id": member.project["id"],
            "blob": bad}}), 400)
    assert_fault(api.post("/v3/credentials", token=t, json={"credential": {
        "type": "ec2", "user_id": member.user["id"], "blob": blob}}), 400, "project_id")


def test_os_ec2_credentials(api, cloud, member):
    base = f"/v3/users/{member.user['id']}/credentials/OS-EC2"
    created = assert_status(api.post(base, token=member.token, json={
        "tenant_id": member.project["id"]}), 201)["credential"]
    assert created["tenant_id"] == member.project["id"] and created["secret"]
    listed = assert_status(api.get(base, token=member.token), 200)["credentials"]
    assert [c["access"] for c in listed] == [created["access"]]
    shown = assert_status(api.get(f"{base}/{created['access']}", token=member.token), 200)
    assert shown["credential"]["secret"] == created["secret"]
    assert_fault(api.post(base, token=member.token, json={"tenant_id": "0" * 32}), 404)
    assert_fault(api.post(base, token=member.token, json={}), 400)
    assert_status(api.delete(f"{base}/{created['access']}", token=member.token), 204)
    assert_fault(api.get(f"{base}/{created['access']}", token=member.token), 404)


def test_application_credential_crud(api, cloud, member):
    base = f"/v3/users/{member.user['id']}/application_credentials"
    name = unique("ac")
    created = assert_status(api.post(base, token=member.token, json={"application_credential": {
        "name": name, "description": "robot", "secret": "my-own-secret",
        "expires_at": "2999-01-01T00:00:00Z"}}), 201)["application_credential"]
    assert created["secret"] == "my-own-secret" and created["unrestricted"] is False
    assert created["expires_at"].startswith("2999-01-01T00:00:00")
    shown = assert_status(api.get(f"{base}/{created['id']}", token=member.token),
                          200)["application_credential"]
    assert "secret" not in shown and shown["name"] == name
    assert sorted(r["name"] for r in shown["roles"]) == ["member", "reader"]
    listed = assert_status(api.get(base, token=member.token, params={"name": name}), 200)
    assert [c["id"] for c in listed["application_credentials"]] == [created["id"]]
    assert_fault(api.post(base, token=member.token, json={"application_credential": {
        "name": name}}), 409)
    assert_status(api.delete(f"{base}/{created['id']}", token=member.token), 204)
    assert_fault(api.get(f"{base}/{created['id']}", token=member.token), 404)


def test_application_credentials_are_personal(api, cloud, member):
    other = cloud.make_project_member()
    assert_fault(api.post(f"/v3/users/{other.user['id']}/application_credentials",
                          token=member.token,
                          json={"application_credential": {"name": unique()}}), 403)
    assert_fault(api.get(f"/v3/users/{other.user['id']}/application_credentials",
                         token=member.token), 403)


def test_application_credential_roles_must_be_held(api, cloud, member):
    base = f"/v3/users/{member.user['id']}/application_credentials"
    name = unique()
    assert_fault(api.post(base, token=member.token, json={"application_credential": {
        "name": name, "roles": [{"name": "admin"}]}}), 403)
    listed = assert_status(api.get(base, token=member.token, params={"name": name}), 200)
    assert listed["application_credentials"] == []


def test_access_rules_are_shared_and_protected(api, cloud, member):
    base = f"/v3/users/{member.user['id']}"
    rule = {"service": "compute", "path": "/v2.1/servers", "method": "GET"}
    first = assert_status(api.post(f"{base}/application_credentials", token=member.token, json={
        "application_credential": {"name": unique(), "access_rules": [rule]}}),
        201)["application_credential"]
    second = assert_status(api.post(f"{base}/application_credentials", token=member.token, json={
        "application_credential": {"name": unique(), "access_rules": [rule]}}),
        201)["application_credential"]
    assert first["access_rules"][0]["id"] == second["access_rules"][0]["id"]  # reused
    rules = assert_status(api.get(f"{base}/access_rules", token=member.token),
                          200)["access_rules"]
    assert [(r["service"], r["path"], r["method"]) for r in rules] == \
        [("compute", "/v2.1/servers", "GET")]
    rid = rules[0]["id"]
    assert_fault(api.delete(f"{base}/access_rules/{rid}", token=member.token), 403, "in use")
    token_body = assert_status(api.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"], "application_credential": {
            "id": first["id"], "secret": first["secret"]}}}}), 201)["token"]
    assert token_body["application_credential"]["access_rules"][0]["id"] == rid
    for cred in (first, second):
        assert_status(api.delete(f"{base}/application_credentials/{cred['id']}",
                                 token=member.token), 204)
    assert_status(api.delete(f"{base}/access_rules/{rid}", token=member.token), 204)
    assert_fault(api.get(f"{base}/access_rules/{rid}", token=member.token), 404)


def test_failed_app_credential_leaves_no_access_rule_behind(api, cloud, member):
    base = f"/v3/users/{member.user['id']}"
    response = api.post(f"{base}/application_credentials", token=member.token, json={
        "application_credential": {"name": unique(), "access_rules": [
            {"service": "image", "path": "/v2/images", "method": "GET"},
            {"id": "0" * 32}]}})
    assert_fault(response, 404)
    assert assert_status(api.get(f"{base}/access_rules", token=member.token),
                         200)["access_rules"] == []
    assert assert_status(api.get(f"{base}/application_credentials", token=member.token),
                         200)["application_credentials"] == []
