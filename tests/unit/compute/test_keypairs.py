"""Key pair fingerprints, generation, name rules and views per microversion."""
from __future__ import annotations

from datetime import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import keypairs
from onestack.compute.service import keygen
from onestack.core.errors import BadRequest

# ``ssh-keygen -l -E md5`` prints f8:89:32:86:af:01:e8:99:02:59:7e:51:a2:75:d4:ea for it.
ED25519 = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILsqJX6VwjQ4yYwR/gUuPBq+JrKrX6TQ/XSHvUh62YXR "
           "unit@test")


def test_ssh_fingerprint_matches_ssh_keygen():
    assert keygen.ssh_fingerprint(ED25519) == "f8:89:32:86:af:01:e8:99:02:59:7e:51:a2:75:d4:ea"


@pytest.mark.parametrize("text", [" ", "ssh-rsa " + "A" * 2048 + " x@y", "not a key",
                                  "ssh-rsa !!!!"])
def test_ssh_fingerprint_rejects_invalid_keys(text):
    with pytest.raises(BadRequest):
        keygen.ssh_fingerprint(text)


def test_generated_ssh_key_pair_matches():
    private, public = keygen.generate_ssh()
    key = serialization.load_pem_private_key(private.encode(), None)
    ours = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()
    assert public.startswith(ours)
    assert len(keygen.ssh_fingerprint(public).split(":")) == 16


def test_generated_x509_certificate():
    private, cert_pem = keygen.generate_x509("name")
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    key = serialization.load_pem_private_key(private.encode(), None)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert len(keygen.x509_fingerprint(cert_pem).split(":")) == 20
    with pytest.raises(BadRequest):
        keygen.x509_fingerprint(ED25519)


def test_name_rules():
    keypairs.check_name("key-1_ok name", (2, 1))
    with pytest.raises(BadRequest):
        keypairs.check_name(r"key_/.\@:", (2, 1))
    keypairs.check_name("user@host.example", (2, 92))
    schema = keypairs.create_schema((2, 92))
    with pytest.raises(BadRequest):
        schemas.validate(schema, {"keypair": {"name": "a:b", "public_key": ED25519}})
    with pytest.raises(BadRequest):
        schemas.validate(schema, {"keypair": {"name": "ab"}})


def test_create_schema_fields_by_version():
    with pytest.raises(BadRequest):
        schemas.validate(keypairs.create_schema((2, 1)), {"keypair": {"name": "a",
                                                                      "type": "ssh"}})
    schemas.validate(keypairs.create_schema((2, 2)), {"keypair": {"name": "a", "type": "x509"}})
    with pytest.raises(BadRequest):
        schemas.validate(keypairs.create_schema((2, 2)), {"keypair": {"name": "a",
                                                                      "user_id": "u"}})
    schemas.validate(keypairs.create_schema((2, 10)), {"keypair": {"name": "a", "user_id": "u"}})
    for name in ("", "k" * 256):
        with pytest.raises(BadRequest):
            schemas.validate(keypairs.create_schema((2, 1)), {"keypair": {"name": name}})


def test_views():
    kp = cm.Keypair(user_id="u", name="k", id=7, type="ssh", public_key=ED25519,
                    fingerprint="f", created_at=datetime(2024, 1, 2, 3, 4, 5, 6))
    full = keypairs.keypair_view(kp, (2, 1), True)
    assert full == {"name": "k", "public_key": ED25519, "fingerprint": "f", "user_id": "u",
                    "deleted": False, "created_at": "2024-01-02T03:04:05.000006",
                    "updated_at": None, "deleted_at": None, "id": 7}
    assert keypairs.keypair_view(kp, (2, 2), False) == {
        "name": "k", "public_key": ED25519, "fingerprint": "f", "type": "ssh"}
