#!/bin/sh
# The PostgreSQL server a ctest run shares (fixture bb_postgres, tests/CMakeLists.txt): every
# doctest case that needs PostgreSQL makes its own database on it (support/temp_postgres.cpp)
# instead of starting a server of its own.
#   postgres_fixture.sh start DIR   initdb + pg_ctl start as an unprivileged user; writes DIR/url
#   postgres_fixture.sh stop DIR    stops the server and removes its files and DIR
# The server's files live under /tmp (the build directory's parents may be closed to the server's
# user); DIR/server_dir names them.
# The binaries: $BB_POSTGRES_BIN or /usr/lib/postgresql/15/bin (not on Debian's PATH).
set -eu
cmd=${1:?start or stop}
dir=${2:?directory}
bin=${BB_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}

# PostgreSQL refuses to run as root: a root test run lends the server to the postgres user.
as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

stop() {
  if [ -f "$dir/server_dir" ]; then
    server=$(cat "$dir/server_dir")
    if [ -f "$server/data/postmaster.pid" ]; then
      as_server_user "$bin/pg_ctl" -D "$server/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$server" in /tmp/bb-pg-fixture.*) rm -rf "$server" ;; esac
  fi
  rm -rf "$dir"
}

# Servers of runs killed before their stop (a CI timeout): a fixture directory older than an hour
# whose server is gone is removed; one older than a day is stopped and removed (no test run lasts
# a day). Those of other runs that are still going are left alone.
remove_orphans() {
  for old in $(find /tmp -maxdepth 1 -name 'bb-pg-fixture.*' -mmin +60 2>/dev/null); do
    pid=$(head -1 "$old/data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      [ -n "$(find "$old" -maxdepth 0 -mmin +1440)" ] || continue
      as_server_user "$bin/pg_ctl" -D "$old/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$old"
  done
}

case "$cmd" in
  start)
    remove_orphans
    stop  # a server left by a run that was killed
    mkdir -p "$dir"
    server=$(mktemp -d /tmp/bb-pg-fixture.XXXXXX)
    echo "$server" >"$dir/server_dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$server"; fi
    as_server_user "$bin/initdb" -D "$server/data" -U bb -A trust -E UTF8 --locale=C --no-sync \
      --no-instructions >"$server/initdb.log" 2>&1 || { cat "$server/initdb.log" >&2; exit 1; }
    # A free port: try a few random ones (fsync off: test data only).
    for attempt in 1 2 3 4 5; do
      port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
      if as_server_user "$bin/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 30 \
          -o "-p $port -k $server -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300" \
          start >/dev/null 2>&1; then
        echo "host=127.0.0.1 port=$port user=bb" >"$dir/url"
        echo "postgres_fixture: server on 127.0.0.1:$port ($server)"
        exit 0
      fi
    done
    cat "$server/server.log" >&2
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
