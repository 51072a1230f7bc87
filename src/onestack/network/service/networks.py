"""Networks: who sees them (own, shared, external, or shared to the caller by an RBAC
policy), their MTU, and what deleting one takes with it.

Other collections extend a network through optional methods the engine looks up by
collection name, so that this module does not import them:
``subnets.ids_by_network(s, network_ids) -> {network_id: [subnet ids]}``,
``subnets.delete_for_network(s, ctx, network)``,
``ports.network_in_use(s, network) -> bool`` (ports other than the network's own DHCP
ports), ``ports.used_by_other_projects(s, network) -> bool``,
``ports.delete_for_network(s, ctx, network)`` (the DHCP ports left),
``rbac_policies.shared_clause(ctx, model) -> clause | None`` (networks shared to the
caller's project), ``rbac_policies.delete_for_object(s, ctx, network)``,
``rbac_policies.shared_ids(s, ctx, "network", ids)`` (those shared with the caller's
project, which show ``shared`` true to it),
``rbac_policies.sync_object(s, network, "network")`` (the ``*`` policies follow
``shared``/``router:external``),
``segments.prepare_network(s, ctx, doc)`` (provider attributes: validation and
segmentation id allocation), ``segments.update_network(s, ctx, row, changes)``,
``segments.release_network(s, ctx, network)``,
``address_scopes.scopes_by_network(s, ids) -> {id: {4: scope, 6: scope}}``,
``availability_zones.zones_of_networks(s, rows) -> {id: [zones]}`` (its DHCP agents'),
``availability_zones.check_hints(s, hints, "network")`` (404 for an unknown zone),
``policies.check_attachment(s, ctx, qos_policy_id)`` (404 QosPolicyNotFound unless
visible), ``policies.default_policy_id(s, project_id)`` (the project's default QoS policy,
given to its new networks that name none).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Conflict
from onestack.network.models.l2 import Network
from onestack.network.resources.networks import NETWORK
from onestack.network.service.engine import Collection

DEFAULT_MTU = 1500


class Networks(Collection):
    resource = NETWORK
    model = Network
    quota = "network"

    def optional(self, collection: str, method: str) -> Any | None:
        other = self.deps.collections.get(collection)
        return getattr(other, method, None) if other is not None else None

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [Network.project_id == ctx.project_id, Network.shared.is_(True),
                   Network.router_external.is_(True)]
        shared = self.optional("rbac_policies", "shared_clause")
        if shared is not None:
            clause = shared(ctx, Network)
            if clause is not None:
                clauses.append(clause)
        return sa.or_(*clauses)

    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        segments = self.optional("segments", "prepare_network")
        if segments is not None:
            segments(s, ctx, doc)
        hints = self.optional("availability_zones", "check_hints")
        if hints is not None and doc.get("availability_zone_hints"):
            hints(s, doc["availability_zone_hints"], "network")
        if doc.get("qos_policy_id"):
            self.check_qos(s, ctx, doc["qos_policy_id"])
        elif "qos_policy_id" not in doc.get("_given", ()):
            default = self.optional("policies", "default_policy_id")
            if default is not None:
                doc["qos_policy_id"] = default(s, doc.get("project_id", ""))
        if doc.get("mtu") is None:
            doc["mtu"] = self.default_mtu(doc.get("provider:network_type"))
        self.check_mtu(doc["mtu"], doc.get("provider:network_type"))

    def default_mtu(self, network_type: str | None) -> int:
        base = int(getattr(self.deps.settings, "network_mtu", DEFAULT_MTU) or DEFAULT_MTU)
        # VXLAN over IPv4 costs 50 bytes of each frame, Geneve 58 (as Neutron computes)
        overhead = {"vxlan": 50, "geneve": 58}.get(network_type or "", 0)
        return base - overhead

    def check_mtu(self, mtu: int, network_type: str | None) -> None:
        limit = self.default_mtu(network_type)
        if mtu < 68 or mtu > limit:
            raise Conflict(f"Requested MTU is too big, maximum is {limit}" if mtu > limit
                           else f"Invalid input for mtu. Reason: '{mtu}' is too small - "
                           "must be at least '68'.", kind="InvalidInput")

    def check_qos(self, s: Session, ctx: RequestContext, policy_id: str) -> None:
        check = self.optional("policies", "check_attachment")
        if check is not None:
            check(s, ctx, policy_id)

    def prepare_update(self, s: Session, ctx: RequestContext, row: Network,
                       changes: dict[str, Any]) -> None:
        if changes.get("qos_policy_id"):
            self.check_qos(s, ctx, changes["qos_policy_id"])
        segments = self.optional("segments", "update_network")
        if segments is not None and any(k.startswith("provider:") for k in changes):
            segments(s, ctx, row, changes)
        if changes.get("mtu") is not None:
            self.check_mtu(changes["mtu"], row.provider_network_type)
        if changes.get("shared") is False and row.shared:
            in_use = self.optional("ports", "used_by_other_projects")
            if in_use is not None and in_use(s, row):
                raise Conflict(f"Unable to reconfigure sharing settings for network "
                               f"{row.id}. Multiple tenants are using it.",
                               kind="InvalidSharedSetting")

    def after_create(self, s: Session, ctx: RequestContext, row: Network,
                     doc: dict[str, Any]) -> None:
        if row.shared or row.router_external:
            self.sync_rbac(s, row)

    def after_update(self, s: Session, ctx: RequestContext, row: Network,
                     changes: dict[str, Any]) -> None:
        if "shared" in changes or "router:external" in changes:
            self.sync_rbac(s, row)

    def sync_rbac(self, s: Session, row: Network) -> None:
        """``shared``/``router:external`` are the network's ``*`` RBAC policies."""
        sync = self.optional("rbac_policies", "sync_object")
        if sync is not None:
            sync(s, row, "network")

    def before_delete(self, s: Session, ctx: RequestContext, row: Network) -> None:
        # an external network's floating IPs go with it (an associated one needs a
        # router gateway here, a port still in use)
        fips = self.optional("floatingips", "delete_for_network")
        if fips is not None:
            fips(s, ctx, row)
        in_use = self.optional("ports", "network_in_use")
        if in_use is not None and in_use(s, row):
            raise Conflict(f"Unable to complete operation on network {row.id}. There are "
                           "one or more ports still in use on the network.",
                           kind="NetworkInUse")
        for collection, method in (("ports", "delete_for_network"),
                                   ("subnets", "delete_for_network"),
                                   ("segments", "release_network"),
                                   ("rbac_policies", "delete_for_object")):
            hook = self.optional(collection, method)
            if hook is not None:
                hook(s, ctx, row)

    def extras(self, s: Session, ctx: RequestContext, rows: list[Network]
               ) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        subnets_of = self.optional("subnets", "ids_by_network")
        subnets = subnets_of(s, ids) if subnets_of is not None else {}
        scopes_of = self.optional("address_scopes", "scopes_by_network")
        scopes = scopes_of(s, ids) if scopes_of is not None else {}
        zones_of = self.optional("availability_zones", "zones_of_networks")
        zones = zones_of(s, rows) if zones_of is not None else None
        shared_of = self.optional("rbac_policies", "shared_ids")
        shared = shared_of(s, ctx, "network", ids) if shared_of is not None else set()
        return {r.id: {"subnets": subnets.get(r.id, []),
                       "_rbac_shared": r.id in shared,
                       "availability_zones": ["nova"] if zones is None else zones.get(r.id, []),
                       "ipv4_address_scope": scopes.get(r.id, {}).get(4),
                       "ipv6_address_scope": scopes.get(r.id, {}).get(6),
                       "l2_adjacency": True} for r in rows}

    def view(self, row: Any, extra: dict[str, Any], tags: list[str],
             hidden: set[str]) -> dict[str, Any]:
        """``shared`` is true, to a project a policy shares the network with, as Neutron
        shows it."""
        doc = super().view(row, extra, tags, hidden)
        if extra.get("_rbac_shared") and "shared" in doc:
            doc["shared"] = True
        return doc

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        return None
