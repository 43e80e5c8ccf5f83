#!/usr/bin/env bash
# shellcheck disable=SC2154 # $image is set by lib.sh's vm_setup
# The VM proof of examples/atelier, the second shape, on its own release: a Debian 13 VM.
#
#   bash tests/vm/atelier.sh        (as root; .ci/test runs it after tests/vm/run.sh)
#
# 1. builds atelier's output from its spec, with one operator's fact added: the office
#    network also holds the harness's address (QEMU's gateway, 10.0.2.2), as the deploying
#    operator sits in the office (SSH is open to the office alone);
# 2. boots the cached Debian 13 image (tests/vm/image.sh trixie) under QEMU; the operator
#    `deploy`, the user the spec's `accounts` names;
# 3. prepares the operator's part: the two sites' certificates, the database's certificate
#    and its CA, a peer namespace outside the office and one inside it;
# 4. converges the host and nginx (Mitogen: the stock path is this proof's dry run)
#    while the stand-ins of python:3.12-slim-bookworm and postgres:17-bookworm
#    build; `docker compose build` of the generated files (the API's and the console's
#    images, and postgres.Dockerfile adding pgAudit); the playbook with the stack stops at
#    the missing tables, the operator's migrations make them, the playbook applies the SQL
#    and brings up every service; again: changed=0;
# 5. probes: HTTPS only, the console for the office alone, SSH for the office alone, two
#    images and a worker, PostgreSQL 17 with pgAudit, verify-full, row-level security per
#    customer and the migrations role past it, Debian 13's audit and sshd; reboots, probes
#    again; dry-runs the playbook: changed=0.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck disable=SC2034 # read by lib.sh, sourced below
VM_NAME=debian-13
. "$here/lib.sh"
. "$here/probes.sh"
. "$here/stack.sh"
STACK=/var/lib/pynoc/stacks/atelier
A=aaaaaaaa-0000-0000-0000-00000000000a
B=bbbbbbbb-0000-0000-0000-00000000000b

main() {
    need qemu-system-x86_64 qemu-img mmdebstrap ssh scp curl openssl python3 "$ANSIBLE_PLAYBOOK"
    say "atelier: the Debian 13 VM image (built once per version of image.sh)"
    vm_setup trixie

    say "atelier: build its output (the harness's address in the office network)"
    local pynoc
    pynoc=$(pynoc_bin) || exit 1
    mkdir -p "$WORK/spec"
    sed 's|network office "203.0.113.0/24" "2001:db8:a7::/48"|& "10.0.2.2/32"|' \
        "$root/examples/atelier/spec.kdl" >"$WORK/spec/spec.kdl"
    grep -q '"10.0.2.2/32"' "$WORK/spec/spec.kdl" || { fail "atelier's office network line changed: update atelier.sh"; exit 1; }
    "$pynoc" build "$WORK/spec/spec.kdl" -o "$WORK/out" >/dev/null || exit 1

    vm_boot "$image"
    # shellcheck disable=SC2034 # read by lib.sh's inventory
    VM_HOST=debian13
    atelier_prepare
    grep -q "^PASS atelier: operator's preparation" "$WORK/results" || { fail "atelier: preparation"; exit 1; }
    put "$here/stack" /opt/pynoc-stack || { fail "copy the stand-ins to the VM"; exit 1; }
    put "$here/atelier" /opt/pynoc-atelier || { fail "copy atelier's application to the VM"; exit 1; }
    put "$WORK/out" /opt/pynoc-out || { fail "copy the output to the VM"; exit 1; }
    # The stack's images, built by an earlier run from the same inputs, are loaded instead of
    # built again: about 4 minutes saved under emulation.
    local loading=""
    images_cache atelier "$image" "$WORK/out/container" "$here/atelier" "$here/stack/standins" "$here/stack/app"
    if [ -f "$cached" ]; then
        images_load
    else
        atelier_build images
    fi

    inventory pynoc_host pynoc_web
    say "atelier: converge the host and nginx"
    converge_mitogen >"$WORK/converge1.log" 2>&1 || { tail -60 "$WORK/converge1.log"; fail "atelier: the first converge failed"; exit 1; }
    recap "$WORK/converge1.log"
    if [ -n "$loading" ]; then
        atelier_host 1 ", while the images load"
        images_loaded "atelier: "
        echo "bash /opt/pynoc-atelier/build.sh check" | G 2>&1 | tally
    else
        stack_wait images
        # The images build (minutes: the API's builder installs a compiler) while the host's
        # probes of round 1 run.
        atelier_build app
        atelier_host 1 ", while the images build"
        stack_wait app
        images_keep atelier atelier-api atelier-console atelier-postgres:17
    fi

    # The stack's runs: the containers play alone (the host and nginx are converged); the run
    # that must change nothing is the whole playbook.
    inventory pynoc_containers
    say "atelier: converge with the stack: stops at the tables"
    if converge_mitogen >"$WORK/converge2.log" 2>&1; then
        fail "atelier: the converge without the application's tables succeeded"
    fi
    local failed_at
    failed_at=$(awk '/^TASK \[/ { t = $0 } /^fatal:/ { print t }' "$WORK/converge2.log")
    case $failed_at in
        "TASK [the application's tables exist"*)
            grep -q '"stdout": "projects, assets, customers"' "$WORK/converge2.log" &&
                pass "atelier: the stack's play stops at the missing tables and names them" ||
                fail "atelier: the stack's play stopped at the tables without naming them"
            ;;
        *)
            tail -40 "$WORK/converge2.log"
            fail "atelier: the converge with the stack failed elsewhere: ${failed_at:-nowhere}"
            exit 1
            ;;
    esac
    G <<END 2>&1 | tally
