# shellcheck shell=bash disable=SC2046
# The probes of the VM proof, run once after the converges and once after the reboot.
# Expectations are the reference spec's (examples/pynomaly/spec.kdl). Sourced, not run.

# Helpers that do not survive a reboot: a listener on 7777 that the firewall must hide (the
# application on 127.0.0.1:8000, nginx's upstream, is the container stack), and a peer network
# namespace `peer` at $1 (TEST-NET-1, outside the spec's internal network) wired to the VM
# through a veth pair, so a second, non-internal client can probe the host.
helpers() {
    G <<EOF 2>&1 | tally
mkdir -p /srv/probe && echo backend-ok >/srv/probe/index.html
systemctl is-active -q pynoc-hidden || systemd-run -q --unit=pynoc-hidden python3 -m http.server 7777 --directory /srv/probe
ip netns del peer 2>/dev/null || true
ip link del vpeer0 2>/dev/null || true
ip netns add peer
ip link add vpeer0 type veth peer name vpeer1
ip link set vpeer1 netns peer
ip addr add 192.0.2.1/24 dev vpeer0 && ip link set vpeer0 up
ip -n peer addr add $1/24 dev vpeer1 && ip -n peer link set vpeer1 up && ip -n peer link set lo up
sleep 2
EOF
}

# timed PROBE ARGS…: runs it; a probe that takes 5 s or more says how long (where a round's
# minutes go shows in the log of the run that made it slow).
timed() {
    local t=$SECONDS
    "$@"
    [ $((SECONDS - t)) -lt 5 ] || echo "   ($1: $((SECONDS - t)) s)"
}

# The host's probes: services, kernel, SSH (from this machine and from the peer), the
# firewall, fail2ban, audit, mounts, PostgreSQL, containers. In round 1 the stack is not up
# yet (the application image may be building in the VM's background: NOTE names it); in
# round 2 the stack is up, back by its restart policy.
#   probe_host ROUND PEER [NOTE]
probe_host() {
    local round=$1 peer=$2
    say "probes, round $round: the host (peer $peer)${3:-}"
    timed helpers "$peer"
    [ "$round" = 1 ] || stack_healthy
    timed probe_services
    timed probe_sysctl
    timed probe_ssh_outside "$round"
    timed probe_from_peer "$peer"
    timed probe_firewall_outside
    timed probe_audit
    timed probe_fstab
    timed probe_postgres
    timed probe_containers
    timed probe_sandbox "$WORK/out"
    [ "$round" = 1 ] && timed probe_updates "$WORK/out"
    [ "$round" = 1 ] && timed probe_permissions
    [ "$round" = 1 ] && timed probe_login "$WORK/out" "$VM_USER"
    # shellcheck disable=SC2154 # $root is the checkout, set by run.sh
    [ "$round" = 1 ] && timed probe_absent "$WORK/out" "$root/stdlib/services/absent.toml"
    [ "$round" = 1 ] && timed probe_aide "$WORK/out"
    [ "$round" = 2 ] && timed probe_modules "$WORK/out"
    timed probe_journal "$WORK/out" "$round"
    [ "$round" = 1 ] && timed probe_pam "$WORK/out"
    timed probe_time "$WORK/out"
    if [ -e "$WORK/out/host/apparmor-grub.cfg" ]; then
        # shellcheck disable=SC2016 # expanded in the VM
        echo 'systemctl is-active --quiet apparmor && aa-status --enabled && [ "$(aa-status --profiled)" -gt 0 ] && aa-status | grep -q "^0 processes are unconfined but have a profile defined" && echo "PASS apparmor: on, $(aa-status --profiled) profiles loaded, no process with a profile unconfined" || echo "FAIL apparmor: $(aa-status 2>&1 | head -3 | tr "\n" " ")"' | G 2>&1 | tally
    fi
    # One firewall utility: the image's ufw is masked, nftables' ruleset loaded.
    # shellcheck disable=SC2016 # expanded in the VM
    echo '[ "$(systemctl is-enabled ufw.service)" = masked ] && ! ufw status | grep -q "Status: active" && echo "PASS firewall: ufw masked and inactive, nftables the one utility" || echo "FAIL firewall: ufw is $(systemctl is-enabled ufw.service)"' | G 2>&1 | tally
}

# probe_pam OUT: PAM's merged stacks on the host as libpam runs them (pamtester on a service of
# the host's own common stacks): a probe account's right password gets in, su refuses it (not in
# sugroup, with `sudo`), `deny` wrong ones lock it, and the right one is then refused; the
# account is removed after.
probe_pam() {
    local conf=$1/host/faillock.conf deny su
    [ -e "$conf" ] || return 0
    deny=$(sed -n 's/^deny = //p' "$conf")
    su=$([ -e "$1/host/sudoers" ] && echo yes || echo no)
    G <<EOF 2>&1 | tally
grep -q 'pam_faillock.so preauth' /etc/pam.d/common-auth && grep -q 'pam_pwhistory.so remember=' /etc/pam.d/common-password && echo "PASS pam: faillock and pwhistory in the common stacks" || echo "FAIL pam: the common stacks lack pynoc's profile"
[ "\$(sed -n 's/^deny = //p' /etc/security/faillock.conf)" = "$deny" ] && echo "PASS pam: deny = $deny" || echo "FAIL pam: faillock.conf is not the file's"
useradd -M -s /usr/sbin/nologin pynocprobe && echo 'pynocprobe:kV7-qz9.Lw2_Tn4+xR' | chpasswd || echo "FAIL pam: no probe account"
printf 'auth include common-auth\naccount include common-account\n' >/etc/pam.d/pynoc-probe
echo 'kV7-qz9.Lw2_Tn4+xR' | pamtester pynoc-probe pynocprobe authenticate acct_mgmt >/dev/null 2>&1 && echo "PASS pam: the right password gets in" || echo "FAIL pam: the right password is refused"
if [ "$su" = yes ]; then
    # The control: the same user, password and pamtester get in through the common stacks.
    runuser -u pynocprobe -- sh -c "echo 'kV7-qz9.Lw2_Tn4+xR' | pamtester pynoc-probe pynocprobe authenticate" >/dev/null 2>&1 || echo "FAIL pam: the probe account cannot authenticate as itself"
    runuser -u pynocprobe -- sh -c "echo 'kV7-qz9.Lw2_Tn4+xR' | pamtester su pynocprobe authenticate" >/dev/null 2>&1 && echo "FAIL pam: su lets a user outside sugroup in" || echo "PASS pam: su refuses a user outside sugroup, with the right password"
fi
for i in \$(seq $deny); do (echo wrong | pamtester pynoc-probe pynocprobe authenticate >/dev/null 2>&1 && echo "FAIL pam: a wrong password gets in") & done; wait
echo 'kV7-qz9.Lw2_Tn4+xR' | pamtester pynoc-probe pynocprobe authenticate >/dev/null 2>&1 && echo "FAIL pam: not locked after $deny failures" || echo "PASS pam: locked after $deny failures, the right password refused"
faillock --user pynocprobe --reset; userdel pynocprobe; rm -f /etc/pam.d/pynoc-probe
EOF
}

