"""``os-hypervisors`` use cases: one hypervisor per compute host, with its numbers (totals
from the host row, use from placement and the instances)."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.service import hosts
from onestack.compute.service.deps import ResourceDeps
from onestack.compute.service.hosts import Usage
from onestack.core.context import RequestContext
from onestack.core.errors import NotFound

RULE = "os_compute_api:os-hypervisors:"


def ident(h: cm.ComputeHost, version: tuple[int, int]) -> Any:
    """The row id before 2.53, then the host's UUID (its placement provider) in canonical
    form."""
    return str(uuid.UUID(h.uuid)) if version >= (2, 53) else h.id


def no_match(pattern: str) -> NotFound:
    return NotFound(f"No hypervisor matching '{pattern}' could be found.")


def list_hypervisors(deps: ResourceDeps, ctx: RequestContext, rule: str,
                     pattern: str | None = None
                     ) -> tuple[list[cm.ComputeHost], dict[str, Usage]]:
    """The hosts (those whose name contains ``pattern``, 404 when none) and their usage."""
    deps.enforce(ctx, RULE + rule)

    def work(s: Session) -> tuple[list[cm.ComputeHost], dict[str, Usage]]:
        found = hosts.compute_hosts(s)
        if pattern is not None:
            found = [h for h in found if pattern in h.host]
            if not found:
                raise no_match(pattern)
        return found, hosts.usages(s, found)
    return deps.read(work)


def get_hypervisor(deps: ResourceDeps, ctx: RequestContext, rule: str, wanted: str,
                   version: tuple[int, int]) -> tuple[cm.ComputeHost, Usage]:
    """The hypervisor named by its id as ``version`` shows ids (a checked UUID from 2.53)."""
    deps.enforce(ctx, RULE + rule)

    def work(s: Session) -> tuple[cm.ComputeHost, Usage]:
        key = str(uuid.UUID(wanted)) if version >= (2, 53) else wanted
        for h in hosts.compute_hosts(s):
            if str(ident(h, version)) == key:
                return h, hosts.usages(s, [h])[h.host]
        raise NotFound(f"Hypervisor with ID {wanted[:64]} could not be found.")
    return deps.read(work)
