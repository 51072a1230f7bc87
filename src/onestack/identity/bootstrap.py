"""Idempotent first-run setup: the default domain, the admin project and user, the
admin ⇒ member ⇒ reader roles, a region and the catalog. Re-running it changes nothing
but the admin password (when one is given) and the endpoint URLs."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, new_id, utcnow
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity.passwords import check_secret, hash_secret
from onestack.identity.service import assignments, keys, store



@dataclass
class BootstrapResult:
    domain_id: str
    project_id: str
    user_id: str


def _role(s: Session, name: str) -> m.Role:
    role = s.scalar(sa.select(m.Role).where(m.Role.name == name,
                                            m.Role.domain_id == m.GLOBAL_ROLE))
    if role is None:
        role = m.Role(id=new_id(), name=name, domain_id=m.GLOBAL_ROLE, extra={},
                      options={"immutable": True} if name in ("admin", "member", "reader")
                      else {})
        s.add(role)
        s.flush()
    return role


def bootstrap(db: Database, *, admin_password: str, public_url: str, region: str = "RegionOne",
              password_hash_rounds: int = 12, services: list[tuple[str, str, str]] | None = None,
              admin_password_hash: str | None = None) -> BootstrapResult:
    """``admin_password_hash``: the password's hash computed ahead (``onestack up`` hashes
    while the schema migrates); it must be a hash of ``admin_password``."""
    if services is None:
        from onestack.server import catalog_entries

        services = catalog_entries()
    public_url = public_url.rstrip("/")

    def work(s: Session) -> BootstrapResult:
        keys.ensure_keys(s)
        domain = s.get(m.Project, "default")
        if domain is None:
            domain = m.Project(id="default", name="Default", domain_id=m.ROOT_DOMAIN,
                               is_domain=True, enabled=True, description="The default domain",
                               extra={}, options={})
            s.add(domain)
            s.flush()
        project = s.scalar(sa.select(m.Project).where(m.Project.domain_id == "default",
                                                      m.Project.name == "admin"))
        if project is None:
            project = m.Project(id=new_id(), name="admin", domain_id="default",
                                parent_id="default", enabled=True, is_domain=False,
                                description="Bootstrap project for initializing the cloud.",
                                extra={}, options={})
            s.add(project)
        user = s.scalar(sa.select(m.User).where(m.User.domain_id == "default",
                                                m.User.name == "admin"))
        if user is None:
            user = m.User(id=new_id(), name="admin", domain_id="default", enabled=True,
                          extra={}, options={}, failed_auth_count=0, created_at=utcnow())
            s.add(user)
        if not check_secret(admin_password, user.password_hash):
            # hashed only now: a restart with the same password pays one bcrypt, not two
            user.password_hash = admin_password_hash or hash_secret(admin_password,
                                                                    password_hash_rounds)
            user.password_created_at = utcnow()
        s.flush()
        reader, member, admin = _role(s, "reader"), _role(s, "member"), _role(s, "admin")
        manager = _role(s, "manager")
        _role(s, "service")
        # admin ⇒ manager ⇒ member ⇒ reader, as Keystone bootstraps them
        for prior, implied in ((admin, manager), (manager, member), (member, reader)):
            if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
                s.add(m.ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
        assignments.grant(s, assignments.USER_PROJECT, user.id, project.id, admin.id, False)
        assignments.grant(s, assignments.USER_SYSTEM, user.id, "all", admin.id, False)
        if s.get(cm.Region, region) is None:
            s.add(cm.Region(id=region, description="", extra={}))
        for svc_type, name, path in services:
            svc = s.scalar(sa.select(cm.Service).where(cm.Service.type == svc_type))
            if svc is None:
                svc = cm.Service(id=new_id(), type=svc_type, enabled=True, extra={"name": name})
                s.add(svc)
                s.flush()
            for interface in ("public", "internal", "admin"):
                ep = s.scalar(sa.select(cm.Endpoint).where(cm.Endpoint.service_id == svc.id,
                                                           cm.Endpoint.interface == interface,
                                                           cm.Endpoint.region_id == region))
                if ep is None:
                    s.add(cm.Endpoint(id=new_id(), service_id=svc.id, interface=interface,
                                      url=public_url + path, region_id=region, enabled=True,
                                      extra={}))
                else:
                    ep.url = public_url + path
        store.bump_generation(s)
        return BootstrapResult(domain.id, project.id, user.id)

    return db.write(work)