# probe_time OUT: timesyncd runs (after the reboot too) on the file's servers, none other,
# and is the host's one time daemon.
probe_time() {
    local conf=$1/host/timesyncd.conf ntp
    [ -e "$conf" ] || return 0
    ntp=$(sed -n 's/^NTP=//p' "$conf")
    G <<EOF 2>&1 | tally
systemctl is-active --quiet systemd-timesyncd && echo "PASS time: timesyncd running" || echo "FAIL time: timesyncd is \$(systemctl is-active systemd-timesyncd)"
got=\$(timedatectl show-timesync --property=SystemNTPServers --value)
[ "\$got" = "$ntp" ] && echo "PASS time: timesyncd asks $ntp" || echo "FAIL time: timesyncd asks \$got, not $ntp"
got=\$(timedatectl show-timesync --property=FallbackNTPServers --value)
[ "\$got" = "$ntp" ] && echo "PASS time: no fallback beyond the spec's servers" || echo "FAIL time: fallback servers \$got"
[ "\$(timedatectl show --property=NTP --value)" = yes ] && echo "PASS time: NTP on" || echo "FAIL time: NTP off"
others=\$(dpkg-query -W -f='\${db:Status-Abbrev} \${Package}\n' chrony ntp ntpsec openntpd 2>/dev/null | awk '\$1 ~ /^ii/ {print \$2}')
[ -z "\$others" ] && echo "PASS time: no other time daemon installed" || echo "FAIL time: also installed: \$others"
EOF
}

# probe_journal OUT ROUND: journald reads the drop-in (its effective SystemMaxUse is the
# file's), keeps the journal on disk; after the reboot (round 2) the previous boot's entries
# are still there.
probe_journal() {
    local conf=$1/host/journald.conf max
    [ -e "$conf" ] || return 0
    max=$(sed -n 's/^SystemMaxUse=//p' "$conf")
    G <<EOF 2>&1 | tally
[ "\$(systemd-analyze cat-config systemd/journald.conf | sed -n 's/^SystemMaxUse=//p' | tail -1)" = "$max" ] && echo "PASS journal: SystemMaxUse=$max is journald's last word" || echo "FAIL journal: SystemMaxUse is not $max"
[ -s "/var/log/journal/\$(cat /etc/machine-id)/system.journal" ] && echo "PASS journal: on disk in /var/log/journal" || echo "FAIL journal: no persistent journal"
if [ "$2" = 2 ]; then
    n=\$(journalctl --list-boots --no-pager | wc -l)
    [ "\$n" -ge 2 ] && echo "PASS journal: \$n boots in the journal, the reboot's earlier one kept" || echo "FAIL journal: \$n boot(s) in the journal after the reboot"
fi
EOF
}

# probe_modules OUT: after the reboot, every module the file makes unloadable is not loaded,
# and loading it by hand fails.
probe_modules() {
    local names
    names=$(sed -n 's/^blacklist //p' "$1/host/modprobe.conf" | tr '\n' ' ')
    [ -n "$names" ] || return 0
    G <<EOF 2>&1 | tally
for m in $names; do
    if lsmod | awk '{print \$1}' | grep -qx "\$(echo \$m | tr - _)"; then echo "FAIL modules: \$m is loaded"; continue; fi
    modprobe \$m 2>/dev/null && echo "FAIL modules: modprobe \$m loads it" || echo "PASS modules: \$m is not loaded and cannot be"
done
EOF
}

