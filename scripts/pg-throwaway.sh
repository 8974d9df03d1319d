#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the test suite's `postgres` backend.
#
#   export KUBUS_TEST_POSTGRES_URL="$(scripts/pg-throwaway.sh start)"   # prints the URL
#   make test
#   scripts/pg-throwaway.sh stop /tmp/kubus-pg.XXXXXX                   # dir is printed on stderr
#
#   scripts/pg-throwaway.sh start [DIR]   create and start a cluster in DIR (default: a new temp
#                                         dir); prints the SQLAlchemy URL of database kubus_test
#   scripts/pg-throwaway.sh stop DIR      stop the cluster and delete DIR
#   scripts/pg-throwaway.sh bindir        print the PostgreSQL server bin dir (fails if none)
#
# The cluster listens on 127.0.0.1 only, on a free port, with its socket inside DIR, trust
# authentication and fsync off: it is for tests, never for data you want to keep. As root, the
# server runs as the `postgres` system user (created as `kubus-pg` if no `postgres` user exists),
# because PostgreSQL refuses to run as root.
#
# The script can also be sourced (`.ci/run` does): it then only defines the pg_throwaway_*
# functions and changes no shell options.

PG_THROWAWAY_DB="${PG_THROWAWAY_DB:-kubus_test}"
PG_THROWAWAY_SUPERUSER="postgres"
PG_THROWAWAY_MARKER=".kubus-pg-throwaway"

pg_throwaway_log() { echo "pg-throwaway: $*" >&2; }

# The newest server bin dir: PATH first, then Debian's versioned layout.
pg_throwaway_bindir() {
    local initdb dir
    if initdb="$(command -v initdb 2>/dev/null)"; then
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# The OS user that owns and runs the cluster.
pg_throwaway_os_user() {
    if [[ "$(id -u)" != 0 ]]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! id kubus-pg >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                kubus-pg
        fi
        echo kubus-pg
    fi
}

# Run a command as the cluster's OS user (as root without sudo: runuser, from util-linux).
pg_throwaway_as() {
    local user="$1"
    shift
    if [[ "$(id -un)" == "$user" ]]; then
        "$@"
    else
        runuser -u "$user" -- "$@"
    fi
}

pg_throwaway_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_throwaway_start [DIR] -> prints the URL; the cluster lives in DIR/data, the socket in DIR/sock.
pg_throwaway_start() {
    local dir="${1:-}" bindir user port attempt url
    bindir="$(pg_throwaway_bindir)" || {
        pg_throwaway_log "no PostgreSQL server found (initdb); install Debian's 'postgresql' package"
        return 1
    }
    if [[ -z "$dir" ]]; then
        dir="$(mktemp -d "${TMPDIR:-/tmp}/kubus-pg.XXXXXX")" || return 1
    else
        mkdir -p "$dir" || return 1
        if [[ -n "$(ls -A "$dir")" ]]; then
            pg_throwaway_log "$dir is not empty; refusing to create a cluster there"
            return 1
        fi
    fi
    dir="$(cd "$dir" && pwd -P)" || return 1
    # The Unix socket path must stay under the kernel's 107-byte limit.
    if (( ${#dir} > 80 )); then
        pg_throwaway_log "path too long for a Unix socket: $dir (set TMPDIR to a shorter dir)"
        return 1
    fi
    user="$(pg_throwaway_os_user)" || return 1
    touch "$dir/$PG_THROWAWAY_MARKER" && mkdir -p "$dir/sock" && chown -R "$user" "$dir" \
        && chmod 700 "$dir" || return 1

    # Run from inside DIR: the server user may not be able to read the caller's cwd.
    (cd "$dir" && pg_throwaway_as "$user" "$bindir/initdb" --pgdata="$dir/data" \
        --username="$PG_THROWAWAY_SUPERUSER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1) || {
        pg_throwaway_log "initdb failed:"
        cat "$dir/initdb.log" >&2
        return 1
    }

    # Another process may grab the port between choosing and binding it: retry a few times.
    for attempt in 1 2 3 4 5; do
        port="$(pg_throwaway_free_port)"
        if (cd "$dir" && pg_throwaway_as "$user" "$bindir/pg_ctl" --pgdata="$dir/data" \
            --log="$dir/server.log" --wait --timeout=60 \
            -o "-k $dir/sock -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null); then
            break
        fi
        pg_throwaway_log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 || true
        port=""
    done
    [[ -n "$port" ]] || return 1
    echo "$port" >"$dir/port"

    for attempt in $(seq 1 60); do
        if "$bindir/pg_isready" --quiet -h 127.0.0.1 -p "$port" -U "$PG_THROWAWAY_SUPERUSER"; then
            break
        fi
        if (( attempt == 60 )); then
            pg_throwaway_log "server on port $port not ready after 30 s"
            return 1
        fi
        sleep 0.5
    done

    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$PG_THROWAWAY_SUPERUSER" "$PG_THROWAWAY_DB" \
        || return 1
    url="postgresql+psycopg://$PG_THROWAWAY_SUPERUSER@127.0.0.1:$port/$PG_THROWAWAY_DB"
    echo "$url" >"$dir/url"
    pg_throwaway_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port in $dir"
    pg_throwaway_log "stop with: scripts/pg-throwaway.sh stop $dir"
    echo "$url"
}

# pg_throwaway_stop DIR: stop the server and delete DIR (only a dir this script created).
pg_throwaway_stop() {
    local dir="${1:?usage: pg_throwaway_stop DIR}" bindir user
    [[ -d "$dir" ]] || return 0
    if [[ ! -e "$dir/$PG_THROWAWAY_MARKER" ]]; then
        pg_throwaway_log "$dir was not made by pg-throwaway.sh; not touching it"
        return 1
    fi
    if [[ -f "$dir/data/postmaster.pid" ]] && bindir="$(pg_throwaway_bindir)"; then
        user="$(stat -c %U "$dir/data")"
        (cd "$dir" && pg_throwaway_as "$user" "$bindir/pg_ctl" --pgdata="$dir/data" \
            --mode=immediate --wait stop >/dev/null) || pg_throwaway_log "pg_ctl stop failed"
    fi
    rm -rf -- "$dir"
}

pg_throwaway_main() {
    set -euo pipefail
    case "${1:-}" in
        start)
            if [[ -n "${2:-}" ]]; then
                pg_throwaway_start "$2"
            else
                # Our own temp dir: on failure, take down whatever was started in it.
                local dir rc=0
                dir="$(mktemp -d "${TMPDIR:-/tmp}/kubus-pg.XXXXXX")"
                pg_throwaway_start "$dir" || rc=$?
                if (( rc != 0 )); then
                    pg_throwaway_stop "$dir" || true
                    return "$rc"
                fi
            fi
            ;;
        stop) pg_throwaway_stop "${2:?usage: $0 stop DIR}" ;;
        bindir) pg_throwaway_bindir ;;
        *)
            echo "usage: $0 start [DIR] | stop DIR | bindir" >&2
            return 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    pg_throwaway_main "$@"
fi
