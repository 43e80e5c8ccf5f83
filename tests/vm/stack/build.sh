#!/usr/bin/env bash
# Runs in the VM, started by tests/vm/stack.sh in the background while the playbook
# converges: `images` imports the stand-ins' base and builds the stand-ins (no network
# needed); `app` builds the application image from the generated Dockerfile (Debian's
# mirror through Docker's bridge: run once the firewall is in place), then `check`s it.
# Prints PASS/FAIL.
set -u
cd /opt/pynoc-out/container || exit 1
case ${1:-} in
images)
    # The stand-ins carry the names the generated files use.
    if ! grep -qx 'FROM python:3.11-slim-bookworm' Dockerfile || ! grep -q 'image: postgres:15-bookworm' docker-compose.yml ||
        ! grep -q 'image: redis:7-bookworm' docker-compose.yml; then
        echo "FAIL the stand-ins' names are not the images the generated files use"
        exit 1
    fi
    t=$SECONDS
    docker import /var/lib/pynoc-vm/standin-base.tar pynoc-standin/base >/dev/null || { echo "FAIL docker import"; exit 1; }
    for s in python:3.11-slim-bookworm postgres:15-bookworm redis:7-bookworm; do
        docker build -q -t "$s" "/opt/pynoc-stack/standins/${s%%:*}" >/dev/null || { echo "FAIL stand-in $s"; exit 1; }
    done
    echo "PASS stand-in images for python, postgres and redis ($((SECONDS - t)) s)"
    ;;
app)
    # The operator's application next to the generated files: the build context is this folder.
    cp -r /opt/pynoc-stack/app/. .
    t=$SECONDS
    if DOCKER_BUILDKIT=1 docker build --progress=plain -t pynomaly-api . >/var/log/pynoc-app-build.log 2>&1; then
        echo "PASS the application image builds from the generated Dockerfile ($((SECONDS - t)) s)"
    else
        tail -30 /var/log/pynoc-app-build.log
        echo "FAIL docker build of the generated Dockerfile"
        exit 1
    fi
    exec bash "$0" check
    ;;
check)
    # The application image, built now or loaded from an earlier run's build.
    docker run --rm --entrypoint sh pynomaly-api -c 'test ! -e /app/secrets && test ! -e /app/postgres-conf && test ! -e /app/prepare.sh' &&
        echo "PASS the image holds no secrets/, postgres-conf/ or prepare.sh (.dockerignore)" ||
        echo "FAIL the build context leaked into the image"
    ;;
*)
    echo "usage: build.sh images|app|check" >&2
    exit 2
    ;;
esac
