"""Placing a volume on a backend (Cinder's scheduler, in the API's transaction).

A backend is a candidate when it is enabled and not frozen, its agent heartbeated within
``HEARTBEAT_WINDOW``, it serves the wanted availability zone, its capabilities satisfy the
type's extra specs (Cinder's CapabilitiesFilter: ``volume_backend_name``,
``storage_protocol``, ``vendor_name``, …), and its free capacity —
``total * max_over_subscription_ratio - allocated`` — holds the size. The most free
candidate wins (Cinder's capacity weigher spreads volumes). The claim is one conditional
UPDATE (``allocated += size WHERE free >= size``): two API processes racing for the last
GiB cannot both win, since the database re-checks the condition on the row it locks.
``release`` gives capacity back when a volume goes.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from onestack.core.db import utcnow
from onestack.volume.models.backends import Backend

HEARTBEAT_WINDOW = timedelta(seconds=60)
NO_VALID_BACKEND = "No valid backend was found."


class NoValidBackend(Exception):
    """No backend can hold the volume; the caller puts the volume in ``error`` with a user
    message (Cinder's ``NoValidBackend``)."""

    def __init__(self, reason: str = "") -> None:
        self.reason = reason
        super().__init__(f"{NO_VALID_BACKEND} {reason}".strip())


def _free() -> Any:
    return (Backend.total_capacity_gb * Backend.max_over_subscription_ratio
            - Backend.allocated_capacity_gb)


def _spec(specs: dict[str, str], key: str) -> str | None:
    value = specs.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def up_backends(s: Session) -> sa.Select:
    """Backends the scheduler may use at all (enabled, not frozen, heartbeat recent)."""
    return sa.select(Backend).where(Backend.disabled.is_(False), Backend.frozen.is_(False),
                                    Backend.heartbeat_at >= utcnow() - HEARTBEAT_WINDOW)


def zones(s: Session) -> set[str]:
    """The availability zones of enabled backends (what a request may name)."""
    return set(s.scalars(sa.select(Backend.availability_zone).where(
        Backend.disabled.is_(False)).distinct()))


def capabilities(row: Backend) -> dict[str, Any]:
    """What a backend reports to the scheduler (Cinder's pool capabilities), which a
    type's extra specs are matched against."""
    total = int(row.total_capacity_gb or 0)
    allocated = int(row.allocated_capacity_gb or 0)
    return {"volume_backend_name": row.backend, "storage_protocol": row.storage_protocol,
            "vendor_name": row.vendor_name, "driver_version": row.driver_version,
            "pool_name": row.name.partition("#")[2] or row.backend,
            "total_capacity_gb": total, "allocated_capacity_gb": allocated,
            "free_capacity_gb": max(total - allocated, 0),
            "max_over_subscription_ratio": row.max_over_subscription_ratio,
            "reserved_percentage": 0, "thin_provisioning_support": True,
            "thick_provisioning_support": False, "multiattach": True,
            "QoS_support": False, "online_extend_support": True,
            "replication_enabled": False, "consistent_group_snapshot_enabled": False,
            "backend_state": "up"}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def matches(value: Any, req: str) -> bool:
    """Cinder's extra-spec operators against one capability: ``<is> True``, ``<in> x``,
    ``<all-in> a b``, ``<or> a <or> b``, numeric ``=`` (at least), ``==``, ``!=``,
    ``>=``, ``<=``, string ``s==``/``s!=``/``s<``/``s<=``/``s>``/``s>=``; anything else
    is plain string equality."""
    words = str(req).split()
    if not words:
        return str(value) == str(req)
    op, rest = words[0], words[1:]
    text = str(value)
    if op == "<is>":
        return bool(rest) and text.lower() == rest[0].lower()
    if op == "<in>":
        return bool(rest) and rest[0] in text
    if op == "<all-in>":
        return all(word in text.split() for word in rest)
    if op == "<or>":
        options = [w for w in words if w != "<or>"]
        return text in options
    if op in ("s==", "s!=", "s<", "s<=", "s>", "s>="):
        other = rest[0] if rest else ""
        return {"s==": text == other, "s!=": text != other, "s<": text < other,
                "s<=": text <= other, "s>": text > other, "s>=": text >= other}[op]
    if op in ("=", "==", "!=", ">=", "<="):
        a, b = _number(value), _number(rest[0] if rest else None)
        if a is None or b is None:
            return False
        return {"=": a >= b, "==": a == b, "!=": a != b, ">=": a >= b, "<=": a <= b}[op]
    return text == str(req)


def satisfies(row: Backend, specs: dict[str, str]) -> bool:
    """Cinder's CapabilitiesFilter: every unscoped or ``capabilities:`` scoped extra spec
    must name a capability the backend reports and match it (other scopes — ``RESKEY:``,
    ``qos:``, ``multiattach`` handled as a capability — are someone else's)."""
    caps = capabilities(row)
    for key, req in specs.items():
        scope = key.split(":")
        if len(scope) > 1:
            if scope[0] != "capabilities":
                continue
            scope = scope[1:]
        name = ":".join(scope)
        if name not in caps or not matches(caps[name], req):
            return False
    return True


def place(s: Session, size_gb: int, zone: str | None, volume_type: Any,
          *, only: str | None = None, specs: dict[str, str] | None = None) -> Backend:
    """Claim ``size_gb`` on the best backend for a volume of ``volume_type`` (a
    ``VolumeType`` row or None) in ``zone`` (None: any zone); ``only`` restricts the choice
    to one backend (a clone or a volume from a snapshot stays on its source's backend).
    The type's extra specs must match the backend's capabilities (``satisfies``).
    Raises ``NoValidBackend`` when none fits; the claim is part of ``s``'s transaction."""
    from onestack.volume.service.types import extra_specs

    if specs is None:  # the caller may have read them already
        specs = extra_specs(s, getattr(volume_type, "id", None)) if volume_type else {}
    stmt = up_backends(s)
    if zone:
        stmt = stmt.where(Backend.availability_zone == zone)
    if only:
        stmt = stmt.where(Backend.name == only)
    candidates = [row for row in s.scalars(stmt.where(_free() >= size_gb)
                                           .order_by(_free().desc(), Backend.name))
                  if satisfies(row, specs)]
    for row in candidates:
        claimed = s.execute(
            sa.update(Backend)
            .where(Backend.name == row.name, _free() >= size_gb)
            .values(allocated_capacity_gb=Backend.allocated_capacity_gb + size_gb)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            # the row as the UPDATE left it, without reading it back
            set_committed_value(row, "allocated_capacity_gb",
                                row.allocated_capacity_gb + size_gb)
            return row
    raise NoValidBackend(_why(s, size_gb, zone, _spec(specs, "volume_backend_name"), only))


def _why(s: Session, size_gb: int, zone: str | None, backend_name: str | None,
         only: str | None) -> str:
    if s.scalar(sa.select(sa.func.count()).select_from(up_backends(s).subquery())) == 0:
        return "No volume backend is up."
    if only:
        return f"Backend {only} is down or cannot hold {size_gb} GiB more."
    where = f" in availability zone {zone}" if zone else ""
    named = f" named {backend_name}" if backend_name else ""
    return f"No backend{named}{where} has {size_gb} GiB free."


def release(s: Session, backend_name: str, size_gb: int) -> None:
    """Give ``size_gb`` back to the backend (never below 0); a no-op for an unplaced
    volume (empty backend name)."""
    if not backend_name or size_gb <= 0:
        return
    s.execute(sa.update(Backend).where(Backend.name == backend_name).values(
        allocated_capacity_gb=sa.case(
            (Backend.allocated_capacity_gb >= size_gb,
             Backend.allocated_capacity_gb - size_gb), else_=0))
        .execution_options(synchronize_session=False))