# probe_aide OUT: AIDE's database initialised, its daily check on, the report's address
# set; a file added under /usr/local/sbin is reported by a check (limited to that tree), and
# what the drop-in leaves out is left out.
probe_aide() {
    local conf=$1/host/aide.conf skipped mail
    [ -e "$conf" ] || return 0
    mail=$(sed -n 's/^ *line: !unsafe MAILTO=\(.*\)$/\1/p' "$1/deploy/site.yml" | head -1)
    skipped=$(sed -n 's/^!\(.*\)(\/|\$)$/\1/p' "$conf" | tr -d '\\' | head -1)
    G <<EOF 2>&1 | tally
# The playbook starts the first scan in the background (unit pynoc-aideinit): wait for it.
for _ in \$(seq 1 120); do systemctl is-active -q pynoc-aideinit || break; sleep 5; done
systemctl is-failed -q pynoc-aideinit && echo "FAIL aide: the background scan failed: \$(journalctl -u pynoc-aideinit -n 5 --no-pager)"
[ -s /var/lib/aide/aide.db ] && echo "PASS aide: the database is initialised in the background (\$(du -h /var/lib/aide/aide.db | cut -f1))" || echo "FAIL aide: no /var/lib/aide/aide.db"
[ "\$(systemctl is-enabled dailyaidecheck.timer)" = enabled ] && systemctl is-active -q dailyaidecheck.timer && echo "PASS aide: dailyaidecheck.timer enabled and active" || echo "FAIL aide: dailyaidecheck.timer"
grep -qx 'MAILTO=$mail' /etc/default/aide && echo "PASS aide: the report goes to $mail, as the playbook says" || echo "FAIL aide: MAILTO is \$(grep MAILTO /etc/default/aide)"
echo probe > /usr/local/sbin/pynoc-aide-probe
out=\$(aide --config /etc/aide/aide.conf --check --limit /usr/local/sbin 2>&1); rc=\$?
rm -f /usr/local/sbin/pynoc-aide-probe
[ \$((rc & 1)) = 1 ] && printf '%s' "\$out" | grep -q '/usr/local/sbin/pynoc-aide-probe' && echo "PASS aide: a file added under /usr/local/sbin is reported (exit \$rc)" || echo "FAIL aide: check exit \$rc: \$(printf '%s' "\$out" | tail -3)"
aide --config /etc/aide/aide.conf --path-check=f:$skipped/pynoc-probe | grep -q '^\[ \]' && echo "PASS aide: $skipped is left out" || echo "FAIL aide: $skipped is watched"
# CIS 6.3.3: each audit tool under a rule with at least p+i+n+u+g+s+b+acl+xattrs+sha512.
bad=""
for t in auditctl auditd ausearch aureport autrace augenrules; do
    rule=\$(aide --config /etc/aide/aide.conf --path-check=f:/usr/sbin/\$t | sed -n "s/^\\[X\\] .*rule: '[^ ]* [^ ]* \\([^']*\\)'.*/\\1/p")
    for a in p i n u g s b acl xattrs sha512; do
        case "+\$rule+" in *"+\$a+"*) ;; *) bad="\$bad \$t:\$a" ;; esac
    done
done
[ -z "\$bad" ] && echo "PASS aide: the audit tools are watched with p+i+n+u+g+s+b+acl+xattrs+sha512" || echo "FAIL aide: the audit tools' rule lacks\$bad"
EOF
}

# The critical files' owners and modes (stdlib/permissions/files.toml), read with stat.
probe_permissions() {
    G <<'EOF' 2>&1 | tally
# A file the host does not have (no cron package: no /etc/crontab) is left alone.
for want in "/etc/passwd root:root 644" "/etc/group root:root 644" "/etc/shadow root:shadow 640" \
    "/etc/gshadow root:shadow 640" "/etc/crontab root:root 600" "/etc/cron.d root:root 700" "/etc/cron.daily root:root 700" \
    "/etc/ssh/ssh_host_ed25519_key root:root 600" "/etc/ssh/ssh_host_ed25519_key.pub root:root 644"; do
    set -- $want
    [ -e "$1" ] || { echo "PASS permissions: $1 absent on this host, left alone"; continue; }
    have=$(stat -c '%U:%G %a' "$1")
    [ "$1 $have" = "$want" ] && echo "PASS permissions: $want" || echo "FAIL permissions: $1 is $have, not $2 $3"
done
EOF
}

# What needs the stack up: HTTPS through nginx to the application, the stack's own probes,
# and (round 1) manifest.json's apply commands on the whole running host.
probe_served() {
    local round=$1 peer=$2
    say "probes, round $round: HTTPS through nginx to the application"
    probe_https
    probe_stack "$round" "$peer"
    if [ "$round" = 1 ]; then
        say "manifest.json's apply commands, as written"
        probe_manifest
    fi
}

probe_services() {
    G <<'EOF' 2>&1 | tally
for u in ssh nginx fail2ban auditd nftables docker; do
    [ "$(systemctl is-enabled $u 2>/dev/null)" = enabled ] && [ "$(systemctl is-active $u)" = active ] \
        && echo "PASS $u enabled and active" || echo "FAIL $u: $(systemctl is-enabled $u 2>&1) $(systemctl is-active $u 2>&1)"
done
nft list table inet pynoc >/dev/null 2>&1 && echo "PASS nftables table inet pynoc loaded" || echo "FAIL no table inet pynoc"
failed=$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')
[ -z "$failed" ] && echo "PASS no failed units" || echo "FAIL failed units: $failed"
EOF
}

