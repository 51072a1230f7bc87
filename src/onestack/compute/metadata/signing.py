"""How the metadata service trusts a proxy: the per-network proxy that forwards a guest's
request signs the two headers that name the guest, with a secret only onestack and its
proxies know (``Settings.metadata_proxy_secret``), so a client reaching the API port
cannot claim to be a guest by writing those headers itself.

The signature is the lowercase hex HMAC-SHA256, keyed by the secret, of the network id
immediately followed by the guest's IP address (``network_id + ip``), sent as
``X-Onestack-Metadata-Signature``.
"""
from __future__ import annotations

import hashlib
import hmac

NETWORK_HEADER = "X-Onestack-Network-ID"
FORWARDED_HEADER = "X-Forwarded-For"
SIGNATURE_HEADER = "X-Onestack-Metadata-Signature"


def sign(secret: str, network_id: str, ip_address: str) -> str:
    return hmac.new(secret.encode(), (network_id + ip_address).encode(),
                    hashlib.sha256).hexdigest()


def verify(secret: str, network_id: str, ip_address: str, signature: str) -> bool:
    """True only with a secret set and the signature it makes (compared in constant
    time); an empty secret trusts no proxy."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, network_id, ip_address), signature.lower())


def proxy_headers(secret: str, network_id: str, ip_address: str) -> dict[str, str]:
    """The headers a proxy adds for a guest at ``ip_address`` on ``network_id``."""
    return {NETWORK_HEADER: network_id, FORWARDED_HEADER: ip_address,
            SIGNATURE_HEADER: sign(secret, network_id, ip_address)}
