# Sourced by .ci/run: a throwaway PostgreSQL cluster on 127.0.0.1 for the tests of the shared
# stores (JWT replay, feedback), as several service instances behind a load balancer use them.
#
# start_postgres: installs the Debian packages if absent (as root), runs initdb and pg_ctl in a
# temporary folder on a free port, creates database `trialcds` owned by role `trialcds`, and
# exports TRIALCDS_TEST_POSTGRES_URL for the tests. PostgreSQL refuses to run as root, so as root
# the cluster belongs to the `postgres` system user the packages create. stop_postgres stops it
# and removes the folder.

postgres_bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_cluster_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From / : the postgres user may not enter the checkout's folder (a private temp dir).
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

start_postgres() {
    if [ -z "$(postgres_bin_dir)" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin) and this is not root: install the postgresql package" >&2
            return 1
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
    fi
    local bin
    bin="$(postgres_bin_dir)"
    PG_CI_DIR="$(mktemp -d)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$PG_CI_DIR"
    fi
    PG_CI_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_cluster_owner "$bin/initdb" -D "$PG_CI_DIR/data" -U trialcds --auth=trust -E UTF8 --no-sync > "$PG_CI_DIR/initdb.log"
    # Loopback only; the socket in the cluster's own folder; no fsync (the cluster is thrown away).
    as_cluster_owner "$bin/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/server.log" -w \
        -o "-h 127.0.0.1 -p $PG_CI_PORT -k $PG_CI_DIR -c fsync=off" start > /dev/null
    PG_CI_BIN="$bin"
    "$bin/createdb" -h 127.0.0.1 -p "$PG_CI_PORT" -U trialcds trialcds
    export TRIALCDS_TEST_POSTGRES_URL="postgresql+psycopg://trialcds@127.0.0.1:$PG_CI_PORT/trialcds"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_CI_PORT for the store tests"
}

stop_postgres() {
    if [ -n "${PG_CI_DIR:-}" ] && [ -d "$PG_CI_DIR/data" ]; then
        as_cluster_owner "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m fast -w stop > /dev/null || true
    fi
    if [ -n "${PG_CI_DIR:-}" ]; then
        rm -rf "$PG_CI_DIR"
    fi
}
