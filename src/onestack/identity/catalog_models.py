"""Catalog, credential, delegation (trusts, OAuth1), federation and limit tables of the identity
service."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.identity.models import ID, NAME


class Region(Base):
    __tablename__ = "identity_regions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    parent_region_id: Mapped[str | None] = mapped_column(ID)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Service(Base):
    __tablename__ = "identity_services"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(255))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Endpoint(Base):
    __tablename__ = "identity_endpoints"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_services.id", ondelete="CASCADE"), index=True)
    interface: Mapped[str] = mapped_column(sa.String(8))
    url: Mapped[str] = mapped_column(sa.Text)
    region_id: Mapped[str | None] = mapped_column(ID)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class EndpointGroup(Base):
    __tablename__ = "identity_endpoint_groups"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    description: Mapped[str | None] = mapped_column(sa.Text)
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class ProjectEndpoint(Base):
    """Endpoint filtering: an endpoint or endpoint group associated with a project."""

    __tablename__ = "identity_project_endpoints"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")
    endpoint_group_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")


class Credential(Base):
    __tablename__ = "identity_credentials"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    type: Mapped[str] = mapped_column(sa.String(255))
    encrypted_blob: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class ApplicationCredential(Base):
    __tablename__ = "identity_app_credentials"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_appcred_user_name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    unrestricted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    system: Mapped[str | None] = mapped_column(sa.String(16))
    role_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    access_rule_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AccessRule(Base):
    __tablename__ = "identity_access_rules"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    service: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(255))
    method: Mapped[str] = mapped_column(sa.String(16))


class Trust(Base):
    __tablename__ = "identity_trusts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    trustor_user_id: Mapped[str] = mapped_column(ID, index=True)
    trustee_user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    impersonation: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    remaining_uses: Mapped[int | None] = mapped_column(sa.Integer)
    allow_redelegation: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    redelegation_count: Mapped[int | None] = mapped_column(sa.Integer)
    role_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class RevocationEvent(Base):
    """Tokens matching every non-null field and issued before ``issued_before`` are revoked."""

    __tablename__ = "identity_revocations"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    domain_id: Mapped[str | None] = mapped_column(ID)
    trust_id: Mapped[str | None] = mapped_column(ID)
    app_cred_id: Mapped[str | None] = mapped_column(ID)
    issued_before_us: Mapped[int] = mapped_column(sa.BigInteger)  # µs since the epoch
    revoked_at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class FernetKey(Base):
    """Token encryption keys, shared by all replicas through the database."""

    __tablename__ = "identity_fernet_keys"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    purpose: Mapped[str] = mapped_column(sa.String(16), default="token", index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Generation(Base):
    """A counter bumped by every identity write; replicas key their caches on it."""

    __tablename__ = "identity_generation"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RegisteredLimit(Base):
    __tablename__ = "identity_registered_limits"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(ID)
    region_id: Mapped[str | None] = mapped_column(ID)
    resource_name: Mapped[str] = mapped_column(sa.String(255))
    default_limit: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str | None] = mapped_column(sa.Text)


class Limit(Base):
    __tablename__ = "identity_limits"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    domain_id: Mapped[str | None] = mapped_column(ID)
    service_id: Mapped[str] = mapped_column(ID)
    region_id: Mapped[str | None] = mapped_column(ID)
    resource_name: Mapped[str] = mapped_column(sa.String(255))
    resource_limit: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str | None] = mapped_column(sa.Text)


class PolicyBlob(Base):
    """The ``/v3/policies`` resource: opaque policy documents stored for other services."""

    __tablename__ = "identity_policy_blobs"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(255))
    blob: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Consumer(Base):
    """OAuth1 consumers (OS-OAUTH1)."""

    __tablename__ = "identity_oauth_consumers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    secret: Mapped[str] = mapped_column(sa.String(64))
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class DomainConfig(Base):
    __tablename__ = "identity_domain_config"
    domain_id: Mapped[str] = mapped_column(ID, primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    option: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[object] = mapped_column(sa.JSON)
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False)


# --- federation (OS-FEDERATION) ---------------------------------------------------------
class IdentityProvider(Base):
    """An external identity provider; its users land in ``domain_id``."""

    __tablename__ = "identity_idps"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    authorization_ttl: Mapped[int | None] = mapped_column(sa.Integer)


class IdpRemoteId(Base):
    """A remote entity id of a provider; unique across providers."""

    __tablename__ = "identity_idp_remote_ids"
    remote_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_idps.id", ondelete="CASCADE"), index=True)


class FederationProtocol(Base):
    __tablename__ = "identity_federation_protocols"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_idps.id", ondelete="CASCADE"), primary_key=True)
    mapping_id: Mapped[str] = mapped_column(ID)
    remote_id_attribute: Mapped[str | None] = mapped_column(sa.String(64))


class Mapping(Base):
    """Rules that turn a provider's assertion into a local user and groups."""

    __tablename__ = "identity_mappings"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    rules: Mapped[list] = mapped_column(sa.JSON, default=list)
    schema_version: Mapped[str] = mapped_column(sa.String(5), default="1.0")


class ServiceProvider(Base):
    """A remote cloud this one can hand federated tokens to (Keystone to Keystone)."""

    __tablename__ = "identity_service_providers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    auth_url: Mapped[str] = mapped_column(sa.String(256))
    sp_url: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    relay_state_prefix: Mapped[str] = mapped_column(sa.String(256), default="ss:mem:")


# --- OAuth1 delegation (OS-OAUTH1) --------------------------------------------------------
class OAuthRequestToken(Base):
    """A consumer's request for delegation to a project, until a user authorizes it (roles and
    verifier set) and it is traded for an access token (then deleted)."""

    __tablename__ = "identity_oauth_request_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    secret: Mapped[str] = mapped_column(sa.String(64))
    consumer_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_oauth_consumers.id", ondelete="CASCADE"), index=True)
    requested_project_id: Mapped[str] = mapped_column(ID)
    role_ids: Mapped[list | None] = mapped_column(sa.JSON)
    authorizing_user_id: Mapped[str | None] = mapped_column(ID)
    verifier: Mapped[str | None] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)


class OAuthAccessToken(Base):
    """A consumer's standing delegation from a user: these roles on this project."""

    __tablename__ = "identity_oauth_access_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    secret: Mapped[str] = mapped_column(sa.String(64))
    consumer_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_oauth_consumers.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ID)
    authorizing_user_id: Mapped[str] = mapped_column(ID, index=True)
    role_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
