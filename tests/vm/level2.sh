#!/usr/bin/env bash
# shellcheck disable=SC2154 # $image is set by lib.sh's vm_setup
# The VM proof of `host profile=cis-l2` (CIS Debian 12 Level 2), on demand: not in
# .ci/test, whose VM stage is already past its budget (docs/ci-time.md); run it after a
# change to what Level 2 writes, as root:
#
#   bash tests/vm/level2.sh
#
# 1. builds tests/vm/level2/spec.kdl (a bastion host written from the README: every host
#    section, no containers, nothing served) with one operator's fact added: the office
#    network also holds the harness's address (QEMU's gateway, 10.0.2.2);
# 2. boots the cached Debian 12 image (tests/vm/image.sh bookworm), converges the host play,
#    converges again (changed=0);
# 3. probes Level 2's own files on the host: auditd reloaded on auditd.conf (its
#    DAEMON_CONFIG record, success) and running, the audit log directory, log and tools'
#    modes, overlayfs unloadable, the other modules too, every AppArmor profile enforcing (a
#    profile loaded in complain mode before the play, as a package may ship one);
# 4. reboots (auditd starts from the file, or does not start), probes again, dry-runs the
#    playbook: changed=0.
# The VM boots its kernel directly (no GRUB): the kernel's command line of the GRUB drop-in
# (`audit=1 audit_backlog_limit=`) is checked by `pynoc verify` (sourced as grub-mkconfig
# does), not here.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # read by lib.sh's pynoc_bin
root=$(cd "$here/../.." && pwd)
# shellcheck disable=SC2034 # read by lib.sh, sourced below
VM_NAME=debian-12-l2
. "$here/lib.sh"
. "$here/probes.sh"

