"""OS-OAUTH1 delegation: a consumer asks for a request token with an HMAC-SHA1 signed request
(201, form-encoded token), a user authorizes it for roles, the consumer trades it for an access
token; a bad signature is 401 at every step."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import parse_qs, quote

import pytest

from tests.support.api import BASE_URL, assert_fault, assert_status

OAUTH = "/v3/OS-OAUTH1"


def _enc(value: str) -> str:
    return quote(value, safe="~-._")


def signed_header(method: str, url: str, consumer_key: str, consumer_secret: str,
                  token: str = "", token_secret: str = "", **extra: str) -> str:
    """An ``Authorization: OAuth …`` header signed as RFC 5849 (HMAC-SHA1) describes; checked
    against a published example in tests/unit/identity/test_oauth1_signature.py."""
    params = {"oauth_consumer_key": consumer_key, "oauth_signature_method": "HMAC-SHA1",
              "oauth_timestamp": str(int(time.time())), "oauth_nonce": uuid.uuid4().hex,
              "oauth_version": "1.0", **extra}
    if token:
        params["oauth_token"] = token
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v))
                                                        for k, v in params.items()))
    base = "&".join([method, _enc(url), _enc(normalized)])
    key = f"{_enc(consumer_secret)}&{_enc(token_secret)}"
    params["oauth_signature"] = base64.b64encode(
        hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
    return "OAuth " + ", ".join(f'{_enc(k)}="{_enc(v)}"' for k, v in params.items())


def url_of(path: str) -> str:
    return f"{BASE_URL}/identity{path}"


@pytest.fixture
def consumer(api, cloud):
    return assert_status(api.post(f"{OAUTH}/consumers", token=cloud.admin_token, json={
        "consumer": {"description": "test consumer"}}), 201)["consumer"]


def request_token(api, consumer, project_id, secret=None):
    path = f"{OAUTH}/request_token"
    header = signed_header("POST", url_of(path), consumer["id"],
                           secret if secret is not None else consumer["secret"],
                           oauth_callback="oob")
    return api.post(path, headers={"Authorization": header, "Requested-Project-Id": project_id})


def form(response) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    return {k: v[0] for k, v in parse_qs(response.text).items()}


def test_request_token(api, consumer, member):
    response = request_token(api, consumer, member.project["id"])
    assert response.status_code == 201, response.text
    body = form(response)
    assert set(body) == {"oauth_token", "oauth_token_secret", "oauth_expires_at"}
    assert body["oauth_token"] and body["oauth_token_secret"]
    assert body["oauth_expires_at"].endswith("Z")


def test_request_token_bad_signature_is_401(api, consumer, member):
    assert_fault(request_token(api, consumer, member.project["id"], secret="wrong"), 401)
    # Signed right but for another URL (the base string covers the URL).
    path = f"{OAUTH}/request_token"
    header = signed_header("POST", url_of("/v3/OS-OAUTH1/other"), consumer["id"],
                           consumer["secret"], oauth_callback="oob")
    assert_fault(api.post(path, headers={"Authorization": header,
                                         "Requested-Project-Id": member.project["id"]}), 401)


def test_request_token_needs_a_known_consumer(api, consumer, member):
    # As Keystone: no consumer key is a 400, an unknown consumer a 404.
    unknown = dict(consumer, id=uuid.uuid4().hex)
    assert_fault(request_token(api, unknown, member.project["id"]), 404)
    assert_fault(api.post(f"{OAUTH}/request_token",
                          headers={"Requested-Project-Id": member.project["id"]}), 400)


def test_request_token_needs_a_project(api, consumer):
    path = f"{OAUTH}/request_token"
    header = signed_header("POST", url_of(path), consumer["id"], consumer["secret"],
                           oauth_callback="oob")
    assert_fault(api.post(path, headers={"Authorization": header}), 400)
    assert_fault(request_token(api, consumer, uuid.uuid4().hex), 404)


@pytest.fixture
def authorizer(cloud, member):
    """Keystone lets admins authorize request tokens, for roles they hold on the project."""
    return cloud.make_project_member("admin", project=member.project)


def test_authorize_and_access_token(api, cloud, consumer, member, authorizer):
    req = form(request_token(api, consumer, member.project["id"]))
    member_role = cloud.role_id("member")
    assert_fault(api.put(f"{OAUTH}/authorize/{req['oauth_token']}", token=member.token,
                         json={"roles": [{"id": member_role}]}), 403)
    authorized = assert_status(api.put(f"{OAUTH}/authorize/{req['oauth_token']}",
                                       token=authorizer.token,
                                       json={"roles": [{"id": member_role}]}), 200)
    verifier = authorized["token"]["oauth_verifier"]
    assert verifier

    path = f"{OAUTH}/access_token"

    def trade(token_secret, verifier_=verifier):
        header = signed_header("POST", url_of(path), consumer["id"], consumer["secret"],
                               req["oauth_token"], token_secret, oauth_verifier=verifier_)
        return api.post(path, headers={"Authorization": header})

    assert_fault(trade("wrong-secret"), 401)
    assert_fault(trade(req["oauth_token_secret"], "bad-verifier"), 401)
    response = trade(req["oauth_token_secret"])
    assert response.status_code == 201, response.text
    access = form(response)
    assert set(access) == {"oauth_token", "oauth_token_secret", "oauth_expires_at"}
    # A request token is good for one access token only (then it is gone, as in Keystone).
    assert_fault(trade(req["oauth_token_secret"]), 404)

    mine = f"/v3/users/{authorizer.user['id']}/OS-OAUTH1/access_tokens"
    assert_fault(api.get(mine, token=member.token), 403)
    (listed,) = assert_status(api.get(mine, token=authorizer.token), 200)["access_tokens"]
    assert (listed["id"], listed["consumer_id"], listed["project_id"]) == \
        (access["oauth_token"], consumer["id"], member.project["id"])
    roles = assert_status(api.get(f"{mine}/{listed['id']}/roles", token=authorizer.token),
                          200)["roles"]
    assert [r["id"] for r in roles] == [member_role]
    # Another user's path does not show it.
    assert_fault(api.get(f"/v3/users/{member.user['id']}/OS-OAUTH1/access_tokens/"
                         f"{listed['id']}", token=cloud.admin_token), 404)
    assert_status(api.delete(f"{mine}/{listed['id']}", token=authorizer.token), 204)
    assert_fault(api.get(f"{mine}/{listed['id']}", token=authorizer.token), 404)


def test_authorize_needs_roles_the_user_has(api, cloud, consumer, member, authorizer):
    req = form(request_token(api, consumer, member.project["id"]))
    unheld = cloud.make_role()
    assert_fault(api.put(f"{OAUTH}/authorize/{req['oauth_token']}", token=authorizer.token,
                         json={"roles": [{"id": unheld["id"]}]}), 401)
    # The cloud admin holds no role on the member's project.
    assert_fault(api.put(f"{OAUTH}/authorize/{req['oauth_token']}", token=cloud.admin_token,
                         json={"roles": [{"name": "member"}]}), 401)
    assert_fault(api.put(f"{OAUTH}/authorize/{uuid.uuid4().hex}", token=authorizer.token,
                         json={"roles": [{"name": "member"}]}), 404)


def test_an_expired_request_token_can_be_neither_authorized_nor_traded(
        api, db_url, consumer, member, authorizer):
    from datetime import timedelta

    from onestack.core.db import Database, utcnow
    from onestack.identity import catalog_models as cm

    def expire(token_id: str) -> None:
        db = Database(db_url)
        try:
            db.write(lambda s: setattr(s.get(cm.OAuthRequestToken, token_id), "expires_at",
                                       utcnow() - timedelta(seconds=1)))
        finally:
            db.dispose()

    roles = {"roles": [{"name": "member"}]}
    stale = form(request_token(api, consumer, member.project["id"]))
    expire(stale["oauth_token"])
    assert_fault(api.put(f"{OAUTH}/authorize/{stale['oauth_token']}", token=authorizer.token,
                         json=roles), 401)

    req = form(request_token(api, consumer, member.project["id"]))
    verifier = assert_status(api.put(f"{OAUTH}/authorize/{req['oauth_token']}",
                                     token=authorizer.token, json=roles),
                             200)["token"]["oauth_verifier"]
    expire(req["oauth_token"])
    path = f"{OAUTH}/access_token"
    header = signed_header("POST", url_of(path), consumer["id"], consumer["secret"],
                           req["oauth_token"], req["oauth_token_secret"],
                           oauth_verifier=verifier)
    assert_fault(api.post(path, headers={"Authorization": header}), 401)
