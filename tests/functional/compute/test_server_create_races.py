"""Concurrent boots are race-free on every backend: the quota check and the server-group
membership are read-modify-writes made under row locks inside the create transaction, so
N simultaneous boots against a quota of K never make more than K servers, and simultaneous
boots into one group keep every member."""
from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.compute import models as cm
from tests.functional.compute.servers_support import (  # noqa: F401 (fixtures)
    Nova, make_image, nova, owner)
from tests.support.identity import Cloud, Member, unique

THREADS = 8


def boot_all_at_once(nova: Nova, token: str, bodies: list[dict[str, Any]]) -> list[int]:
    """POST every body from its own thread, released together; the status codes."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def boot(body: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=30)
            statuses.append(nova("POST", "/servers", token, json=body).status_code)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
    threads = [threading.Thread(target=boot, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return statuses


def live_servers(sql, project_id: str) -> list[str]:
    return sql.read(lambda s: list(s.scalars(sa.select(cm.Instance.id).where(
        cm.Instance.project_id == project_id, cm.Instance.deleted.is_(False)))))


def body(image_id: str) -> dict[str, Any]:
    return {"server": {"name": unique("race"), "imageRef": image_id, "flavorRef": "42"}}


def test_concurrent_boots_never_pass_the_quota(nova: Nova, owner: Member, cloud: Cloud, api,
                                               sql) -> None:
    quota = 3
    project_id = owner.project["id"]
    r = nova("PUT", f"/os-quota-sets/{project_id}", cloud.admin_token,
             json={"quota_set": {"instances": quota}})
    assert r.status_code == 200, r.text
    image_id = make_image(api, owner.token)
    statuses = boot_all_at_once(nova, owner.token, [body(image_id) for _ in range(THREADS)])
    assert sorted(statuses) == [202] * quota + [403] * (THREADS - quota), statuses
    assert len(live_servers(sql, project_id)) == quota


def test_concurrent_boots_into_one_group_keep_every_member(nova: Nova, owner: Member, api,
                                                          sql) -> None:
    r = nova("POST", "/os-server-groups", owner.token,
             json={"server_group": {"name": unique("g"), "policies": ["anti-affinity"]}})
    assert r.status_code == 200, r.text
    group_id = r.json()["server_group"]["id"]
    image_id = make_image(api, owner.token)
    bodies = [{**body(image_id), "os:scheduler_hints": {"group": group_id}}
              for _ in range(THREADS)]
    statuses = boot_all_at_once(nova, owner.token, bodies)
    assert statuses == [202] * THREADS
    members = sql.read(lambda s: s.get(cm.ServerGroup, group_id).members)
    assert sorted(members) == sorted(live_servers(sql, owner.project["id"]))
    assert len(members) == THREADS