cd $STACK
docker compose exec -T postgres psql -qX -v ON_ERROR_STOP=1 -U postgres -d atelier </opt/pynoc-atelier/migrations.sql \
    && echo "PASS atelier: the operator's migrations ran in the stack's database" || echo "FAIL atelier: migrations"
END
    say "atelier: converge with the stack: the SQL applied, every service up"
    converge_mitogen >"$WORK/converge3.log" 2>&1 || { tail -60 "$WORK/converge3.log"; fail "atelier: the converge with the stack failed"; exit 1; }
    recap "$WORK/converge3.log"
    inventory pynoc_host pynoc_containers pynoc_web
    say "atelier: converge again: nothing may change"
    converge_mitogen >"$WORK/converge4.log" 2>&1 || { tail -60 "$WORK/converge4.log"; fail "atelier: the last converge failed"; exit 1; }
    unchanged "$WORK/converge4.log" "atelier: converge again: changed=0"

    atelier_stack 1
    vm_reboot
    atelier_host 2
    atelier_stack 2

    say "atelier: dry run (--check --diff, stock ansible-core) after the reboot"
    # Stock ansible-core, as a user runs the playbook (every other run of the proofs is under
    # Mitogen): every task's module through Ansible's own connection, pipelining and become.
    converge --check --diff >"$WORK/dry.log" 2>&1 || { tail -40 "$WORK/dry.log"; fail "atelier: dry run failed"; }
    recap "$WORK/dry.log"
    unchanged "$WORK/dry.log" "atelier: dry run after the reboot, stock ansible-core: changed=0"
    finish
}

# atelier_build STEP: tests/vm/atelier/build.sh STEP in the VM's background (a transient unit).
atelier_build() {
    echo "systemd-run -q --unit=pynoc-build-$1 sh -c 'bash /opt/pynoc-atelier/build.sh $1 >/var/log/pynoc-build-$1.log 2>&1'" | G
}

# What the operator provides: each site's certificate and key, the database's certificate
# (it names the stack's service, `postgres`: the applications verify it) and the CA that
# signed it, which the spec names (`server-ca`).
atelier_prepare() {
    say "atelier: prepare the host as an operator would"
    quiet_apt
    G <<'EOF' 2>&1 | tally
set -e
d=/etc/ssl/atelier; mkdir -p $d
for s in api admin; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -subj "/CN=$s.atelier.example" -keyout $d/$s.key -out $d/$s.pem 2>/dev/null
    chmod 600 $d/$s.key
done
c=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj '/CN=atelier db CA' \
    -keyout $c/ca.key -out /etc/ssl/certs/atelier-db-ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=postgres \
    -keyout /etc/ssl/private/atelier-db.key -out $c/db.csr 2>/dev/null
printf 'subjectAltName=DNS:postgres\n' >$c/ext
openssl x509 -req -in $c/db.csr -CA /etc/ssl/certs/atelier-db-ca.crt -CAkey $c/ca.key -CAcreateserial -days 7 \
    -extfile $c/ext -out /etc/ssl/certs/atelier-db.crt 2>/dev/null
rm -rf $c
chmod 600 /etc/ssl/private/atelier-db.key
echo "PASS atelier: operator's preparation done"
EOF
}

