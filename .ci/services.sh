# shellcheck shell=bash
# Private redis-server and PostgreSQL for the clustering tests. Meant to be *sourced* (by .ci/run, or by hand):
#
#   source .ci/services.sh        # installs what is missing, starts both, exports:
#                                 #   BRUMMER_TEST_REDIS=127.0.0.1:PORT
#                                 #   BRUMMER_TEST_POSTGRES=postgres://brummer:brummer@127.0.0.1:PORT/brummer
#   brummer_services_stop         # stops exactly what was started here and removes its temp dirs
#
# A variable the caller already set is left alone and its service is not started. Both servers listen on
# 127.0.0.1 only, on a dedicated port (redis 6390.., postgres 55432..; the next one if busy), with their data,
# pidfile, socket and log in a temp dir. Sourcing again while they run starts nothing new. On failure it prints
# why, stops what it had started and returns non-zero.

_brummer_svc_log() { printf '%s\n' "$*"; }
_brummer_svc_err() { printf 'services: %s\n' "$*" >&2; }

# True when something accepts connections on 127.0.0.1:$1.
_brummer_svc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_brummer_svc_free_port() {
  local port=$1 last=$(($1 + 20))
  while [ "$port" -le "$last" ]; do
    if ! _brummer_svc_port_busy "$port"; then printf '%s' "$port"; return 0; fi
    port=$((port + 1))
  done
  return 1
}

_brummer_svc_pg_bindir() {
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pg_isready" ] && [ -x "$dir/psql" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$dir" | sort -V | tail -n 1)" = "$dir" ]; then best=$dir; fi
  done
  [ -n "$best" ] && printf '%s' "$best"
}

