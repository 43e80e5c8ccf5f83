#!/bin/sh
# Stand-in for the redis image's entrypoint: what it does for a non-root user.
set -e
case "$1" in -* | *.conf) set -- redis-server "$@" ;; esac
if [ "$(umask)" = 0022 ]; then umask 0077; fi
exec "$@"
