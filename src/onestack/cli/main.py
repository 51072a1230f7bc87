"""The ``onestack`` command.

Every option can also come from an environment variable ``ONESTACK_<OPTION>`` (dashes as
underscores, e.g. ``ONESTACK_DATABASE_URL``) or from a YAML config file given with
``--config-file`` / ``ONESTACK_CONFIG_FILE``; command-line options win, then the
environment, then the file.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from onestack.core.config import Settings, load_settings, tempest_security_compliance

EPILOG = """environment variables:
  ONESTACK_DATABASE_URL, ONESTACK_HOST, ONESTACK_PORT, ONESTACK_PUBLIC_URL,
  ONESTACK_REGION, ONESTACK_ADMIN_PASSWORD, ONESTACK_DATA_DIR, ONESTACK_WORKERS,
  ONESTACK_TOKEN_EXPIRATION, ONESTACK_PASSWORD_HASH_ROUNDS, ONESTACK_POLICY_FILE,
  ONESTACK_LOG_LEVEL, ONESTACK_CONFIG_FILE, ONESTACK_FAKE_HOSTS,
  ONESTACK_FAKE_OP_SECONDS,
  ONESTACK_SECURITY_COMPLIANCE_LOCKOUT_FAILURE_ATTEMPTS (and the other
  security_compliance_* options)
