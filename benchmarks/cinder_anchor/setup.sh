#!/usr/bin/env bash
# Idempotent setup of a real OpenStack Cinder 29 (2026.2) — cinder-api, cinder-scheduler,
# cinder-volume with the NFS driver on a local directory — plus its own Keystone 30 and
# Glance 33, on 127.0.0.1:28776 / 28700 / 28792. Re-running is safe: packages and the venv are
# only installed when missing, configs are re-rendered, db syncs / bootstrap / registration
# are idempotent. Leaves everything stopped at the end.
#   RESET=1 ./setup.sh   drops the three databases and run/ first (fresh anchor)
# Uses the SYSTEM MariaDB (root over its unix socket, to create databases cinder_anchor,
# cinder_anchor_keystone, cinder_anchor_glance and user cinder_anchor@127.0.0.1) and the
# SYSTEM RabbitMQ (vhost cinder_anchor, permissions for guest).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
log() { echo "[setup $(date +%T)] $*"; }

# A copied folder (cp -r) brings a venv whose scripts point at the original's python, and
# pid files of the original's processes: rebuild the venv, forget those pids.
if [ -e "$VENV/bin/cinder-manage" ] && [ "$(head -1 "$VENV/bin/cinder-manage")" != "#!$VENV/bin/python3" ]; then
  log "venv was built for another folder ($(head -1 "$VENV/bin/cinder-manage")); rebuilding it"
  rm -rf "$VENV"
fi
if [ -f "$RUN/.home" ] && [ "$(cat "$RUN/.home")" != "$RUN" ]; then
  log "run/ was made for $(cat "$RUN/.home"); dropping its pid files and logs"
  rm -rf "$RUN/pids" "$RUN/logs"
fi

if [ "${RESET:-0}" = 1 ]; then
  "$HERE/stop.sh" || true
  log "RESET: dropping databases and $RUN"
  mysql -uroot -e "DROP DATABASE IF EXISTS $DB_CINDER_NAME; DROP DATABASE IF EXISTS $DB_KEYSTONE_NAME;
                   DROP DATABASE IF EXISTS $DB_GLANCE_NAME;"
  rm -rf "$RUN"
fi
mkdir -p "$RUN" && echo "$RUN" > "$RUN/.home"

# 1. Debian packages: qemu-img (the NFS driver and image_utils convert images with it) and
#    mount.nfs (the NFS driver refuses to start without it; nothing is ever NFS-mounted here).
missing=()
command -v qemu-img >/dev/null || missing+=(qemu-utils)
[ -x /sbin/mount.nfs ] || [ -x /usr/sbin/mount.nfs ] || missing+=(nfs-common)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. venv with the real services from PyPI (the 2026.2 series: keystone 30 / nova 34 / neutron 29)
if [ ! -x "$VENV/bin/cinder-manage" ] || [ ! -x "$VENV/bin/uwsgi" ] || [ ! -x "$VENV/bin/keystone-manage" ] \
   || [ ! -x "$VENV/bin/glance-manage" ]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  nice -n 10 "$VENV/bin/pip" install "cinder==29.0.0" "keystone==30.0.0" "glance==33.0.0" uwsgi \
      pymysql python-openstackclient psutil httpx requests
fi

# 3. configs
mkdir -p "$ETC"/{keystone,glance,cinder} "$DATA"/keystone "$DATA"/glance/{images,staging,locks} \
         "$DATA"/cinder/{locks,conversion,coordination,backups} "$NFS_EXPORT" "$NFS_MOUNT_BASE" "$LOGS" "$PIDS"
export HERE RUN ETC DATA LOGS PIDS BIND KS_PORT CINDER_PORT GLANCE_PORT CINDER_DEBUG SERVICE_PASSWORD \
       KS_URL TRANSPORT_URL DB_CINDER DB_KEYSTONE DB_GLANCE VENV NFS_MOUNT_BASE