# probe_absent OUT CATALOG: the catalog's servers and clients (stdlib/services/absent.toml) are gone
# when the spec has `services`: the image carries telnet and rsync (as many hosts do), the
# play purged telnet, masked rsync's daemon and left the rsync command.
probe_absent() {
    grep -q "servers and clear-text clients not in use" "$1/deploy/site.yml" || return 0
    local pkgs
    pkgs=$(python3 -c 'import sys, tomllib
for s in tomllib.load(open(sys.argv[1], "rb"))["service"]:
    print(" ".join(p for p in s.get("packages", []) if p != "nginx"))' "$2" | tr '\n' ' ')
    G <<EOF 2>&1 | tally
left=""
for p in $pkgs; do
    [ "\$(dpkg-query -W -f '\${db:Status-Status}' \$p 2>/dev/null)" = installed ] && left="\$left \$p"
done
[ -z "\$left" ] && echo "PASS services: none of the catalog's packages is installed (telnet was)" || echo "FAIL services: still installed:\$left"
[ "\$(systemctl show -p LoadState --value rsync.service)" = masked ] && echo "PASS services: rsync's daemon is masked" || echo "FAIL services: rsync.service is \$(systemctl show -p LoadState --value rsync.service)"
command -v rsync >/dev/null && echo "PASS services: the rsync command stays" || echo "FAIL services: the rsync command is gone"
EOF
}

# probe_login OUT USER: the login policy as its files say. login.defs holds each key once with
# pynoc's value, and an account useradd makes now gets that ageing; the operator's account
# (USER, key logins only) has none; root's chpasswd is refused a weak password and accepted a
# strong one, hashed with yescrypt (PAM's pwquality, root included); sudo logs to its file
# with the timeout written.
probe_login() {
    local out=$1 user=$2 keys="" timeout=""
    [ -f "$out/host/login.defs" ] && keys=$(grep -E '^[A-Z_]+ ' "$out/host/login.defs" | tr ' ' '=' | tr '\n' ' ')
    [ -f "$out/host/sudoers" ] && timeout=$(sed -n 's/^Defaults timestamp_timeout=//p' "$out/host/sudoers")
    if [ -f "$out/host/limits.conf" ]; then
        # A real login session (sshd's PAM stack runs pam_limits): no core file.
        local core
        core=$(timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 'echo $(ulimit -Sc) $(ulimit -Hc)' 2>&1)
        [ "$core" = "0 0" ] && pass "core dumps: an SSH session's core limits are 0" || fail "core dumps: an SSH session's core limits are '$core'"
    fi
    if [ -f "$out/host/profile.sh" ]; then
        # An SSH login's shell reads /etc/profile.d: umask, core limit, a read-only TMOUT;
        # PAM's session (libpam-tmpdir) gives it a private TMPDIR.
        local want got uid
        uid=$(timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 id -u)
        want="0027 0 $(sed -n 's/^ *TMOUT=//p' "$out/host/profile.sh") read-only /tmp/user/$uid 700"
        # shellcheck disable=SC2016 # expanded by the VM's login shell
        got=$(timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 \
            'bash -lc "echo \$(umask) \$(ulimit -c) \$TMOUT \$( (TMOUT=1) 2>/dev/null && echo writable || echo read-only) \$TMPDIR \$(stat -c %a \"\$TMPDIR\")"' 2>&1)
        [ "$got" = "$want" ] && pass "login shell: umask, core limit, read-only TMOUT, private TMPDIR ($got)" || fail "login shell: '$got', expected '$want'"
    fi
    if [ -f "$out/host/issue.net" ]; then
        # `banner`: the client shows the notice before authentication (sshd's Banner), and
        # the three files are pynoc's, byte for byte, as the playbook installs them.
        local shown missing=0 f line got want
        shown=$(timeout 20 ssh -o LogLevel=INFO $(ssh_opts) "$VM_USER"@127.0.0.1 true 2>&1)
        while IFS= read -r line; do
            printf '%s\n' "$shown" | grep -qxF -- "$line" || missing=1
        done < "$out/host/issue.net"
        [ "$missing" = 0 ] && pass "banner: an SSH client shows the notice before it authenticates" || fail "banner: the client showed '$shown'"
        for f in issue issue.net motd; do
            got=$(echo "sha256sum < /etc/$f | cut -d' ' -f1; stat -c '%a %U:%G' /etc/$f" | G 2>&1)
            want="$(sha256sum < "$out/host/$f" | cut -d' ' -f1)
644 root:root"
            [ "$got" = "$want" ] && pass "banner: /etc/$f is the notice, 644 root:root" || fail "banner: /etc/$f: '$got'"
        done
    fi
    [ -n "$keys$timeout" ] || return 0
    G <<EOF 2>&1 | tally
for kv in $keys; do
    k=\${kv%%=*} v=\${kv#*=}
    [ "\$(grep -cE "^\$k[[:space:]]" /etc/login.defs)" = 1 ] && grep -qE "^\$k[[:space:]]+\$v\$" /etc/login.defs \
        && echo "PASS login.defs: \$k \$v" || echo "FAIL login.defs: \$(grep -E "^#?\$k[[:space:]]" /etc/login.defs | tr '\n' '|')"
done
if [ -n "$keys" ]; then
    userdel pynoc-probe 2>/dev/null || true
    useradd -M pynoc-probe
    max=\$(awk '\$1 == "PASS_MAX_DAYS" { print \$2 }' /etc/login.defs)
    [ "\$(getent shadow pynoc-probe | cut -d: -f5)" = "\$max" ] && echo "PASS login.defs: a new account's password lasts \$max days" || echo "FAIL login.defs: a new account's ageing \$(getent shadow pynoc-probe | cut -d: -f3-6)"
    h=\$(getent passwd $user | cut -d: -f6)
    [ \$(( 0\$(stat -c %a "\$h") & 027 )) = 0 ] && echo "PASS $user's home \$h is \$(stat -c %a "\$h"): no group write, nothing for others" || echo "FAIL $user's home \$h is \$(stat -c %a "\$h")"
    m=\$(getent shadow $user | cut -d: -f5)
    { [ -z "\$m" ] || [ "\$m" = 99999 ]; } && echo "PASS $user (key logins, no password) has no password ageing" || echo "FAIL $user's password expires after \$m days"
    echo 'pynoc-probe:Password1' | chpasswd 2>/dev/null && echo "FAIL pwquality: root's chpasswd set a weak password" || echo "PASS pwquality: root's chpasswd refuses a weak password"
    echo 'pynoc-probe:kV7#qz9!Lw2%Tn4@xR' | chpasswd && echo "PASS pwquality: a strong password is accepted" || echo "FAIL pwquality: a strong password is refused"
    getent shadow pynoc-probe | cut -d: -f2 | grep -q '^[$]y[$]' && echo "PASS the password is hashed with yescrypt" || echo "FAIL the password hash: \$(getent shadow pynoc-probe | cut -d: -f2 | cut -c1-4)"
    userdel pynoc-probe
fi
if [ -n "$timeout" ]; then
    v=\$(sudo -V)
    printf '%s\n' "\$v" | grep -q 'Path to log file: /var/log/sudo.log' && echo "PASS sudo: logs to /var/log/sudo.log" || echo "FAIL sudo: no log file in sudo -V"
    printf '%s\n' "\$v" | grep -q "Authentication timestamp timeout: $timeout.0 minutes" && echo "PASS sudo: an authentication lasts $timeout minutes" || echo "FAIL sudo: \$(printf '%s\n' "\$v" | grep 'timestamp timeout')"
    grep -q 'COMMAND=' /var/log/sudo.log && echo "PASS sudo: commands are in /var/log/sudo.log" || echo "FAIL sudo: /var/log/sudo.log has no command"
fi
EOF
}

# probe_updates OUT: unattended-upgrades, as the drop-in says: only Debian's security archive
# is allowed (unattended-upgrade's own dry run lists what it would install from), the reboot
# policy as written, and the timers that run it on.
probe_updates() {
    local conf=$1/host/unattended-upgrades.conf reboot
    [ -e "$conf" ] || return 0
    reboot=$(sed -n 's/^Unattended-Upgrade::Automatic-Reboot "\(.*\)";/\1/p' "$conf")
    G <<EOF 2>&1 | tally
for t in apt-daily.timer apt-daily-upgrade.timer; do
    [ "\$(systemctl is-enabled \$t 2>&1)" = enabled ] && systemctl is-active -q \$t && echo "PASS updates: \$t enabled and active" || echo "FAIL updates: \$t \$(systemctl is-enabled \$t 2>&1)"
done
apt-config dump | grep -qx 'Unattended-Upgrade::Automatic-Reboot "$reboot";' && echo "PASS updates: Automatic-Reboot $reboot, as the spec says" || echo "FAIL updates: apt-config has \$(apt-config dump | grep Automatic-Reboot)"
allowed=\$(unattended-upgrade --dry-run --debug 2>&1 | sed -n 's/^Allowed origins are: //p')
case \$allowed in
    *label=Debian-Security*) ;;
    *) echo "FAIL updates: unattended-upgrade allows '\$allowed'"; exit ;;
esac
echo "\$allowed" | sed 's/, /\n/g' | grep -v 'label=Debian-Security' | grep -q . && echo "FAIL updates: origins beyond Debian's security archive: \$allowed" || echo "PASS updates: unattended-upgrade installs from Debian's security archive only (\$allowed)"
EOF
}

