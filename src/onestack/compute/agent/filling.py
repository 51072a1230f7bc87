"""What a driver that builds guests from local files (``UsesLocalFiles``: QEMU) needs in
the spec beyond the row: the cached base image, the NICs from the network seam (port,
MAC, network, fixed IPs, MTU) and the config drive's files. The fake driver gets the spec
as the row describes it."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.agent.images import BaseImages
from onestack.compute.drivers.base import (InstanceSpec, InterfaceAttaching, Nic,
                                           UsesLocalFiles)
from onestack.compute.metadata.service import drive_documents
from onestack.compute.service import networking

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent

DETACH_EVENT = "compute_detach_interface"


def detaches_to_finish(s: Session, host: str) -> list[str]:
    """Idle servers on ``host`` with an interface detach still without its event (an
    action no event was added to has ``updated_at == start_time``): the port may never
    have reached the guest, so no NIC drift would bring them to a pass."""
    return list(s.scalars(sa.select(cm.InstanceAction.instance_id).join(
        cm.Instance, cm.Instance.id == cm.InstanceAction.instance_id).where(
        cm.Instance.host == host, cm.Instance.deleted.is_(False),
        cm.Instance.task_state.is_(None), cm.InstanceAction.action == "detach_interface",
        cm.InstanceAction.updated_at == cm.InstanceAction.start_time)))


def nics_of(s: Session, network: object, instance_id: str, wired_only: bool = False
            ) -> list[Nic]:
    """The server's ports as NICs in the order the boot (then each attach) asked for
    them, so the guest's first NIC is the first network requested (``wired_only``: those
    the network agent has wired, whose tap therefore exists)."""
    ports = networking.ports(s, network, instance_id)  # type: ignore[arg-type]
    order = {r.port_id: i for i, r in enumerate(networking.rows_of(s, instance_id))
             if r.port_id}
    ports = sorted(ports, key=lambda p: order.get(p.id, len(order)))
    if wired_only:
        ports = [p for p in ports if p.status == "ACTIVE"]
    if not ports:
        return []
    nets = network.networks_by_id(s, list({p.network_id for p in ports}))  # type: ignore
    return [Nic(p.id, p.mac_address, p.network_id,
                tuple(ip["ip_address"] for ip in p.fixed_ips if ip.get("ip_address")),
                nets[p.network_id].mtu if p.network_id in nets else 1500) for p in ports]


class SpecFilling:
    """Mixed into the host agent."""

    _base_images: BaseImages | None = None
    _console_seen: dict[str, int] | None = None  # instance id → serial log size recorded

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

    def _interface_changes(self: HostAgent, inst: cm.Instance) -> None:
        """A running guest's NICs follow the server's ports (``os-interface``): a port
        that went is unplugged, a wired port the guest lacks is hot-plugged. Then each
        interface detach the API recorded gets its ``compute_detach_interface`` event
        (what callers wait for: the port is out of the guest, or there was no guest)."""
        self._replug(inst)
        pending = self.db.read(lambda s: any(
            not any(e.get("event") == DETACH_EVENT for e in (a.events or []))
            for a in s.scalars(sa.select(cm.InstanceAction).where(
                cm.InstanceAction.instance_id == inst.id,
                cm.InstanceAction.action == "detach_interface"))))
        if pending:
            self.db.write(lambda s: records.finish_actions(
                s, inst.id, "detach_interface", DETACH_EVENT, self.host))

    def _replug(self: HostAgent, inst: cm.Instance) -> None:
        driver = self.driver
        if self.network is None or not isinstance(driver, UsesLocalFiles) or \
                not isinstance(driver, InterfaceAttaching):
            return
        have = driver.attached_ports(inst.id)
        if not have and not self._present(inst.id):
            return
        every = {n.port_id for n in self.db.read(lambda s: nics_of(s, self.network, inst.id))}
        wired = {n.port_id: n for n in self.db.read(
            lambda s: nics_of(s, self.network, inst.id, wired_only=True))}
        for port_id in have:
            if port_id not in every:
                driver.detach_interface(inst.id, port_id)
        for port_id, nic in wired.items():
            if port_id not in have:
                driver.attach_interface(inst.id, nic)

    def _nic_drift(self: HostAgent, candidates: list[str]) -> list[str]:
        """Of the idle guests ``candidates``, those whose NICs differ from their ports (one
        read for all): the full comparison's share of interface attach and detach."""
        driver = self.driver
        if self.network is None or not candidates or \
                not isinstance(driver, UsesLocalFiles) or \
                not isinstance(driver, InterfaceAttaching):
            return []
        ports = self.db.read(lambda s: self.network.ports_of(s, candidates))
        drifted = []
        for instance_id in candidates:
            mine = ports.get(instance_id, [])
            have = set(driver.attached_ports(instance_id))
            wired = {p.id for p in mine if p.status == "ACTIVE"}
            if have - {p.id for p in mine} or wired - have:
                drifted.append(instance_id)
        return drifted

    def _console_drift(self: HostAgent, candidates: list[str]) -> list[str]:
        """Of the idle guests ``candidates``, those whose serial log grew since the agent
        last recorded it (a file size each, no read)."""
        driver = self.driver
        if not isinstance(driver, UsesLocalFiles):
            return []
        if self._console_seen:  # forget guests that are gone or busy
            self._console_seen = {i: n for i, n in self._console_seen.items()
                                  if i in set(candidates)}
        seen = self._console_seen or {}
        return [i for i in candidates if driver.console_size(i) != seen.get(i)]

    def _console_changes(self: HostAgent, inst: cm.Instance) -> None:
        """Record the serial log of an idle guest when it grew (a boot goes on after the
        spawn step ended); only the log column is written, so no other writer races."""
        driver = self.driver
        if not isinstance(driver, UsesLocalFiles):
            return
        if self._console_seen is None:
            self._console_seen = {}
        size = driver.console_size(inst.id)
        if size == self._console_seen.get(inst.id):
            return
        text = driver.console_output(inst.id)
        if text != inst.console_log:
            self.db.write(lambda s: s.execute(
                sa.update(cm.Instance).where(cm.Instance.id == inst.id,
                                             cm.Instance.deleted.is_(False))
                .values(console_log=text)))
        self._console_seen[inst.id] = size
