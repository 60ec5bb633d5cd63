#!/usr/bin/env bash
# Checks the shipping artifacts without a Docker engine or a cluster:
#
#   deploy/compose   `docker-compose config -q` (Debian's docker-compose 1.29),
#                    nginx.conf with `nginx -t`, Prometheus and Grafana files
#                    parse, and the dashboard uses only metrics the code records
#   deploy/k8s       every manifest against the Kubernetes 1.31 schemas
#                    (kubernetes-validate --strict); kustomization.yaml lists
#                    exactly the manifests there are (and `kubectl kustomize`
#                    builds them, when kubectl is installed)
#   settings         when a chorus binary is at hand (CHORUS_BIN, or
#                    target/{debug,release}/chorus), `chorus config` accepts
#                    the environment of every compose service and k8s
#                    Deployment, and it sets what they mean it to
#   CI workflow      .github/workflows/*.yml against GitHub's workflow schema
#                    (and the compose file against the compose specification)
#   Dockerfile       `docker build --check` only when a Docker engine answers
#
# Installs what it lacks (Debian/Ubuntu): docker-compose and nginx-light
# with apt, kubernetes-validate and check-jsonschema (pinned) with pip.
# Used by .ci/run and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE_VERSION=1.31.0
CHECK_JSONSCHEMA_VERSION=0.39.0
KUBERNETES_VERSION=1.31.0

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
install() { # packages…
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
skip() { echo "skipped: $*"; }

echo "-- tools"
command -v docker-compose >/dev/null || install docker-compose
pip_has() { # package version
  [ "$(python3 -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p')" = "$2" ]
}
pip_has kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" \
  || python3 -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
pip_has check-jsonschema "$CHECK_JSONSCHEMA_VERSION" \
  || python3 -m pip install --quiet --disable-pip-version-check "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
# nginx-light is about 1 MB from apt: worth it for `nginx -t`.
command -v nginx >/dev/null || install nginx-light || true
docker-compose version --short

echo "-- compose: docker-compose config"
# The compose file requires its secrets from .env; the example stands in.
docker-compose --project-directory deploy/compose --env-file deploy/compose/.env.example \
  -f deploy/compose/docker-compose.yml config -q || fail "docker-compose config"
compose_json=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$compose_json" "$tmp"' EXIT
docker-compose --project-directory deploy/compose --env-file deploy/compose/.env.example \
  -f deploy/compose/docker-compose.yml config > "$compose_json"

echo "-- compose and CI workflow: their JSON schemas (check-jsonschema's vendored copies)"
# The compose specification as Docker Compose v2 reads it, beside 1.29's check.
check-jsonschema --builtin-schema vendor.compose-spec deploy/compose/docker-compose.yml \
  || fail "compose-spec schema"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml \
  || fail "GitHub workflow schema"

echo "-- compose: nginx -t"
if command -v nginx >/dev/null; then
  # The gateways' names only resolve inside compose's network.
  sed -e 's/gateway-1:8080/127.0.0.1:18081/' -e 's/gateway-2:8080/127.0.0.1:18082/' \
    deploy/compose/nginx.conf > "$tmp/nginx.conf"
  as_root nginx -t -q -e /dev/stderr -c "$tmp/nginx.conf" || fail "nginx -t deploy/compose/nginx.conf"
else
  skip "nginx -t: nginx is not installed and could not be"
fi

echo "-- compose: Prometheus, Grafana, and the metrics they name"
python3 - "$compose_json" <<'PY' || fail "Prometheus/Grafana files"
import json, pathlib, re, sys, yaml

ok = True
def bad(message):
    global ok
    ok = False
    print("  " + message, file=sys.stderr)

root = pathlib.Path("deploy/compose")
compose = yaml.safe_load(open(sys.argv[1]))
prometheus = yaml.safe_load((root / "prometheus.yml").read_text())
for path in (root / "grafana/provisioning").rglob("*.yml"):
    yaml.safe_load(path.read_text())
dashboards = [json.loads(p.read_text()) for p in (root / "grafana/dashboards").glob("*.json")]
if not dashboards:
    bad("no Grafana dashboard")

# Every Chorus process is scraped, at the port it listens on.
targets = {t for job in prometheus["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
for name, service in compose["services"].items():
    command = service.get("command") or []
    if command[:2] != ["serve", "--target"]:
        continue
    env = service.get("environment", {})
    target = command[2]
    listen = env.get("CHORUS_LISTEN") if target == "gateway" else env.get(f"CHORUS_SERVICES__{target.upper()}__LISTEN")
    if not listen:
        bad(f"compose service {name} sets no listener")
        continue
    if f"{name}:{listen.rsplit(':', 1)[1]}" not in targets:
        bad(f"prometheus.yml does not scrape {name}:{listen.rsplit(':', 1)[1]}")

# The dashboard's Chorus metrics are ones the code records.
source = "\n".join(p.read_text() for p in pathlib.Path("crates").rglob("*.rs") if "/tests/" not in str(p))
recorded = set(re.findall(r'(?:counter|histogram|gauge)!\(\s*"(chorus_[a-z0-9_]+)"', source))
recorded |= set(re.findall(r'const [A-Z_]+: &str = "(chorus_[a-z0-9_]+)";', source))
for dashboard in dashboards:
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            for metric in re.findall(r"\b(chorus_[a-z0-9_]+)", target.get("expr", "")):
                base = re.sub(r"_(bucket|sum|count)$", "", metric)
                if metric not in recorded and base not in recorded:
                    bad(f"dashboard panel {panel['title']!r} uses {metric}, which no code records")
sys.exit(0 if ok else 1)
PY

echo "-- k8s: kustomization lists exactly the manifests"
python3 - <<'PY' || fail "kustomization.yaml"
import pathlib, sys, yaml
root = pathlib.Path("deploy/k8s")
listed = yaml.safe_load((root / "kustomization.yaml").read_text()).get("resources", [])
present = {p.name for p in root.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
missing = [r for r in listed if not (root / r).is_file()]
unlisted = sorted(present - set(listed))
for r in missing:
    print(f"  kustomization.yaml lists {r}, which does not exist", file=sys.stderr)
for r in unlisted:
    print(f"  {r} is not listed in kustomization.yaml", file=sys.stderr)
sys.exit(1 if missing or unlisted else 0)
PY

echo "-- k8s: kubernetes-validate --strict (Kubernetes $KUBERNETES_VERSION)"
manifests=()
for file in deploy/k8s/*.yaml; do
  case "$(basename "$file")" in kustomization.yaml|secret.example.yaml) continue ;; esac
  manifests+=("$file")
done
kubernetes-validate --strict --quiet -k "$KUBERNETES_VERSION" "${manifests[@]}" \
  || fail "kubernetes-validate"
if command -v kubectl >/dev/null; then
  kubectl kustomize deploy/k8s > "$tmp/k8s.yaml" || fail "kubectl kustomize deploy/k8s"
  echo "kubectl kustomize: $(grep -c '^kind:' "$tmp/k8s.yaml") resources"
else
  skip "kubectl kustomize: kubectl is not installed"
fi

echo "-- settings: chorus config with the deployments' environments"
chorus_bin=${CHORUS_BIN:-}
if [ -z "$chorus_bin" ]; then
  target_dir=${CARGO_TARGET_DIR:-target}
  for candidate in "$target_dir/debug/chorus" "$target_dir/release/chorus"; do
    [ -x "$candidate" ] && chorus_bin=$(realpath "$candidate") && break
  done
fi
if [ -n "$chorus_bin" ]; then
  echo "with $chorus_bin (built $(date -r "$chorus_bin" '+%F %T'))"
  python3 - "$chorus_bin" "$compose_json" "$tmp" <<'PY' || fail "chorus config with the deployments' environments"
import os, subprocess, sys, tomllib, yaml

binary, compose_json, scratch = sys.argv[1:]
ok = True
def check(where, env, target):
    """`chorus config` accepts env, and it sets the listener and peers."""
    global ok
    run = subprocess.run([binary, "config"], env={"PATH": os.environ["PATH"], **env},
                         capture_output=True, text=True, cwd=scratch)
    if run.returncode != 0:
        ok = False
        print(f"  {where}: {run.stderr.strip()}", file=sys.stderr)
        return
    config = tomllib.loads(run.stdout)
    problems = []
    if target == "gateway":
        if not config["listen"].startswith("0.0.0.0:"):
            problems.append(f"listen = {config['listen']}")
        upstreams = config["gateway"].get("upstreams", {})
        for service in ("auth", "users", "posts", "feed", "notifications", "chat", "media", "search"):
            if not upstreams.get(service):
                problems.append(f"gateway.upstreams.{service} is empty")
    elif not (config["services"].get(target, {}).get("listen") or "").startswith("0.0.0.0:"):
        problems.append(f"services.{target}.listen is not set")
    if target in ("posts", "feed", "notifications", "chat", "search"):
        for peer in ("users", "posts") if target in ("feed", "search") else ("users",):
            if not config["services"].get(peer, {}).get("urls"):
                problems.append(f"services.{peer}.urls is empty")
    if config["infra"]["store_url"] == "sqlite" or config["infra"]["bus_url"] == "memory":
        problems.append("still on embedded adapters")
    if not config["infra"]["blobs_url"].startswith("s3://"):
        problems.append("media is not on S3")
    if config["security"]["jwt_secret"] != "[redacted]":
        problems.append("no jwt_secret")
    if problems:
        ok = False
        print(f"  {where}: " + "; ".join(problems), file=sys.stderr)

checked = 0
for name, service in yaml.safe_load(open(compose_json))["services"].items():
    command = service.get("command") or []
    if command[:2] == ["serve", "--target"]:
        env = {k: str(v) for k, v in service["environment"].items()}
        check(f"compose {name}", env, command[2])
        checked += 1

shared = yaml.safe_load(open("deploy/k8s/configmap.yaml"))["data"]
secret = yaml.safe_load(open("deploy/k8s/secret.example.yaml"))["stringData"]
for path in sorted(os.listdir("deploy/k8s")):
    if not path.endswith(".yaml"):
        continue
    for doc in yaml.safe_load_all(open(f"deploy/k8s/{path}")):
        if not doc or doc.get("kind") != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            env = {**shared, **secret, **{e["name"]: e["value"] for e in container.get("env", [])}}
            check(f"k8s {doc['metadata']['name']}", env, container["args"][-1])
            checked += 1
print(f"chorus config accepted {checked} environments")
sys.exit(0 if ok else 1)
PY
else
  skip "chorus config checks: no chorus binary (build one, or set CHORUS_BIN)"
fi

echo "-- Dockerfile"
if docker info >/dev/null 2>&1; then
  docker build --check . || fail "docker build --check"
else
  skip "docker build --check: no Docker engine answers (CI's image job builds it)"
fi

if [ "$failed" != 0 ]; then
  echo "deployment artifacts: FAILED" >&2
  exit 1
fi
echo "deployment artifacts: ok"
