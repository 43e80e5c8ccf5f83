# shellcheck shell=bash disable=SC2046,SC2154
# The VM proof's second shape: examples/ledger (no containers; nginx in front of an
# application on the host, PostgreSQL on the host), its web and database plays converged on
# the VM before the reference's (whose firewall and nginx.conf then replace the ledger's: its
# host play is the same code as the reference's, proven there). Expectations are the ledger
# spec's. Sourced, not run.

ledger_phase() {
    say "the ledger example: its web and database plays (PostgreSQL and nginx on the host)"
    cat >"$WORK/ledger.ini" <<END
$(vm_vars)
[pynoc_web]
debian12
[pynoc_database]
debian12
END
    local t=$SECONDS
    PLAY_OUT=$WORK/ledger PLAY_INV=$WORK/ledger.ini converge_mitogen >"$WORK/ledger1.log" 2>&1 ||
        { tail -40 "$WORK/ledger1.log"; vm_diagnose; fail "ledger: converge failed"; return 1; }
    recap "$WORK/ledger1.log"
    PLAY_OUT=$WORK/ledger PLAY_INV=$WORK/ledger.ini converge_mitogen >"$WORK/ledger2.log" 2>&1 ||
        { tail -40 "$WORK/ledger2.log"; fail "ledger: second converge failed"; }
    unchanged "$WORK/ledger2.log" "ledger: second converge: changed=0"
    echo "   $((SECONDS - t)) s"
    # Inside the VM: the application's way in (loopback, TLS, its password) and row-level
    # security per organisation; from this machine (QEMU's gateway, an address pg_hba does
    # not name) nothing gets in.
    G <<END 2>&1 | tally
cd /
systemctl is-active -q postgresql@15-main && systemctl is-enabled -q postgresql@15-main && echo "PASS ledger: postgresql@15-main enabled and active" || echo "FAIL ledger: postgresql@15-main"
c="host=127.0.0.1 dbname=books user=books_app connect_timeout=10"
ssl=\$(PGPASSWORD=$BOOKS_APP_PW psql "\$c sslmode=require" -XAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)
[ "\$ssl" = t ] && echo "PASS ledger: books_app logs in over TLS on loopback with its password" || echo "FAIL ledger: TLS login: \$ssl"
PGPASSWORD=$BOOKS_APP_PW psql "\$c sslmode=disable" -XAtc 'SELECT 1' >/dev/null 2>&1 && echo "FAIL ledger: a connection without TLS is accepted" || echo "PASS ledger: a connection without TLS is refused"
PGPASSWORD=wrong psql "\$c sslmode=require" -XAtc 'SELECT 1' >/dev/null 2>&1 && echo "FAIL ledger: a wrong password is accepted" || echo "PASS ledger: a wrong password is refused"
rows=\$(PGPASSWORD=$BOOKS_APP_PW psql "\$c sslmode=require" -XAt -c "SET books.org_id = '1'" -c 'SELECT count(*) FROM entries' \
    -c "SET books.org_id = '2'" -c 'SELECT count(*) FROM entries' -c 'RESET books.org_id' -c 'SELECT count(*) FROM entries' 2>&1 | grep -v '^SET\|^RESET' | tr '\n' ' ')
[ "\$rows" = "2 1 0 " ] && echo "PASS ledger: each organisation sees only its entries (2, 1; none unset)" || echo "FAIL ledger: rows per organisation: \$rows"
out=\$(PGPASSWORD=$BOOKS_APP_PW psql "\$c sslmode=require" -XAtc 'DELETE FROM entries' 2>&1)
case \$out in *"permission denied"*) echo "PASS ledger: books_app may not delete (no grant)";; *) echo "FAIL ledger: DELETE as books_app: \$out";; esac
# A data migration, as the migrations role over the socket: every organisation's rows.
n=\$(PGPASSWORD=$BOOKS_MIGRATE_PW psql "host=/run/postgresql dbname=books user=books_migrate" -qXAtc 'UPDATE entries SET amount = amount RETURNING id' 2>&1 | wc -l)
[ "\$n" = 3 ] && echo "PASS ledger: the migrations role's data migration reaches every row (3)" || echo "FAIL ledger: the migrations role changed \$n rows"
[ "\$(runuser -u postgres -- psql -XAtc 'SHOW ssl')" = on ] && echo "PASS ledger: ssl on" || echo "FAIL ledger: ssl is not on"
END
    probe_sandbox "$WORK/ledger" "nginx.service postgresql@.service"
    # The database's sandbox lets only loopback and pg_hba.conf's networks exchange packets
    # with it: a connection from QEMU's gateway is dropped before PostgreSQL sees it (pg_hba
    # would reject it too), so it times out instead of being refused.
    local out
    out=$(PGPASSWORD=$BOOKS_APP_PW psql "host=127.0.0.1 port=$PG_PORT dbname=books user=books_app sslmode=require connect_timeout=5" -XAtc 'SELECT 1' 2>&1)
    case $out in *"timeout expired"*) pass "ledger: an address pg_hba.conf does not name is dropped by the database's sandbox" ;;
        *) fail "ledger: a login from QEMU's gateway: $out" ;; esac
    # nginx in front of the application on the host (a stand-in on 127.0.0.1:8080).
    local r=(--resolve "books.example.org:$HTTPS_PORT:127.0.0.1" --resolve "books.example.org:$HTTP_PORT:127.0.0.1")
    out=$(curl -sk "${r[@]}" -o "$WORK/ledger.body" -w '%{http_code}' "https://books.example.org:$HTTPS_PORT/" 2>&1)
    [ "$out $(cat "$WORK/ledger.body" 2>/dev/null)" = "200 ledger-ok" ] &&
        pass "ledger: HTTPS through nginx reaches the application on the host" || fail "ledger: HTTPS: $out"
    out=$(curl -s "${r[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://books.example.org:$HTTP_PORT/x" 2>&1)
    case $out in "301 https://books.example.org/x") pass "ledger: plain HTTP redirects to HTTPS" ;; *) fail "ledger: HTTP: $out" ;; esac
}
