"""The OAuth1 HMAC-SHA1 signature against a published worked example (Twitter's API
documentation, "Creating a signature"), so server and test client are not merely consistent
with each other."""
from __future__ import annotations

import pytest

from onestack.core.errors import Unauthorized
from onestack.identity.service import oauth1_signature as sig

URL = "https://api.twitter.com/1/statuses/update.json?include_entities=true"
OAUTH = {"oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog",
         "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
         "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "1318622958",
         "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
         "oauth_version": "1.0"}
BODY = "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
TOKEN_SECRET = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
SIGNATURE = "tnnArxj06cWHq44gCs1OSKk/jLY="


def header(signature: str) -> str:
    params = {**OAUTH, "oauth_signature": signature}
    return "OAuth " + ", ".join(f'{sig.encode(k)}="{sig.encode(v)}"' for k, v in params.items())


def request(signature: str) -> sig.SignedRequest:
    return sig.SignedRequest.parse("POST", URL.split("?")[0], header(signature),
                                   "include_entities=true", BODY)


def test_published_example_signature():
    params = list(OAUTH.items()) + [("include_entities", "true"),
                                    ("status", "Hello Ladies + Gentlemen, a signed OAuth "
                                               "request!")]
    base = sig.base_string("POST", URL.split("?")[0], params)
    assert sig.sign(base, CONSUMER_SECRET, TOKEN_SECRET) == SIGNATURE


def test_verify_accepts_the_example_and_refuses_changes():
    request(SIGNATURE).verify(CONSUMER_SECRET, TOKEN_SECRET, now=1318622958)
    with pytest.raises(Unauthorized):
        request(SIGNATURE).verify(CONSUMER_SECRET, "other", now=1318622958)
    with pytest.raises(Unauthorized):  # replayed an hour later
        request(SIGNATURE).verify(CONSUMER_SECRET, TOKEN_SECRET, now=1318622958 + 3600)
    tampered = request(SIGNATURE)
    tampered.other[0] = ("include_entities", "false")
    with pytest.raises(Unauthorized):
        tampered.verify(CONSUMER_SECRET, TOKEN_SECRET, now=1318622958)


def test_base_uri_normalisation():
    assert sig.base_uri("HTTP://Example.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X"
    assert sig.base_uri("https://www.example.net:8080/?q=1") == "https://www.example.net:8080/"
