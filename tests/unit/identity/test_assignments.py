"""Effective roles, computed by the service functions on a real SQLite database: direct and
group grants, inherited grants (domain → its projects, project → its subtree), implied roles
and domain-specific roles."""
from __future__ import annotations

from onestack.identity.service import assignments as asg
from onestack.identity.service.role_listing import list_assignments

BASE = "http://cloud/identity/v3"


def names(s, user_id, scope, scope_id):
    return [r.name for r in asg.effective_roles(s, user_id, scope, scope_id)]


def test_direct_project_grant(session, rows):
    d = rows.domain()
    p, other = rows.project(d), rows.project(d)
    u = rows.user(d)
    r = rows.role("viewer")
    asg.grant(session, asg.USER_PROJECT, u, p, r, False)
    assert names(session, u, "project", p) == ["viewer"]
    assert names(session, u, "project", other) == []
    assert names(session, u, "domain", d) == []


def test_implied_roles_expand_transitively_and_sort_by_name(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    boss, worker, watcher = rows.role("boss"), rows.role("worker"), rows.role("watcher")
    rows.implies(boss, worker)
    rows.implies(worker, watcher)
    asg.grant(session, asg.USER_PROJECT, u, p, boss, False)
    assert names(session, u, "project", p) == ["boss", "watcher", "worker"]
    assert asg.implied_closure(session, {worker}) == {worker, watcher}
    assert asg.implied_closure(session, {watcher}) == {watcher}


def test_implied_roles_with_a_diamond_count_once(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    top, left, right, bottom = (rows.role(n) for n in ("top", "left", "right", "bottom"))
    for prior, implied in ((top, left), (top, right), (left, bottom), (right, bottom)):
        rows.implies(prior, implied)
    asg.grant(session, asg.USER_PROJECT, u, p, top, False)
    assert names(session, u, "project", p) == ["bottom", "left", "right", "top"]


def test_group_grant_reaches_members_only(session, rows):
    d = rows.domain()
    p = rows.project(d)
    inside, outside = rows.user(d), rows.user(d)
    g = rows.group(d, inside)
    r = rows.role("deployer")
    asg.grant(session, asg.GROUP_PROJECT, g, p, r, False)
    assert names(session, inside, "project", p) == ["deployer"]
    assert names(session, outside, "project", p) == []
    assert asg.projects_with_roles(session, inside) == [p]
    assert asg.projects_with_roles(session, outside) == []


def test_user_and_group_grants_merge(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    g = rows.group(d, u)
    a, b = rows.role("alpha"), rows.role("beta")
    asg.grant(session, asg.USER_PROJECT, u, p, a, False)
    asg.grant(session, asg.GROUP_PROJECT, g, p, b, False)
    asg.grant(session, asg.GROUP_PROJECT, g, p, a, False)
    assert names(session, u, "project", p) == ["alpha", "beta"]


def test_inherited_domain_grant_applies_to_projects_not_the_domain(session, rows):
    d, elsewhere = rows.domain(), rows.domain()
    p1, p2 = rows.project(d), rows.project(d)
    child = rows.project(d, parent_id=p1)
    foreign = rows.project(elsewhere)
    u = rows.user(d)
    r = rows.role("operator")
    asg.grant(session, asg.USER_DOMAIN, u, d, r, True)
    for project in (p1, p2, child):
        assert names(session, u, "project", project) == ["operator"]
    assert names(session, u, "project", foreign) == []
    assert names(session, u, "domain", d) == []  # inherited grants skip the domain itself
    assert sorted(asg.projects_with_roles(session, u)) == sorted([p1, p2, child])
    assert asg.domains_with_roles(session, u) == []


def test_plain_domain_grant_applies_to_the_domain_not_its_projects(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    r = rows.role("domain-admin")
    asg.grant(session, asg.USER_DOMAIN, u, d, r, False)
    assert names(session, u, "domain", d) == ["domain-admin"]
    assert names(session, u, "project", p) == []
    assert asg.domains_with_roles(session, u) == [d]
    assert asg.projects_with_roles(session, u) == []


def test_inherited_project_grant_applies_to_the_subtree_only(session, rows):
    d = rows.domain()
    root = rows.project(d)
    child = rows.project(d, parent_id=root)
    grandchild = rows.project(d, parent_id=child)
    sibling = rows.project(d)
    u = rows.user(d)
    r = rows.role("auditor")
    asg.grant(session, asg.USER_PROJECT, u, root, r, True)
    assert names(session, u, "project", root) == []
    assert names(session, u, "project", child) == ["auditor"]
    assert names(session, u, "project", grandchild) == ["auditor"]
    assert names(session, u, "project", sibling) == []
    assert sorted(asg.projects_with_roles(session, u)) == sorted([child, grandchild])


def test_inherited_group_grant_with_implied_roles(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    g = rows.group(d, u)
    lead, dev = rows.role("lead"), rows.role("dev")
    rows.implies(lead, dev)
    asg.grant(session, asg.GROUP_DOMAIN, g, d, lead, True)
    assert names(session, u, "project", p) == ["dev", "lead"]


def test_domain_specific_roles_only_lend_what_they_imply(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    local = rows.role("local-admin", domain_id=d)
    global_reader = rows.role("global-reader")
    rows.implies(local, global_reader)
    asg.grant(session, asg.USER_PROJECT, u, p, local, False)
    refs = asg.effective_roles(session, u, "project", p)
    assert [(r.name, r.domain_id) for r in refs] == [("global-reader", None)]


def test_system_grants(session, rows):
    d = rows.domain()
    u, g_user = rows.user(d), rows.user(d)
    g = rows.group(d, g_user)
    r = rows.role("sysop")
    asg.grant(session, asg.USER_SYSTEM, u, asg.SYSTEM_TARGET, r, False)
    asg.grant(session, asg.GROUP_SYSTEM, g, asg.SYSTEM_TARGET, r, False)
    assert names(session, u, "system", "all") == ["sysop"]
    assert names(session, g_user, "system", "all") == ["sysop"]
    assert names(session, u, "unscoped", "") == []


def test_missing_project_has_no_roles(session, rows):
    u = rows.user(rows.domain())
    assert names(session, u, "project", "no-such-project") == []


def test_grant_is_idempotent_and_ungrant_reports_absence(session, rows):
    d = rows.domain()
    p = rows.project(d)
    u = rows.user(d)
    r = rows.role("x")
    asg.grant(session, asg.USER_PROJECT, u, p, r, False)
    asg.grant(session, asg.USER_PROJECT, u, p, r, False)
    session.flush()
    assert asg.has_grant(session, asg.USER_PROJECT, u, p, r, False)
    assert not asg.has_grant(session, asg.USER_PROJECT, u, p, r, True)
    assert asg.ungrant(session, asg.USER_PROJECT, u, p, r, False) is True
    session.flush()
    assert asg.ungrant(session, asg.USER_PROJECT, u, p, r, False) is False
    assert names(session, u, "project", p) == []


def test_kind_for_every_actor_and_target():
    assert {asg.kind_for(a, t) for a in ("user", "group")
            for t in ("project", "domain", "system")} == {
        "UserProject", "GroupProject", "UserDomain", "GroupDomain", "UserSystem", "GroupSystem"}


# --- GET /v3/role_assignments, as computed by the listing service ---------------------------

def test_listing_effective_expands_groups_inheritance_and_implied_roles(session, rows):
    d = rows.domain(name="dom-x")
    parent = rows.project(d, name="parent")
    child = rows.project(d, parent_id=parent, name="child")
    u = rows.user(d, name="alice")
    g = rows.group(d, u)
    lead, dev = rows.role("lead"), rows.role("dev")
    rows.implies(lead, dev)
    asg.grant(session, asg.GROUP_PROJECT, g, parent, lead, True)
    session.flush()

    plain = list_assignments(session, {"user.id": u}, BASE)
    assert plain == []  # the grant is the group's, not alice's

    items = list_assignments(session, {"effective": "", "user.id": u}, BASE)
    got = sorted((i["role"]["id"], i["scope"]["project"]["id"]) for i in items)
    assert got == sorted([(lead, child), (dev, child)])
    by_role = {i["role"]["id"]: i for i in items}
    assert by_role[lead]["links"]["membership"] == f"{BASE}/groups/{g}/users/{u}"
    assert by_role[dev]["links"]["prior_role"] == f"{BASE}/roles/{lead}"
    assert "OS-INHERIT:inherited_to" not in by_role[lead]["scope"]


def test_listing_include_names(session, rows):
    d = rows.domain(name="named-dom")
    p = rows.project(d, name="named-proj")
    u = rows.user(d, name="bob")
    r = rows.role("named-role")
    asg.grant(session, asg.USER_PROJECT, u, p, r, False)
    session.flush()
    (item,) = list_assignments(session, {"user.id": u, "include_names": "1"}, BASE)
    assert item["user"] == {"id": u, "name": "bob", "domain": {"id": d, "name": "named-dom"}}
    assert item["scope"]["project"] == {"id": p, "name": "named-proj",
                                        "domain": {"id": d, "name": "named-dom"}}
    assert item["role"] == {"id": r, "name": "named-role"}
    assert item["links"]["assignment"] == f"{BASE}/projects/{p}/users/{u}/roles/{r}"


def test_listing_inherited_grant_without_effective_is_marked(session, rows):
    d = rows.domain()
    u = rows.user(d)
    r = rows.role("inh")
    asg.grant(session, asg.USER_DOMAIN, u, d, r, True)
    session.flush()
    (item,) = list_assignments(session, {"user.id": u}, BASE)
    assert item["scope"]["OS-INHERIT:inherited_to"] == "projects"
    assert item["links"]["assignment"] == \
        f"{BASE}/OS-INHERIT/domains/{d}/users/{u}/roles/{r}/inherited_to_projects"
