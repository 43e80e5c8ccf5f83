# shellcheck shell=bash disable=SC2046,SC2015,SC2154
# The container stack of the VM proof: the generated Dockerfile built (the operator's part)
# and the stack brought up by the generated playbook, from stand-in base images
# (tests/vm/stack/README.md: no registry is reachable), then probed. Expectations are the
# reference spec's. Sourced, not run.

# put DIRECTORY DEST: a directory of this machine copied to DEST in the VM, owned by root.
put() {
    tar -C "$1" -cz . | ssh $(ssh_opts) -S "$WORK/ctl" "$VM_USER"@127.0.0.1 \
        "sudo rm -rf $2 && sudo mkdir -p $2 && sudo tar -C $2 -xz --no-same-owner"
}

# stack_copy: the stand-ins, the application and the output copied to the VM.
stack_copy() {
    put "$here/stack" /opt/pynoc-stack || { fail "copy the stand-ins to the VM"; return 1; }
    put "$WORK/out" /opt/pynoc-out || { fail "copy the output to the VM"; return 1; }
}

# stack_build STEP: tests/vm/stack/build.sh STEP started in the VM as a transient unit, so
# the image builds run while the playbook converges (under software emulation they take
# minutes).
stack_build() {
    echo "systemd-run -q --unit=pynoc-build-$1 sh -c 'bash /opt/pynoc-stack/build.sh $1 >/var/log/pynoc-build-$1.log 2>&1'" | G
}

# stack_wait STEP: until the unit of STEP has ended; its PASS/FAIL lines count.
stack_wait() {
    G <<END 2>&1 | tally
while systemctl is-active -q pynoc-build-$1; do sleep 5; done
cat /var/log/pynoc-build-$1.log
END
}

# The reference's stack is brought up by its playbook (the containers play): a first run
# with that play stops at the application's tables, which the operator's migrations then
# make in the stack's database, and the next run applies the security SQL and starts every
# service. What the play did is checked here.
STACK=/var/lib/pynoc/stacks/pynomaly

stack_migrations() {
    G <<END 2>&1 | tally
cd $STACK
docker compose exec -T postgres psql -qX -v ON_ERROR_STOP=1 -U postgres -d pynomaly </opt/pynoc-migrations.sql \
    && echo "PASS the operator's migrations ran in the stack's database" || echo "FAIL migrations in the stack's database"
END
}

stack_converged() {
    G <<END 2>&1 | tally
cd $STACK
[ "\$(stat -c '%U %a' $STACK)" = "root 700" ] && echo "PASS the stack's directory is root's, 0700" || echo "FAIL $STACK: \$(stat -c '%U %a' $STACK)"
ls .prepared-* .applied-* >/dev/null 2>&1 && echo "PASS prepare.sh and the security SQL ran once, each stamped by its content" || echo "FAIL no stamps: \$(ls -a)"
docker compose logs --no-log-prefix postgres 2>&1 | grep -q 'PostgreSQL init process complete' \
    && echo "PASS postgres: initialised by the entrypoint with the password secret" || echo "FAIL postgres did not initialise"
docker compose exec -T postgres psql -XAt -U postgres -d pynomaly -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('pynomaly_app', 'pynomaly_monitor')" | grep -qx 2 \
    && echo "PASS the security SQL made the roles in the stack's database" || echo "FAIL the roles are missing"
cmp -s postgres-conf/pg_hba.conf /opt/pynoc-out/postgres/pg_hba.conf && echo "PASS the database reads pynoc's pg_hba.conf, as built" || echo "FAIL postgres-conf/pg_hba.conf differs from the build's"
END
}

# Every service healthy (the app's first check runs one interval after its start).
stack_healthy() {
    G <<'END' 2>&1 | tally
cd /var/lib/pynoc/stacks/pynomaly
n=0
for _ in $(seq 1 40); do
    n=$(docker compose ps --format '{{.Health}}' | grep -c '^healthy$' || true)
    [ "$n" = 3 ] && break
    sleep 5
done
[ "$n" = 3 ] && echo "PASS stack: the three services are healthy" || { docker compose ps; echo "FAIL stack: $n of 3 services healthy"; }
END
}

