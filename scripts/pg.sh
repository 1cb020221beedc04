# A throw-away PostgreSQL cluster for tests and benchmarks. Source it, then call
# start_throwaway_postgres: it creates the roles of ref/sql/roles.sql (prefix getyour_test),
# exports GETYOUR_TEST_DATABASE_URL and GETYOUR_TEST_ANALYTICS_DATABASE_URL (the base role),
# GETYOUR_TEST_MIGRATION_DATABASE_URL and GETYOUR_TEST_ANALYTICS_MIGRATION_DATABASE_URL (the
# migration role) and GETYOUR_TEST_APP_ROLE, and stops the cluster when the shell exits.
# use_throwaway_postgres_for_app points the app's own settings at it (serve, migrate, jobs).
# shellcheck shell=bash

start_throwaway_postgres() {
  local pgbin
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$pgbin/initdb" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  PG_PORT="${GETYOUR_TEST_PG_PORT:-54329}"
  while (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; do PG_PORT=$((PG_PORT + 1)); done
  PG_DATA="$(mktemp -d /tmp/getyour-pg.XXXXXX)"
  local as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root: run the cluster as the postgres user the package creates.
    chown postgres:postgres "$PG_DATA"
    as_pg=(runuser -u postgres --)
  fi
  chmod 700 "$PG_DATA"
  # Tests trade durability for speed; scripts/bench sets PG_DURABLE=1 to measure with the
  # server's defaults (every commit flushed), as in production.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_DURABLE:-0}" = 1 ] && durability=""
  PG_AS=("${as_pg[@]}") PG_BIN="$pgbin"
  on_exit stop_throwaway_postgres
  "${as_pg[@]}" "$pgbin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA $durability -c max_connections=2000 -c random_page_cost=1.1" \
    start >/dev/null || { cat "$PG_DATA/server.log" >&2; die "PostgreSQL did not start"; }
  PG_PSQL=("${as_pg[@]}" "$pgbin/psql" -h "$PG_DATA" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q)
  # The roles of ref/sql/roles.sql: migrations run as getyour_test_migrator, the suite and the
  # app as the base role getyour_test_app (no DDL, append-only audit_events).
  "${PG_PSQL[@]}" -d postgres -v prefix=getyour_test -v primary_db=getyour_test -v analytics_db=getyour_test_analytics \
    -v migrator_password=migrator -v app_password=app -v reader_password=reader -f "$ROOT/ref/sql/roles.sql" >/dev/null
  local base="127.0.0.1:$PG_PORT"
  export GETYOUR_TEST_DATABASE_URL="postgres://getyour_test_app:app@$base/getyour_test?sslmode=disable"
  export GETYOUR_TEST_ANALYTICS_DATABASE_URL="postgres://getyour_test_app:app@$base/getyour_test_analytics?sslmode=disable"
  export GETYOUR_TEST_MIGRATION_DATABASE_URL="postgres://getyour_test_migrator:migrator@$base/getyour_test?sslmode=disable"
  export GETYOUR_TEST_ANALYTICS_MIGRATION_DATABASE_URL="postgres://getyour_test_migrator:migrator@$base/getyour_test_analytics?sslmode=disable"
  export GETYOUR_TEST_APP_ROLE=getyour_test_app
  # For scripts that make more databases with ref/sql/roles.sql (Tests/ops/*): a superuser psql.
  export GETYOUR_TEST_PG_SUPERUSER_PSQL="${as_pg[*]} $pgbin/psql -h $PG_DATA -p $PG_PORT -U postgres"
  export GETYOUR_TEST_PG_ADDRESS="127.0.0.1:$PG_PORT"
  say "PostgreSQL running on 127.0.0.1:$PG_PORT"
}

stop_throwaway_postgres() {
  [ -n "${PG_DATA:-}" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DATA"
  PG_DATA=""
}

# Points GETYOUR_DATABASE_* at the throw-away cluster: the app as the base role, `migrate` as
# the migration role, which then grants the base role its rights.
use_throwaway_postgres_for_app() {
  export GETYOUR_DATABASE_PRIMARY_URL="$GETYOUR_TEST_DATABASE_URL"
  export GETYOUR_DATABASE_ANALYTICS_URL="$GETYOUR_TEST_ANALYTICS_DATABASE_URL"
  export GETYOUR_DATABASE_PRIMARY_MIGRATION_URL="$GETYOUR_TEST_MIGRATION_DATABASE_URL"
  export GETYOUR_DATABASE_ANALYTICS_MIGRATION_URL="$GETYOUR_TEST_ANALYTICS_MIGRATION_DATABASE_URL"
  export GETYOUR_DATABASE_APP_ROLE="$GETYOUR_TEST_APP_ROLE"
  export GETYOUR_DATABASE_ANALYTICS_READER_ROLE=getyour_test_analytics_reader
}
