"""How the metadata service trusts a proxy: the signature over (network id, address), and
the secret ``onestack up`` keeps in its data dir when none is configured."""
from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

from onestack.cli.up import with_metadata_secret
from onestack.compute.metadata import signing
from onestack.compute.metadata.service import guest_address
from onestack.core.config import Settings


def test_signature_is_hmac_sha256_of_network_then_address():
    expected = hmac.new(b"k", b"net-1" + b"10.0.0.5", hashlib.sha256).hexdigest()
    assert signing.sign("k", "net-1", "10.0.0.5") == expected
    assert signing.verify("k", "net-1", "10.0.0.5", expected)
    assert signing.verify("k", "net-1", "10.0.0.5", expected.upper())
    assert not signing.verify("k", "net-1", "10.0.0.6", expected)
    assert not signing.verify("other", "net-1", "10.0.0.5", expected)
    assert not signing.verify("k", "net-1", "10.0.0.5", "")


def test_an_empty_secret_trusts_nobody():
    assert not signing.verify("", "net-1", "10.0.0.5", signing.sign("", "net-1", "10.0.0.5"))


def test_proxy_headers_name_the_guest():
    headers = signing.proxy_headers("k", "net-1", "10.0.0.5")
    assert headers == {"X-Onestack-Network-ID": "net-1", "X-Forwarded-For": "10.0.0.5",
                       "X-Onestack-Metadata-Signature": signing.sign("k", "net-1", "10.0.0.5")}


def test_guest_address_is_the_last_forwarded_entry_in_canonical_form():
    assert guest_address("10.0.0.5") == "10.0.0.5"
    assert guest_address("1.2.3.4, 10.0.0.5") == "10.0.0.5"
    assert guest_address("FD00:0::0005") == "fd00::5"
    assert guest_address("") == "" and guest_address("guest") == ""


def test_up_generates_the_secret_once_and_keeps_it_private(tmp_path: Path):
    first = with_metadata_secret(Settings(), tmp_path)
    assert len(first.metadata_proxy_secret) >= 32
    kept = tmp_path / "metadata-proxy-secret"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert with_metadata_secret(Settings(), tmp_path).metadata_proxy_secret == \
        first.metadata_proxy_secret
    configured = Settings(metadata_proxy_secret="set-by-operator")
    assert with_metadata_secret(configured, tmp_path) is configured
