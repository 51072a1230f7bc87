"""Segments: the provider attributes of networks (ML2's type drivers) and the
``/v2.0/segments`` collection.

Every network has at least one segment. A network created with no provider attributes
gets the configured project network type (vxlan by default) with a segmentation id taken
from the configured ranges; an admin may name the type, physnet and id. A segment's claim
on the wire (type, physnet, id) is a unique column of ``network_segments``, so two API
replicas racing for the same id — or for the last free one — cannot both get it: the
loser's insert fails inside a savepoint and it tries another id (or answers 409 when the
id was asked for). Deleting the network deletes its segments, which frees their ids.

Hooks the networks collection calls: ``prepare_network(s, ctx, doc)``,
``update_network(s, ctx, row, changes)``, ``release_network(s, ctx, network)``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import Conflict, ServiceUnavailable
from onestack.network.attributes import invalid
from onestack.network.models.base import Tag
from onestack.network.models.segments import Segment
from onestack.network.resources.segments import SEGMENT
from onestack.network.service.engine import Collection, new_uuid
from onestack.network.service.query import ListQuery

TYPES = ("flat", "vlan", "vxlan", "geneve", "local")
TUNNELS = ("vxlan", "geneve")
MAX_VLAN = 4094
MAX_VNI = 2 ** 24 - 1
PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
Ranges = tuple[tuple[int, int], ...]


def parse_ranges(text: str) -> Ranges:
    """``"1:1000,2000:2999"`` → ((1, 1000), (2000, 2999))."""
    out = []
    for part in (p.strip() for p in (text or "").split(",")):
        if part:
            low, _, high = part.partition(":")
            out.append((int(low), int(high or low)))
    return tuple(out)


def parse_vlan_ranges(text: str) -> dict[str, Ranges]:
    """``"physnet1:1000:2999,physnet2"`` → {physnet1: ((1000, 2999),), physnet2: ()}."""
    out: dict[str, list[tuple[int, int]]] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        name, *bounds = part.split(":")
        ranges = out.setdefault(name, [])
        if len(bounds) == 2:
            ranges.append((int(bounds[0]), int(bounds[1])))
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class TypeConfig:
    """What the type drivers are configured with (from ``Settings``)."""

    project_type: str = "vxlan"
    tunnel_ranges: tuple[tuple[str, Ranges], ...] = (("vxlan", ((1, 1000),)),
                                                    ("geneve", ((1, 1000),)))
    flat_networks: tuple[str, ...] = ("public",)
    vlan_ranges: tuple[tuple[str, Ranges], ...] = (("physnet1", ((1000, 2999),)),)

    @classmethod
    def from_settings(cls, settings: Any) -> TypeConfig:
        def get(name: str, default: str) -> str:
            value = getattr(settings, name, None)
            return default if value is None else str(value)
        return cls(
            project_type=get("network_tenant_network_type", "vxlan"),
            tunnel_ranges=(("vxlan", parse_ranges(get("network_vni_ranges", "1:1000"))),
                           ("geneve", parse_ranges(get("network_geneve_vni_ranges",
                                                       "1:1000")))),
            flat_networks=tuple(n.strip() for n in get("network_flat_networks",
                                                       "public").split(",") if n.strip()),
            vlan_ranges=tuple(parse_vlan_ranges(get("network_vlan_ranges",
                                                    "physnet1:1000:2999")).items()))

    def vlan_physnets(self) -> dict[str, Ranges]:
        return dict(self.vlan_ranges)

    def tunnel(self, network_type: str) -> Ranges:
        return dict(self.tunnel_ranges).get(network_type, ())


def allocation_key(network_type: str, physnet: str | None, seg_id: int | None) -> str | None:
    """The segment's unique claim on the wire (None: a local segment claims nothing)."""
    if network_type == "local":
        return None
    return f"{network_type}:{physnet or ''}:{'' if seg_id is None else seg_id}"


def in_use(network_type: str, physnet: str | None, seg_id: int | None) -> Conflict:
    if network_type == "flat":
        return Conflict(f"Unable to create the flat network. Physical network {physnet} is "
                        "in use.", kind="FlatNetworkInUse")
    if network_type == "vlan":
        return Conflict(f"Unable to create the network. The VLAN {seg_id} on physical "
                        f"network {physnet} is in use.", kind="VlanIdInUse")
    return Conflict(f"Unable to create the network. The tunnel ID {seg_id} is in use.",
                    kind="TunnelIdInUse")


def no_network_available() -> ServiceUnavailable:
    return ServiceUnavailable("Unable to create the network. No project network is "
                              "available for allocation.", kind="NoNetworkAvailable")


def _walk(ranges: Ranges) -> Iterator[int]:
    """Every id of ``ranges`` once, starting at a random one (spreads racing replicas)."""
    total = sum(high - low + 1 for low, high in ranges)
    if total <= 0:
        return
    start = random.randrange(total)
    for step in range(total):
        n = (start + step) % total
        for low, high in ranges:
            size = high - low + 1
            if n < size:
                yield low + n
                break
            n -= size


