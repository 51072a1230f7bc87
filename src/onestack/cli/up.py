"""``onestack up``: migrate, bootstrap, write client config, serve."""
from __future__ import annotations

import logging
from pathlib import Path

import yaml

from onestack.core.config import Settings
from onestack.core.db import Database

log = logging.getLogger("onestack.up")


def write_client_config(data_dir: Path, auth_url: str, password: str, region: str) -> None:
    clouds = {"clouds": {"onestack": {
        "auth": {"auth_url": auth_url, "username": "admin", "password": password,
                 "project_name": "admin", "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "region_name": region, "identity_api_version": 3, "interface": "public"}}}
    path = data_dir / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds, sort_keys=False))
    path.chmod(0o600)
    openrc = data_dir / "openrc"
    openrc.write_text(
        f"export OS_AUTH_URL={auth_url}\nexport OS_USERNAME=admin\n"
        f"export OS_PASSWORD='{password}'\nexport OS_PROJECT_NAME=admin\n"
        "export OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\n"
        f"export OS_REGION_NAME={region}\nexport OS_IDENTITY_API_VERSION=3\n"
        f"export OS_CLIENT_CONFIG_FILE={path}\n")
    openrc.chmod(0o600)


def fake_host_zones(count: int) -> list[tuple[str, str]]:
    """``compute1``… in zone ``nova``; with three or more hosts the last is in ``az2``."""
    return [(f"compute{i}", "az2" if count >= 3 and i == count else "nova")
            for i in range(1, count + 1)]


def start_agents(settings: Settings, db: Database, bus, data_dir: Path):
    from onestack.agents.compute import Running, start_host, start_scheduler

    running = Running()
    start_scheduler(db, bus, running)
    for host, zone in fake_host_zones(settings.fake_hosts):
        start_host(db, bus, running, host, zone, "fake", data_dir, settings.fake_op_seconds)
    return running


def migrate_in_child(url: str) -> None:
    """Run the migrations in a forked child, so the long-running server never carries
    Alembic (~12 MiB resident) — a fork costs milliseconds, a fresh interpreter a second."""
    import multiprocessing

    from onestack.migrations import upgrade

    if "fork" not in multiprocessing.get_all_start_methods():
        upgrade(url)
        return
    child = multiprocessing.get_context("fork").Process(target=upgrade, args=(url,),
                                                        name="onestack-migrate")
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"database migration failed (exit code {child.exitcode})")


def run_up(settings: Settings, data_dir: Path, password: str) -> int:
    from onestack.core.bus import InProcessBus
    from onestack.identity.bootstrap import bootstrap
    migrate_in_child(settings.database_url)
    db = Database(settings.database_url)
    bootstrap(db, admin_password=password, public_url=settings.base_url,
              region=settings.region, password_hash_rounds=settings.password_hash_rounds)
    from onestack.compute.flavors import ensure_default_flavors

    ensure_default_flavors(db)
    bus = InProcessBus()
    running = start_agents(settings, db, bus, data_dir)
    auth_url = settings.base_url + "/identity/v3"
    write_client_config(data_dir, auth_url, password, settings.region)

    def ready() -> None:
        print(f"onestack is up: auth URL {auth_url}\n"
              f"  export OS_CLIENT_CONFIG_FILE={data_dir / 'clouds.yaml'}; "
              "openstack --os-cloud onestack token issue", flush=True)

    from onestack.cli.serve import serve

    try:
        return serve(settings, on_ready=ready, db=db, bus=bus)
    finally:
        running.stop()
