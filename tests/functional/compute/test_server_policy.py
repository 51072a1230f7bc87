"""Per-action policy on servers (F3, F10, F4): a project reader reads but changes nothing,
a member acts as before, the owner cannot undo an admin's lock, and a token without a
project (domain or system scope) touches no project's servers."""
from __future__ import annotations

from typing import Any

import pytest

from onestack.compute import models as cm
from tests.functional.compute.servers_support import (Nova, arrange, boot, ensure_flavors,
                                                      make_image)
from tests.support.identity import Cloud, Member, password_auth, unique

# action body, vm_state to arrange first, the member's expected status
MEMBER_ACTIONS: list[tuple[dict[str, Any], str, int]] = [
    ({"os-stop": None}, "active", 202),
    ({"os-start": None}, "stopped", 202),
    ({"reboot": {"type": "SOFT"}}, "active", 202),
    ({"pause": None}, "active", 202),
    ({"unpause": None}, "paused", 202),
    ({"suspend": None}, "active", 202),
    ({"resume": None}, "suspended", 202),
    ({"lock": None}, "active", 202),
    ({"unlock": None}, "active", 202),
    ({"rescue": None}, "active", 200),
    ({"unrescue": None}, "rescued", 202),
    ({"resize": {"flavorRef": "84"}}, "active", 202),
    ({"confirmResize": None}, "resized", 204),
    ({"revertResize": None}, "resized", 202),
    ({"createImage": {"name": "snap"}}, "active", 202),
    ({"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}}, "active", 202),
    ({"shelve": None}, "active", 202),
    ({"unshelve": None}, "shelved", 202),
    ({"addSecurityGroup": {"name": "web"}}, "active", 202),
    ({"removeSecurityGroup": {"name": "default"}}, "active", 202),
    ({"os-getConsoleOutput": {"length": 5}}, "active", 200),
    ({"restore": None}, "soft-delete", 202),
    ({"forceDelete": None}, "active", 202),
]


@pytest.fixture(scope="module")
def nova(api) -> Nova:
    return Nova(api)


@pytest.fixture
def team(cloud: Cloud, api, db_url: str) -> tuple[Member, Member, str]:
    """A member and a reader of one project, and an image of that project."""
    ensure_flavors(db_url)
    member = cloud.make_project_member()
    reader = cloud.make_project_member(role="reader", project=member.project)
    return member, reader, make_image(api, member.token)


def rebuild_body(image_id: str) -> dict[str, Any]:
    return {"rebuild": {"imageRef": image_id}}


def test_reader_changes_nothing(nova: Nova, team, sql) -> None:
    member, reader, image_id = team
    sid = boot(nova, member.token, image_id)
    bodies = [body for body, _, _ in MEMBER_ACTIONS] + [rebuild_body(image_id)]
    for body in bodies:
        arrange(sql, sid, "active")
        r = nova.action(sid, reader.token, body)
        assert r.status_code == 403, f"{body}: {r.status_code} {r.text}"
        assert r.json()["forbidden"]["code"] == 403
    for method, path, body in (
            ("POST", f"/servers/{sid}/metadata", {"metadata": {"a": "b"}}),
            ("PUT", f"/servers/{sid}/metadata", {"metadata": {"a": "b"}}),
            ("PUT", f"/servers/{sid}/metadata/a", {"meta": {"a": "b"}}),
            ("DELETE", f"/servers/{sid}/metadata/a", None),
            ("DELETE", f"/servers/{sid}/os-server-password", None),
            ("PUT", f"/servers/{sid}", {"server": {"name": "renamed"}}),
            ("DELETE", f"/servers/{sid}", None)):
        r = nova(method, path, reader.token, json=body)
        assert r.status_code == 403, f"{method} {path}: {r.status_code} {r.text}"
    # nothing changed
    shown = sql.read(lambda s: s.get(cm.Instance, sid))
    assert (shown.task_state, shown.locked, shown.deleted, dict(shown.metadata_)) == \
        (None, False, False, {})


def test_reader_reads(nova: Nova, team, sql) -> None:
    member, reader, image_id = team
    sid = boot(nova, member.token, image_id, metadata={"k": "v"})
    arrange(sql, sid, "active")
    for path, key in ((f"/servers/{sid}", "server"), (f"/servers/{sid}/metadata", "metadata"),
                      (f"/servers/{sid}/metadata/k", "meta"), (f"/servers/{sid}/ips",
                                                               "addresses"),
                      (f"/servers/{sid}/os-instance-actions", "instanceActions"),
                      (f"/servers/{sid}/os-server-password", "password"),
                      (f"/servers/{sid}/os-interface", "interfaceAttachments"),
                      ("/servers", "servers"), ("/servers/detail", "servers")):
        r = nova("GET", path, reader.token)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
        assert key in r.json()


def test_member_acts_as_before(nova: Nova, team, sql) -> None:
    member, _, image_id = team
    sid = boot(nova, member.token, image_id)
    for body, vm_state, status in MEMBER_ACTIONS:
        arrange(sql, sid, vm_state, locked=False, locked_by=None,
                system_metadata={"security_groups": ["default"]})
        r = nova.action(sid, member.token, body)
        assert r.status_code == status, f"{body}: {r.status_code} {r.text}"
    arrange(sql, sid, "active", deleted=False)
    r = nova.action(sid, member.token, rebuild_body(image_id))
    assert r.status_code == 202, r.text
    r = nova("POST", f"/servers/{sid}/metadata", member.token, json={"metadata": {"a": "b"}})
    assert r.status_code == 200 and r.json()["metadata"] == {"a": "b"}


def test_interfaces_list_is_empty(nova: Nova, team, cloud: Cloud) -> None:
    member, _, image_id = team
    sid = boot(nova, member.token, image_id)
    r = nova("GET", f"/servers/{sid}/os-interface", member.token)
    assert r.status_code == 200 and r.json() == {"interfaceAttachments": []}
    other = cloud.make_project_member()
    assert nova("GET", f"/servers/{sid}/os-interface", other.token).status_code == 404


def test_owner_cannot_undo_an_admin_lock(nova: Nova, team, sql, cloud: Cloud) -> None:
    member, _, image_id = team
    sid = boot(nova, member.token, image_id)
    arrange(sql, sid, "active")
    assert nova.action(sid, cloud.admin_token, {"lock": None}).status_code == 202
    r = nova.action(sid, member.token, {"unlock": None})
    assert r.status_code == 403, r.text
    assert sql.read(lambda s: s.get(cm.Instance, sid).locked) is True
    assert nova.action(sid, cloud.admin_token, {"unlock": None}).status_code == 202
    # the owner's own lock is the owner's to undo
    assert nova.action(sid, member.token, {"lock": None}).status_code == 202
    assert nova.action(sid, member.token, {"unlock": None}).status_code == 202
    assert sql.read(lambda s: s.get(cm.Instance, sid).locked) is False


def scoped_token(cloud: Cloud, role: str, scope: dict[str, Any]) -> str:
    user = cloud.make_user(password="scoped-pw-1")
    if "domain" in scope:
        cloud.grant(role, user=user["id"], domain=scope["domain"]["id"])
    else:
        cloud.grant(role, user=user["id"], system=True)
    token, _ = cloud.issue(password_auth(user_id=user["id"], password="scoped-pw-1",
                                         scope=scope))
    return token


@pytest.mark.parametrize("role,scope", [
    ("member", {"domain": {"id": "default"}}),
    ("admin", {"domain": {"id": "default"}}),
    ("admin", {"system": {"all": True}}),
])
def test_projectless_tokens_are_refused(nova: Nova, team, sql, cloud: Cloud, role: str,
                                        scope: dict[str, Any]) -> None:
    member, _, image_id = team
    token = scoped_token(cloud, role, scope)
    r = nova("POST", "/servers", token, json={"server": {
        "name": unique("vm"), "imageRef": image_id, "flavorRef": "42"}})
    assert r.status_code == 403, r.text
    assert nova("GET", "/servers", token).status_code == 403
    assert nova("GET", "/servers/detail", token).status_code == 403
    sid = boot(nova, member.token, image_id)
    arrange(sql, sid, "active")
    assert nova.action(sid, token, {"os-stop": None}).status_code == 403
    assert nova("DELETE", f"/servers/{sid}", token).status_code == 403
    orphans = sql.read(lambda s: s.query(cm.Instance).filter(
        cm.Instance.project_id == "").count())
    assert orphans == 0


def test_an_operator_policy_file_overrides_an_action_rule(nova: Nova, team, sql, make_api,
                                                          tmp_path) -> None:
    """Each rule goes through the policy engine by its Nova name: a policy file that lets
    readers stop servers does exactly that, and nothing more."""
    member, reader, image_id = team
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"os_compute_api:servers:stop": "role:reader and '
                           'project_id:%(target.project_id)s"\n')
    custom = Nova(make_api(policy_file=str(policy_file)))
    sid = boot(nova, member.token, image_id)
    arrange(sql, sid, "active")
    assert custom.action(sid, reader.token, {"os-stop": None}).status_code == 202
    arrange(sql, sid, "stopped")
    assert custom.action(sid, reader.token, {"os-start": None}).status_code == 403


@pytest.mark.parametrize("body,vm_state,version", [
    ({"migrate": None}, "active", "2.1"),
    ({"os-migrateLive": {"host": None, "block_migration": "auto"}}, "active", "2.25"),
    ({"evacuate": {}}, "active", "2.29"),
    ({"os-resetState": {"state": "error"}}, "active", "2.1"),
    ({"shelveOffload": None}, "shelved", "2.1"),
    ({"injectNetworkInfo": None}, "active", "2.1"),
    ({"unshelve": {"host": "somewhere"}}, "shelved_offloaded", "2.91"),
])
def test_admin_actions_are_the_admins(nova: Nova, team, sql, cloud: Cloud,
                                      body: dict[str, Any], vm_state: str,
                                      version: str) -> None:
    member, _, image_id = team
    sid = boot(nova, member.token, image_id)
    arrange(sql, sid, vm_state)
    r = nova.action(sid, member.token, body, version=version)
    assert r.status_code == 403, r.text
    assert sql.read(lambda s: (s.get(cm.Instance, sid).vm_state,
                               s.get(cm.Instance, sid).task_state)) == (vm_state, None)


def test_all_tenants_is_the_admins(nova: Nova, team, cloud: Cloud) -> None:
    member, _, image_id = team
    sid = boot(nova, member.token, image_id)
    other = cloud.make_project_member()
    listed = nova("GET", "/servers", cloud.admin_token, params={"all_tenants": "1"})
    assert sid in {s["id"] for s in listed.json()["servers"]}
    listed = nova("GET", "/servers/detail", other.token, params={"all_tenants": "1"})
    assert listed.status_code == 200 and listed.json()["servers"] == []