# probe_sandbox OUT [UNITS]: each service pynoc sandboxes (of UNITS only, when given: the
# plays that ran) runs under its drop-in: systemd scores the running unit at most the
# drop-in's figure, the main process cannot gain privileges, and in its mount namespace /etc
# is read-only while the paths it writes are not.
probe_sandbox() {
    local out=$1 only=${2:-} f unit max writes checks=""
    for f in "$out"/systemd/*.service.conf; do
        [ -e "$f" ] || continue
        unit=${f##*/}
        unit=${unit%.conf}
        [ -z "$only" ] || [[ " $only " == *" $unit "* ]] || continue
        [ "$unit" = postgresql@.service ] && unit=postgresql@15-main.service
        max=$(sed -n 's/.*systemd-analyze security`: at most \([0-9.]*\).*/\1/p' "$f")
        writes=$(sed -n 's/^ReadWritePaths=//p' "$f" | tr ' ' '\n' | grep -v '^-' | head -1)
        checks+="sandbox $unit $max $writes"$'\n'
    done
    [ -n "$checks" ] || { fail "sandbox: no drop-in in $out/systemd"; return; }
    G <<EOF 2>&1 | tally
sandbox() {
    local unit=\$1 max=\$2 writes=\$3 s pid
    systemctl show -p DropInPaths --value \$unit | grep -q 50-pynoc-sandbox.conf && echo "PASS sandbox: \$unit runs with its drop-in" || echo "FAIL sandbox: \$unit has no drop-in"
    s=\$(systemd-analyze security --no-pager \$unit 2>/dev/null | awk '/Overall exposure level/ { for (i = 1; i <= NF; i++) if (\$i ~ /:\$/) print \$(i + 1) }')
    awk -v s="\$s" -v m="\$max" 'BEGIN { exit !(s != "" && s + 0 <= m + 0) }' && echo "PASS sandbox: \$unit exposure \$s (at most \$max)" || echo "FAIL sandbox: \$unit exposure '\$s' above \$max"
    pid=\$(systemctl show -p MainPID --value \$unit)
    grep -q '^NoNewPrivs:[[:space:]]*1' /proc/\$pid/status && echo "PASS sandbox: \$unit's main process has no_new_privs" || echo "FAIL sandbox: \$unit's process \$pid may gain privileges"
    nsenter -t \$pid -m touch /etc/.pynoc-probe 2>/dev/null && { rm -f /etc/.pynoc-probe; echo "FAIL sandbox: \$unit may write /etc"; } || echo "PASS sandbox: /etc is read-only to \$unit"
    nsenter -t \$pid -m sh -c "touch \$writes/.pynoc-probe && rm \$writes/.pynoc-probe" && echo "PASS sandbox: \$unit writes \$writes" || echo "FAIL sandbox: \$unit cannot write \$writes"
    # Its own stop command works under the sandbox (else systemd kills the service instead).
    systemctl stop \$unit; r=\$(systemctl show -p Result --value \$unit); systemctl start \$unit
    [ "\$r" = success ] && systemctl is-active -q \$unit && echo "PASS sandbox: \$unit stops cleanly and starts again" || echo "FAIL sandbox: \$unit stop result '\$r', now \$(systemctl is-active \$unit)"
}
$checks
EOF
}

# Every key of the drop-in holds its value (optional keys only where the kernel has them).
probe_sysctl() {
    {
        echo 'bad=0; while IFS= read -r line; do'
        echo '  case $line in ""|"#"*) continue;; esac; k=${line%%=*}; v=${line#*=}; k=$(echo $k); v=$(echo $v)'
        echo '  case $k in -*) k=${k#-}; [ -e /proc/sys/$(echo $k | tr . /) ] || continue;; esac'
        echo '  got=$(sysctl -n "$k" 2>&1 | tr -s "\t " " ")'
        echo '  [ "$got" = "$v" ] || { echo "FAIL sysctl $k = $got, want $v"; bad=1; }'
        echo 'done <<"SYSCTL"'
        cat "$WORK/out/host/sysctl.conf"
        echo 'SYSCTL'
        echo '[ $bad = 0 ] && echo "PASS every sysctl value of the drop-in holds"'
        echo '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] && echo "PASS ip_forward = 1 (containers run here)"'
    } | G 2>&1 | tally
}

