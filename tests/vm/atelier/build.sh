#!/usr/bin/env bash
# Runs in atelier's Debian 13 VM, started by tests/vm/atelier.sh in the background:
# `images` imports Debian 13's stand-in base and builds the stand-ins the generated files
# name (no network needed); `app` puts the operator's code beside the generated files and
# builds the stack's three images with the generated compose file, as an operator does
# (`docker compose build`: the API's and the console's Dockerfiles and postgres.Dockerfile,
# which adds pgAudit from Debian's mirror through Docker's bridge), then `check`s them
# (also run alone on images loaded from the harness's cache). Prints PASS/FAIL.
set -u
cd /opt/pynoc-out/container || exit 1
case ${1:-} in
images)
    if ! grep -qx 'FROM python:3.12-slim-bookworm' Dockerfile atelier-console.Dockerfile ||
        ! grep -qx 'FROM postgres:17-bookworm' postgres.Dockerfile; then
        echo "FAIL the stand-ins' names are not the images the generated files use"
        exit 1
    fi
    t=$SECONDS
    docker import /var/lib/pynoc-vm/standin-base.tar pynoc-standin/base >/dev/null || { echo "FAIL docker import of the stand-ins' base"; exit 1; }
    docker build -q -t python:3.12-slim-bookworm /opt/pynoc-stack/standins/python >/dev/null &&
        docker build -q --build-arg PG_MAJOR=17 -t postgres:17-bookworm /opt/pynoc-stack/standins/postgres >/dev/null ||
        { echo "FAIL the stand-ins do not build"; exit 1; }
    echo "PASS stand-in images for python:3.12-slim-bookworm and postgres:17-bookworm ($((SECONDS - t)) s)"
    ;;
app)
    # The stand-in application, with the reference's libpq module and uvicorn stand-in.
    cp -r /opt/pynoc-atelier/app/. . && cp /opt/pynoc-stack/app/pq.py /opt/pynoc-stack/app/uvicorn.py .
    t=$SECONDS
    if docker compose build >/var/log/pynoc-app-build.log 2>&1; then
        echo "PASS docker compose build: the API's, the console's and the database's images ($((SECONDS - t)) s)"
    else
        tail -30 /var/log/pynoc-app-build.log
        echo "FAIL docker compose build of the generated files"
        exit 1
    fi
    exec bash "$0" check
    ;;
check)
    # What the images hold, whether built now or loaded as an earlier run built them.
    for i in atelier-api atelier-console; do
        docker run --rm --entrypoint sh "$i" -c 'test ! -e /app/secrets && test ! -e /app/postgres-conf && test ! -e /app/prepare.sh && test ! -e /app/Dockerfile' &&
            echo "PASS $i holds no secrets/, postgres-conf/, prepare.sh or Dockerfile (its .dockerignore)" ||
            echo "FAIL $i: the build context leaked into the image"
    done
    docker run --rm --entrypoint sh atelier-postgres:17 -c 'test "$(id -u)" = 999 && test -f /usr/lib/postgresql/17/lib/pgaudit.so' &&
        echo "PASS atelier-postgres:17 runs as uid 999 and has pgAudit for PostgreSQL 17" ||
        echo "FAIL atelier-postgres:17: not uid 999, or no pgaudit.so"
    ;;
*)
    echo "usage: build.sh images|app|check" >&2
    exit 2
    ;;
esac
