"""What a server asked of the network, as typed rows (one per NIC, in boot order): the
API writes the request (a network, a port the user passed, a fixed IP, a device tag);
the host agent fills in the port it created and the host it bound it to. A ``kill -9``
mid-boot leaves exactly what is needed to resume: a row without ``port_id`` still needs
its port, a row bound elsewhere needs a rebind."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp


class RequestedNetwork(Base):
    __tablename__ = "compute_instance_networks"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    network_id: Mapped[str | None] = mapped_column(sa.String(36))
    # the port: the one the user passed, or the one compute created (then ``user_port``
    # is false and deleting the server deletes it)
    port_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    user_port: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    fixed_ip: Mapped[str | None] = mapped_column(sa.String(64))
    tag: Mapped[str | None] = mapped_column(sa.String(60))
    # observed by the host agent: where the port is bound, since when (the bounded wait
    # for the network agent's "wired" counts from there)
    bound_host: Mapped[str | None] = mapped_column(sa.String(255))
    bound_at: Mapped[datetime | None] = mapped_column(Timestamp)
