"""The metadata use cases: which guest a proxied request comes from, and its documents
(for the HTTP service); an instance's config drive documents (for the host agent)."""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.metadata import content, gather, signing
from onestack.compute.metadata.facts import PASSWORD_KEY, PASSWORD_MAX, InstanceFacts
from onestack.core.db import Database

log = logging.getLogger(__name__)


def guest_address(forwarded_for: str) -> str:
    """The guest's address from ``X-Forwarded-For``: the last entry (the one the nearest
    proxy added), in canonical form; "" when it is not an address."""
    last = forwarded_for.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return ""


@dataclass
class MetadataService:
    db: Database
    network: Any  # onestack.network.seam.NetworkSeam, None without networking
    secret: str

    def __post_init__(self) -> None:
        if not self.secret:
            log.warning("metadata_proxy_secret is not set: the metadata service answers "
                        "no guest until it is (and the network proxies sign with it)")

    def facts_for_request(self, network_id: str, forwarded_for: str, signature: str
                          ) -> InstanceFacts | None:
        """The facts of the guest a signed proxy request names, None when the request
        is unsigned, badly signed or names no live instance."""
        address = guest_address(forwarded_for)
        raw = forwarded_for.split(",")[-1].strip()
        if not network_id or not address:
            return None
        if not (signing.verify(self.secret, network_id, raw, signature)
                or signing.verify(self.secret, network_id, address, signature)):
            return None

        def read(s: Any) -> InstanceFacts | None:
            instance_id = gather.instance_at(s, self.network, network_id, address)
            return gather.gather(s, self.network, instance_id) if instance_id else None
        return self.db.read(read)

    def document(self, network_id: str, forwarded_for: str, signature: str, path: str
                 ) -> content.Document | None:
        facts = self.facts_for_request(network_id, forwarded_for, signature)
        return content.lookup(facts, path) if facts is not None else None

    def post_password(self, network_id: str, forwarded_for: str, signature: str,
                      path: str, body: bytes) -> int:
        """A guest's POST to ``openstack/<version>/password`` (Nova's semantics: kept
        once, until the API clears it): 200 kept, 400 too long, 409 one is kept already,
        404 when the request names no guest or another path, 405 for a known guest's
        other documents."""
        facts = self.facts_for_request(network_id, forwarded_for, signature)
        if facts is None:
            return 404
        if not content.password_path(path):
            return 405 if content.lookup(facts, path) is not None else 404
        if len(body) > PASSWORD_MAX:
            return 400
        password = body.decode("utf-8", "replace")

        def keep(s: Session) -> int:
            inst = s.get(cm.Instance, facts.uuid, with_for_update=True)
            if inst is None or inst.deleted:
                return 404
            if (inst.system_metadata or {}).get(PASSWORD_KEY):
                return 409
            inst.system_metadata = {**(inst.system_metadata or {}), PASSWORD_KEY: password}
            return 200
        return self.db.write(keep)

    def drive_documents(self, instance_id: str) -> dict[str, bytes] | None:
        return self.db.read(lambda s: drive_documents(s, self.network, instance_id))


def drive_documents(s: Session, network: Any, instance_id: str) -> dict[str, bytes] | None:
    """What the instance's config drive holds, None when the instance is gone. The host
    agent reads this in its transaction (``network``: its network seam) and hands the
    result to the driver, which writes it with ``configdrive.build_config_drive`` — after
    the transaction: building runs two tools."""
    facts = gather.gather(s, network, instance_id)
    return content.drive_documents(facts) if facts is not None else None