# Two peer namespaces wired to the VM by veth pairs (they do not survive a reboot): `peer`
# at 192.0.2.2 (outside the office, the VM 192.0.2.1) and `office` at 203.0.113.7 (inside
# it, the VM 203.0.113.6). The office pair is a /31: the rest of 203.0.113.0/24 stays routed
# the VM's default way (a mirror may live there: this workplace's deb.debian.org does).
atelier_peers() {
    G <<'EOF' 2>&1 | tally
for n in peer:192.0.2.1/24:192.0.2.2/24 office:203.0.113.6/31:203.0.113.7/31; do
    IFS=: read -r ns vm it <<<"$n"
    ip netns del $ns 2>/dev/null || true
    ip link del v${ns}0 2>/dev/null || true
    ip netns add $ns
    ip link add v${ns}0 type veth peer name v${ns}1
    ip link set v${ns}1 netns $ns
    ip addr add $vm dev v${ns}0 && ip link set v${ns}0 up
    ip -n $ns addr add $it dev v${ns}1
    ip -n $ns link set v${ns}1 up && ip -n $ns link set lo up
done
sleep 2
for ns in peer office; do ip netns exec $ns true || echo "FAIL peers: network namespace $ns: $(ls -la /run/netns 2>&1 | tr '\n' ' ')"; done
EOF
}

