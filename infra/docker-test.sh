#!/bin/bash
# make docker-test: build the image from infra/Dockerfile and run docker-compose.yml with it on
# this machine, then check it from outside (infra/docker_check.py): every service ready, the
# first admin signs in, a survey answered through the gateway reaches metrics; then that each
# service's backup runs in its container and that every container runs read-only, not as root.
#  - Installs Debian's docker.io, mmdebstrap and docker-compose when missing, and starts its
#    own dockerd when none answers (stopped again at the end).
#  - Base images are local stand-ins made from Debian's archive (infra/standins/build.sh), given
#    to the Dockerfile as build arguments; PostgreSQL too (infra/compose.standin.yml, the only
#    override). Builds use the host's network, so package installs reach the registries.
#  - Uses `docker compose` where the plugin is present, else Debian's docker-compose.
#  - Idempotent: a second run reuses the stand-ins and the build cache; the compose project
#    (containers, network, volumes) is removed at the end, pass or fail.
# Ports on 127.0.0.1: CX_DOCKER_TEST_PORT (gateway; 18600 by default) and the next three.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${CX_DOCKER_TEST_PORT:-18600}
project=cxloop-docker-test
work=$(mktemp -d)
log() { echo "docker-test: $*"; }
started=$(date +%s)

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  missing+=(docker-compose)
fi
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  # With their recommends (mmdebstrap's include gpg and mount), as tried here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The Debian client matches the Debian engine; another client on PATH may be newer.
docker=docker
[ -x /usr/bin/docker ] && docker=/usr/bin/docker
if $docker compose version >/dev/null 2>&1; then
  compose=($docker compose)
else
  # Compose v1 honours deploy.replicas only in compatibility mode.
  compose=(docker-compose --compatibility)
fi
compose+=(-p "$project" -f docker-compose.yml -f infra/compose.standin.yml)

dockerd_pid=
cleanup() {
  status=$?
  if [ -n "${compose_up:-}" ]; then
    if ((status)); then "${compose[@]}" ps || true; "${compose[@]}" logs --tail=40 || true; fi
    "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
  fi
  if [ -n "$dockerd_pid" ]; then
    log "stopping the dockerd it started"
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
if ! $docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $work/dockerd.log)"
  dockerd >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do $docker info >/dev/null 2>&1 && break; sleep 0.5; done
  $docker info >/dev/null
fi

sh infra/standins/build.sh "$docker"
log "building the image (log: $work/build.log)"
# Certificate authorities this machine added to its trust store (as update-ca-certificates
# reads them), such as an inspecting proxy's, for the build stages' downloads.
extra_ca=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
build() {
  $docker build --network host \
    --build-arg PYTHON_IMAGE=cxloop-standin/python:3.11 \
    --build-arg NODE_IMAGE=cxloop-standin/node:bookworm \
    --build-arg EXTRA_CA_CERTS="$extra_ca" \
    -f infra/Dockerfile "$@" . >>"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
}
# The build stages are tagged too (cxloop-cache:…), so that they stay the build cache of the
# next run while what earlier builds left untagged is removed (every image built on the
# stand-ins carries their label).
build --target assets -t cxloop-cache:assets
build --target build -t cxloop-cache:build
build -t cxloop:latest
$docker image prune --force --filter label=cxloop.standin >/dev/null
size=$($docker image inspect -f '{{.Size}}' cxloop:latest)
user=$($docker image inspect -f '{{.Config.User}}' cxloop:latest)
log "image cxloop:latest: $((size / 1000000)) MB, runs as $user"
[ "$user" = cxloop ]
# No build tools nor tests in it.
$docker run --rm --network none --read-only cxloop:latest sh -c \
  '! command -v gcc && ! command -v cc && ! command -v npm && ! command -v uv \
   && test -z "$(find /app -type d \( -name tests -o -name test \) | head -1)" \
   && python -c "import scipy.stats, scipy.special, scipy.sparse.csgraph, sklearn.linear_model, \
        sklearn.metrics, sklearn.model_selection, numpy"' \
  >/dev/null || { log "the image holds build tools or tests"; exit 1; }

export CX_PUBLISH_ADDRESS=127.0.0.1 CX_GATEWAY_PORT=$port CX_JOURNEY_PORT=$((port + 1)) \
  CX_FEEDBACK_PORT=$((port + 2)) CX_METRICS_PORT=$((port + 3)) \
  CX_PUBLIC_URL=http://127.0.0.1:$port
for name in POSTGRES JOURNEY_DB FEEDBACK_DB METRICS_DB GATEWAY_DB; do
  export "${name}_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
done
"${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true  # a run cut short
compose_up=1
log "starting docker-compose.yml (${compose[0]})"
"${compose[@]}" up -d --no-build --quiet-pull 2>&1 | grep -v -e '^Creating' -e '^Starting' || true
"${compose[@]}" ps
# The first admin's password, shown once in setup's log; the keys, from the key volume.
"${compose[@]}" logs --no-color setup \
  | sed -n 's/.*sign in as admin@example.com with the password \(\S*\) (shown only once).*/\1/p' \
  >"$work/admin_password"
[ -s "$work/admin_password" ] || { log "setup showed no admin password"; exit 1; }
for key in gateway_journey_api_key gateway_feedback_api_key gateway_metrics_api_key; do
  "${compose[@]}" exec -T gateway cat "/run/cxloop/$key" >"$work/$key"
done
python3 infra/docker_check.py "$port" $((port + 1)) $((port + 2)) $((port + 3)) "$work"
# The image's pg_dump backs up each service's database (onto the containers' /tmp).
for service in journey feedback metrics gateway; do
  "${compose[@]}" exec -T "$service" sh -c \
    "cx-$service backup /tmp/backup.dump >/dev/null && test -s /tmp/backup.dump && rm /tmp/backup.dump"
done
log "each service's database backed up with the image's pg_dump"
# Every service's containers, relays included, still running; none as root.
for service in journey journey-relay feedback feedback-relay metrics metrics-relay gateway; do
  ids=$("${compose[@]}" ps -q "$service")
  [ "$(echo "$ids" | wc -w)" -ge 1 ] || { log "$service is not running"; exit 1; }
  for id in $ids; do
    [ "$($docker inspect -f '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}}' "$id")" = "true true" ] \
      || { log "$service ($id) stopped or writable"; exit 1; }
    [ "$($docker exec "$id" id -u)" != 0 ] || { log "$service runs as root"; exit 1; }
  done
done
log "passed in $(($(date +%s) - started)) s"
