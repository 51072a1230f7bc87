"""Metering labels and their rules (admin only, as Neutron's policy has it): a rule
belongs to a label, counts traffic to or from a prefix in one direction (or excludes it),
and may not overlap another rule of its label in the same direction."""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.metering import MeteringLabel, MeteringLabelRule
from onestack.network.resources.metering import METERING_LABEL, METERING_LABEL_RULE
from onestack.network.service.engine import Collection


class MeteringLabels(Collection):
    resource = METERING_LABEL
    model = MeteringLabel

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        return sa.or_(MeteringLabel.project_id == ctx.project_id,
                      MeteringLabel.shared.is_(True))

    def before_delete(self, s: Session, ctx: RequestContext, row: MeteringLabel) -> None:
        s.execute(sa.delete(MeteringLabelRule).where(
            MeteringLabelRule.metering_label_id == row.id))


class MeteringLabelRules(Collection):
    resource = METERING_LABEL_RULE
    model = MeteringLabelRule

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        return MeteringLabelRule.project_id == ctx.project_id

    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        label = self.deps.collections["metering_labels"].find(s, ctx, doc["metering_label_id"])
        remote = doc.get("remote_ip_prefix")
        if remote and (doc.get("source_ip_prefix") or doc.get("destination_ip_prefix")):
            raise BadRequest("Cannot use 'remote-ip-prefix' in conjunction with "
                             "'source-ip-prefix' or 'destination-ip-prefix'.",
                             kind="BadRequest")
        if not (remote or doc.get("source_ip_prefix") or doc.get("destination_ip_prefix")):
            raise BadRequest("You must define at least one of the following parameters "
                             "'remote_ip_prefix', or 'source_ip_prefix' or "
                             "'destination_ip_prefix'.", kind="BadRequest")
        if "project_id" not in doc.get("_given", set()) and \
                "tenant_id" not in doc.get("_given", set()):
            doc["project_id"] = doc["tenant_id"] = label.project_id
        if remote:
            self.check_overlap(s, label.id, doc["direction"], remote)

    @staticmethod
    def check_overlap(s: Session, label_id: str, direction: str, prefix: str) -> None:
        new = ipaddress.ip_network(prefix)
        for other in s.scalars(sa.select(MeteringLabelRule.remote_ip_prefix).where(
                MeteringLabelRule.metering_label_id == label_id,
                MeteringLabelRule.direction == direction,
                MeteringLabelRule.remote_ip_prefix.is_not(None))):
            old = ipaddress.ip_network(other)
            if old.version == new.version and old.overlaps(new):
                raise Conflict(f"Metering label rule with remote_ip_prefix {prefix} "
                               "overlaps another.", kind="MeteringLabelRuleOverlaps")
