#!/usr/bin/env bash
# shellcheck disable=SC2154 # $image is set by lib.sh's vm_setup
# The VM proof: the reference output, deployed by its own playbook on a real Debian 12
# machine, works as a whole, and still does after a reboot.
#
#   bash tests/vm/run.sh            (as root; CI runs it from .ci/test)
#
# 1. builds pynoc's output for examples/pynomaly and examples/ledger into a temporary
#    directory;
# 2. boots the cached Debian 12 image (tests/vm/image.sh) under QEMU on a throwaway overlay,
#    user networking, forwarded to loopback ports only;
# 3. prepares what an operator provides and pynoc does not (certificates, the ledger's
#    tables and its application, a local container image);
# 4. the ledger (no containers, PostgreSQL on the host): its web and database plays, twice
#    (changed=0), and its probes (tests/vm/ledger.sh);
# 5. the reference: converges the host and nginx while the stand-in images build in the
#    VM's background (tests/vm/stack/); then with the containers play, which brings the
#    stack up and stops at the application's missing tables; the operator's migrations; the
#    host's probes while the application image builds from the generated Dockerfile; the
#    playbook again (the SQL applied, every service up and healthy), and again: changed=0.
#    The images of a run are kept for the next from the same inputs, which loads them
#    instead of building them (/var/cache/pynoc-vm/pynomaly-images-KEY.tar);
# 6. probes from this machine and from inside the VM (a peer network namespace there is a
#    second, non-internal client): HTTPS through nginx, the stack's probes and
#    manifest.json's apply commands as written; reboots, and probes again (the stack comes
#    back by itself);
# 7. dry-runs the playbook (--check --diff) against the rebooted host: changed=0.
# Every probe prints PASS or FAIL; any FAIL, or a missing tool, fails the run.
#
# Traffic goes to 127.0.0.1 (QEMU's forwarded ports) and, inside the VM, to QEMU's gateway
# 10.0.2.2 (this machine's loopback), Debian's mirror and a peer namespace made there.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
. "$here/probes.sh"
. "$here/stack.sh"
. "$here/ledger.sh"

# The whole run is one function: bash parses it before running any of it, so an edit of this
# file during a run cannot change what the run does.
main() {
    need qemu-system-x86_64 qemu-img mmdebstrap ssh scp curl openssl psql python3 "$ANSIBLE_PLAYBOOK"
    say "the VM image (built once per version of image.sh)"
    vm_setup bookworm

    say "build the reference output and the ledger's"
    local pynoc
    pynoc=$(pynoc_bin) || exit 1
    "$pynoc" build "$root/examples/pynomaly/spec.kdl" -o "$WORK/out" >/dev/null || exit 1
    "$pynoc" build "$root/examples/ledger/spec.kdl" -o "$WORK/ledger" >/dev/null || exit 1

    vm_boot "$image"
    prepare
    grep -q "^PASS operator's preparation" "$WORK/results" || { fail "preparation"; exit 1; }

    # The stack's images, built by an earlier run from the same inputs, are loaded instead of
    # built again (lib.sh's images_cache): minutes saved under emulation.
    stack_copy || exit 1
    local loading=""
    images_cache pynomaly "$image" "$WORK/out/container" "$here/stack"
    if [ -f "$cached" ]; then
        images_load
    else
        stack_build images
    fi
    ledger_phase

    # The reference: the host, web and (later) containers plays. The stack's play needs the
    # stand-in images, which build in the VM's background meanwhile: the first converge
    # leaves it out. (Under Mitogen: stock ansible-core's one run is atelier's dry run.)
    inventory pynoc_host pynoc_web
    say "converge (the host and nginx)"
    t=$SECONDS
    converge_mitogen >"$WORK/converge1.log" 2>&1 || {
        tail -60 "$WORK/converge1.log"
        vm_diagnose
        fail "first converge failed"
        exit 1
    }
    recap "$WORK/converge1.log"
    echo "   $((SECONDS - t)) s"
    local building=""
    if [ -n "$loading" ]; then
        images_loaded ""
        echo "bash /opt/pynoc-stack/build.sh check" | G 2>&1 | tally
    else
        stack_wait images
        stack_build app
        building=", while the application image builds"
    fi

    # With the containers play: the stack's files, prepare.sh and the database come up, and
    # the play stops where the operator's migrations are missing, naming the tables. The
    # host and nginx are converged already: the runs that bring the stack up are the
    # containers play alone, the one that must change nothing is the whole playbook.
    inventory pynoc_containers
    say "converge with the stack: stops at the application's tables"
    t=$SECONDS
    local failed_at
    if converge_mitogen >"$WORK/converge2.log" 2>&1; then
        fail "the converge without the application's tables succeeded"
    fi
    # The one task that failed, and what it said.
    failed_at=$(awk '/^TASK \[/ { t = $0 } /^fatal:/ { print t }' "$WORK/converge2.log")
    case $failed_at in
        "TASK [the application's tables exist"*)
            grep -q '"stdout": "detectors, datasets, detection_results"' "$WORK/converge2.log" &&
                pass "the stack's play stops at the missing tables and names them" ||
                fail "the stack's play stopped at the tables without naming them"
            ;;
        *)
            tail -40 "$WORK/converge2.log"
            fail "the converge with the stack failed elsewhere: ${failed_at:-nowhere}"
            exit 1
            ;;
    esac
    echo "   $((SECONDS - t)) s"
    stack_migrations

    probe_host 1 192.0.2.2 "$building"
    if [ -n "$building" ]; then
        stack_wait app
        images_keep pynomaly pynomaly-api postgres:15-bookworm redis:7-bookworm
    fi
    say "converge with the stack: the SQL applied, every service up"
    t=$SECONDS
    converge_mitogen >"$WORK/converge3.log" 2>&1 || { tail -60 "$WORK/converge3.log"; fail "the converge with the stack failed"; exit 1; }
    recap "$WORK/converge3.log"
    echo "   $((SECONDS - t)) s"
    stack_converged
    inventory pynoc_host pynoc_containers pynoc_web
    say "converge again: nothing may change"
    t=$SECONDS
    converge_mitogen >"$WORK/converge4.log" 2>&1 || { tail -60 "$WORK/converge4.log"; fail "the last converge failed"; exit 1; }
    recap "$WORK/converge4.log"
    echo "   $((SECONDS - t)) s"
    unchanged "$WORK/converge4.log" "converge again: changed=0"

    stack_healthy
    probe_served 1 192.0.2.2
    vm_reboot
    probe_host 2 192.0.2.3
    probe_served 2 192.0.2.3

    # A reviewer's dry run against the rebooted host: the playbook runs in check mode with
    # diffs, and finds nothing to change (nothing drifted across the reboot either).
    say "dry run (--check --diff) after the reboot"
    t=$SECONDS
    converge_mitogen --check --diff >"$WORK/dry.log" 2>&1 || { tail -40 "$WORK/dry.log"; fail "dry run failed"; }
    recap "$WORK/dry.log"
    echo "   $((SECONDS - t)) s"
    unchanged "$WORK/dry.log" "dry run after the reboot: changed=0"

    finish
}

main "$@"
exit $?
