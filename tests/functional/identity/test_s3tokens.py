"""``POST /v3/s3tokens``: an S3 request signature checked against an EC2 credential's secret
(AWS signature v1 and v4), 200 with a token body when it matches, 401 otherwise."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.api import assert_fault, assert_status


@pytest.fixture
def ec2(api, cloud, member):
    cred = assert_status(api.post(f"/v3/users/{member.user['id']}/credentials/OS-EC2",
                                  token=member.token,
                                  json={"tenant_id": member.project["id"]}), 201)["credential"]
    return cred


def v1_signature(secret: str, string_to_sign: bytes) -> str:
    mac = hmac.new(secret.encode(), string_to_sign, hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def v4_signature(secret: str, string_to_sign: bytes) -> str:
    date, region, service, _ = string_to_sign.split(b"\n")[2].split(b"/")
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, b"aws4_request"):
        key = hmac.new(key, part, hashlib.sha256).digest()
    return hmac.new(key, string_to_sign, hashlib.sha256).hexdigest()


def s3(api, token, access, string_to_sign: bytes, signature: str):
    return api.post("/v3/s3tokens", token=token, json={"credentials": {
        "access": access, "token": base64.urlsafe_b64encode(string_to_sign).decode(),
        "signature": signature}})


V1 = b"GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/bucket/photo.jpg"
V4 = (b"AWS4-HMAC-SHA256\n20261127T120000Z\n20261127/RegionOne/s3/aws4_request\n"
      + hashlib.sha256(b"canonical request").hexdigest().encode())


def test_v1_signature_gives_a_token(api, cloud, member, ec2):
    response = s3(api, cloud.admin_token, ec2["access"], V1, v1_signature(ec2["secret"], V1))
    token = assert_status(response, 200)["token"]
    assert token["user"]["id"] == member.user["id"]
    assert token["project"]["id"] == member.project["id"]
    assert "member" in {r["name"] for r in token["roles"]}
    assert "ec2credential" in token["methods"]


def test_v4_signature_gives_a_token(api, cloud, member, ec2):
    response = s3(api, cloud.admin_token, ec2["access"], V4, v4_signature(ec2["secret"], V4))
    assert assert_status(response, 200)["token"]["project"]["id"] == member.project["id"]


def test_bad_signature_is_401(api, cloud, ec2):
    wrong = v1_signature(ec2["secret"] + "x", V1)
    assert_fault(s3(api, cloud.admin_token, ec2["access"], V1, wrong), 401)
    assert_fault(s3(api, cloud.admin_token, ec2["access"], V4,
                    v4_signature("other", V4)), 401)
    tampered = V1.replace(b"photo", b"other")
    assert_fault(s3(api, cloud.admin_token, ec2["access"], tampered,
                    v1_signature(ec2["secret"], V1)), 401)


def test_unknown_access_is_404(api, cloud, ec2):
    # Keystone answers an unknown access key "EC2 access key not found." with a 404.
    assert_fault(s3(api, cloud.admin_token, "no-such-access", V1,
                    v1_signature(ec2["secret"], V1)), 404)


def test_malformed_requests(api, cloud, ec2):
    t = cloud.admin_token
    assert_fault(api.post("/v3/s3tokens", token=t, json={}), 400)
    assert_fault(api.post("/v3/s3tokens", token=t, json={"credentials": {}}), 401)
    assert_fault(api.post("/v3/s3tokens", token=t, json={"credentials": {
        "access": ec2["access"]}}), 400)
    # A v4 string to sign whose scope is not ``date/region/service/aws4_request``, and one
    # for a service other than s3, iam or sts.
    bad_v4 = b"AWS4-HMAC-SHA256\n20261127T120000Z\nnot-a-scope\nabc"
    assert_fault(s3(api, t, ec2["access"], bad_v4, "00"), 401)
    ec2_v4 = V4.replace(b"/s3/", b"/ec2/")
    assert_fault(s3(api, t, ec2["access"], ec2_v4, v4_signature(ec2["secret"], ec2_v4)), 401)


def test_old_signed_timestamp_is_401(api, cloud, ec2):
    def with_date(stamp):
        return api.post("/v3/s3tokens", token=cloud.admin_token, json={"credentials": {
            "access": ec2["access"], "token": base64.urlsafe_b64encode(V4).decode(),
            "signature": v4_signature(ec2["secret"], V4), "headers": {"X-Amz-Date": stamp}}})
    now = datetime.now(timezone.utc)
    assert_status(with_date(now.strftime("%Y%m%dT%H%M%SZ")), 200)
    assert_fault(with_date((now - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")), 401)
    assert_fault(with_date("yesterday"), 401)


def store_ec2(sql, user_id, project_id, blob):
    """An EC2 credential row as Keystone's OS-EC2 makes one from a trust-scoped token (our
    OS-EC2 API does not set ``trust_id``, so the row is arranged directly)."""
    from cryptography.fernet import Fernet

    from onestack.identity import catalog_models as cm
    from onestack.identity.service import keys

    key = keys.active_keys(sql, "credential")[0]
    access = json.loads(blob)["access"]
    sql.write(lambda s: s.add(cm.Credential(
        id=hashlib.sha256(access.encode()).hexdigest(), user_id=user_id,
        project_id=project_id, type="ec2", extra={},
        encrypted_blob=Fernet(key).encrypt(blob.encode()).decode())))


def test_trust_bound_credential_carries_only_the_delegated_roles(api, cloud, member, sql):
    trustee = cloud.make_user(password="trustee-pw")
    trust = assert_status(api.post("/v3/OS-TRUST/trusts", token=member.token, json={"trust": {
        "trustor_user_id": member.user["id"], "trustee_user_id": trustee["id"],
        "project_id": member.project["id"], "impersonation": False,
        "roles": [{"name": "reader"}]}}), 201)["trust"]
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex,
                       "trust_id": trust["id"]})
    store_ec2(sql, trustee["id"], member.project["id"], blob)
    creds = json.loads(blob)
    body = assert_status(s3(api, cloud.admin_token, creds["access"], V1,
                            v1_signature(creds["secret"], V1)), 200)["token"]
    assert body["user"]["id"] == trustee["id"]
    assert body["OS-TRUST:trust"]["id"] == trust["id"]
    assert {r["name"] for r in body["roles"]} == {"reader"}


def test_unsupported_delegation_is_refused(api, cloud, member, sql):
    # Bound to an OAuth1 access token: refused rather than answered with all the user's roles.
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex,
                       "access_token_id": uuid.uuid4().hex})
    store_ec2(sql, member.user["id"], member.project["id"], blob)
    creds = json.loads(blob)
    assert_fault(s3(api, cloud.admin_token, creds["access"], V1,
                    v1_signature(creds["secret"], V1)), 401)


def test_disabled_user_is_401(api, cloud, member, ec2):
    t = cloud.admin_token
    assert_status(api.patch(f"/v3/users/{member.user['id']}", token=t,
                            json={"user": {"enabled": False}}), 200)
    assert_fault(s3(api, t, ec2["access"], V1, v1_signature(ec2["secret"], V1)), 401)


def test_needs_an_authenticated_caller(api, ec2):
    response = api.post("/v3/s3tokens", json={"credentials": {
        "access": ec2["access"], "token": base64.urlsafe_b64encode(V1).decode(),
        "signature": v1_signature(ec2["secret"], V1)}})
    assert_fault(response, 401)
