#!/usr/bin/env bash
# eng/services.sh — throwaway PostgreSQL, MariaDB and Redis servers on loopback for the integration tests, without systemd
# or docker. Run as root (CI and the developer machines are).
#
#   bash eng/services.sh start          install missing Debian packages, start the servers in a fresh state dir,
#                                       wait until they answer, print `export ...` lines (and only those) on stdout
#   bash eng/services.sh stop           stop only what `start` started (pid files, checked against the process)
#   bash eng/services.sh status         one line per server on stderr; exit 1 if one is down
#   bash eng/services.sh env            print the exports again
#   bash eng/services.sh restart-pg     restart PostgreSQL keeping its data (tests use it to cut every connection)
#   bash eng/services.sh restart-mysql  the same for MariaDB
#   bash eng/services.sh restart-redis  restart Redis (empty: it has no persistence; every client connection is cut)
#   bash eng/services.sh start-redis    start only Redis (and print the exports), for working on AsyncCore.Redis alone
#   bash eng/services.sh stop-redis     stop only Redis
#
# Knobs: ASYNCCORE_SERVICES_DIR (state dir, default $TMPDIR/asynccore-services), ASYNCCORE_PG_PORT (55432),
# ASYNCCORE_MYSQL_PORT (53306),
# ASYNCCORE_REDIS_PORT (56379), ASYNCCORE_NO_INSTALL=1 (never call apt-get), ASYNCCORE_WAIT_S (60).
set -euo pipefail

state=${ASYNCCORE_SERVICES_DIR:-${TMPDIR:-/tmp}/asynccore-services}
pg_port=${ASYNCCORE_PG_PORT:-55432}
my_port=${ASYNCCORE_MYSQL_PORT:-53306}
rd_port=${ASYNCCORE_REDIS_PORT:-56379}
wait_s=${ASYNCCORE_WAIT_S:-60}
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
# Loopback-only throwaway credentials.
db=asynccore
user=asynccore
password=asynccore

