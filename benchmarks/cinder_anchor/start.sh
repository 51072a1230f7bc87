#!/usr/bin/env bash
# Start the Cinder anchor. Every process started gets a pid file under run/pids.
#   ONLY=keystone | ONLY=cinder   start just that part (default: all; cinder = glance + cinder)
#   CINDER_BACKUP=1               also cinder-backup (posix driver)
# Waits (START_TIMEOUT s) until GET /v3/volumes answers and the volume backend has reported
# its pool to the scheduler.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
START_TIMEOUT="${START_TIMEOUT:-180}"
ONLY="${ONLY:-}"
[ -f "$ETC/cinder/cinder.conf" ] && [ "$(cat "$RUN/.home" 2>/dev/null)" = "$RUN" ] \
  || { echo "run setup.sh first (in this folder)" >&2; exit 1; }
mkdir -p "$LOGS" "$PIDS"
T0=$(date +%s.%N)
log() { echo "[start $(date +%T)] $*"; }
running() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
bg() {  # bg NAME CMD... : start in background (own session => own process group), record pid
  local name=$1; shift
  if running "$name"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  setsid "$@" >"$LOGS/$name.out" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  log "started $name pid $!"
}
wait_port() {  # wait_port PORT SECONDS
  local end=$(( $(date +%s) + $2 ))
  until (exec 3<>/dev/tcp/$BIND/$1) 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || { echo "timeout waiting for port $1" >&2; return 1; }
    sleep 0.2
  done
}
uwsgi_bg() {  # uwsgi_bg NAME PORT PROCESSES MODULE [uwsgi args...]
  local name=$1 port=$2 procs=$3 module=$4; shift 4
  bg "$name" "$VENV/bin/uwsgi" --master --die-on-term --lazy-apps --enable-threads \
     --processes "$procs" --threads 1 --http-socket "$BIND:$port" --home "$VENV" \
     --buffer-size 65535 --add-header "Connection: close" --listen 128 --module "$module" \
     --procname-prefix-spaced "$name" --hook-master-start "unix_signal:15 gracefully_kill_them_all" \
     --worker-reload-mercy 10 "$@"
}
export PYTHONWARNINGS=ignore
if [ "$ONLY" != cinder ]; then
  uwsgi_bg keystone "$KS_PORT" "$KS_PROCESSES" keystone.wsgi.api:application \
     --env "OS_KEYSTONE_CONFIG_DIR=$ETC/keystone"
  wait_port "$KS_PORT" 60
  until curl -sf "$KS_URL" >/dev/null; do sleep 0.3; done
  log "keystone up on $KS_URL"
fi
[ "$ONLY" = keystone ] && exit 0

raise_max_connections  # see env.sh
CCONF=(--config-file "$ETC/cinder/cinder.conf")
uwsgi_bg glance-api "$GLANCE_PORT" "$GLANCE_PROCESSES" glance.wsgi.api:application \
   --env "OS_GLANCE_CONFIG_DIR=$ETC/glance"
# cinder's WSGI app parses sys.argv[1:] (uwsgi --pyargv) for its config and log file
uwsgi_bg cinder-api "$CINDER_PORT" "$API_PROCESSES" cinder.wsgi.api:application \
   --pyargv "--config-file $ETC/cinder/cinder.conf --log-file $LOGS/cinder-api.log"
bg cinder-scheduler "$VENV/bin/cinder-scheduler" "${CCONF[@]}" --log-file "$LOGS/cinder-scheduler.log"
# cinder-volume in a private mount namespace: the export directory is bind-mounted on the
# mount point the NFS driver derives from the share (mount_base/md5(share)), so the driver
# finds its share "already mounted" in /proc/mounts and never calls mount.nfs. The mount
# disappears with the process; nothing is mounted in the host's namespace.
MNT="$NFS_MOUNT_BASE/$(printf %s "$NFS_SHARE" | md5sum | cut -d' ' -f1)"
mkdir -p "$MNT" "$NFS_EXPORT"
bg cinder-volume unshare --mount --propagation private -- /bin/sh -c \
   'mount --bind "$1" "$2" && shift 2 && exec "$@"' cinder-volume-ns "$NFS_EXPORT" "$MNT" \
   "$VENV/bin/cinder-volume" "${CCONF[@]}" --log-file "$LOGS/cinder-volume.log"
if [ "$CINDER_BACKUP" = 1 ]; then
  bg cinder-backup "$VENV/bin/cinder-backup" "${CCONF[@]}" --log-file "$LOGS/cinder-backup.log"
fi
"$VENV/bin/python" "$HERE/anchorctl.py" wait --timeout "$START_TIMEOUT"
log "cinder ready on $CINDER_URL after $(echo "$(date +%s.%N) - $T0" | bc) s"
