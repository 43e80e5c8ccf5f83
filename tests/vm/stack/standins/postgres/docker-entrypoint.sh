#!/usr/bin/env bash
# Stand-in for docker-library/postgres's docker-entrypoint.sh (15/bookworm): what it does
# for a non-root user. A first start on an empty PGDATA runs initdb with the superuser's
# password from POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD), starts a temporary server
# with the container's own arguments and no TCP listener, creates POSTGRES_DB, runs
# /docker-entrypoint-initdb.d, stops it; every start then execs the server.
set -Eeo pipefail

file_env() {
    local var=$1 file=${1}_FILE def=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then
        echo >&2 "error: both $var and $file are set (but are exclusive)"
        exit 1
    fi
    local val=$def
    if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!file:-}" ]; then val=$(<"${!file}"); fi
    export "$var"="$val"
    unset "$file"
}

temp_server() {
    if [ "$1" = postgres ]; then shift; fi
    set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
    NOTIFY_SOCKET='' PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ]; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        if [ -z "$POSTGRES_PASSWORD" ]; then
            echo >&2 "error: database is uninitialized and superuser password is not specified"
            exit 1
        fi
        initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
        # What the official image adds; pynoc's `-c hba_file=…` makes this file unused.
        printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
        export PGPASSWORD=$POSTGRES_PASSWORD
        temp_server "$@"
        if [ "$POSTGRES_DB" != postgres ]; then
            # On standard input: psql does not interpolate variables in a -c command.
            psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname postgres \
                --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
        fi
        for f in /docker-entrypoint-initdb.d/*; do
            case $f in
                *.sh)
                    # shellcheck source=/dev/null
                    . "$f"
                    ;;
                *.sql) psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" ;;
            esac
        done
        pg_ctl -D "$PGDATA" -m fast -w stop
        unset PGPASSWORD
        echo 'PostgreSQL init process complete; ready for start up.'
    fi
fi
exec "$@"
