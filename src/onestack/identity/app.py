"""Registers the identity service (Keystone v3 API) and builds its container: the token
service doubles as the platform's authenticator, so it is built before anything is mounted."""
from __future__ import annotations

from typing import TYPE_CHECKING

from onestack.core.registry import CatalogEntry, ServiceSpec, collect_routes

if TYPE_CHECKING:
    from onestack.core.config import Settings
    from onestack.core.db import Database
    from onestack.core.http import Route
    from onestack.core.platform import Platform
    from onestack.core.policy import Policy
    from onestack.identity.api.common import Identity

PREFIX = "/identity"
CATALOG = [("identity", "keystone", PREFIX)]

# Route modules under onestack.identity.api, each with ``routes(identity) -> RouteTable``;
# misc before projects: /v3/domains/config/... must win over /v3/domains/{id}/config.
ROUTE_MODULES = ["auth", "misc", "projects", "users", "roles", "catalog", "credentials",
                 "trusts", "federation", "s3tokens", "oauth1"]


def build_identity(db: Database, settings: Settings, policy: Policy) -> Identity:
    """The container; its policy defaults (``SPEC.policies``) are registered by the caller."""
    from onestack.core.tokens import TokenCodec
    from onestack.identity.api.common import Identity
    from onestack.identity.service import keys
    from onestack.identity.service.authenticate import Authenticator
    from onestack.identity.service.tokens import TokenService

    codec = TokenCodec(lambda: keys.active_keys(db))
    tokens = TokenService(db, codec)
    return Identity(db, settings, policy, tokens, Authenticator(db, settings, tokens))


def routes(platform: Platform) -> list[Route]:
    return collect_routes(SPEC.route_modules, platform.identity)


SPEC = ServiceSpec(
    name="identity", prefix=PREFIX, routes=routes,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=tuple(f"onestack.identity.api.{name}" for name in ROUTE_MODULES),
    models=("onestack.identity.models", "onestack.identity.catalog_models"),
    policies=("onestack.identity.policies",), settings_section="identity",
    fault_style="keystone")
