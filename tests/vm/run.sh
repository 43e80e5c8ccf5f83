#!/usr/bin/env bash
# The VM proof: the reference output, deployed by its own playbook on a real Debian 12
# machine, works as a whole, and still does after a reboot.
#
#   bash tests/vm/run.sh            (as root; CI runs it from .ci/test)
#
# 1. builds pynoc's output for examples/pynomaly into a temporary directory;
# 2. boots the cached Debian 12 image (tests/vm/image.sh) under QEMU on a throwaway overlay,
#    user networking, forwarded to loopback ports only;
# 3. prepares what an operator provides and pynoc does not (certificates, the application's
#    tables, a local container image);
# 4. converges the VM with the playbook, converges again and requires changed=0;
# 5. builds the stand-in images and the application image from the generated Dockerfile
#    (tests/vm/stack/; in the VM's background: the stand-ins during the first converge, the
#    application during the second and the host's probes) and brings the container stack
#    up with the generated compose file;
# 6. probes from this machine and from inside the VM (a peer network namespace there is a
#    second, non-internal client): the host's probes while the application image builds,
#    then, with the stack up, HTTPS through nginx, the stack's probes and manifest.json's
#    apply commands as written; reboots, and probes again (the stack comes back by itself);
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

# The whole run is one function: bash parses it before running any of it, so an edit of this
# file during a run cannot change what the run does.
main() {
    need qemu-system-x86_64 qemu-img mmdebstrap ssh scp curl openssl psql python3 "$ANSIBLE_PLAYBOOK"
    say "the VM image (built once per version of image.sh)"
    image=$(bash "$here/image.sh") || { echo "FAIL the VM image could not be built"; exit 1; }
    WORK=$(mktemp -d /tmp/pynoc-vm.XXXXXX)
    export WORK
    # The VM is stopped by its pid whatever ends the run, a signal included.
    trap 'vm_stop; rm -rf "$WORK"' EXIT
    trap 'exit 130' INT TERM

    say "build the reference output"
    (cd "$root" && cargo build --quiet --locked --bin pynoc) || exit 1
    "${CARGO_TARGET_DIR:-$root/target}/debug/pynoc" build "$root/examples/pynomaly/spec.kdl" -o "$WORK/out" >/dev/null || exit 1
    cp "$image/id_ed25519" "$WORK/key"
    chmod 600 "$WORK/key"

    vm_boot "$image"
    prepare
    grep -q "^PASS operator's preparation" "$WORK/results" || { fail "preparation"; exit 1; }
    inventory

    stack_build images
    say "converge"
    t=$SECONDS
    converge >"$WORK/converge1.log" 2>&1 || { tail -60 "$WORK/converge1.log"; fail "first converge failed"; exit 1; }
    recap "$WORK/converge1.log"
    echo "   $((SECONDS - t)) s"
    stack_wait images
    stack_build app
    say "converge again: nothing may change"
    t=$SECONDS
    converge_again >"$WORK/converge2.log" 2>&1 || { tail -60 "$WORK/converge2.log"; fail "second converge failed"; exit 1; }
    recap "$WORK/converge2.log"
    echo "   $((SECONDS - t)) s"
    unchanged "$WORK/converge2.log" "second converge: changed=0"

    probe_host 1 192.0.2.2
    stack_up
    probe_served 1 192.0.2.2
    vm_reboot
    probe_host 2 192.0.2.3
    probe_served 2 192.0.2.3

    # A reviewer's dry run against the rebooted host: the playbook runs in check mode with
    # diffs, and finds nothing to change (nothing drifted across the reboot either).
    say "dry run (--check --diff) after the reboot"
    t=$SECONDS
    converge_again --check --diff >"$WORK/dry.log" 2>&1 || { tail -40 "$WORK/dry.log"; fail "dry run failed"; }
    recap "$WORK/dry.log"
    echo "   $((SECONDS - t)) s"
    unchanged "$WORK/dry.log" "dry run after the reboot: changed=0"

    finish
}

main "$@"
exit $?
