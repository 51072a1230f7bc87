"""QoS specs (``/qos-specs``): named key/value sets with a consumer (front-end, back-end
or both) that volume types are associated with — recorded and shown, as Cinder keeps them
for drivers and Nova to apply. Every call is the admin's (Cinder's defaults).

A type has at most one QoS specs (``volume_types.qos_specs_id``); deleting specs that
types still use needs ``force``, which disassociates them first.
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.volume.models.types import QosSpecs, VolumeType
from onestack.volume.service.listing import ListParams, page, sort_columns
from onestack.volume.service.types import Authorizer, type_not_found

CONSUMERS = ("back-end", "front-end", "both")
SORT_KEYS = {"id": QosSpecs.id, "name": QosSpecs.name, "consumer": QosSpecs.consumer,
             "created_at": QosSpecs.created_at, "updated_at": QosSpecs.updated_at}


def render(row: QosSpecs) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "consumer": row.consumer,
            "specs": dict(row.specs or {})}


def _not_found(specs_id: str) -> NotFound:
    return NotFound(f"No such QoS spec {specs_id}.")


def _check_strings(specs: dict[str, Any]) -> None:
    """Cinder's ``validate_dictionary_string_length``: keys and values are strings of at
    most 255 characters (values may be null)."""
    for key, value in specs.items():
        for what, text in ((f'Key "{key}"', key), (f'Value for key "{key}"', value)):
            if text is None and what.startswith("Value"):
                continue
            if not isinstance(text, str):
                raise BadRequest(f"Invalid input received: {what} is not a string or "
                                 "unicode")
            if len(text) > 255 or (what.startswith("Key") and not text):
                raise BadRequest(f"Invalid input received: {what} has a length outside "
                                 "1-255 characters.")


def _consumer(value: Any) -> str:
    if value not in CONSUMERS:
        raise BadRequest("Invalid qos specs: Valid consumer of QoS specs are: "
                         f"{list(CONSUMERS)}")
    return value


class QosSpecsService(Authorizer):
    def _get(self, s: Session, specs_id: str, lock: bool = False) -> QosSpecs:
        query = sa.select(QosSpecs).where(QosSpecs.id == str(specs_id)[:64])
        row = s.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise _not_found(specs_id)
        return row

    def list(self, ctx: RequestContext, p: ListParams) -> list[dict[str, Any]]:
        """``GET /qos-specs``: filters ``id``, ``name``, ``consumer``; sorted and paged."""
        self.authorize(ctx, "volume_extension:qos_specs_manage:get_all")
        order = sort_columns(p.sort, SORT_KEYS, QosSpecs)
        filters = {k: v for k, v in p.filters.items() if k in ("id", "name", "consumer")}

        def work(s: Session) -> list[dict[str, Any]]:
            stmt = sa.select(QosSpecs)
            for key, value in filters.items():
                stmt = stmt.where(SORT_KEYS[key] == value)
            rows = page(s, stmt, QosSpecs, order, p,
                        not_found="No such QoS spec {marker}.")
            return [render(r) for r in rows]

        return self.db.read(work)

    def show(self, ctx: RequestContext, specs_id: str) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:qos_specs_manage:get")
        return self.db.read(lambda s: render(self._get(s, specs_id)))

    def create(self, ctx: RequestContext, name: str, specs: dict[str, Any]
               ) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:qos_specs_manage:create")
        name = name.strip()
        specs = dict(specs)
        _check_strings(specs)
        consumer = _consumer(specs.pop("consumer", None) or "back-end")
        specs_id, now = str(uuid.uuid4()), utcnow()

        def work(s: Session) -> dict[str, Any]:
            if s.scalar(sa.select(QosSpecs.id).where(QosSpecs.name == name)) is not None:
                raise Conflict(f"QoS Specs {name} already exists.")
            row = QosSpecs(id=specs_id, name=name, consumer=consumer, specs=specs,
                           created_at=now)
            s.add(row)
            s.flush()
            return render(row)

        try:
            return self.db.write(work)
        except sa.exc.IntegrityError:
            raise Conflict(f"QoS Specs {name} already exists.") from None

    def update(self, ctx: RequestContext, specs_id: str, specs: dict[str, Any]) -> None:
        """Sets keys (``consumer`` changes the consumer)."""
        self.authorize(ctx, "volume_extension:qos_specs_manage:update")
        _check_strings(specs)
        specs = dict(specs)
        consumer = _consumer(specs.pop("consumer")) if "consumer" in specs else None

        def work(s: Session) -> None:
            row = self._get(s, specs_id, lock=True)
            if consumer is not None:
                row.consumer = consumer
            row.specs = {**(row.specs or {}), **specs}
            row.updated_at = utcnow()

        self.db.write(work)

    def delete(self, ctx: RequestContext, specs_id: str, force: bool) -> None:
        self.authorize(ctx, "volume_extension:qos_specs_manage:delete")

        def work(s: Session) -> None:
            row = self._get(s, specs_id, lock=True)
            if self._associated(s, row.id):
                if not force:
                    raise BadRequest("Qos specs still in use.")
                self._disassociate(s, row.id)
            s.delete(row)

        self.db.write(work)

    def delete_keys(self, ctx: RequestContext, specs_id: str, keys: list[str]) -> None:
        """Deletes the keys in order up to the first missing one, which is a 404 (the ones
        before it stay deleted, as in Cinder)."""
        self.authorize(ctx, "volume_extension:qos_specs_manage:delete")

        def work(s: Session) -> str | None:
            row = self._get(s, specs_id, lock=True)
            specs, missing = dict(row.specs or {}), None
            for key in keys:
                if key not in specs:
                    missing = key
                    break
                del specs[key]
            row.specs, row.updated_at = specs, utcnow()
            return missing

        missing = self.db.write(work)
        if missing is not None:
            raise NotFound(f"QoS spec {specs_id} has no spec with key {missing}.")

    # --- associations -------------------------------------------------------------------
    def associations(self, ctx: RequestContext, specs_id: str) -> list[dict[str, str]]:
        self.authorize(ctx, "volume_extension:qos_specs_manage:get_all")

        def work(s: Session) -> list[dict[str, str]]:
            row = self._get(s, specs_id)
            types = s.scalars(sa.select(VolumeType).where(VolumeType.qos_specs_id == row.id)
                              .order_by(VolumeType.name))
            return [{"association_type": "volume_type", "name": t.name, "id": t.id}
                    for t in types]

        return self.db.read(work)

    def associate(self, ctx: RequestContext, specs_id: str, type_id: str | None) -> None:
        self.authorize(ctx, "volume_extension:qos_specs_manage:update")
        if not type_id:
            raise BadRequest("Volume Type id must not be None.")

        def work(s: Session) -> None:
            row = self._get(s, specs_id)
            vtype = self._type(s, type_id)
            if vtype.qos_specs_id and vtype.qos_specs_id != row.id:
                raise BadRequest(f"Invalid volume type: Type {type_id} is already associated "
                                 f"with another qos specs: {vtype.qos_specs_id}")
            vtype.qos_specs_id, vtype.updated_at = row.id, utcnow()

        self.db.write(work)

    def disassociate(self, ctx: RequestContext, specs_id: str, type_id: str | None) -> None:
        self.authorize(ctx, "volume_extension:qos_specs_manage:update")
        if not type_id:
            raise BadRequest("Volume Type id must not be None.")

        def work(s: Session) -> None:
            row = self._get(s, specs_id)
            vtype = self._type(s, type_id)
            if vtype.qos_specs_id == row.id:
                vtype.qos_specs_id, vtype.updated_at = None, utcnow()

        self.db.write(work)

    def disassociate_all(self, ctx: RequestContext, specs_id: str) -> None:
        self.authorize(ctx, "volume_extension:qos_specs_manage:update")

        def work(s: Session) -> None:
            self._disassociate(s, self._get(s, specs_id).id)

        self.db.write(work)

    @staticmethod
    def _type(s: Session, type_id: str) -> VolumeType:
        row = s.scalar(sa.select(VolumeType).where(VolumeType.id == str(type_id)[:64])
                       .with_for_update())
        if row is None:
            raise type_not_found(type_id)
        return row

    @staticmethod
    def _associated(s: Session, specs_id: str) -> bool:
        return s.scalar(sa.select(VolumeType.id).where(VolumeType.qos_specs_id == specs_id)
                        .limit(1)) is not None

    @staticmethod
    def _disassociate(s: Session, specs_id: str) -> None:
        s.execute(sa.update(VolumeType).where(VolumeType.qos_specs_id == specs_id)
                  .values(qos_specs_id=None, updated_at=utcnow()))


def qos_specs_of(s: Session, type_id: str | None) -> dict[str, Any] | None:
    """A type's QoS specs (``None`` without)."""
    if not type_id:
        return None
    row = s.scalar(sa.select(QosSpecs).join(VolumeType, VolumeType.qos_specs_id == QosSpecs.id)
                   .where(VolumeType.id == type_id))
    return render(row) if row is not None else None


TUNABLES = ("read_iops_sec", "read_bytes_sec", "write_iops_sec", "write_bytes_sec",
            "total_iops_sec", "total_bytes_sec")


def front_end_qos(s: Session, type_id: str | None, size_gb: int) -> dict[str, Any] | None:
    """What the attach contract's ``connection_info.data.qos_specs`` carries: the type's
    specs when their consumer is ``front-end`` or ``both`` (the hypervisor enforces them),
    else ``None``. ``<tunable>_per_gb`` becomes ``<tunable>`` scaled by the volume's size,
    at least ``<tunable>_per_gb_min`` and at most ``<tunable>_max``."""
    found = qos_specs_of(s, type_id)
    if found is None or found["consumer"] not in ("front-end", "both"):
        return None
    specs = dict(found["specs"])
    for option in TUNABLES:
        per_gb = specs.pop(f"{option}_per_gb", None)
        if per_gb is None:
            continue
        try:
            minimum = int(specs.pop(f"{option}_per_gb_min", 0) or 0)
            value = max(minimum, int(per_gb) * size_gb)
            specs[option] = min(value, int(specs.pop(f"{option}_max", value) or value))
        except (TypeError, ValueError):
            continue  # a non-numeric spec is passed on as it is
    return specs
