#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is down, create the project's role and
# database, and enable PostGIS and pgRouting. Safe to run any number of times.
# With DATABASE_URL set (an external database), it only checks the extensions.
set -euo pipefail

DB_NAME="${PGDATABASE:-anglemort}"
DB_USER="${PGUSER:-anglemort}"
DB_PASSWORD="${PGPASSWORD:-anglemort}"
DB_PORT="${PGPORT:-5432}"

# psql as the postgres superuser must not pick up the project's PG* connection variables
# (PGDATABASE names a database this script may not have created yet).
unset PGDATABASE PGUSER PGPASSWORD PGHOST

if [ -n "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL is set: using that database as it is (migrations enable the extensions)."
  exit 0
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$*"
  elif [ "$(id -un)" = "postgres" ]; then
    sh -c "$*"
  else
    sudo -u postgres sh -c "$*"
  fi
}

PG_VERSION="$(ls /usr/lib/postgresql/ | sort -n | tail -1)"
if command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v' | grep -q .; then
    echo "Creating PostgreSQL $PG_VERSION cluster 'main'."
    pg_createcluster "$PG_VERSION" main --port "$DB_PORT" >/dev/null
  fi
  CLUSTER="$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v {print $2; exit}')"
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    echo "Starting PostgreSQL $PG_VERSION/$CLUSTER."
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" start
  fi
fi

wait_for_server() {
  for _ in $(seq 1 30); do
    as_postgres "psql -p $DB_PORT -tAc 'select 1'" >/dev/null 2>&1 && return
    sleep 1
  done
}
wait_for_server

psql_admin() { as_postgres "PGOPTIONS=--client-min-messages=warning psql -p $DB_PORT -v ON_ERROR_STOP=1 -q $*"; }

# Server settings for this machine (docs/deployment.md says why each): Debian's defaults
# (128 MB of shared buffers, JIT on) suit a small shared server, not a map of millions of
# cameras whose readers each touch thousands of table pages. ALTER SYSTEM keeps them in
# postgresql.auto.conf; a restart applies the memory ones, only when they changed.
# ANGLEMORT_TUNE_POSTGRES=0 leaves the server's settings alone.
if [ "${ANGLEMORT_TUNE_POSTGRES:-1}" != "0" ]; then
  MEM_MB="$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"
  SHARED_MB=$(( MEM_MB / 4 )); [ "$SHARED_MB" -gt 8192 ] && SHARED_MB=8192
  [ "$SHARED_MB" -lt 128 ] && SHARED_MB=128
  CACHE_MB=$(( MEM_MB / 2 ))
  # PostgreSQL's own rule (a 32nd of the shared buffers) without its 16 MB cap, up to 128 MB.
  WAL_BUFFERS_MB=$(( SHARED_MB / 32 )); [ "$WAL_BUFFERS_MB" -gt 128 ] && WAL_BUFFERS_MB=128
  psql_admin "-c \"alter system set shared_buffers = '${SHARED_MB}MB'\"" \
    "-c \"alter system set effective_cache_size = '${CACHE_MB}MB'\"" \
    "-c \"alter system set work_mem = '16MB'\"" \
    "-c \"alter system set maintenance_work_mem = '512MB'\"" \
    "-c \"alter system set random_page_cost = 1.1\"" \
    "-c \"alter system set jit = off\"" \
    "-c \"alter system set max_wal_size = '8GB'\"" \
    "-c \"alter system set wal_writer_delay = '10ms'\"" \
    "-c \"alter system set wal_buffers = '${WAL_BUFFERS_MB}MB'\"" \
    "-c 'select pg_reload_conf()'" >/dev/null
  if as_postgres "psql -p $DB_PORT -tAc 'select count(*) from pg_settings where pending_restart'" | grep -qv '^0$'; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "Restarting PostgreSQL $PG_VERSION/$CLUSTER to apply shared_buffers = ${SHARED_MB}MB, wal_buffers = ${WAL_BUFFERS_MB}MB."
      pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart
      wait_for_server
    else
      echo "shared_buffers = ${SHARED_MB}MB and wal_buffers = ${WAL_BUFFERS_MB}MB apply at the server's next restart."
    fi
  fi
fi

# The role may create databases (the test database) but is not a superuser.
if ! as_postgres "psql -p $DB_PORT -tAc \"select 1 from pg_roles where rolname='$DB_USER'\"" | grep -q 1; then
  psql_admin "-c \"create role $DB_USER login createdb password '$DB_PASSWORD'\""
  echo "Created role $DB_USER."
fi

# Extensions live in template1 too, so every database created later (the test database
# included) starts with PostGIS and pgRouting without needing a superuser.
for db in template1; do
  psql_admin "-d $db -c 'create extension if not exists postgis' -c 'create extension if not exists pgrouting'"
done

if ! as_postgres "psql -p $DB_PORT -tAc \"select 1 from pg_database where datname='$DB_NAME'\"" | grep -q 1; then
  psql_admin "-c 'create database $DB_NAME owner $DB_USER'"
  echo "Created database $DB_NAME."
fi
psql_admin "-d $DB_NAME -c 'create extension if not exists postgis' -c 'create extension if not exists pgrouting'"

VERSIONS="$(as_postgres "psql -p $DB_PORT -d $DB_NAME -tAc \"select 'PostGIS ' || postgis_lib_version() || ', pgRouting ' || pgr_version()\"")"
echo "Database $DB_NAME ready on 127.0.0.1:$DB_PORT ($VERSIONS)."
