#!/usr/bin/env bash
# The end-to-end suites' distributed scenarios, and the realtime tests that
# need two instances, against a cluster (`chorus cluster up`: two of every
# service, two gateways, nginx in front) instead of one process per service.
# Scenarios that need settings of their own get a cluster each; the others
# share one, brought down (purged) at the end.
#
#   scripts/e2e-cluster.sh [test name filters…]   (default: every distributed test)
#
# Uses CHORUS_BIN, else the debug build (under CARGO_TARGET_DIR when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
cargo build -p chorus --tests --quiet
chorus=${CHORUS_BIN:-$target/debug/chorus}

work=$(mktemp -d)
export CHORUS_E2E_CLUSTER_DIR="$work/cluster"
cleanup() {
  CHORUS_CLUSTER_DIR="$CHORUS_E2E_CLUSTER_DIR" "$chorus" cluster down --purge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

CHORUS_CLUSTER_DIR="$CHORUS_E2E_CLUSTER_DIR" "$chorus" cluster up \
  --listen 127.0.0.1:18899 --base-port 18200 --name "e2e_cluster_$(date +%s)" >/dev/null
echo "e2e-cluster: a cluster runs on http://127.0.0.1:18899"

if [ "$#" = 0 ]; then
  set -- distributed chat_instances comments_stream::a_stream python_clients failover cluster::
fi
CHORUS_REQUIRE_SERVERS=1 cargo test -p chorus --test e2e -- "$@"
