"""What a driver that builds guests from local files (``UsesLocalFiles``: QEMU) needs in
the spec beyond the row: the cached base image, the NICs from the network seam (port,
MAC, network, fixed IPs, MTU) and the config drive's files. The fake driver gets the spec
as the row describes it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.agent.images import BaseImages
from onestack.compute.drivers.base import InstanceSpec, Nic, UsesLocalFiles
from onestack.compute.metadata.service import drive_documents
from onestack.compute.service import networking

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent


def nics_of(s: Session, network: object, instance_id: str) -> list[Nic]:
    ports = networking.ports(s, network, instance_id)  # type: ignore[arg-type]
    if not ports:
        return []
    nets = network.networks_by_id(s, list({p.network_id for p in ports}))  # type: ignore
    return [Nic(p.id, p.mac_address, p.network_id,
                tuple(ip["ip_address"] for ip in p.fixed_ips if ip.get("ip_address")),
                nets[p.network_id].mtu if p.network_id in nets else 1500) for p in ports]


class SpecFilling:
    """Mixed into the host agent."""

    _base_images: BaseImages | None = None

    def _filled(self: HostAgent, spec: InstanceSpec, inst: cm.Instance) -> InstanceSpec:
        if not isinstance(self.driver, UsesLocalFiles):
            return spec
        if spec.image is not None and self.images is not None:
            if self._base_images is None:
                self._base_images = BaseImages(self.driver.image_cache_dir(), self.images)
            spec.image = self._base_images.fetch(spec.image.id)
        if self.network is not None:
            spec.nics = self.db.read(lambda s: nics_of(s, self.network, inst.id))
        if spec.config_drive:
            spec.config_drive_files = self.db.read(
                lambda s: drive_documents(s, self.network, inst.id)) or {}
        return spec
