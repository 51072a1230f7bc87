"""What port creates and lists cost the database. A create is a short transaction. On SQLite, whose write
transaction holds the whole database, no savepoint guards the address and MAC choices
(nothing can race them) and no project quota lock is taken; the new port's addresses are
rendered from what the allocator took, not read back. MariaDB and PostgreSQL keep their
savepoints: there writers overlap and the unique keys decide. A long list reads each
table of the ports' parts (addresses, groups, pairs, options, trunks, tags) with the
list's own query as a subquery, not with one bound parameter per listed port."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.functional.network.conftest import NetApi
from tests.functional.network.test_ports import port, subnet


class Statements:
    """The SQL this thread's requests send (the ASGI app runs handlers in other threads:
    every statement counts while recording)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.params: list[int] = []
        self.on = False
        self.lock = threading.Lock()

    def __call__(self, conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if self.on:
            with self.lock:
                self.texts.append(" ".join(statement.split()))
                self.params.append(len(params or ()))


@pytest.fixture
def statements() -> Iterator[Statements]:
    rec = Statements()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", rec)
    try:
        yield rec
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", rec)


def test_a_port_create_is_one_short_transaction(net: NetApi, statements: Statements,
                                                db_url: str) -> None:
    network = net.network()
    subnet(net, network, "10.61.0.0/24")
    port(net, network)  # the project's default security group is made on first use
    statements.on = True
    made = port(net, network, name="counted")
    statements.on = False
    texts = [t.upper() for t in statements.texts]
    readback = [t for t in texts if t.startswith("SELECT") and "NETWORK_IP_ALLOCATIONS" in t
                and "PORT_ID IN" in t]
    assert made["fixed_ips"] and not readback, readback
    savepoints = [t for t in texts if t.startswith("SAVEPOINT")]
    if db_url.startswith("sqlite"):
        assert savepoints == [] and not any("NETWORK_QUOTA_LOCKS" in t for t in texts)
        assert len(texts) <= 12, texts
    else:
        assert len(savepoints) == 2  # the MAC and the address, each guarded


def test_a_long_list_binds_no_parameter_per_port(net: NetApi, statements: Statements) -> None:
    network = net.network()
    subnet(net, network, "10.62.0.0/24")
    made = net.post("/ports", json={"ports": [{"network_id": network["id"]}
                                              for _ in range(60)]})
    assert made.status_code == 201, made.text
    statements.on = True
    listed = net.get("/ports", params={"network_id": network["id"]}).json()["ports"]
    statements.on = False
    assert len(listed) == 60 and all(p["fixed_ips"] and p["security_groups"] for p in listed)
    assert statements.params and max(statements.params) < 10, list(
        zip(statements.params, statements.texts))