# atelier_host ROUND [WHILE]: the host's probes; nothing here needs the stack (round 1 runs
# while its images build or load).
atelier_host() {
    local round=$1
    say "atelier: probes, round $round: the host${2:-}"
    atelier_peers
    probe_services
    probe_sysctl
    probe_fstab
    probe_sandbox "$WORK/out"
    [ "$round" = 1 ] && probe_updates "$WORK/out"
    [ "$round" = 1 ] && probe_login "$WORK/out" "$VM_USER"
    [ "$round" = 1 ] && probe_absent "$WORK/out" "$root/stdlib/services/absent.toml"
    [ "$round" = 1 ] && probe_audit
    G <<'EOF' 2>&1 | tally
# Debian 13 records logins in wtmpdb's database: the session set watches it, not wtmp.
auditctl -l | grep -q -- '-w /var/lib/wtmpdb/wtmp.db -p wa -k session' && echo "PASS audit: the session set watches wtmpdb's database (Debian 13)" || echo "FAIL audit: no watch of /var/lib/wtmpdb/wtmp.db"
auditctl -l | grep -q '/var/log/wtmp \|/var/log/lastlog ' && echo "FAIL audit: watches files Debian 13 no longer writes" || echo "PASS audit: no watch of wtmp or lastlog"
t=$(sshd -T -C user=deploy,host=office,addr=203.0.113.7)
for want in "permitrootlogin no" "passwordauthentication no" "allowusers deploy"; do
    printf '%s\n' "$t" | grep -qx "$want" && echo "PASS sshd -T (OpenSSH $(dpkg-query -W -f '${Version}' openssh-server)): $want" || echo "FAIL sshd -T lacks '$want'"
done
for j in sshd nginx-limit-req; do
    fail2ban-client status $j >/dev/null 2>&1 && echo "PASS fail2ban: jail $j active" || echo "FAIL fail2ban: no jail $j"
done
# HTTPS only: nothing listens on port 80.
[ -z "$(ss -Hltn 'sport = :80')" ] && echo "PASS nothing listens on port 80 (both sites HTTPS only)" || echo "FAIL a listener on port 80: $(ss -Hltn 'sport = :80')"
# SSH and the console for the office alone; HTTPS for everyone.
tcp() { ip netns exec $1 timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
# A refusal proves nothing without the peers: their namespaces must exist.
for ns in peer office; do ip netns exec $ns true || { echo "FAIL the $ns namespace is gone"; exit 0; }; done
tcp office 203.0.113.6 22 && echo "PASS the office (203.0.113.7) reaches SSH" || echo "FAIL the office cannot reach SSH"
tcp peer 192.0.2.1 22 && echo "FAIL a peer outside the office (192.0.2.2) reaches SSH" || echo "PASS a peer outside the office cannot reach SSH"
tcp peer 192.0.2.1 443 && echo "PASS a peer outside the office reaches 443" || echo "FAIL 443 closed to the peer"
tcp peer 192.0.2.1 80 && echo "FAIL port 80 open to the peer" || echo "PASS port 80 closed to the peer"
for p in 8000 8100; do
    tcp peer 192.0.2.1 $p && echo "FAIL the app's port $p reachable from the peer" || echo "PASS the app's port $p (127.0.0.1 only) not reachable from the peer"
done
EOF
}

# The stack's probes, through nginx from both peers and from this machine, and in the
# stack's containers.
atelier_stack() {
    local round=$1
    say "atelier: probes, round $round: the stack"
    atelier_healthy
    G <<'EOF' 2>&1 | tally
c() { ip netns exec $1 curl -sk -m 10 --resolve "admin.atelier.example:443:$2" -o /dev/null -w '%{http_code}' https://admin.atelier.example/; }
code=$(c office 203.0.113.6)
[ "$code" = 200 ] && echo "PASS the console answers the office (200)" || echo "FAIL the console from the office: $code"
code=$(c peer 192.0.2.1)
[ "$code" = 403 ] && echo "PASS the console refuses a peer outside the office (403)" || echo "FAIL the console from the peer: $code"
out=$(ip netns exec peer curl -sk -m 10 --resolve "api.atelier.example:443:192.0.2.1" https://api.atelier.example/healthz)
case $out in '{"status": "ok"'*) echo "PASS the API answers a peer outside the office" ;; *) echo "FAIL the API from the peer: $out" ;; esac
EOF
    local r=(--resolve "api.atelier.example:$HTTPS_PORT:127.0.0.1" --resolve "admin.atelier.example:$HTTPS_PORT:127.0.0.1")
    local api="https://api.atelier.example:$HTTPS_PORT" out rc=0 rows="" id
    out=$(curl -s -m 8 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/" 2>&1) || rc=$?
    [ "$out" = 000 ] && pass "http: no answer on port 80 from outside (curl exit $rc)" || fail "http: port 80 answered $out"
    rc=0
    curl -sk -o /dev/null --resolve "evil.example:$HTTPS_PORT:127.0.0.1" "https://evil.example:$HTTPS_PORT/" || rc=$?
    [ $rc = 35 ] && pass "https: the handshake for an unknown name is refused" || fail "https: an unknown name got through the handshake (curl exit $rc)"
    for id in $A $B ""; do
        out=$(curl -sk "${r[@]}" "$api/customer?id=$id" 2>&1)
        case $out in *'"ssl": "t"'*'"user": "atelier_api"'*) rows="$rows$(printf '%s' "$out" | sed -n 's/.*"projects": "\([0-9]*\)".*/\1/p')/$(printf '%s' "$out" | sed -n 's/.*"assets": "\([0-9]*\)".*/\1/p') " ;;
            *) rows="${rows}[${out}] " ;; esac
    done
    [ "$rows" = "2/0 1/1 0/0 " ] && pass "stack: the API reaches PostgreSQL 17 over TLS (verify-full) as atelier_api; each customer sees its projects/assets (2/0, 1/1; none unset)" ||
        fail "stack: the API's customer queries: $rows"
    out=$(curl -sk "${r[@]}" "$api/customer?id=$A" 2>&1)
    case $out in *'"uid": 1100'*) pass "stack: the API runs as uid 1100" ;; *) fail "stack: the API's uid: $out" ;; esac
    out=$(curl -sk "${r[@]}" "https://admin.atelier.example:$HTTPS_PORT/" 2>&1)
    case $out in *'"app": "console"'*'"customers": "2"'*'"ssl": "t"'*'"uid": 1200'*'"user": "atelier_console"'*) pass "stack: the console (its own image, uid 1200) answers the office through nginx, as atelier_console over TLS" ;;
        *) fail "stack: the console: $out" ;; esac
    out=$(curl -sk "${r[@]}" "$api/worker" 2>&1)
    case $out in *'uid=1100 user=atelier_api ssl=t'*) pass "stack: the worker (the API's image, its own command) reaches the database and shares the uploads volume" ;;
        *) fail "stack: the worker: $out" ;; esac
    G <<EOF 2>&1 | tally
