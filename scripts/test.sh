#!/usr/bin/env bash
# The whole test run CI makes: unit, functional and HA tests on SQLite, MariaDB and
# PostgreSQL, then the Tempest ratchet.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
export ONESTACK_TEST_DATABASES=${ONESTACK_TEST_DATABASES:-sqlite,mysql+pymysql://root@127.0.0.1,postgresql+psycopg://postgres@127.0.0.1}
# the guest image the real-guest tests boot (cached under ~/.cache/onestack-guest: a few
# seconds, nothing when its inputs are unchanged); without it those tests skip and say so
python3 scripts/build_guest_image.py --out "$HOME/.cache/onestack-guest" \
  || echo "the guest image did not build: the real-guest tests will skip"
set +e
.venv/bin/pytest -p no:cacheprovider --durations=25 "$@"
rc=$?
set -e
scripts/tempest_ratchet.sh || rc=1
[ $rc -eq 0 ] && echo "all tests passed" || echo "tests FAILED"
exit $rc