main() {
    need qemu-system-x86_64 qemu-img mmdebstrap ssh scp python3 "$ANSIBLE_PLAYBOOK"
    say "level 2: the Debian 12 VM image (built once per version of image.sh)"
    vm_setup bookworm
    local pynoc t
    pynoc=$(pynoc_bin) || exit 1
    mkdir -p "$WORK/spec"
    sed 's|network office "192.0.2.0/24"|& "10.0.2.2/32"|' "$here/level2/spec.kdl" >"$WORK/spec/spec.kdl"
    grep -q '"10.0.2.2/32"' "$WORK/spec/spec.kdl" || { fail "the office network line changed: update level2.sh"; exit 1; }
    "$pynoc" build "$WORK/spec/spec.kdl" -o "$WORK/out" >/dev/null || exit 1
    [ -f "$WORK/out/host/auditd.conf" ] || { fail "no host/auditd.conf at Level 2"; exit 1; }

    # The image has no apt lists and no apparmor-utils (no other proof needs it): Debian's own
    # packages of aa-enforce, fetched here, as an operator's mirror would serve them.
    mkdir -p "$WORK/debs"
    (cd "$WORK/debs" && apt-get download -q apparmor-utils python3-apparmor python3-libapparmor >/dev/null 2>&1) ||
        { fail "apt-get download apparmor-utils (this machine's Debian 12 archive)"; exit 1; }
    vm_boot "$image"
    quiet_apt
    # shellcheck disable=SC2046 # ssh_opts is a list of words, as in lib.sh
    scp -q $(ssh_opts | sed 's/^-p$/-P/') -o ControlPath="$WORK/ctl" "$WORK"/debs/*.deb "$VM_USER"@127.0.0.1:/tmp/ ||
        { fail "copy the packages to the VM"; exit 1; }
    echo 'dpkg -i /tmp/*.deb >/dev/null && echo "PASS level 2: apparmor-utils installed from Debian 12 packages"' | G 2>&1 | tally
    # A profile in complain mode, as a package may ship one: Level 2's play enforces it.
    G <<'EOF' 2>&1 | tally
cat >/etc/apparmor.d/pynoc-probe <<'PROFILE'
abi <abi/3.0>,
include <tunables/global>
profile pynoc-probe /usr/local/bin/pynoc-probe flags=(complain) {
  include <abstractions/base>
}
PROFILE
apparmor_parser -r /etc/apparmor.d/pynoc-probe && grep -qx 'pynoc-probe (complain)' /sys/kernel/security/apparmor/profiles ||
    echo "FAIL level 2: the probe's profile did not load in complain mode"
EOF
    inventory pynoc_host
    say "converge (the host at Level 2)"
    t=$SECONDS
    converge_mitogen >"$WORK/converge1.log" 2>&1 || {
        tail -60 "$WORK/converge1.log"
        vm_diagnose
        fail "first converge failed"
        exit 1
    }
    recap "$WORK/converge1.log"
    echo "   $((SECONDS - t)) s"
    probe_level2 1
    say "converge again: nothing may change"
    converge_mitogen >"$WORK/converge2.log" 2>&1 || { tail -60 "$WORK/converge2.log"; fail "the second converge failed"; }
    unchanged "$WORK/converge2.log" "level 2: converge again: changed=0"
    vm_reboot
    probe_level2 2
    say "dry run (--check --diff) after the reboot"
    converge_mitogen --check --diff >"$WORK/dry.log" 2>&1 || { tail -40 "$WORK/dry.log"; fail "dry run failed"; }
    unchanged "$WORK/dry.log" "level 2: dry run after the reboot: changed=0"
    finish
}

# probe_level2 ROUND: what Level 2 writes, on the running host.
probe_level2() {
    say "probes, round $1: Level 2"
    {
        echo "ROUND=$1"
        cat <<'EOF'
conf=/etc/audit/auditd.conf
grep -qx 'max_log_file_action = keep_logs' $conf && grep -qx 'disk_full_action = halt' $conf &&
    echo "PASS level 2: auditd.conf installed (keep_logs, halt when full)" || echo "FAIL level 2: auditd.conf is not pynoc's"
systemctl is-active -q auditd && echo "PASS level 2: auditd running on it" ||
    echo "FAIL level 2: auditd is not running: $(journalctl -b -u auditd --no-pager | tail -3 | tr '\n' ' ')"
# auditd records each configuration it rereads on a SIGHUP (the play's handler), in round 1.
if [ "$ROUND" = 1 ]; then
    grep -hq 'type=DAEMON_CONFIG .*op=reconfigure .*res=success' /var/log/audit/audit.log* &&
        echo "PASS level 2: auditd reread its configuration on the play's SIGHUP (DAEMON_CONFIG, success)" ||
        echo "FAIL level 2: no successful DAEMON_CONFIG record: $(grep -h 'type=DAEMON_CONFIG' /var/log/audit/audit.log* | tail -1)"
fi
journalctl -b -u auditd --no-pager | grep -Ei 'not found|invalid|error' | grep -v 'sendmail' | head -3 | sed 's/^/FAIL level 2: auditd says: /'
for f in "/var/log/audit 750 root adm" "/var/log/audit/audit.log 640 root adm" "/usr/sbin/auditctl 755 root root" "/usr/sbin/auditd 755 root root"; do
    set -- $f
    got=$(stat -c '%a %U %G' "$1")
    [ "$got" = "$2 $3 $4" ] && echo "PASS level 2: $1 $got" || echo "FAIL level 2: $1 is $got, not $2 $3 $4"
done
grep -qx 'pynoc-probe (enforce)' /sys/kernel/security/apparmor/profiles && [ "$(aa-status --complaining)" = 0 ] &&
    echo "PASS level 2: every AppArmor profile enforcing (the probe's, loaded in complain mode, enforced)" ||
    echo "FAIL level 2: AppArmor: $(grep pynoc-probe /sys/kernel/security/apparmor/profiles), $(aa-status --complaining) in complain mode"
# The image's Docker loaded overlayfs before the play (the play unloads nothing): from the
# next boot it cannot load.
if ! modprobe -c | grep -qx 'install overlay /bin/false'; then
    echo "FAIL level 2: overlayfs: no install rule"
elif lsmod | grep -q '^overlay '; then
    [ "$ROUND" = 1 ] && echo "PASS level 2: overlayfs unloadable from the next boot (loaded before the play)" ||
        echo "FAIL level 2: overlayfs is loaded after the reboot"
else
    echo "PASS level 2: overlayfs unloadable and not loaded"
fi
EOF
    } | G 2>&1 | tally
    # Every module of the catalog unloadable and not loaded: after the reboot (the image's
    # Docker loaded overlayfs before the play).
    [ "$1" = 1 ] || probe_modules "$WORK/out"
    # For the log: units that failed (the image's Docker has no overlayfs from this boot on).
    echo 'systemctl --failed --no-legend --plain' | G 2>&1 | sed 's/^/   failed unit: /'
}

main "$@"
exit $?
