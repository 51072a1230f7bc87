#!/usr/bin/env bash
# Makes sure the database servers the tests use answer on 127.0.0.1 (MariaDB 3306,
# PostgreSQL 5432): starts them when this machine has them installed but not running,
# installs them from Debian's packages when they are missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
    echo "service on port $1 did not come up" >&2; return 1
}

need_apt=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server)
ls /etc/postgresql >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if ! port_open 3306; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_port 3306
fi
if ! port_open 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    wait_port 5432
fi
# Tests connect as root (MariaDB, no password) and postgres (trust) over TCP.
mysql -uroot -e "SELECT 1" >/dev/null
psql -h 127.0.0.1 -U postgres -c "SELECT 1" >/dev/null
echo "MariaDB and PostgreSQL are up"