class Segments(Collection):
    resource = SEGMENT
    model = Segment

    @property
    def config(self) -> TypeConfig:
        cached = getattr(self, "_config", None)
        if cached is None:
            cached = self._config = TypeConfig.from_settings(self.deps.settings)
        return cached

    # --- validation (as ML2's type drivers answer) ---------------------------------------
    def validate(self, network_type: str | None, physnet: str | None,
                 seg_id: int | None) -> None:
        cfg = self.config
        if network_type not in TYPES:
            raise invalid(f"network_type value '{network_type}' not supported")
        if network_type == "flat":
            if not physnet:
                raise invalid("physical_network required for flat provider network")
            if "*" not in cfg.flat_networks and physnet not in cfg.flat_networks:
                raise invalid(f"physical_network '{physnet}' unknown for flat provider "
                              "network")
            if seg_id is not None:
                raise invalid("segmentation_id prohibited for flat provider network")
        elif network_type == "vlan":
            if physnet:
                if physnet not in cfg.vlan_physnets():
                    raise invalid(f"physical_network '{physnet}' unknown for VLAN "
                                  "provider network")
                if seg_id is not None and not 1 <= seg_id <= MAX_VLAN:
                    raise invalid(f"segmentation_id out of range (1 through {MAX_VLAN})")
            elif seg_id is not None:
                raise invalid("segmentation_id requires physical_network for VLAN "
                              "provider network")
        elif network_type in TUNNELS:
            if physnet:
                raise invalid(f"provider:physical_network specified for {network_type} "
                              "network")
            if seg_id is not None and not 1 <= seg_id <= MAX_VNI:
                raise invalid(f"segmentation_id out of range (1 through {MAX_VNI})")
        else:  # local
            if physnet:
                raise invalid("physical_network prohibited for local provider network")
            if seg_id is not None:
                raise invalid("segmentation_id prohibited for local provider network")

    # --- allocation ----------------------------------------------------------------------
    @staticmethod
    def _claim(s: Session, row: Segment) -> bool:
        """Insert ``row`` unless another segment holds its claim (committed or racing)."""
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except sa.exc.IntegrityError:
            return False
        return True

    def reserve(self, s: Session, *, network_id: str, project_id: str, network_type: str,
                physnet: str | None, seg_id: int | None, index: int,
                name: str | None = None, description: str = "") -> Segment:
        """A new segment holding its (type, physnet, id); 409 when an asked-for one is
        taken, 503 NoNetworkAvailable when a range has nothing left."""
        def make(phys: str | None, ident: int | None) -> Segment:
            now = utcnow()
            return Segment(id=new_uuid(), project_id=project_id, network_id=network_id,
                           name=name, description=description, network_type=network_type,
                           physical_network=phys, segmentation_id=ident,
                           segment_index=index,
                           allocation=allocation_key(network_type, phys, ident),
                           created_at=now, updated_at=now, revision_number=0)

        partial = (network_type == "vlan" and seg_id is None) or \
            (network_type in TUNNELS and seg_id is None)
        if not partial:
            row = make(physnet, seg_id)
            if not self._claim(s, row):
                raise in_use(network_type, physnet, seg_id)
            return row
        if network_type == "vlan":
            pools = self.config.vlan_physnets()
            candidates = [(p, pools.get(p, ())) for p in ([physnet] if physnet else pools)]
        else:
            candidates = [(None, self.config.tunnel(network_type))]
        for phys, ranges in candidates:
            used = set(s.scalars(sa.select(Segment.segmentation_id).where(
                Segment.network_type == network_type,
                Segment.physical_network.is_(None) if phys is None
                else Segment.physical_network == phys)))
            for ident in _walk(ranges):
                if ident in used:
                    continue
                row = make(phys, ident)
                if self._claim(s, row):
                    return row
                used.add(ident)  # a racing replica took it: try the next one
        raise no_network_available()

    # --- networks' hooks -----------------------------------------------------------------
    def prepare_network(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        """Validate a new network's provider attributes and claim its first segment."""
        network_type, physnet, seg_id = (doc.get(k) for k in PROVIDER)
        if network_type is None and physnet is None and seg_id is None:
            network_type = self.config.project_type
        elif network_type is None:
            raise invalid("network_type required")
        self.validate(network_type, physnet, seg_id)
        doc["id"] = doc.get("id") or new_uuid()
        row = self.reserve(s, network_id=doc["id"], project_id=doc.get("project_id", ""),
                           network_type=network_type, physnet=physnet, seg_id=seg_id,
                           index=0)
        doc["provider:network_type"] = row.network_type
        doc["provider:physical_network"] = row.physical_network
        doc["provider:segmentation_id"] = row.segmentation_id

    def update_network(self, s: Session, ctx: RequestContext, network: Any,
                       changes: dict[str, Any]) -> None:
        """Only the segmentation id of a single-segment network may change (as ML2)."""
        current = {k: getattr(network, k.replace(":", "_")) for k in PROVIDER}
        for key in PROVIDER[:2]:
            if key in changes:
                if changes[key] is not None and changes[key] != current[key]:
                    raise invalid("Plugin does not support updating the following provider "
                                  "network attributes: provider:network_type, "
                                  "provider:physical_network")
                changes[key] = current[key]
        key = PROVIDER[2]
        if key not in changes:
            return
        wanted = changes[key]
        if wanted is None or wanted == current[key]:
            changes[key] = current[key]
            return
        segments = list(s.scalars(sa.select(Segment).where(
            Segment.network_id == network.id).order_by(Segment.segment_index)))
        if len(segments) != 1 or segments[0].network_type not in ("vlan", *TUNNELS):
            raise invalid("Plugin does not support updating the segmentation_id of this "
                          "network")
        seg = segments[0]
        self.validate(seg.network_type, seg.physical_network, wanted)
        try:
            with s.begin_nested():
                seg.segmentation_id = wanted
                seg.allocation = allocation_key(seg.network_type, seg.physical_network,
                                                wanted)
                self.bump(seg)
                s.flush()
        except sa.exc.IntegrityError:
            s.refresh(seg)
            raise in_use(seg.network_type, seg.physical_network, wanted) from None

    def release_network(self, s: Session, ctx: RequestContext, network: Any) -> None:
        ids = list(s.scalars(sa.select(Segment.id).where(Segment.network_id == network.id)))
        if ids:
            s.execute(sa.delete(Tag).where(Tag.resource_type == SEGMENT.name,
                                           Tag.resource_id.in_(ids)))
            s.execute(sa.delete(Segment).where(Segment.id.in_(ids)))

    def segments_of(self, s: Session, network_ids: list[str]) -> dict[str, list[Segment]]:
        out: dict[str, list[Segment]] = {}
        for start in range(0, len(network_ids), 500):
            for row in s.scalars(sa.select(Segment).where(
                    Segment.network_id.in_(network_ids[start:start + 500])).order_by(
                    Segment.segment_index)):
                out.setdefault(row.network_id, []).append(row)
        return out

    # --- /v2.0/segments ------------------------------------------------------------------
    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        return sa.false()  # admin only; others see none (a 404, never a 403)

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """Neutron drops the items a caller may not read: a member lists no segment."""
        if not self.deps.policy.allowed("get_segment", ctx, {"project_id": ctx.project_id,
                                                             "tenant_id": ctx.project_id}):
            return [], False
        return super().list(ctx, q)

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Any:
        networks = self.deps.collections["networks"]
        network = networks.find(s, ctx, doc["network_id"], lock=True)
        network_type, physnet, seg_id = (doc.get("network_type"),
                                         doc.get("physical_network"),
                                         doc.get("segmentation_id"))
        self.validate(network_type, physnet, seg_id)
        last = s.scalar(sa.select(sa.func.max(Segment.segment_index)).where(
            Segment.network_id == network.id))
        row = self.reserve(s, network_id=network.id, project_id=network.project_id,
                           network_type=network_type, physnet=physnet, seg_id=seg_id,
                           index=0 if last is None else last + 1, name=doc.get("name"),
                           description=doc.get("description") or "")
        self._sync(s, network)
        if doc.get("tags"):
            self.set_tags(s, row, doc["tags"], bump=False)
        return row

    def before_delete(self, s: Session, ctx: RequestContext, row: Segment) -> None:
        subnets = self.deps.collections.get("subnets")
        column = getattr(getattr(subnets, "model", None), "segment_id", None)
        if column is not None and s.scalar(sa.select(sa.func.count()).where(
                column == row.id)):
            raise Conflict(f"Segment '{row.id}' cannot be deleted: There are one or more "
                           "subnets still associated with it.", kind="SegmentInUse")

    def delete_row(self, s: Session, row: Segment) -> None:
        network_id = row.network_id
        super().delete_row(s, row)
        networks = self.deps.collections["networks"]
        network = s.get(networks.model, network_id)
        if network is not None:
            self._sync(s, network)

    def _sync(self, s: Session, network: Any) -> None:
        """The network shows its first segment's provider attributes."""
        first = s.scalars(sa.select(Segment).where(Segment.network_id == network.id)
                          .order_by(Segment.segment_index).limit(1)).first()
        network.provider_network_type = first.network_type if first else None
        network.provider_physical_network = first.physical_network if first else None
        network.provider_segmentation_id = first.segmentation_id if first else None
        s.flush()

    def target(self, row: Any) -> dict[str, Any]:
        return {"project_id": row.project_id, "tenant_id": row.project_id}