render() {  # render TEMPLATE OUT : replaces @VAR@ with the environment value
  "$VENV/bin/python" - "$1" "$2" <<'PY'
import os, re, sys
src = open(sys.argv[1]).read()
out = re.sub(r"@([A-Z0-9_]+)@", lambda m: os.environ[m.group(1)], src)
open(sys.argv[2], "w").write(out)
PY
}
T="$HERE/templates"
render "$T/keystone.conf.tmpl" "$ETC/keystone/keystone.conf"
render "$T/glance-api.conf.tmpl" "$ETC/glance/glance-api.conf"
render "$T/cinder.conf.tmpl" "$ETC/cinder/cinder.conf"
echo "$NFS_SHARE" > "$ETC/cinder/nfs_shares"
cp "$VENV/etc/glance/glance-api-paste.ini" "$ETC/glance/"
cp "$VENV/etc/cinder/api-paste.ini" "$VENV/etc/cinder/resource_filters.json" "$VENV/etc/cinder/rootwrap.conf" "$ETC/cinder/"
rm -rf "$ETC/cinder/rootwrap.d" && cp -r "$VENV/etc/cinder/rootwrap.d" "$ETC/cinder/"
sed -i "s#^filters_path=.*#filters_path=$ETC/cinder/rootwrap.d#" "$ETC/cinder/rootwrap.conf"

# 4. system MariaDB: our own databases + user; system RabbitMQ: our own vhost
log "databases $DB_CINDER_NAME, $DB_KEYSTONE_NAME, $DB_GLANCE_NAME on the system MariaDB"
mysql -uroot -e "CREATE DATABASE IF NOT EXISTS $DB_CINDER_NAME CHARACTER SET utf8mb3;
  CREATE DATABASE IF NOT EXISTS $DB_KEYSTONE_NAME CHARACTER SET utf8mb3;
  CREATE DATABASE IF NOT EXISTS $DB_GLANCE_NAME CHARACTER SET utf8mb3;
  CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
  GRANT ALL PRIVILEGES ON $DB_CINDER_NAME.* TO '$DB_USER'@'127.0.0.1';
  GRANT ALL PRIVILEGES ON $DB_KEYSTONE_NAME.* TO '$DB_USER'@'127.0.0.1';
  GRANT ALL PRIVILEGES ON $DB_GLANCE_NAME.* TO '$DB_USER'@'127.0.0.1';"
raise_max_connections
if ! rabbitmqctl -q list_vhosts | grep -qx "$RABBIT_VHOST"; then
  log "rabbitmq vhost $RABBIT_VHOST"
  rabbitmqctl -q add_vhost "$RABBIT_VHOST"
fi
rabbitmqctl -q set_permissions -p "$RABBIT_VHOST" guest '.*' '.*' '.*'

# 5. keystone
KSM=("$VENV/bin/keystone-manage" --config-file "$ETC/keystone/keystone.conf")
log "keystone db_sync + keys + bootstrap"
"${KSM[@]}" db_sync
mkdir -p "$DATA/keystone/fernet-keys" "$DATA/keystone/credential-keys"
[ -n "$(ls -A "$DATA/keystone/fernet-keys")" ] || "${KSM[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
[ -n "$(ls -A "$DATA/keystone/credential-keys")" ] || "${KSM[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
"${KSM[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
   --bootstrap-admin-url "$KS_URL" --bootstrap-internal-url "$KS_URL" --bootstrap-public-url "$KS_URL" \
   --bootstrap-region-id RegionOne

# 6. glance + cinder schemas
log "glance-manage db_sync"
"$VENV/bin/glance-manage" --config-file "$ETC/glance/glance-api.conf" db_sync >"$LOGS/glance-db-sync.log" 2>&1 \
  || { tail -20 "$LOGS/glance-db-sync.log"; exit 1; }
log "cinder-manage db sync"
"$VENV/bin/cinder-manage" --config-file "$ETC/cinder/cinder.conf" db sync

# 7. keystone catalog + service users
ONLY=keystone "$HERE/start.sh"
"$VENV/bin/python" "$HERE/anchorctl.py" register
"$HERE/stop.sh" >/dev/null
log "setup complete; ./start.sh brings keystone :$KS_PORT, glance :$GLANCE_PORT and cinder :$CINDER_PORT up"