cd $STACK
q() { docker compose exec -T postgres psql -XAt -U postgres -d atelier -c "\$1" 2>&1; }
[ "\$(q 'SHOW server_version_num' | cut -c1-2)" = 17 ] && echo "PASS postgres: PostgreSQL 17" || echo "FAIL postgres version: \$(q 'SHOW server_version')"
[ "\$(q 'SHOW shared_preload_libraries')" = pgaudit ] && [ "\$(q "SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'pgaudit'")" = t ] &&
    echo "PASS postgres: pgAudit preloaded and its extension created" || echo "FAIL pgAudit: \$(q 'SHOW shared_preload_libraries')"
q 'CREATE TABLE pynoc_audit_probe_$round (); DROP TABLE pynoc_audit_probe_$round' >/dev/null
sleep 1
docker compose logs --no-log-prefix postgres 2>&1 | grep -q 'AUDIT: SESSION,.*CREATE TABLE.*pynoc_audit_probe_$round' &&
    echo "PASS pgAudit logs a DDL statement (pgaudit.log = ddl, role)" || echo "FAIL pgAudit logged no DDL"
[ "\$(q "SELECT string_agg(relname || ':' || pg_get_userbyid(relowner) || ':' || relrowsecurity || relforcerowsecurity, ' ' ORDER BY relname) FROM pg_class WHERE relname IN ('assets', 'projects')")" = "assets:atelier_owner:truetrue projects:atelier_owner:truetrue" ] &&
    echo "PASS postgres: the protected tables belong to atelier_owner, with forced row-level security" || echo "FAIL owners/RLS: \$(q "SELECT relname, relowner::regrole, relforcerowsecurity FROM pg_class WHERE relname IN ('assets', 'projects')")"
# The migrations role changes every row past the customers' policy.
m=\$(docker compose exec -T postgres sh -c 'PGPASSWORD=\$(cat /run/secrets/pynoc_pg_atelier_migrate_password) psql -XAt "host=postgres dbname=atelier user=atelier_migrate sslmode=require" -c "UPDATE projects SET name = name"' 2>&1)
[ "\$m" = "UPDATE 3" ] && echo "PASS postgres: the migrations role (a member of the owner) updates all 3 rows under forced RLS" || echo "FAIL the migrations role: \$m"
# verify-full: another CA, or an address the certificate does not name, is refused.
py='from atelier import db; print(db.query(db.WHO))'
out=\$(docker compose exec -T -e PGSSLROOTCERT=/etc/ssl/certs/ca-certificates.crt api python -c "\$py" 2>&1)
case \$out in *"certificate verify failed"*) echo "PASS stack: the API refuses a server its CA did not sign (verify-full)" ;; *) echo "FAIL stack: the API with another CA: \$out" ;; esac
ip=\$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "\$(docker compose ps -q postgres)")
out=\$(docker compose exec -T -e DATABASE_HOST="\$ip" api python -c "\$py" 2>&1)
case \$out in *"does not match host name"*) echo "PASS stack: the API refuses the server by an address its certificate does not name" ;; *) echo "FAIL stack: the API by address \$ip: \$out" ;; esac
for s in api:1100 worker:1100 console:1200 postgres:999; do
    svc=\${s%%:*}
    u=\$(docker compose exec -T \$svc sh -c 'id -u; touch /etc/.pynoc-w 2>/dev/null && echo wrote' 2>&1 | tr '\n' ' ')
    [ "\$u" = "\${s#*:} " ] && echo "PASS \$svc runs as uid \${s#*:} on a read-only root" || echo "FAIL \$svc: \$u"
done
h=\$(docker inspect -f '{{json .Config.Healthcheck.Test}}' "\$(docker compose ps -q worker)")
[ "\$h" = '["NONE"]' ] && echo "PASS the worker runs without the API's HTTP health check" || echo "FAIL the worker's health check: \$h"
EOF
}

# Every service with a health check healthy, the worker running (a first check runs one
# interval after the start; after a reboot the stack comes back by its restart policy).
atelier_healthy() {
    G <<EOF 2>&1 | tally
cd $STACK
n=0
for _ in \$(seq 1 40); do
    n=\$(docker compose ps --format '{{.Service}}:{{.State}}:{{.Health}}' | grep -cx 'api:running:healthy\|console:running:healthy\|postgres:running:healthy\|worker:running:' || true)
    [ "\$n" = 4 ] && break
    sleep 5
done
[ "\$n" = 4 ] && echo "PASS stack: api, console and postgres healthy, the worker running" || { docker compose ps; echo "FAIL stack: \$n of 4 services up"; }
EOF
}

main "$@"
exit $?
