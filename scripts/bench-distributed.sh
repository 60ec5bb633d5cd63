#!/usr/bin/env bash
# Runs `chorus bench social` against Chorus in distributed mode on this
# machine: auth, users, posts, feed, notifications, chat, media and the
# gateway as eight processes on the local PostgreSQL, Redis and RabbitMQ
# (scripts/services.sh start).
#
#   scripts/bench-distributed.sh [bench social flags…]
#   e.g. scripts/bench-distributed.sh --graph reed98 --duration 20
#
# Uses target/release/chorus (cargo build --release -p chorus). Everything
# it starts is stopped on exit; its data lives in a fresh namespace.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
chorus=${CHORUS_BIN:-$root/target/release/chorus}
[ -x "$chorus" ] || { echo "build it first: cargo build --release -p chorus" >&2; exit 1; }

work=$(mktemp -d)
namespace="bench_$(date +%s)"
# `start` runs in a command substitution (a subshell), so the pids it
# starts are kept in a file, not a variable.
cleanup() {
  if [ -f "$work/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$work/pids"
    while read -r pid; do
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    done < "$work/pids"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
key=$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
infra="[infra]
store_url = \"postgres://root@127.0.0.1:5432/test\"
cache_url = \"redis://127.0.0.1:6379\"
pubsub_url = \"redis://127.0.0.1:6379\"
bus_url = \"amqp://guest:guest@127.0.0.1:5672/%2f\"
namespace = \"$namespace\"

[security]
jwt_secret = \"$secret\"
internal_key = \"$key\"
access_ttl_secs = 86400

[log]
filter = \"warn\"

[auth.argon2]
memory_kib = 64
iterations = 1
parallelism = 1
"

# start NAME EXTRA-TOML: starts one process, prints the URL it listens on.
start() {
  local name=$1 extra=$2 config="$work/$1.toml" log="$work/$1.log"
  printf '%s\n%s\n' "$extra" "$infra" > "$config"
  "$chorus" serve --target "$name" --config "$config" > "$log" 2>&1 &
  echo $! >> "$work/pids"
  for _ in $(seq 1 100); do
    local url
    url=$(grep -o "chorus $name listening on http://[0-9.:]*" "$log" | head -1 | sed 's/.* on //') || true
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    sleep 0.2
  done
  echo "$name did not start; its log:" >&2; cat "$log" >&2; exit 1
}

listen='listen = "127.0.0.1:0"'
auth=$(start auth "[services.auth]
$listen")
users=$(start users "[services.users]
$listen")
# Posts (GraphQL) and the feed each call the other: the feed's port is chosen first.
feed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
posts=$(start posts "[services.posts]
$listen
[services.users]
urls = [\"$users\"]
[services.feed]
urls = [\"http://127.0.0.1:$feed_port\"]")
feed=$(start feed "[services.feed]
listen = \"127.0.0.1:$feed_port\"
[services.users]
urls = [\"$users\"]
[services.posts]
urls = [\"$posts\"]")
notifications=$(start notifications "[services.notifications]
$listen
[services.users]
urls = [\"$users\"]")
chat=$(start chat "[services.chat]
$listen
[services.users]
urls = [\"$users\"]")
# Media keeps its files in a local folder (no S3 adapter yet): the work folder.
media=$(start media "data_dir = \"$work/data\"
[services.media]
$listen")
gateway=$(start gateway "listen = \"127.0.0.1:0\"
[gateway.upstreams]
auth = [\"$auth\"]
users = [\"$users\"]
posts = [\"$posts\"]
feed = [\"$feed\"]
notifications = [\"$notifications\"]
chat = [\"$chat\"]
media = [\"$media\"]")
echo "distributed Chorus: gateway $gateway (auth $auth, users $users, posts $posts, feed $feed, notifications $notifications, chat $chat, media $media)" >&2
"$chorus" bench social --url "$gateway" "$@"
