"""Typed settings, read from (in rising precedence) defaults, a config file, environment
variables ``ONESTACK_<NAME>`` and command-line options.

One immutable ``Settings`` object is built at start-up and passed down; nothing reads the
environment later.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class SecurityCompliance:
    """Keystone-style account rules; zero means off."""

    lockout_failure_attempts: int = 0
    lockout_duration: int = 1800
    unique_last_password_count: int = 0
    minimum_password_age: int = 0
    password_expires_days: int = 0
    change_password_upon_first_use: bool = False


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///.onestack/onestack.db"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    region: str = "RegionOne"
    token_expiration: int = 3600
    allow_expired_window: int = 172800
    password_hash_rounds: int = 12
    fernet_max_active_keys: int = 3
    policy_file: str = ""
    log_level: str = "info"
    workers: int = 1
    fake_hosts: int = 3  # fake compute hosts `onestack up` runs (the last in zone az2)
    fake_op_seconds: float = 0.0  # time each fake hypervisor operation takes
    body_idle_timeout: float = 30.0  # seconds a request body may pause before a 408
    upload_workers: int = 32  # streamed uploads handled at once, beside the handler pool
    trust_max_redelegation_count: int = 3  # Keystone's [trust] max_redelegation_count
    image_web_download_hosts: str = ""  # hosts (or host:port) web-download may fetch from
    # Networking segments (ML2's type drivers): the type project networks get, the VNI
    # ranges of vxlan/geneve ("1:1000,2000:2999"), the physnets flat networks may use
    # ("*": any) and each VLAN physnet with its project ranges ("physnet1:1000:2999").
    network_tenant_network_type: str = "vxlan"
    network_vni_ranges: str = "1:1000"
    network_geneve_vni_ranges: str = "1:1000"
    network_flat_networks: str = "public"
    network_vlan_ranges: str = "physnet1:1000:2999"
    network_topology: bool = True  # `onestack up` makes DevStack's public/private/router1
    # Block Storage's volume agent: its driver ("file", or "memory" for tests), where the
    # file backend keeps volumes ("": the data dir of `up` / the agent's --state-dir), the
    # capacity it reports (0: the filesystem's size) and how far thin allocations may
    # exceed it (Cinder's max_over_subscription_ratio).
    volume_backend: str = "file"
    volume_data_dir: str = ""
    volume_capacity_gb: int = 0
    volume_max_over_subscription_ratio: float = 20.0
    # Block Storage quota defaults over Cinder's ("volumes=40,gigabytes=2000"; the
    # os-quota-class-sets "default" class an admin sets still wins over these)
    volume_quota_defaults: str = ""
    # The real dataplane: the network namespace that plays the "host" for bridges, taps
    # and the QEMU guests ("": the process's own namespace), the virt driver's acceleration
    # ("auto": KVM when a probe of /dev/kvm answers in time, else TCG; "kvm"; "tcg") and
    # where the guest image `up --guest-image` uploads comes from.
    dataplane_netns: str = ""
    # The Linux network driver: physical networks' interfaces in that namespace
    # ("physnet:iface,..."), the VXLAN underlay (source address, device), and where the
    # per-network metadata proxies forward ("": the metadata service at base_url/metadata).
    network_physical_interfaces: str = ""
    network_tunnel_ip: str = ""
    network_tunnel_dev: str = ""
    metadata_proxy_upstream: str = ""
    qemu_accel: str = "auto"
    guest_image_path: str = ""
    # The key the per-network metadata proxies sign the guest's network and address with
    # (``onestack.compute.metadata.signing``); "": the metadata service trusts no proxy.
    metadata_proxy_secret: str = ""
    security_compliance: SecurityCompliance = field(default_factory=SecurityCompliance)

    @property
    def base_url(self) -> str:
        """The URL clients reach us at (what the catalog and links advertise)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


ENV_PREFIX = "ONESTACK_"
_SC_PREFIX = "security_compliance_"


def _coerce(value: Any, like: Any) -> Any:
    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, float):
        return float(value)
    if isinstance(like, int):
        return int(value)
    return str(value)


def _apply(base: Settings, values: dict[str, Any]) -> Settings:
    top: dict[str, Any] = {}
    sc: dict[str, Any] = {}
    defaults_sc = base.security_compliance
    for key, value in values.items():
        if value is None:
            continue
        key = key.replace("-", "_").lower()
        if key == "security_compliance" and isinstance(value, dict):
            for k, v in value.items():
                k = k.replace("-", "_")
                if hasattr(defaults_sc, k):
                    sc[k] = _coerce(v, getattr(defaults_sc, k))
            continue
        if key.startswith(_SC_PREFIX) and hasattr(defaults_sc, key[len(_SC_PREFIX):]):
            name = key[len(_SC_PREFIX):]
            sc[name] = _coerce(value, getattr(defaults_sc, name))
            continue
        if key in {f.name for f in fields(Settings)} and key != "security_compliance":
            top[key] = _coerce(value, getattr(base, key))
    if sc:
        top["security_compliance"] = dataclasses.replace(base.security_compliance, **sc)
    return dataclasses.replace(base, **top)


def load_settings(
    cli: dict[str, Any] | None = None,
    config_file: str | None = None,
    environ: dict[str, str] | None = None,
    base: Settings | None = None,
) -> Settings:
    """Merge defaults < config file (YAML) < environment < CLI options."""
    environ = dict(os.environ) if environ is None else environ
    settings = base or Settings()
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG_FILE")
    if config_file:
        data = yaml.safe_load(Path(config_file).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{config_file}: expected a mapping")
        settings = _apply(settings, data)
    env_values = {
        k[len(ENV_PREFIX):].lower(): v for k, v in environ.items() if k.startswith(ENV_PREFIX)
    }
    settings = _apply(settings, env_values)
    return _apply(settings, cli or {})


def tempest_security_compliance() -> SecurityCompliance:
    """The settings Tempest's security-compliance tests expect (as devstack sets them)."""
    return SecurityCompliance(
        lockout_failure_attempts=2,
        lockout_duration=5,
        unique_last_password_count=2,
        minimum_password_age=0,
    )