# Runs a command as the postgres OS user (postgres refuses to run as root); as-is when not root.
_brummer_svc_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_brummer_svc_install() {
  local packages=() log
  if [ -z "${BRUMMER_TEST_REDIS:-}" ] && ! { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1; then
    packages+=(redis-server)
  fi
  if [ -z "${BRUMMER_TEST_POSTGRES:-}" ] && [ -z "$(_brummer_svc_pg_bindir)" ]; then
    packages+=(postgresql)
  fi
  [ "${#packages[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    _brummer_svc_err "missing ${packages[*]} and not root to apt-get install them"
    return 1
  fi
  _brummer_svc_log "installing ${packages[*]} (apt-get)"
  log=$(mktemp /tmp/brummer-apt.XXXXXX.log)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >"$log" 2>&1; then
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"; } >>"$log" 2>&1; then
      tail -n 30 "$log" >&2
      rm -f "$log"
      _brummer_svc_err "apt-get install ${packages[*]} failed"
      return 1
    fi
  fi
  rm -f "$log"
}

_brummer_svc_start_redis() {
  local port dir i
  port=$(_brummer_svc_free_port 6390) || { _brummer_svc_err "redis: no free port in 6390-6410"; return 1; }
  dir=$(mktemp -d /tmp/brummer-redis.XXXXXX) || return 1
  BRUMMER_SVC_REDIS_DIR=$dir
  BRUMMER_SVC_REDIS_PORT=$port
  if ! redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >"$dir/start.out" 2>&1; then
    cat "$dir/start.out" "$dir/redis.log" >&2 2>/dev/null
    _brummer_svc_err "redis-server failed to start on 127.0.0.1:$port"
    return 1
  fi
  for i in $(seq 1 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      export BRUMMER_TEST_REDIS="127.0.0.1:$port"
      BRUMMER_SVC_REDIS_STARTED=1
      _brummer_svc_log "redis 127.0.0.1:$port started"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2 2>/dev/null
  _brummer_svc_err "redis on 127.0.0.1:$port did not answer PING within 10 s"
  return 1
}

_brummer_svc_start_postgres() {
  local bin port dir
  bin=$(_brummer_svc_pg_bindir) || { _brummer_svc_err "postgres: no initdb/pg_ctl under /usr/lib/postgresql/*/bin"; return 1; }
  port=$(_brummer_svc_free_port 55432) || { _brummer_svc_err "postgres: no free port in 55432-55452"; return 1; }
  dir=$(mktemp -d /tmp/brummer-postgres.XXXXXX) || return 1
  BRUMMER_SVC_PG_DIR=$dir
  BRUMMER_SVC_PG_BIN=$bin
  mkdir -p "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  # Run from the temp dir: the postgres user may not be able to read the caller's working directory.
  if ! (cd "$dir" && _brummer_svc_as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C) >"$dir/initdb.log" 2>&1; then
    tail -n 20 "$dir/initdb.log" >&2
    _brummer_svc_err "postgres: initdb failed"
    return 1
  fi
  # Socket (as superuser postgres, for setup) trusted; TCP needs the password.
  _brummer_svc_as_pg sh -c "cat > '$dir/data/pg_hba.conf'" <<'EOF'
local all all                trust
host  all all 127.0.0.1/32  scram-sha-256
EOF
  _brummer_svc_as_pg sh -c "cat >> '$dir/data/postgresql.conf'" <<EOF

# brummer test instance (.ci/services.sh): private, disposable
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  if ! (cd "$dir" && _brummer_svc_as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start) >"$dir/pg_ctl.out" 2>&1; then
    tail -n 20 "$dir/postgres.log" >&2 2>/dev/null
    _brummer_svc_err "postgres failed to start on 127.0.0.1:$port"
    return 1
  fi
  BRUMMER_SVC_PG_STARTED=1
  if ! (cd "$dir" && _brummer_svc_as_pg "$bin/psql" -h "$dir/sock" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE brummer LOGIN CREATEDB PASSWORD 'brummer'" -c "CREATE DATABASE brummer OWNER brummer") >"$dir/setup.log" 2>&1; then
    cat "$dir/setup.log" >&2
    _brummer_svc_err "postgres: creating role/database brummer failed"
    return 1
  fi
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d brummer -U brummer -t 30 \
      || ! PGPASSWORD=brummer PGCONNECT_TIMEOUT=10 "$bin/psql" -h 127.0.0.1 -p "$port" -U brummer -d brummer -qAt -c 'select 1' >/dev/null; then
    _brummer_svc_err "postgres on 127.0.0.1:$port does not accept brummer/brummer"
    return 1
  fi
  export BRUMMER_TEST_POSTGRES="postgres://brummer:brummer@127.0.0.1:$port/brummer"
  _brummer_svc_log "postgres 127.0.0.1:$port started"
}

# Stops exactly what this file started (nothing when a variable was given by the caller) and removes its temp
# dirs. Silent on success; safe to call more than once and when nothing was started.
brummer_services_stop() {
  local pid i
  if [ -n "${BRUMMER_SVC_REDIS_DIR:-}" ]; then
    pid=$(cat "$BRUMMER_SVC_REDIS_DIR/redis.pid" 2>/dev/null || true)
    if [ -n "${BRUMMER_SVC_REDIS_PORT:-}" ]; then
      redis-cli -h 127.0.0.1 -p "$BRUMMER_SVC_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    if [ -n "$pid" ]; then
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -rf "$BRUMMER_SVC_REDIS_DIR"
    [ -n "${BRUMMER_SVC_REDIS_STARTED:-}" ] && unset BRUMMER_TEST_REDIS
  fi
  unset BRUMMER_SVC_REDIS_DIR BRUMMER_SVC_REDIS_PORT BRUMMER_SVC_REDIS_STARTED

  if [ -n "${BRUMMER_SVC_PG_DIR:-}" ]; then
    if [ -f "$BRUMMER_SVC_PG_DIR/data/postmaster.pid" ]; then
      pid=$(head -n 1 "$BRUMMER_SVC_PG_DIR/data/postmaster.pid" 2>/dev/null || true)
      (cd "$BRUMMER_SVC_PG_DIR" && _brummer_svc_as_pg "$BRUMMER_SVC_PG_BIN/pg_ctl" -D "$BRUMMER_SVC_PG_DIR/data" -m fast -w -t 30 stop) >/dev/null 2>&1 \
        || { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; } || true
    fi
    rm -rf "$BRUMMER_SVC_PG_DIR"
    [ -n "${BRUMMER_SVC_PG_STARTED:-}" ] && unset BRUMMER_TEST_POSTGRES
  fi
  unset BRUMMER_SVC_PG_DIR BRUMMER_SVC_PG_BIN BRUMMER_SVC_PG_STARTED
  return 0
}

_brummer_services_start() {
  _brummer_svc_install || return 1
  if [ -z "${BRUMMER_TEST_REDIS:-}" ]; then
    _brummer_svc_start_redis || return 1
  fi
  if [ -z "${BRUMMER_TEST_POSTGRES:-}" ]; then
    _brummer_svc_start_postgres || return 1
  fi
}

if ! _brummer_services_start; then
  brummer_services_stop
  return 1 2>/dev/null || exit 1
fi
