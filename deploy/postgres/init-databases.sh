#!/bin/sh
# Runs once, when the PostgreSQL data directory is first created (docker-entrypoint-initdb.d):
# one database and one owner role per service, each with its own password, so a service can
# neither read nor migrate another's tables. Passwords come from the container's environment.
set -eu
for service in intake routing supervision notify; do
  var="XINFANG_DB_$(echo "$service" | tr a-z A-Z)_PASSWORD"
  password=$(printenv "$var") || { echo "init-databases: $var is not set" >&2; exit 1; }
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