"""


def _common(p: argparse.ArgumentParser, db: bool = True) -> None:
    if db:
        p.add_argument("--database-url", help="SQLAlchemy URL (sqlite:///…, "
                       "mysql+pymysql://…, postgresql+psycopg://…)")
    p.add_argument("--config-file", help="YAML file with any of these options")
    p.add_argument("--log-level", help="debug, info, warning (default info)")


def _server(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default 8080)")
    p.add_argument("--public-url", help="URL clients use to reach this API (catalog, links)")
    p.add_argument("--workers", type=int, help="API worker processes (default 1)")
    p.add_argument("--policy-file", help="oslo.policy YAML/JSON file overriding defaults")
    p.add_argument("--token-expiration", type=int, help="token lifetime in seconds")
    p.add_argument("--password-hash-rounds", type=int, help="bcrypt cost (default 12)")
    p.add_argument("--security-compliance", action="store_true", default=None,
                   help="lock out after 2 failed logins for 5 s, 2 unique passwords "
                        "(what Tempest's security-compliance tests expect)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="onestack", description=__doc__, epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="all-in-one cloud on embedded defaults (SQLite)")
    up.add_argument("--data-dir", help="state directory (default ./.onestack)")
    up.add_argument("--admin-password", help="admin password (default: generated once and "
                                             "kept in DATA_DIR/admin-password)")
    up.add_argument("--fake-hosts", type=int, help="fake compute hosts to run (default 3; "
                                                   "the last one in zone az2)")
    up.add_argument("--no-network-topology", dest="network_topology", action="store_false",
                    default=None, help="do not create the public and private networks and "
                                       "router1 (DevStack's topology)")
    up.add_argument("--driver", choices=["fake", "qemu"], default="fake",
                    help="fake: three fake compute hosts (default); qemu: one real host, "
                         "QEMU guests wired by the Linux network driver in a network "
                         "namespace of their own (needs root)")
    up.add_argument("--guest-image", dest="guest_image_path",
                    help="a qcow2 uploaded once as the public image onestack-guest "
                         "(scripts/build_guest_image.py builds one)")
    up.add_argument("--timings", action="store_true",
                    help="print a wall-clock stamp per start-up phase on stderr "
                         "(benchmarks/startup.py reads them)")
    _common(up)
    _server(up)
    api = sub.add_parser("api", help="one stateless API replica on a shared database")
    _common(api)
    _server(api)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="migrate the schema to the newest version")
    _common(upgrade)
    boot = sub.add_parser("bootstrap", help="create admin, roles and catalog (idempotent)")
    _common(boot)
    boot.add_argument("--admin-password", help="the admin user's password")
    boot.add_argument("--public-url", help="base URL of the catalog endpoints")
    boot.add_argument("--region", help="region id (default RegionOne)")
    boot.add_argument("--password-hash-rounds", type=int)
    agent = sub.add_parser("agent", help="run a host agent or the scheduler on a shared "
                                         "database")
    agent.add_argument("kind", choices=_agent_kinds())
    agent.add_argument("--host", help="host name of this compute agent")
    agent.add_argument("--zone", default=None, help="availability zone (default nova)")
    agent.add_argument("--driver", default="fake", choices=["fake", "qemu", "linux"],
                       help="virt driver (fake, qemu) or network driver (fake, linux)")
    agent.add_argument("--state-dir", help="where the virt driver keeps its state (the "
                                           "qemu driver: its guests)")
    agent.add_argument("--backend", dest="volume_backend", choices=["file", "memory"],
                       help="volume agent: the volume driver (default file, under the "
                            "state dir or volume_data_dir)")
    _common(agent)
    tok = sub.add_parser("token-rotate", help="add a new token key, drop the oldest")
    _common(tok)
    return top


def _agent_kinds() -> list[str]:
    from onestack.server import default_registry

    return default_registry().agent_kinds()


def _settings(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    values: dict[str, Any] = {k: v for k, v in vars(args).items()
                              if k not in ("command", "db_command", "config_file",
                                           "security_compliance", "data_dir",
                                           "admin_password", "kind", "host", "zone", "driver",
                                           "timings",
                                           "state_dir") or (k == "host" and
                                                            args.command != "agent")}
    settings = load_settings(values, args.config_file, base=base)
    if getattr(args, "security_compliance", None) or \
            os.environ.get("ONESTACK_SECURITY_COMPLIANCE", "").lower() in ("1", "true", "yes"):
        settings = settings.replace(security_compliance=tempest_security_compliance())
    return settings


def _env(name: str) -> str | None:
    return os.environ.get("ONESTACK_" + name.upper())


def main(argv: list[str] | None = None) -> int:
    from onestack.core.files import restrict_umask

    restrict_umask()  # whatever any command creates (database, images, state) is owner-only
    args = parser().parse_args(argv)
    from onestack.core.logs import setup_logging

    if args.command == "up":
        from onestack.cli.up import run_up

        data_dir = Path(args.data_dir or _env("data_dir") or ".onestack").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        base = Settings(database_url=f"sqlite:///{data_dir / 'onestack.db'}")
        settings = _settings(args, base)
        setup_logging(settings.log_level)
        password = args.admin_password or _env("admin_password") or _stored_password(data_dir)
        return run_up(settings, data_dir, password, timings=bool(args.timings),
                      driver=args.driver)
    settings = _settings(args)
    setup_logging(settings.log_level)
    if args.command == "api":
        from onestack.cli.serve import serve

        return serve(settings, on_ready=lambda: print(
            f"onestack api listening on {settings.host}:{settings.port}", flush=True))
    if args.command == "db":
        from onestack.cli.up import quiet_alembic
        from onestack.migrations import upgrade

        quiet_alembic()
        upgrade(settings.database_url)
        print("database at the newest schema")
        return 0
    if args.command == "bootstrap":
        from onestack.core.db import Database
        from onestack.identity.bootstrap import bootstrap

        password = args.admin_password or _env("admin_password")
        if not password:
            print("--admin-password (or ONESTACK_ADMIN_PASSWORD) is required", file=sys.stderr)
            return 2
        db = Database(settings.database_url)
        result = bootstrap(db, admin_password=password,
                           public_url=args.public_url or settings.base_url,
                           region=args.region or settings.region,
                           password_hash_rounds=settings.password_hash_rounds)
        print(f"admin user {result.user_id} in project {result.project_id}")
        return 0
    if args.command == "agent":
        from onestack.cli.agent import run_agent

        return run_agent(settings, args.kind, args.host, args.zone or "nova", args.driver,
                         args.state_dir)
    if args.command == "token-rotate":
        from onestack.core.db import Database
        from onestack.identity.service.keys import rotate

        kept = rotate(Database(settings.database_url), settings.fernet_max_active_keys)
        print(f"rotated; {kept} keys active")
        return 0
    return 2


def _stored_password(data_dir: Path) -> str:
    path = data_dir / "admin-password"
    if path.exists():
        return path.read_text().strip()
    from onestack.core.files import private_dir, write_private

    password = secrets.token_urlsafe(18)
    write_private(private_dir(data_dir) / "admin-password", password + "\n")
    return password


if __name__ == "__main__":
    sys.exit(main())
