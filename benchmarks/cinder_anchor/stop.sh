#!/usr/bin/env bash
# Stop what start.sh started (by the pid files under run/pids only; each was started with
# setsid, so its process group id == its pid and the group holds its workers).
#   ./stop.sh            everything
#   ./stop.sh cinder     cinder-volume, cinder-scheduler, cinder-backup, cinder-api, glance-api
#   ./stop.sh keystone
set -uo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
[ -d "$PIDS" ] || exit 0
# a copied folder's pid files name the original's processes: leave those alone
if [ -f "$RUN/.home" ] && [ "$(cat "$RUN/.home")" != "$RUN" ]; then
  echo "[stop] $RUN was copied from $(cat "$RUN/.home"); not touching its pid files (run setup.sh)"; exit 0
fi
stop_one() {
  local f="$PIDS/$1.pid"; [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; fi
    echo "[stop] $1 (pid $pid) stopped"
  fi
  rm -f "$f"
}
WHAT="${1:-all}"
if [ "$WHAT" = all ] || [ "$WHAT" = cinder ]; then
  for s in cinder-backup cinder-volume cinder-scheduler cinder-api glance-api; do stop_one "$s"; done
fi
if [ "$WHAT" = all ] || [ "$WHAT" = keystone ]; then stop_one keystone; fi
exit 0
