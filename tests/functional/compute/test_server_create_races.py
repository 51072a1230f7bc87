"""Concurrent boots are race-free on every backend: the quota check and the server-group
membership are read-modify-writes made under row locks inside the create transaction, so
N simultaneous boots against a quota of K never make more than K servers, and simultaneous
boots into one group keep every member. Likewise concurrent actions or metadata writes on
one server run one after the other (the instance row is locked)."""
from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.compute import models as cm
from tests.functional.compute.servers_support import (  # noqa: F401 (fixtures)
    Nova, arrange, make_image, nova, owner)
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


def all_at_once(calls: list[Any]) -> list[Any]:
    """Run every zero-argument call from its own thread, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(fn: Any) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_concurrent_actions_on_one_server_start_one_task(nova: Nova, owner: Member, api,
                                                         sql) -> None:
    """Two actions racing on an idle server: one starts its task, the other is told the
    server is busy (409) — never both accepted with one task silently lost."""
    image_id = make_image(api, owner.token)
    sid = nova("POST", "/servers", owner.token, json=body(image_id)).json()["server"]["id"]
    bodies = [{"os-stop": None}, {"reboot": {"type": "SOFT"}}, {"pause": None},
              {"suspend": None}] * 2
    for _ in range(3):
        arrange(sql, sid, "active", host=None)
        statuses = all_at_once([lambda b=b: nova.action(sid, owner.token, b).status_code
                                for b in bodies])
        assert sorted(statuses) == [202] + [409] * (len(bodies) - 1), statuses


def test_concurrent_metadata_merges_keep_every_key(nova: Nova, owner: Member, api,
                                                   sql) -> None:
    image_id = make_image(api, owner.token)
    sid = nova("POST", "/servers", owner.token, json=body(image_id)).json()["server"]["id"]
    keys = [f"k{i}" for i in range(THREADS)]
    statuses = all_at_once([
        lambda k=k: nova("POST", f"/servers/{sid}/metadata", owner.token,
                         json={"metadata": {k: "v"}}).status_code for k in keys])
    assert statuses == [200] * THREADS
    assert sorted(sql.read(lambda s: s.get(cm.Instance, sid).metadata_)) == sorted(keys)
