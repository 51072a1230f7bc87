"""Wires the identity service: container, policy defaults, routes."""
from __future__ import annotations

from onestack.core.app import Mount
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.policy import Policy
from onestack.core.tokens import TokenCodec
from onestack.identity import policies
from onestack.identity.api import auth, catalog, credentials, misc, projects, roles, trusts, users
from onestack.identity.api.common import Identity
from onestack.identity.service import keys
from onestack.identity.service.authenticate import Authenticator
from onestack.identity.service.tokens import TokenService

PREFIX = "/identity"
CATALOG = [("identity", "keystone", PREFIX)]


def build_identity(db: Database, settings: Settings, policy: Policy) -> Identity:
    policy.register(policies.RULES)
    codec = TokenCodec(lambda: keys.active_keys(db))
    tokens = TokenService(db, codec)
    return Identity(db, settings, policy, tokens, Authenticator(db, settings, tokens))


def mount(ident: Identity) -> Mount:
    routes = []
    # misc before projects: /v3/domains/config/... must win over /v3/domains/{id}/config
    for module in (auth, misc, projects, users, roles, catalog, credentials, trusts):
        routes.extend(module.routes(ident).routes)
    return Mount(PREFIX, routes, "keystone")
