#!/bin/sh
# One role and one database per service, each role owning only its own database. Run once by
# the postgres image on an empty data volume; passwords come from the environment.
set -eu
for service in journey feedback metrics gateway; do
  password=$(eval "printf '%s' \"\${$(echo "$service" | tr a-z A-Z)_DB_PASSWORD}\"")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=role="$service" --set=password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
