"""Trunks: a parent port and subports, each carried on a VLAN of the parent
(``add_subports``, ``remove_subports``, ``get_subports``).

A port serves at most one trunk, as its parent or as one subport (the port is the key of
``network_trunk_ports``: racing requests cannot both take it), and a VLAN id at most once
per trunk. ``inherit`` takes the subport network's own segmentation (a VLAN network's id).
A trunk shows ACTIVE while its parent port is wired, DOWN otherwise; a trunk whose parent
is bound to a host cannot be deleted (409 TrunkInUse), and a disabled trunk refuses
subport changes (409 TrunkDisabled).

Hooks for the ports collection: ``check_port_delete(s, port)`` (409 when the port is a
trunk's parent or subport) and ``details_of_ports(s, port_ids)`` (``trunk_details``).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Conflict, NotFound
from onestack.network.attributes import invalid, to_int
from onestack.network.models.ports import Port
from onestack.network.models.trunks import Trunk, TrunkPort
from onestack.network.resources.trunks import TRUNK, subports
from onestack.network.service.engine import Collection
from onestack.network.service.query import ids_clause

VLAN_RANGE = (1, 4094)


def port_in_use(port_id: str) -> Conflict:
    return Conflict(f"Port {port_id} is in use by another trunk.", kind="TrunkPortInUse")


def parent_in_use(port_id: str) -> Conflict:
    return Conflict(f"Port {port_id} is currently in use and is not eligible for use as a "
                    "parent port.", kind="ParentPortInUse")


class Trunks(Collection):
    resource = TRUNK
    model = Trunk

    @property
    def ports(self) -> Collection:
        return self.deps.collections["ports"]

    # --- checks --------------------------------------------------------------------------
    def _claimed(self, s: Session, port_id: str) -> None:
        claim = s.get(TrunkPort, port_id)
        if claim is not None:
            raise port_in_use(port_id) if not claim.is_parent else parent_in_use(port_id)

    def _segmentations(self, s: Session, ctx: RequestContext, parent_id: str,
                       items: list[dict[str, Any]]) -> list[tuple[Any, str, int]]:
        """(port row, type, id) per subport: visible, free, with valid VLAN details."""
        out = []
        for item in items:
            port_id = item["port_id"]
            if port_id == parent_id:
                raise parent_in_use(port_id)
            port = self.ports.find(s, ctx, port_id)
            kind = item.get("segmentation_type")
            if kind == "inherit":
                network = s.get(self.deps.collections["networks"].model, port.network_id)
                kind = getattr(network, "provider_network_type", None)
                seg_id: Any = getattr(network, "provider_segmentation_id", None)
            else:
                seg_id = item.get("segmentation_id")
                if not kind or seg_id is None:
                    raise invalid(f"Invalid subport details '{item}': missing segmentation "
                                  "information. Must specify both segmentation_id and "
                                  "segmentation_type")
                try:
                    seg_id = to_int(seg_id)
                except Exception:  # noqa: BLE001 - Neutron's wording
                    raise invalid(f"Invalid subport details: segmentation_id '{seg_id}' is "
                                  "not an integer") from None
            if kind != "vlan":
                raise invalid(f"Unknown segmentation_type '{kind}'")
            if seg_id is None or not VLAN_RANGE[0] <= seg_id <= VLAN_RANGE[1]:
                raise invalid(f"Segmentation ID '{seg_id}' is not in range")
            self._claimed(s, port_id)
            if port.device_owner and port.device_owner != "trunk:subport":
                raise Conflict(f"Unable to complete operation on port {port.id} for network "
                               f"{port.network_id}. Port already has an attached device "
                               f"{port.device_id}.", kind="PortInUse")
            out.append((port, kind, seg_id))
        return out

    def _add(self, s: Session, trunk: Trunk, found: list[tuple[Any, str, int]]) -> None:
        taken = {(t, i) for t, i in s.execute(sa.select(
            TrunkPort.segmentation_type, TrunkPort.segmentation_id).where(
            TrunkPort.trunk_id == trunk.id, TrunkPort.is_parent.is_(False)))}
        for port, kind, seg_id in found:
            if (kind, seg_id) in taken:
                raise Conflict(f"segmentation_type {kind} and segmentation_id {seg_id} "
                               f"already in use on trunk {trunk.id}.", kind="DuplicateSubPort")
            taken.add((kind, seg_id))
            try:
                with s.begin_nested():
                    s.add(TrunkPort(port_id=port.id, trunk_id=trunk.id, is_parent=False,
                                    segmentation_type=kind, segmentation_id=seg_id))
                    s.flush()
            except sa.exc.IntegrityError:  # a racing request took the port or the VLAN
                raise port_in_use(port.id) from None

    # --- hooks ---------------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        self.ports.find(s, ctx, doc["port_id"])
        self._claimed(s, doc["port_id"])
        doc["_found"] = self._segmentations(s, ctx, doc["port_id"], doc.get("sub_ports", []))

    def after_create(self, s: Session, ctx: RequestContext, row: Trunk,
                     doc: dict[str, Any]) -> None:
        try:
            with s.begin_nested():
                s.add(TrunkPort(port_id=row.port_id, trunk_id=row.id, is_parent=True))
                s.flush()
        except sa.exc.IntegrityError:
            raise parent_in_use(row.port_id) from None
        self._add(s, row, doc["_found"])

    def before_delete(self, s: Session, ctx: RequestContext, row: Trunk) -> None:
        parent = s.get(self.ports.model, row.port_id)
        if parent is not None and getattr(parent, "binding_host_id", ""):
            raise Conflict(f"Trunk {row.id} is currently in use.", kind="TrunkInUse")
        s.execute(sa.delete(TrunkPort).where(TrunkPort.trunk_id == row.id))

    def extras(self, s: Session, ctx: RequestContext, rows: list[Trunk]
               ) -> dict[str, dict[str, Any]]:
        subs = self._subports(s, [r.id for r in rows])
        model = self.ports.model
        status = dict(s.execute(sa.select(model.id, model.status).where(
            model.id.in_([r.port_id for r in rows]))).all())
        return {r.id: {"sub_ports": subs.get(r.id, []),
                       "status": "ACTIVE" if status.get(r.port_id) == "ACTIVE" else "DOWN"}
                for r in rows}

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        if name != "status":
            return None
        model = self.ports.model
        active = Trunk.port_id.in_(sa.select(model.id).where(model.status == "ACTIVE"))
        wanted = {v.upper() for v in values}
        if wanted >= {"ACTIVE", "DOWN"}:
            return None
        if "ACTIVE" in wanted:
            return active
        return sa.not_(active) if "DOWN" in wanted else sa.false()

    def _subports(self, s: Session, trunk_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(trunk_ids), 500):
            for sub in s.scalars(sa.select(TrunkPort).where(
                    TrunkPort.trunk_id.in_(trunk_ids[start:start + 500]),
                    TrunkPort.is_parent.is_(False)).order_by(
                    TrunkPort.segmentation_id, TrunkPort.port_id)):
                out.setdefault(sub.trunk_id, []).append(
                    {"segmentation_id": sub.segmentation_id,
                     "segmentation_type": sub.segmentation_type, "port_id": sub.port_id})
        return out

    # --- subport actions -----------------------------------------------------------------
    def _change(self, ctx: RequestContext, ident: str, body: Any, add: bool) -> dict[str, Any]:
        if not isinstance(body, dict) or "sub_ports" not in body:
            raise invalid("Invalid data format for subports: 'sub_ports' must be given")
        items = subports(body["sub_ports"])

        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(f"{'add' if add else 'remove'}_subports", ctx,
                                     self.target(row))
            if not row.admin_state_up:
                raise Conflict(f"Trunk {row.id} is currently disabled.", kind="TrunkDisabled")
            if add:
                self._add(s, row, self._segmentations(s, ctx, row.port_id, items))
            else:
                for item in items:
                    sub = s.get(TrunkPort, item["port_id"])
                    if sub is None or sub.trunk_id != row.id or sub.is_parent:
                        raise NotFound(f"SubPort {item['port_id']} on trunk {row.id} could "
                                       "not be found.", kind="SubPortNotFound")
                    s.delete(sub)
            if items:
                self.bump(row)
            s.flush()
            return self.render(s, ctx, [row])[0]
        doc = self.deps.db.write(work)
        self.deps.wake("port", doc["port_id"])
        return doc

    def add_subports(self, ctx: RequestContext, ident: str, body: Any) -> dict[str, Any]:
        return self._change(ctx, ident, body, add=True)

    def remove_subports(self, ctx: RequestContext, ident: str, body: Any) -> dict[str, Any]:
        return self._change(ctx, ident, body, add=False)

    def get_subports(self, ctx: RequestContext, ident: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            row = self.find(s, ctx, ident)
            self.deps.policy.enforce("get_subports", ctx, self.target(row))
            return self._subports(s, [row.id]).get(row.id, [])
        return self.deps.db.read(work)

    # --- what ports call -----------------------------------------------------------------
    def check_port_delete(self, s: Session, port: Any) -> None:
        claim = s.get(TrunkPort, port.id)
        if claim is None:
            return
        if claim.is_parent:
            raise Conflict(f"Port {port.id} is currently a parent port for trunk "
                           f"{claim.trunk_id}.", kind="PortInUseAsTrunkParent")
        raise Conflict(f"Port {port.id} is currently a subport for trunk {claim.trunk_id}.",
                       kind="PortInUseAsSubPort")

    def details_of_ports(self, s: Session, port_ids: list[str]) -> dict[str, dict[str, Any]]:
        """``trunk_details`` of the ports that are trunk parents."""
        parents = {}
        for start in range(0, len(port_ids), 500):
            for claim in s.scalars(sa.select(TrunkPort).where(
                    ids_clause(s, TrunkPort.port_id, port_ids[start:start + 500]),
                    TrunkPort.is_parent.is_(True))):
                parents[claim.port_id] = claim.trunk_id
        subs = self._subports(s, list(set(parents.values())))
        sub_ids = [sub["port_id"] for trunk in subs.values() for sub in trunk]
        macs: dict[str, str] = {}
        for start in range(0, len(sub_ids), 500):  # Neutron adds each subport's MAC
            macs.update((port_id, mac) for port_id, mac in s.execute(
                sa.select(Port.id, Port.mac_address).where(
                    Port.id.in_(sub_ids[start:start + 500]))))
        return {port: {"trunk_id": trunk, "sub_ports": [
                    {**sub, "mac_address": macs.get(sub["port_id"])}
                    for sub in subs.get(trunk, [])]}
                for port, trunk in parents.items()}
