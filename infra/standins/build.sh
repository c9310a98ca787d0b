#!/bin/sh
# Local stand-ins for the official base images, made from Debian's archive (bookworm, whose
# python3 is the 3.11 the lock file is resolved for) where those images cannot be pulled:
#   cxloop-standin/python:3.11   python3 + venv      (for python:3.11-slim)
#   cxloop-standin/node:bookworm nodejs + npm        (for node:20-slim)
#   cxloop-standin/postgres:15   PostgreSQL 15 with an entrypoint like the official image's
# mmdebstrap makes each root filesystem as a tar stream and `docker import` turns it into an
# image. An image is made again only when what it is made of changes (the hash of its packages,
# hook, settings and the entrypoint is the image's label).
# Usage: infra/standins/build.sh [docker command]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export CX_STANDINS="$here"  # for the hooks
docker=${1:-docker}
suite=bookworm
mirrors="deb http://deb.debian.org/debian $suite main
deb http://deb.debian.org/debian $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main"

standin() {  # name packages mmdebstrap-hook [docker import --change …]
  name=$1 packages=$2 hook=$3
  shift 3
  digest=$(printf '%s\n' "$suite" "$packages" "$hook" "$@" | cat - "$here/postgres-entrypoint.sh" \
    | sha256sum | cut -c1-16)
  if [ "$($docker image inspect -f '{{index .Config.Labels "cxloop.standin"}}' "$name" 2>/dev/null)" = "$digest" ]; then
    return
  fi
  previous=$($docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  echo "stand-in $name: $packages"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT INT TERM
  # minbase, no recommends; documentation, man pages and translations left out; /usr merged by
  # mmdebstrap's hook rather than the usrmerge package (which brings the whole of Perl).
  printf '%s\n' "$mirrors" | mmdebstrap --quiet --variant=minbase --include="$packages" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --customize-hook="$hook" \
    "$suite" "$root/rootfs.tar" - >"$root/log" 2>&1 || { cat "$root/log"; rm -rf "$root"; exit 1; }
  $docker import --change "LABEL cxloop.standin=$digest" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' "$@" "$root/rootfs.tar" "$name" >/dev/null
  rm -rf "$root"
  # The image it replaces, unless a container or image still uses it.
  [ -z "$previous" ] || $docker rmi "$previous" >/dev/null 2>&1 || true
}

standin cxloop-standin/python:3.11 ca-certificates,python3,python3-venv,python-is-python3 true \
  --change 'CMD ["python3"]'
standin cxloop-standin/node:bookworm ca-certificates,nodejs,npm true --change 'CMD ["node"]'
# The package's own cluster (made by its install script) is removed: the entrypoint makes one
# in PGDATA, as the official image does.
standin cxloop-standin/postgres:15 postgresql-15 \
  'rm -rf "$1"/var/lib/postgresql/15 "$1"/etc/postgresql/15 \
   && cp "$CX_STANDINS"/postgres-entrypoint.sh "$1"/docker-entrypoint.sh \
   && chmod 755 "$1"/docker-entrypoint.sh' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["/docker-entrypoint.sh"]' --change 'CMD ["postgres"]' \
  --change 'EXPOSE 5432'