# From this machine (QEMU's gateway 10.0.2.2): the operator's key gets in, root does not.
# Root is tried in round 1 only: each refusal counts toward fail2ban's maxretry for the
# gateway, and a ban of it would lock the harness out.
probe_ssh_outside() {
    local out
    if out=$(timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 'id -un' 2>&1) && [ "$out" = pynomaly ]; then
        pass "ssh from outside: pynomaly with its key gets in"
    else
        fail "ssh from outside as pynomaly: $out"
    fi
    if [ "$1" = 1 ]; then
        if timeout 20 ssh $(ssh_opts) root@127.0.0.1 true 2>/dev/null; then
            fail "ssh from outside: root got in"
        else
            pass "ssh from outside: root is refused (its key is still in authorized_keys)"
        fi
    fi
    local t
    t=$(echo 'sshd -T' | G)
    for want in "permitrootlogin no" "passwordauthentication no" "kbdinteractiveauthentication no" "allowusers pynomaly" \
        "loglevel VERBOSE" "maxstartups 10:30:60" "requiredrsasize 3072" "disableforwarding yes" \
        "macs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com"; do
        printf '%s\n' "$t" | grep -qx "$want" && pass "sshd -T: $want" || fail "sshd -T lacks '$want'"
    done
    # The playbook's moduli step: no group-exchange modulus under 3072 bits is left.
    local short
    short=$(echo "awk '\$1 !~ /^#/ && \$5 < 3071' /etc/ssh/moduli | wc -l; grep -vc '^#' /etc/ssh/moduli" | G | tr '\n' ' ')
    case $short in
        "0 "[1-9]*) pass "/etc/ssh/moduli: no modulus under 3072 bits, $(echo "$short" | cut -d' ' -f2) left" ;;
        *) fail "/etc/ssh/moduli: short moduli, remaining: $short" ;;
    esac
}

# From the peer namespace, a non-internal client: SSH with a key, no password method, root
# refused; fail2ban bans it after failed logins and lets it in again once unbanned; HTTPS
# is open and PostgreSQL (internal only) is not.
# The firewall's SSH limit (a bucket of 6 new connections per source, one more every 5 s)
# admits the first six back to back: the login, the methods, root's refusal and the three
# failures; the ban's wait and the unban's pause refill it for the seventh.
probe_from_peer() {
    G <<EOF 2>&1 | tally
P="ip netns exec peer"
S="ssh -n -i /root/probe_key -o BatchMode=yes -o ConnectTimeout=8 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
# A refusal proves nothing without the peer: its namespace must exist.
\$P true || { echo "FAIL the peer namespace is gone"; exit 0; }
[ "\$(timeout 20 \$P \$S pynomaly@192.0.2.1 id -un 2>&1)" = pynomaly ] && echo "PASS peer: pynomaly with its key gets in" || echo "FAIL peer: pynomaly cannot log in"
methods=\$(timeout 20 \$P ssh -n -v -o BatchMode=yes -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive -o ConnectTimeout=8 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null pynomaly@192.0.2.1 true 2>&1 | grep -m1 'Authentications that can continue' || true)
case "\$methods" in *password*|*keyboard*|"") echo "FAIL peer: methods offered: \${methods:-none seen}";; *) echo "PASS peer: only \${methods##*: } offered, no password";; esac
timeout 20 \$P \$S root@192.0.2.1 true 2>/dev/null && echo "FAIL peer: root got in" || echo "PASS peer: root is refused"
\$P timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/443' 2>/dev/null && echo "PASS peer: 443 open" || echo "FAIL peer: 443 closed"
\$P timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/5432' 2>/dev/null && echo "FAIL peer: 5432 reachable from a non-internal address" || echo "PASS peer: 5432 closed to a non-internal address"
# fail2ban: more refused logins until the jail bans the peer.
for i in 1 2 3; do timeout 15 \$P \$S root@192.0.2.1 true 2>/dev/null || true; done
banned=no
for i in \$(seq 1 30); do
    fail2ban-client status sshd | grep -q "$1" && { banned=yes; break; }
    sleep 1
done
if [ \$banned = yes ]; then
    echo "PASS fail2ban: $1 banned after failed logins"
    \$P timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.1/22' 2>/dev/null && echo "FAIL banned peer still reaches port 22" || echo "PASS banned peer cannot reach port 22"
    fail2ban-client set sshd unbanip $1 >/dev/null
    sleep 6
    [ "\$(timeout 20 \$P \$S pynomaly@192.0.2.1 id -un 2>&1)" = pynomaly ] && echo "PASS fail2ban: unbanned peer gets in again" || echo "FAIL unbanned peer cannot log in"
else
    echo "FAIL fail2ban did not ban $1:"; fail2ban-client status sshd
fi
fail2ban-client status sshd | grep -q 10.0.2.2 && echo "FAIL the harness's own gateway is banned" || true
EOF
}

