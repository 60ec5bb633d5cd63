#!/usr/bin/env bash
# The fault suite: starts a cluster (`chorus cluster up`: two instances of
# every service, two gateways, nginx), drives a steady mix through it and,
# in turn, SIGKILLs one instance of each service and a gateway, restarts
# RabbitMQ, stops Redis for 30 s and restarts PostgreSQL; then checks every
# acknowledged write, every event and every count. Prints the table; brings
# the cluster down (purged) whatever happens.
#
#   scripts/fault-suite.sh [chorus cluster faults flags…]
#   e.g. scripts/fault-suite.sh --report RELIABILITY.md
#
# It restarts this machine's RabbitMQ, Redis and PostgreSQL: run it alone.
# Uses CHORUS_BIN, else target/release/chorus, else target/debug/chorus
# (under CARGO_TARGET_DIR when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
chorus=${CHORUS_BIN:-}
if [ -z "$chorus" ]; then
  for candidate in "$target/release/chorus" "$target/debug/chorus"; do
    if [ -x "$candidate" ]; then chorus=$candidate; break; fi
  done
fi
[ -n "$chorus" ] || { echo "build it first: cargo build -p chorus" >&2; exit 1; }

work=$(mktemp -d)
export CHORUS_CLUSTER_DIR="$work/cluster"
cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ -d "$CHORUS_CLUSTER_DIR/logs" ]; then
    for log in "$CHORUS_CLUSTER_DIR"/logs/*.log; do
      echo "--- the end of $(basename "$log")" >&2
      tail -n 15 "$log" >&2
    done
  fi
  "$chorus" cluster down --purge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$chorus" cluster up --listen 127.0.0.1:18999 --base-port 18100 --name "faults_$(date +%s)"
"$chorus" cluster faults "$@"