probe_stack() {
    local round=$1 peer=$2
    say "container stack probes, round $round"
    G <<'END' 2>&1 | tally
cd /var/lib/pynoc/stacks/pynomaly
python3 /opt/pynoc-stack/inspect.py
# Redis: no command without the password, from the stack's network and in its container.
out=$(docker compose exec -T pynomaly-api python -c '
import socket; s = socket.create_connection(("redis", 6379), 5); s.sendall(b"PING\r\n"); print(s.recv(100).decode().strip())' 2>&1)
case $out in -NOAUTH*) echo "PASS redis refuses PING without the password ($out)";; *) echo "FAIL redis without a password: $out";; esac
out=$(docker compose exec -T redis sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli ping' 2>&1)
[ "$out" = PONG ] && echo "PASS redis answers with the password" || echo "FAIL redis with its password: $out"
# Nothing writable but the tmpfs mounts and the volumes; the tmpfs mounts are noexec.
for s in pynomaly-api:/app/logs postgres:/var/lib/postgresql/data redis:/data; do
    svc=${s%%:*} vol=${s#*:}
    out=$(docker compose exec -T "$svc" sh -c "
        for d in / /etc /usr/local/bin /var/lib/postgresql /app; do [ -d \$d ] || continue; touch \$d/.pynoc-w 2>/dev/null && echo wrote:\$d; done
        touch /tmp/.pynoc-w && rm /tmp/.pynoc-w || echo no-tmp
        touch $vol/.pynoc-w && rm $vol/.pynoc-w || echo no-volume
        cp /bin/true /tmp/.pynoc-x && { /tmp/.pynoc-x 2>/dev/null && echo ran-tmp; rm -f /tmp/.pynoc-x; }" 2>&1)
    [ -z "$out" ] && echo "PASS $svc writes only to its tmpfs and $vol, and runs nothing from /tmp" || echo "FAIL $svc: $(echo $out)"
done
# The generated Dockerfile removed every setuid and setgid bit (CIS Docker 4.8).
# A fresh container of the image as root with Docker's default capabilities (the stack's
# own drop them all, and root there cannot read other users' directories).
out=$(docker run --rm --network none -u 0 --entrypoint find pynomaly-api / -xdev -perm /6000 -type f 2>&1; echo "rc=$?")
[ "$out" = rc=0 ] && echo "PASS the app image has no setuid or setgid file" || echo "FAIL setuid/setgid files in the app image: $(echo $out)"
END
    # Through nginx on the host over HTTPS, from this machine: the app's own answers.
    local r=(--resolve "api.pynomaly.com:$HTTPS_PORT:127.0.0.1") base="https://api.pynomaly.com:$HTTPS_PORT" out
    out=$(curl -sk "${r[@]}" -w ' %{http_code}' "$base/health" 2>&1)
    [ "$out" = '{"status": "ok"} 200' ] && pass "stack: the app's /health answers through nginx over HTTPS" || fail "stack /health through nginx: $out"
    out=$(curl -sk "${r[@]}" "$base/" 2>&1)
    case $out in *'"uid": 1001'*) pass "stack: nginx's upstream is the app container, running as uid 1001" ;; *) fail "stack / through nginx: $out" ;; esac
    local a=aaaaaaaa-0000-0000-0000-000000000001 b=bbbbbbbb-0000-0000-0000-000000000002 rows="" id
    for id in $a $b ""; do
        out=$(curl -sk "${r[@]}" "$base/tenant?id=$id" 2>&1)
        case $out in *'"ssl": "t"'*'"user": "pynomaly_app"'*) rows="$rows$(printf '%s' "$out" | sed -n 's/.*"rows": "\([0-9]*\)".*/\1/p') " ;;
            *) rows="${rows}[${out}] " ;; esac
    done
    [ "$rows" = "2 1 0 " ] && pass "stack: the app reaches PostgreSQL over TLS as pynomaly_app; each tenant sees its rows (2, 1; none unset)" ||
        fail "stack: the app's tenant queries: $rows"
    # verify-full: the same query with a CA that did not sign the server's certificate, or
    # by an address the certificate does not name, is refused by the application's libpq.
    G <<'END' 2>&1 | tally
cd /var/lib/pynoc/stacks/pynomaly
q='from pynomaly.main import tenant_rows; print(tenant_rows(""))'
out=$(docker compose exec -T -e PGSSLROOTCERT=/etc/ssl/certs/ca-certificates.crt pynomaly-api python -c "$q" 2>&1)
case $out in *"certificate verify failed"*) echo "PASS stack: the app refuses a server its CA did not sign (verify-full)" ;;
    *) echo "FAIL stack: the app with another CA: $out" ;; esac
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(docker compose ps -q postgres)")
out=$(docker compose exec -T -e DATABASE_HOST="$ip" pynomaly-api python -c "$q" 2>&1)
case $out in *"does not match host name"*) echo "PASS stack: the app refuses the server by an address its certificate does not name" ;;
    *) echo "FAIL stack: the app by address $ip: $out" ;; esac
END
    # The database and the cache publish nothing: a peer with a route to the stack's network
    # (through the VM) reaches neither.
    G <<END 2>&1 | tally
cd /var/lib/pynoc/stacks/pynomaly
P="ip netns exec peer"
# A refusal proves nothing without the peer: its namespace must exist.
\$P true || { echo "FAIL the peer namespace is gone"; exit 0; }
\$P ip route replace 172.20.0.0/16 via 192.0.2.1
for s in postgres:5432 redis:6379; do
    ip=\$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "\$(docker compose ps -q \${s%%:*})")
    [ -n "\$ip" ] || { echo "FAIL no address for \${s%%:*}"; continue; }
    # The control: the VM itself reaches it, so the address and the port are right.
    timeout 5 bash -c "exec 3<>/dev/tcp/\$ip/\${s#*:}" 2>/dev/null || echo "FAIL the VM itself does not reach \${s%%:*} at \$ip"
    \$P timeout 5 bash -c "exec 3<>/dev/tcp/\$ip/\${s#*:}" 2>/dev/null && echo "FAIL \${s%%:*} (\$ip) is reachable from the peer $peer" \
        || echo "PASS \${s%%:*} at \$ip:\${s#*:} is not reachable from the peer $peer"
done
END
}