probe_https() {
    local r="--resolve api.pynomaly.com:$HTTPS_PORT:127.0.0.1"
    local h
    h=$(curl -sk $r -D - -o /dev/null "https://api.pynomaly.com:$HTTPS_PORT/" 2>&1)
    # No `| head` under pipefail: head closing the pipe early can fail the whole test.
    local first=${h%%$'\n'*}
    case $first in *' 200'*) pass "https: / proxied to the application (200)" ;; *) fail "https /: $first" ;; esac
    local name bad=0
    for name in strict-transport-security content-security-policy x-frame-options x-content-type-options \
        referrer-policy permissions-policy; do
        [ "$(printf '%s\n' "$h" | grep -ci "^$name:")" = 1 ] || { fail "header $name not sent exactly once"; bad=1; }
    done
    [ $bad = 0 ] && pass "https: each security header sent exactly once"
    case $'\n'"${h,,}" in *$'\n''server: nginx/'*) fail "nginx version disclosed" ;; *) pass "https: no nginx version" ;; esac
    for v in 1.2 1.3; do
        curl -sk $r --tlsv$v --tls-max $v -o /dev/null "https://api.pynomaly.com:$HTTPS_PORT/" &&
            pass "https: TLS $v accepted" || fail "https: TLS $v refused"
    done
    if echo | timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' 2>&1 |
        grep -q 'Protocol *: TLSv1.1'; then fail "https: TLS 1.1 accepted"; else pass "https: TLS 1.1 refused"; fi
    local loc
    loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: api.pynomaly.com' "http://127.0.0.1:$HTTP_PORT/x?y=1")
    [ "$loc" = "301 https://api.pynomaly.com/x?y=1" ] && pass "http: 301 to https" || fail "http redirect: $loc"
    local rc=0
    # A name no site serves: closed on port 80, its TLS handshake refused on 443.
    curl -s -o /dev/null -H 'Host: evil.example' "http://127.0.0.1:$HTTP_PORT/" || rc=$?
    [ $rc = 52 ] && pass "http: an unknown Host is closed without a reply (default_server 444)" || fail "http: an unknown Host got an answer (curl exit $rc)"
    rc=0
    curl -sk -o /dev/null --resolve "evil.example:$HTTPS_PORT:127.0.0.1" "https://evil.example:$HTTPS_PORT/" || rc=$?
    [ $rc = 35 ] && pass "https: the handshake for an unknown name is refused" || fail "https: an unknown name got through the handshake (curl exit $rc)"
    rc=0
    curl -sk --http1.1 $r -o /dev/null "https://api.pynomaly.com:$HTTPS_PORT/.env" || rc=$?
    [ $rc = 52 ] && pass "https: /.env closed without a reply (444)" || fail "https: /.env answered"
    rc=0
    curl -sk --http1.1 $r -o /dev/null "https://api.pynomaly.com:$HTTPS_PORT/index.php" || rc=$?
    [ $rc = 52 ] && pass "https: a .php path closed without a reply (444)" || fail "https: .php answered"
    local codes
    codes=$(for _ in $(seq 1 12); do curl -sk $r -o /dev/null -w '%{http_code} ' "https://api.pynomaly.com:$HTTPS_PORT/auth/login"; done)
    case $codes in *429*) pass "https: 429 past the login burst ($codes)" ;; *) fail "https: no 429 past the burst ($codes)" ;; esac
}

# From this machine (10.0.2.2, inside the spec's internal 10.0.0.0/8): a port the spec does
# not open stays closed although a server listens on it in the VM.
probe_firewall_outside() {
    local body
    body=$(curl -s -m 8 "http://127.0.0.1:$CLOSED_PORT/" 2>/dev/null || true)
    [ -z "$body" ] && pass "firewall: port 7777 (listening, not allowed) is closed from outside" ||
        fail "firewall: port 7777 answered from outside"
    echo 'curl -s -m 5 http://127.0.0.1:7777/' | G | grep -q backend-ok &&
        pass "firewall: the same server answers inside the VM" || fail "the hidden server is down"
}

probe_audit() {
    G <<'EOF' 2>&1 | tally
auditctl -l | grep -q -- '-w /etc/nginx/nginx.conf -p wa -k nginx-config' && echo "PASS audit: the rules are loaded ($(auditctl -l | wc -l) rules)" || echo "FAIL audit: rules not loaded: $(auditctl -l | head -3)"
auditctl -s | grep -qx 'enabled 2' && echo "PASS audit: the rules are locked until reboot (-e 2)" || echo "FAIL audit: the rules are not locked: $(auditctl -s | head -1)"
auditctl -l | grep -- 'user-emulation' | grep -q -- '-S execve.*-C \(uid!=euid\|euid!=uid\)' && echo "PASS audit: the CIS user-emulation rule is loaded" || echo "FAIL audit: no user-emulation rule: $(auditctl -l | grep user-emulation | head -1)"
for k in access perm-mod delete modules session persistence account-tools priv-esc web-exec ptrace-injection fileless software docker; do
    [ "$(auditctl -l | grep -c -- "key=$k\|-k $k")" -gt 0 ] && echo "PASS audit: set $k loaded" || echo "FAIL audit: set $k missing"
done
before=$(ausearch --input-logs -k nginx-config 2>/dev/null | grep -c '^type=SYSCALL' || true)
touch /etc/nginx/nginx.conf
sleep 2
after=$(ausearch --input-logs -k nginx-config 2>/dev/null | grep -c '^type=SYSCALL' || true)
[ "$after" -gt "$before" ] && echo "PASS audit: a change of nginx.conf is logged with key nginx-config" || echo "FAIL audit: no event for nginx.conf ($before -> $after)"
# nginx's user never starts a program: one that does is recorded (web-exec, Neo23x0).
before=$(ausearch --input-logs -k web-exec 2>/dev/null | grep -c '^type=SYSCALL' || true)
setpriv --reuid=33 --regid=33 --clear-groups /bin/true
sleep 2
after=$(ausearch --input-logs -k web-exec 2>/dev/null | grep -c '^type=SYSCALL' || true)
[ "$after" -gt "$before" ] && echo "PASS audit: a program run as www-data is logged with key web-exec" || echo "FAIL audit: no web-exec event ($before -> $after)"
EOF
}

probe_fstab() {
    G <<'EOF' 2>&1 | tally
for m in /tmp /var/tmp /dev/shm; do
    o=$(findmnt -no FSTYPE,OPTIONS "$m")
    case ",${o#* }," in *,nodev,*) ;; *) echo "FAIL $m lacks nodev: $o"; continue;; esac
    case ",${o#* }," in *,nosuid,*) ;; *) echo "FAIL $m lacks nosuid: $o"; continue;; esac
    case ",${o#* }," in *,noexec,*) echo "PASS $m is ${o%% *} with nodev,nosuid,noexec";; *) echo "FAIL $m lacks noexec: $o";; esac
