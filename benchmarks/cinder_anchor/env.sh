# Common settings for the Cinder anchor. Sourced by setup.sh / start.sh / stop.sh.
# Everything generated lives under run/ (configs, logs, pid files, keys, volume files); the
# databases live in the SYSTEM MariaDB (127.0.0.1:3306) and the message bus is a vhost of the
# SYSTEM RabbitMQ (127.0.0.1:5672), both only touched through our own names (see README.md).
set -a
HERE="${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
VENV="${CINDER_ANCHOR_VENV:-$HERE/.venv}"
RUN="${CINDER_ANCHOR_RUN:-$HERE/run}"
ETC="$RUN/etc"; DATA="$RUN/data"; LOGS="$RUN/logs"; PIDS="$RUN/pids"
BIND="127.0.0.1"
KS_PORT="${KS_PORT:-28700}"
CINDER_PORT="${CINDER_PORT:-28776}"
GLANCE_PORT="${GLANCE_PORT:-28792}"
# uwsgi worker processes: cinder-api, keystone, glance-api
API_PROCESSES="${API_PROCESSES:-2}"
KS_PROCESSES="${KS_PROCESSES:-2}"
GLANCE_PROCESSES="${GLANCE_PROCESSES:-2}"
# 1 = also run cinder-backup (posix driver, backups as files under run/data/cinder/backups).
# Off by default: devstack does not enable c-bak either, and the benchmark does not use it.
CINDER_BACKUP="${CINDER_BACKUP:-0}"
CINDER_DEBUG="${CINDER_DEBUG:-False}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-admin-anchor-pw}"
SERVICE_PASSWORD="${SERVICE_PASSWORD:-service-anchor-pw}"
# system MariaDB (root via unix socket for setup; services use their own user over TCP)
MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
DB_USER="${DB_USER:-cinder_anchor}"
DB_PASSWORD="${DB_PASSWORD:-db-cinder-anchor-pw}"
DB_CINDER_NAME="${DB_CINDER_NAME:-cinder_anchor}"
DB_KEYSTONE_NAME="${DB_KEYSTONE_NAME:-cinder_anchor_keystone}"
DB_GLANCE_NAME="${DB_GLANCE_NAME:-cinder_anchor_glance}"
_db() { echo "mysql+pymysql://$DB_USER:$DB_PASSWORD@$MYSQL_HOST:$MYSQL_PORT/$1?charset=utf8"; }
DB_CINDER=$(_db "$DB_CINDER_NAME"); DB_KEYSTONE=$(_db "$DB_KEYSTONE_NAME"); DB_GLANCE=$(_db "$DB_GLANCE_NAME")
# system RabbitMQ, own vhost (guest is loopback-only)
RABBIT_HOST="${RABBIT_HOST:-127.0.0.1}"
RABBIT_PORT="${RABBIT_PORT:-5672}"
RABBIT_VHOST="${RABBIT_VHOST:-cinder_anchor}"
TRANSPORT_URL="rabbit://guest:guest@$RABBIT_HOST:$RABBIT_PORT/$RABBIT_VHOST"
KS_URL="http://$BIND:$KS_PORT/v3"
CINDER_URL="http://$BIND:$CINDER_PORT"
GLANCE_URL="http://$BIND:$GLANCE_PORT"
# The NFS backend: the "export" is a plain local directory; cinder-volume runs in its own
# mount namespace where that directory is bind-mounted on the mount point the NFS driver
# computes for NFS_SHARE (see README.md, "Driver").
NFS_SHARE="${NFS_SHARE:-127.0.0.1:/cinder-anchor-export}"
NFS_EXPORT="$DATA/cinder/export"
NFS_MOUNT_BASE="$DATA/cinder/mnt"
set +a
# The system MariaDB's default max_connections (151) is shared by everything on this machine;
# oslo.db lets each cinder process open up to 5+50 connections, and when the scheduler gets
# "Too many connections" the volumes it was placing stay "creating" for ever. devstack sets
# max_connections=1024; we raise the running server's limit to that (never lower it; not
# persistent: a MariaDB restart brings the default back, start.sh raises it again).
raise_max_connections() {
  mysql -uroot -e "SET GLOBAL max_connections = GREATEST(@@global.max_connections, ${MYSQL_MAX_CONNECTIONS:-1024})"
}
os_admin() {
  OS_AUTH_URL="$KS_URL" OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASSWORD" OS_PROJECT_NAME=admin \
  OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 \
  OS_REGION_NAME=RegionOne "$VENV/bin/openstack" "$@"
}