say() { printf 'services: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# ------------------------------------------------------------------------------------------------------------ install
install_packages() {
  local needed=() p
  # The servers; clang + zlib1g-dev for the native-AOT smoke test (tests/AsyncCore.Samples.Tests/AotSmokeTests);
  # python3-autobahn, the real WebSocket peer of tests/AsyncCore.WebSockets.Tests (PythonPeerTests, /usr/bin/python3);
  # chromium, the browser that loads samples/WebSocketEcho's page (tests/AsyncCore.Samples.Tests);
  # curl, a real HTTP client of tests/AsyncCore.Web.Tests (HttpsAndPeerTests; wrk is used by bench/ only);
  # swaks (+ the Perl TLS and SASL modules it needs for --tls and --auth) and python3-aiosmtpd, the real SMTP peers
  # of tests/AsyncCore.Mail.Tests (RealPeerTests starts each per test on a free port, so nothing is started here).
  for p in postgresql mariadb-server redis-server clang zlib1g-dev python3-autobahn chromium curl \
    swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl python3-aiosmtpd; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
      needed+=("$p")
    fi
  done
  [[ ${#needed[@]} -eq 0 ]] && return 0
  [[ -z "${ASYNCCORE_NO_INSTALL:-}" ]] || fail "missing packages (${needed[*]}) and ASYNCCORE_NO_INSTALL is set"
  [[ $(id -u) -eq 0 ]] || fail "installing ${needed[*]} needs root"
  say "installing ${needed[*]}"
  # Without systemd a postinst would start the distribution's default instance (5432/3306) unless policy-rc.d
  # forbids it; container images ship one, add a temporary one otherwise.
  local own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  { apt-get update -qq -o DPkg::Lock::Timeout=300 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
      "${needed[@]}"; } >"$state/apt.log" 2>&1 || rc=$?
  [[ -n "$own_policy" ]] && rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || { tail -n 20 "$state/apt.log" >&2; fail "apt-get failed ($rc)"; }
}

# ------------------------------------------------------------------------------------------------------------ processes
# A daemon must not inherit the caller's pipes (a harness reading our output would wait for the daemon to exit), so
# every fd above 2 is closed, stdin is /dev/null and output goes to a log file.
spawn() (
  local logfile=$1 fd
  shift
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [[ $fd -gt 2 ]]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec "$@" </dev/null >>"$logfile" 2>&1
)

# The pid in a pid file is ours only while that process runs with our state dir on its command line (or, for Redis,
# which rewrites its process title, as its working directory), so that a stale file whose pid was reused by something
# else is never signalled.
is_ours() {
  local pid
  [[ -s "$1" ]] || return 1
  pid=$(head -n 1 "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state" && return 0
  [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$state"/* ]]
}

wait_until() {
  local what=$1 deadline=$((SECONDS + wait_s))
  shift
  until "$@" >/dev/null 2>&1; do
    [[ $SECONDS -lt $deadline ]] || fail "$what did not come up within ${wait_s}s"
    sleep 0.1
  done
}

stop_pid() {
  local name=$1 file=$2 pid
  if ! is_ours "$file"; then rm -f "$file"; return 0; fi
  pid=$(head -n 1 "$file")
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$file"
  say "$name stopped (pid $pid)"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ------------------------------------------------------------------------------------------------------------ PostgreSQL
pg_bin() {
  local bin
  bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$bin" ]] || fail "no PostgreSQL server under /usr/lib/postgresql"
  echo "$bin"
}

pg_launch() {
  local bin=$1
  # pg_ctl forks the postmaster into its own session; -w returns once it accepts connections.
  spawn "$state/pg/pg_ctl.log" runuser -u postgres -- "$bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/server.log" \
    -w -t "$wait_s" start || { tail -n 20 "$state/pg/server.log" >&2; fail "PostgreSQL did not start"; }
  head -n 1 "$state/pg/data/postmaster.pid" >"$state/pg.pid"
  wait_until PostgreSQL "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
}

start_pg() {
  if is_ours "$state/pg.pid"; then return 0; fi
  port_in_use "$pg_port" && fail "127.0.0.1:$pg_port is taken by a process this script did not start"
  local bin
  bin=$(pg_bin)
  rm -rf "$state/pg"
  mkdir -p "$state/pg"
  chown postgres:postgres "$state/pg"
  runuser -u postgres -- test -x "$state/pg" || fail "user postgres cannot reach $state (each parent needs o+x)"
  # initdb and postgres refuse to run as root.
  runuser -u postgres -- "$bin/initdb" -D "$state/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N \
    >"$state/pg/initdb.log" 2>&1 || { tail -n 20 "$state/pg/initdb.log" >&2; fail "initdb failed"; }
  # Throwaway data: durability settings off. The unix socket stays in the state dir.
  cat >>"$state/pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$state/pg'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  pg_launch "$bin"
  "$bin/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres >/dev/null <<EOF
CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE $db OWNER $user;
EOF
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
}

stop_pg() {
  if is_ours "$state/pg.pid"; then
    runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$state/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  stop_pid PostgreSQL "$state/pg.pid"
}

restart_pg() {
  is_ours "$state/pg.pid" || fail "PostgreSQL is not running under $state"
  local bin
  bin=$(pg_bin)
  # A fast shutdown checkpoints, so every committed row survives; every client connection is cut.
  runuser -u postgres -- "$bin/pg_ctl" -D "$state/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || fail "pg_ctl stop failed"
  pg_launch "$bin"
  say "PostgreSQL restarted"
}

# ------------------------------------------------------------------------------------------------------------ MariaDB
my_launch() {
  # --no-defaults: /etc/mysql would move the socket to /run/mysqld and the port to 3306.
  spawn "$state/mysql/stdout.log" setsid -f /usr/sbin/mariadbd --no-defaults --user=mysql \
    --datadir="$state/mysql/data" --socket="$state/mysql/mysqld.sock" --pid-file="$state/mysql/mysqld.pid" \
    --port="$my_port" --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin --max-connections=200 \
    --log-error="$state/mysql/error.log" --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
  wait_until MariaDB mariadb-admin --no-defaults --protocol=socket --socket="$state/mysql/mysqld.sock" -uroot ping
  wait_until "MariaDB pid file" test -s "$state/mysql/mysqld.pid"
  cp "$state/mysql/mysqld.pid" "$state/mysql.pid"
}

start_mysql() {
  if is_ours "$state/mysql.pid"; then return 0; fi
  port_in_use "$my_port" && fail "127.0.0.1:$my_port is taken by a process this script did not start"
  rm -rf "$state/mysql"
  mkdir -p "$state/mysql"
  chown mysql:mysql "$state/mysql"
  mariadb-install-db --no-defaults --user=mysql --datadir="$state/mysql/data" --auth-root-authentication-method=socket \
    --skip-test-db --skip-name-resolve >"$state/mysql/install.log" 2>&1 ||
    { tail -n 20 "$state/mysql/install.log" >&2; fail "mariadb-install-db failed"; }
  my_launch
  # root authenticates over the socket by uid; the application user gets a password over TCP.
  mariadb --no-defaults --protocol=socket --socket="$state/mysql/mysqld.sock" -uroot <<EOF
CREATE DATABASE $db CHARACTER SET utf8mb4;
CREATE USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'%';
FLUSH PRIVILEGES;
EOF
  say "MariaDB $(mariadb --no-defaults --protocol=socket --socket="$state/mysql/mysqld.sock" -uroot -NBe 'select version()') on 127.0.0.1:$my_port"
}

stop_mysql() { stop_pid MariaDB "$state/mysql.pid"; }

restart_mysql() {
  is_ours "$state/mysql.pid" || fail "MariaDB is not running under $state"
  stop_mysql
  my_launch
  say "MariaDB restarted"
}

# ------------------------------------------------------------------------------------------------------------ Redis
rd_launch() {
  # Command-line flags only (/etc/redis/redis.conf is not read): loopback, no RDB snapshots, no AOF; --daemonize
  # writes the pid file once the server is up. --dir is also its cwd, which is how is_ours recognises it.
  spawn "$state/redis/stdout.log" redis-server --port "$rd_port" --bind 127.0.0.1 --save '' --appendonly no \
    --protected-mode yes --daemonize yes --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log" \
    --dir "$state/redis" || { tail -n 20 "$state/redis/redis.log" >&2; fail "Redis did not start"; }
  wait_until Redis bash -c "redis-cli -h 127.0.0.1 -p $rd_port ping | grep -q PONG"
  wait_until "Redis pid file" test -s "$state/redis/redis.pid"
  cp "$state/redis/redis.pid" "$state/redis.pid"
}

start_redis() {
  if is_ours "$state/redis.pid"; then return 0; fi
  port_in_use "$rd_port" && fail "127.0.0.1:$rd_port is taken by a process this script did not start"
  rm -rf "$state/redis"
  mkdir -p "$state/redis"
  rd_launch
  say "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$rd_port"
}

# Redis handles SIGTERM on its next cron tick, so stopping takes up to a couple of seconds.
stop_redis() { stop_pid Redis "$state/redis.pid"; }

restart_redis() {
  is_ours "$state/redis.pid" || fail "Redis is not running under $state"
  stop_redis
  rd_launch
  say "Redis restarted"
}

# ------------------------------------------------------------------------------------------------------------ commands
print_env() {
  cat <<EOF
export ASYNCCORE_PG='Host=127.0.0.1;Port=$pg_port;Database=$db;Username=$user;Password=$password'
export ASYNCCORE_MYSQL='Server=127.0.0.1;Port=$my_port;Database=$db;User ID=$user;Password=$password'
export ASYNCCORE_REDIS='127.0.0.1:$rd_port'
export ASYNCCORE_SERVICES_SCRIPT='$self'
export ASYNCCORE_SERVICES_DIR='$state'
export ASYNCCORE_PG_PORT='$pg_port'
export ASYNCCORE_MYSQL_PORT='$my_port'
export ASYNCCORE_REDIS_PORT='$rd_port'
EOF
}

status() {
  local rc=0
  if is_ours "$state/pg.pid"; then say "pg: running (pid $(head -n 1 "$state/pg.pid"))"; else say "pg: stopped"; rc=1; fi
  if is_ours "$state/mysql.pid"; then say "mysql: running (pid $(head -n 1 "$state/mysql.pid"))"; else say "mysql: stopped"; rc=1; fi
  if is_ours "$state/redis.pid"; then say "redis: running (pid $(head -n 1 "$state/redis.pid"))"; else say "redis: stopped"; rc=1; fi
  return $rc
}

prepare_state() {
  mkdir -p "$state"
  # mktemp-style 0700 dirs keep the postgres and mysql users out.
  chmod 755 "$state"
}

case "${1:-}" in
  start)
    prepare_state
    install_packages
    started=$SECONDS
    # All in parallel; if one fails, stop them all so nothing half-started is left behind.
    start_pg &
    pg_job=$!
    start_mysql &
    my_job=$!
    start_redis &
    rd_job=$!
    ok=1
    wait "$pg_job" || ok=
    wait "$my_job" || ok=
    wait "$rd_job" || ok=
    if [[ -z "$ok" ]]; then stop_pg; stop_mysql; stop_redis; fail "could not start the servers"; fi
    say "servers up in $((SECONDS - started))s (state in $state)"
    print_env
    ;;
  stop) stop_pg & stop_mysql & stop_redis & wait ;;
  status) status ;;
  env) print_env ;;
  restart-pg) restart_pg ;;
  restart-mysql) restart_mysql ;;
  restart-redis) restart_redis ;;
  start-redis) prepare_state; start_redis; print_env ;;
  stop-redis) stop_redis ;;
  install) prepare_state; install_packages ;;
  *) echo "usage: $0 start|stop|status|env|restart-pg|restart-mysql|restart-redis|start-redis|stop-redis|install" >&2; exit 2 ;;
esac
