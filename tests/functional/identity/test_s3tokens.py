"""``POST /v3/s3tokens``: an S3 request signature checked against an EC2 credential's secret
(AWS signature v1 and v4), 200 with a token body when it matches, 401 otherwise."""
from __future__ import annotations

import base64
import hashlib
import hmac

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


def test_unknown_access_is_401(api, cloud, ec2):
    assert_fault(s3(api, cloud.admin_token, "no-such-access", V1,
                    v1_signature(ec2["secret"], V1)), 401)


def test_malformed_requests(api, cloud, ec2):
    t = cloud.admin_token
    assert_fault(api.post("/v3/s3tokens", token=t, json={}), 400)
    assert_fault(api.post("/v3/s3tokens", token=t, json={"credentials": {
        "access": ec2["access"]}}), 400)
    # A v4 string to sign whose scope is not ``date/region/service/aws4_request``.
    bad_v4 = b"AWS4-HMAC-SHA256\n20261127T120000Z\nnot-a-scope\nabc"
    assert_fault(s3(api, t, ec2["access"], bad_v4, "00"), 401)


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
