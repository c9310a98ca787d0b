#!/bin/sh
# The stand-in PostgreSQL's entrypoint, doing what the official image's does for
# docker-compose.yml: on an empty PGDATA make a cluster whose superuser (POSTGRES_USER, postgres
# by default) has POSTGRES_PASSWORD, password authentication from the network, run the scripts in
# /docker-entrypoint-initdb.d against a server listening on its socket only, then serve.
set -eu
export POSTGRES_USER="${POSTGRES_USER:-postgres}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?}" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  printf '%s\n' "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --options="-c listen_addresses=''" start >/dev/null
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$script" ] || continue
    echo "running $script"
    if [ -x "$script" ]; then "$script"; else . "$script"; fi
  done
  pg_ctl --wait --mode=fast stop >/dev/null
fi
[ "${1:-}" = postgres ] && shift && set -- postgres -c listen_addresses='*' "$@"
exec "$@"
