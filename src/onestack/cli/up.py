"""``onestack up``: migrate, bootstrap, write client config, serve, start the agents.

Start-up runs in parallel where it is safe: a forked child migrates the schema (hashing
the admin password in a thread meanwhile), bootstraps identity and seeds every service,
while the parent imports and builds the API. The port opens only after the child is done,
so no login is accepted before the admin's hash exists; the registered agents start once
the first login is answered (``serve.AfterFirstLogin``)."""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import yaml

from onestack.core.config import Settings
from onestack.core.files import prepare_data_dir, private_dir, write_private

log = logging.getLogger("onestack.up")


class PhaseClock:
    """Start-up phases as wall-clock stamps on stderr (``--timings``), one line each, for
    ``benchmarks/startup.py``: ``onestack-timing phase=<name> at=<unix seconds>``."""

    def __init__(self, enabled: bool = False):
        self.enabled = enabled

    def mark(self, phase: str) -> None:
        if self.enabled:
            print(f"onestack-timing phase={phase} at={time.time():.6f}", file=sys.stderr,
                  flush=True)


def write_client_config(data_dir: Path, auth_url: str, password: str, region: str) -> None:
    clouds = {"clouds": {"onestack": {
        "auth": {"auth_url": auth_url, "username": "admin", "password": password,
                 "project_name": "admin", "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "region_name": region, "identity_api_version": 3, "interface": "public"}}}
    path = data_dir / "clouds.yaml"
    write_private(path, yaml.safe_dump(clouds, sort_keys=False))  # 0600 from creation
    write_private(data_dir / "openrc", (
        f"export OS_AUTH_URL={auth_url}\nexport OS_USERNAME=admin\n"
        f"export OS_PASSWORD='{password}'\nexport OS_PROJECT_NAME=admin\n"
        "export OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\n"
        f"export OS_REGION_NAME={region}\nexport OS_IDENTITY_API_VERSION=3\n"
        f"export OS_CLIENT_CONFIG_FILE={path}\n"))


def fake_host_zones(count: int) -> list[tuple[str, str]]:
    """``compute1``… in zone ``nova``; with three or more hosts the last is in ``az2``."""
    return [(f"compute{i}", "az2" if count >= 3 and i == count else "nova")
            for i in range(1, count + 1)]


def quiet_alembic() -> None:
    """Alembic announces each of its plugins at INFO; nobody starting a cloud needs that."""
    logging.getLogger("alembic").setLevel(logging.WARNING)


class InChild:
    """``work`` in a forked child, so that the long-running server never carries Alembic
    (~12 MiB resident) and keeps importing meanwhile on the other core — a fork costs
    milliseconds, a fresh interpreter a second. Fork before any thread is started."""

    def __init__(self, work: Callable[[], None], what: str):
        self.work = work
        self.what = what
        self.pid = 0

    def start(self) -> InChild:
        if not hasattr(os, "fork"):
            return self  # done in wait()
        self.pid = os.fork()
        if self.pid == 0:
            self._child()
        return self

    def _child(self) -> None:
        code = 1
        try:
            self.work()
            code = 0
        except BaseException:  # noqa: BLE001 - reported, and the exit code tells the parent
            log.exception("%s failed", self.what)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def wait(self) -> None:
        if not self.pid:
            self.work()
            return
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(f"{self.what} failed (exit code {code})")


class BackgroundHash:
    """The admin password's bcrypt hash, computed in a thread (bcrypt releases the GIL)."""

    def __init__(self, password: str, rounds: int):
        from onestack.identity.passwords import hash_secret

        self._result: list[str] = []
        self._thread = threading.Thread(
            target=lambda: self._result.append(hash_secret(password, rounds)),
            name="onestack-admin-hash", daemon=True)
        self._thread.start()

    def result(self) -> str | None:
        """The hash, or None if hashing failed (bootstrap then hashes itself)."""
        self._thread.join()
        return self._result[0] if self._result else None


def prepare_database(settings: Settings, password: str, registry, clock: PhaseClock) -> None:
    """Schema, admin and every service's seed data. The admin's bcrypt hash is computed in
    a thread while Alembic migrates (bcrypt releases the GIL)."""
    from onestack.migrations import is_current, upgrade

    current = is_current(settings.database_url)  # a restart: nothing to migrate
    # a restart keeps the admin (bootstrap hashes only if the password changed)
    hashing = None if current else BackgroundHash(password, settings.password_hash_rounds)
    if not current:
        quiet_alembic()
        upgrade(settings.database_url)
    clock.mark("schema")
    from onestack.core.db import Database
    from onestack.identity.bootstrap import bootstrap

    db = Database(settings.database_url)
    try:
        admin = bootstrap(db, admin_password=password, public_url=settings.base_url,
                          region=settings.region,
                          password_hash_rounds=settings.password_hash_rounds,
                          services=registry.catalog_entries(),
                          admin_password_hash=hashing.result() if hashing else None)
        registry.seed(db)
        registry.bootstrap(db, settings, admin.project_id)
        if settings.guest_image_path:
            from onestack.cli.dataplane import ensure_guest_image

            ensure_guest_image(db, settings, Path(settings.guest_image_path), admin.project_id)
    finally:
        db.dispose()
    clock.mark("bootstrap")


def agents_starter(settings: Settings, db, bus, data_dir: Path, registry,
                   stops: list[Callable[[], None]], driver: str = "fake") -> Callable[[], None]:
    """Starts every registered agent runner (the fake hosts of ``up``, or with ``driver``
    "qemu" one real host: QEMU guests, Linux networking); run once the API answers, the
    stop function lands in ``stops``."""
    from onestack.core.registry import AgentContext

    def start() -> None:
        if driver == "fake":
            ctx = AgentContext(db, bus, settings,
                               hosts=tuple(fake_host_zones(settings.fake_hosts)),
                               driver="fake", state_dir=data_dir)
            stops.append(registry.start_agents(ctx))
            return
        ctx = registry.with_seams(AgentContext(db, bus, settings, hosts=((real_host(), "nova"),),
                                               state_dir=data_dir))
        for spec in registry:
            for runner in spec.agents:
                kind_driver = REAL_DRIVERS.get(runner.kind, "fake")
                stops.append(runner.start(replace(ctx, driver=kind_driver)))
    return start


# the driver each agent kind runs with ``up --driver qemu`` (the others have one driver)
REAL_DRIVERS = {"compute": "qemu", "network": "linux"}


def real_host() -> str:
    """The compute host of ``up --driver qemu``: this machine, as ``onestack agent`` names
    it."""
    return socket.gethostname()


def with_metadata_secret(settings: Settings, data_dir: Path) -> Settings:
    """The metadata proxies' signing key: the one configured, else one generated once and
    kept in ``DATA_DIR/metadata-proxy-secret`` (the API and the agents of ``up`` share it)."""
    if settings.metadata_proxy_secret:
        return settings
    path = data_dir / "metadata-proxy-secret"
    if path.exists():
        path.chmod(0o600)  # an older or hand-copied data dir may have left it readable
        secret = path.read_text().strip()
    else:
        secret = secrets.token_urlsafe(32)
        write_private(private_dir(data_dir) / path.name, secret + "\n")
    return settings.replace(metadata_proxy_secret=secret)


def run_up(settings: Settings, data_dir: Path, password: str, timings: bool = False,
           driver: str = "fake") -> int:
    """``driver``: "fake" (three fake hosts) or "qemu" (``cli.dataplane``)."""
    prepare_data_dir(data_dir, settings.database_url)
    settings = with_metadata_secret(settings, data_dir)
    plane = None
    if driver == "qemu":
        from onestack.cli.dataplane import Dataplane

        settings, plane = Dataplane.prepare(settings, data_dir)
        # uvicorn re-raises a SIGTERM once it has shut down: as an exception, so the
        # dataplane is removed below instead of the process ending on the spot
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return _run(settings, data_dir, password, timings, driver, plane)
    finally:
        if plane is not None:
            wait_for_agent_threads()
            plane.teardown()


def wait_for_agent_threads(timeout: float = 60.0) -> None:
    """Until the agents' worker threads (told to stop, not joined) have finished the step
    they were taking: one that goes on would make again what the teardown removes."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and \
                thread.name.startswith(("compute-", "network-", "volume-", "scheduler")):
            thread.join(max(0.0, deadline - time.monotonic()))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run(settings: Settings, data_dir: Path, password: str, timings: bool, driver: str,
         plane) -> int:  # noqa: ANN001 - cli.dataplane.Dataplane | None, imported lazily
    clock = PhaseClock(timings)
    from onestack.server import default_registry

    registry = default_registry()
    registry.import_models()  # before the fork: the child inherits them
    preparing = InChild(lambda: prepare_database(settings, password, registry, clock),
                        "preparing the database").start()
    from onestack.cli.serve import serve
    from onestack.core.bus import InProcessBus
    from onestack.core.db import Database
    from onestack.server import build_app

    db = Database(settings.database_url)
    bus = InProcessBus()
    try:
        app = build_app(settings, db, bus, registry, lazy=True)
        clock.mark("import")
    finally:
        preparing.wait()  # no login before the admin exists; reaped if the build fails too
    auth_url = settings.base_url + "/identity/v3"
    write_client_config(data_dir, auth_url, password, settings.region)
    stops: list[Callable[[], None]] = []

    def ready() -> None:
        clock.mark("listening")
        print(f"onestack is up: auth URL {auth_url}\n"
              f"  export OS_CLIENT_CONFIG_FILE={data_dir / 'clouds.yaml'}; "
              "openstack --os-cloud onestack token issue", flush=True)
        if plane is not None:
            print(f"  guests run under QEMU in network namespace {plane.netns}; floating "
                  f"IPs answer from namespace {plane.external_netns}:\n"
                  f"  ip netns exec {plane.external_netns} ssh onestack@<floating ip>",
                  flush=True)

    try:
        return serve(settings, on_ready=ready, app=app,
                     later=agents_starter(settings, db, bus, data_dir, registry, stops,
                                          driver))
    finally:
        for stop in stops:
            stop()