done
cp /bin/true /dev/shm/pynoc-exec && chmod +x /dev/shm/pynoc-exec
/dev/shm/pynoc-exec 2>/dev/null && echo "FAIL a program on /dev/shm runs" || echo "PASS a program on /dev/shm cannot run"
rm -f /dev/shm/pynoc-exec
EOF
}

# From this machine through the forwarded port: the source is QEMU's gateway 10.0.2.2, in
# the reference's internal network, to which its firewall opens 5432. What listens there is
# the host's PostgreSQL (the ledger's: the reference's own database runs in the stack, and
# the stack's probes log in to it), whose sandbox exchanges packets with loopback and the
# ledger's pg_hba.conf networks only. So: dropped by the database's sandbox; with the
# sandbox widened to QEMU's gateway for a moment (a runtime property, removed after), the
# connection passes the firewall and pg_hba.conf refuses it by name.
probe_postgres() {
    local out c="host=127.0.0.1 port=$PG_PORT dbname=pynomaly user=pynomaly_app sslmode=require connect_timeout=5"
    out=$(PGPASSWORD=$APP_PW psql "$c" -XAtc 'SELECT 1' 2>&1)
    case $out in *"timeout expired"*) pass "postgres: 5432 from QEMU's gateway is dropped by the host database's sandbox" ;;
        *) fail "5432 from QEMU's gateway, sandboxed: $out" ;; esac
    G <<'EOF' >/dev/null 2>&1
systemctl set-property --runtime postgresql@15-main.service IPAddressAllow=10.0.2.2/32
EOF
    out=$(PGPASSWORD=$APP_PW psql "$c" -XAtc 'SELECT 1' 2>&1)
    G <<'EOF' >/dev/null 2>&1
rm -f /run/systemd/system.control/postgresql@15-main.service.d/50-IPAddressAllow.conf
systemctl daemon-reload
EOF
    case $out in *"no pg_hba.conf entry"* | *"pg_hba.conf rejects"*) pass "firewall: 5432 open to the internal network (the host's PostgreSQL answers)" ;;
        *) fail "5432 from the internal network: $out" ;; esac
}

# A container on a non-internal network (Docker's default bridge and a compose-style user
# network) reaches the outside (this machine's loopback through QEMU's gateway) with the
# firewall and sysctl in force; one on an internal network does not.
probe_containers() {
    python3 -m http.server "$HOST_HTTP" --bind 127.0.0.1 --directory "$WORK/out" >/dev/null 2>&1 &
    local web=$!
    sleep 1
    # The probe networks have subnets of their own: from Docker's default pool they would
    # take 172.18 and 172.19, and the stack's network without a subnet would then be given
    # 172.20, the one its other network names (compose up failed on that once).
    G <<EOF 2>&1 | tally
reach='timeout 8 bash -c "exec 3<>/dev/tcp/10.0.2.2/$HOST_HTTP && printf \"GET /manifest.json HTTP/1.0\\r\\n\\r\\n\" >&3 && head -1 <&3"'
docker network inspect pynoc-probe >/dev/null 2>&1 || docker network create --subnet 192.168.250.0/24 pynoc-probe >/dev/null
docker network inspect pynoc-probe-internal >/dev/null 2>&1 || docker network create --internal --subnet 192.168.251.0/24 pynoc-probe-internal >/dev/null
# The three containers at once (each start is seconds of Docker's setup under emulation).
d=\$(mktemp -d)
for net in bridge pynoc-probe pynoc-probe-internal; do
    timeout 60 docker run --rm --network \$net local/probe bash -c "\$reach" >"\$d/\$net" 2>&1 &
done
wait
for net in bridge pynoc-probe; do
    case "\$(cat "\$d/\$net")" in *"200 OK"*) echo "PASS container on \$net reaches the network";; *) echo "FAIL container on \$net: \$(cat "\$d/\$net")";; esac
done
case "\$(cat "\$d/pynoc-probe-internal")" in *"200 OK"*) echo "FAIL container on an internal network reached the outside";; *) echo "PASS container on an internal network does not reach the outside";; esac
rm -rf "\$d"
EOF
    kill "$web" 2>/dev/null || true
}

# manifest.json's apply commands, run as written on the converged host as root (passwords
# in the variables their `env` names): each must succeed, as it would for an operator who
# installs the files by hand. ufw.sh and the iptables files are left out: they replace
# the nftables firewall the playbook deploys.
probe_manifest() {
    python3 - "$WORK/out/manifest.json" "$APP_PW" "$MON_PW" <<'PY' | G 2>&1 | tally
import json, shlex, sys
manifest, app, mon = sys.argv[1:]
passwords = {"PYNOMALY_APP_PASSWORD": app, "PYNOMALY_MONITOR_PASSWORD": mon}
for a in json.load(open(manifest))["artifacts"]:
    if not a["install"].startswith("/") or a["name"] in ("ufw", "iptables", "ip6tables"):
        continue
    env = "".join(f"export {e}={shlex.quote(passwords[e])}; " for e in a.get("env", []))
    cmd = shlex.quote(a["apply"])
    print(f'if ( {env}sh -c {cmd} ) >/tmp/pynoc-apply.out 2>&1; then echo "PASS manifest apply of {a["name"]}"; '
          f'else echo "FAIL manifest apply of {a["name"]}: $(tail -3 /tmp/pynoc-apply.out | tr "\\n" " ")"; fi')
    # The files the playbook installs carry the manifest's owner and mode.
    if a["name"] in ("sshd", "sysctl", "fail2ban", "audit", "nftables", "nginx", "pg_hba", "sudoers", "pwquality", "shell-profile", "issue", "issue-net", "motd"):
        want = f'{a["mode"].lstrip("0")} {a["owner"]}'
        path = shlex.quote(a["install"])
        print(f'got=$(stat -c "%a %U:%G" {path}); [ "$got" = "{want}" ] && echo "PASS {a["name"]}: installed {want}" '
              f'|| echo "FAIL {a["name"]}: installed $got, the manifest says {want}"')
PY
}
