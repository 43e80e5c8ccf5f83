#!/usr/bin/env bash
# shellcheck disable=SC2154 # $image is set by lib.sh's vm_setup
# The side-by-side score: Lynis (Debian's package, a tool nobody here wrote) audits the same
# Debian 12 VM image three times: stock, after pynoc's playbook for the reference example
# (its host and web plays), and after dev-sec's os_hardening + ssh_hardening +
# nginx_hardening (devsec.hardening, the collection the Ansible community uses), the peer.
#
#   bash tests/vm/score.sh          (as root, after .ci/install-vm; about 45 minutes)
#
# dev-sec's collection is not in PyPI's `ansible` package: the script runs it from
# $PYNOC_DEVSEC_COLLECTIONS (default /opt/pynoc-score/collections), a directory holding
# ansible_collections/devsec/hardening, as `ansible-galaxy collection install
# devsec.hardening -p DIR` makes it (or a checkout of dev-sec/ansible-collection-hardening
# there). Its dependencies (ansible.posix, community.crypto) come with PyPI's `ansible`,
# installed in $PYNOC_DEVSEC_VENV (default /opt/pynoc-score) when missing.
# Not part of CI (each Lynis run takes 10–15 minutes under emulation): the README's figures
# come from a run of this script on the landed code. Each run writes Lynis' report of each
# machine and a summary (the hardening index, the warnings, the suggestions left open) to
# $PYNOC_SCORE_OUT (a temporary directory by default), and fails when pynoc's machine has a
# Lynis warning or an index under dev-sec's. PYNOC_SCORE_PEER=no scores stock and pynoc only
# (a developer's loop: dev-sec's machine takes half the run, and its figures do not depend on
# pynoc's code); the README's figures come from a whole run. OpenSCAP evaluates each machine
# too, against the CIS Level 1 server profile of ComplianceAsCode's Debian 12 data stream,
# built from its sources (cac_datastream below; PYNOC_SCORE_OSCAP=no leaves it out, and
# PYNOC_SCORE_LYNIS=no with PYNOC_SCORE_PEER=no scores OpenSCAP alone). Each machine's Lynis log is kept
# beside its report: its last "Hardening:" line gives the points behind the index.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

DEVSEC_VENV=${PYNOC_DEVSEC_VENV:-/opt/pynoc-score}
DEVSEC_COLLECTIONS=${PYNOC_DEVSEC_COLLECTIONS:-/opt/pynoc-score/collections}
export ANSIBLE_COLLECTIONS_PATH=$DEVSEC_COLLECTIONS

main() {
    need qemu-system-x86_64 qemu-img mmdebstrap ssh scp openssl python3 "$ANSIBLE_PLAYBOOK"
    say "dev-sec's collection (in $DEVSEC_COLLECTIONS, run by PyPI's ansible in $DEVSEC_VENV)"
    if [ ! -x "$DEVSEC_VENV/bin/ansible-playbook" ]; then
        python3 -m venv "$DEVSEC_VENV" && "$DEVSEC_VENV/bin/pip" install -q --disable-pip-version-check ansible ||
            { fail "cannot install PyPI's ansible"; exit 1; }
    fi
    local devsec_version
    devsec_version=$("$DEVSEC_VENV/bin/ansible-galaxy" collection list devsec.hardening 2>/dev/null | awk '$1 == "devsec.hardening" { print $2 }')
    [ -n "$devsec_version" ] || {
        fail "no devsec.hardening in $DEVSEC_COLLECTIONS: ansible-galaxy collection install devsec.hardening -p $DEVSEC_COLLECTIONS"
        exit 1
    }
    echo "   devsec.hardening $devsec_version"

    # OpenSCAP beside Lynis, unless PYNOC_SCORE_OSCAP=no.
    DATASTREAM=
    if [ "${PYNOC_SCORE_OSCAP:-yes}" != no ]; then
        say "ComplianceAsCode's Debian 12 data stream ($CAC_COMMIT)"
        DATASTREAM=$(cac_datastream) || { fail "the data stream could not be built"; exit 1; }
        echo "   $DATASTREAM"
    fi

    say "the VM image (built once per version of image.sh)"
    vm_setup bookworm
    OUT=${PYNOC_SCORE_OUT:-$WORK/score}
    mkdir -p "$OUT"
    local pynoc
    pynoc=$(pynoc_bin) || exit 1
    "$pynoc" build "$root/examples/pynomaly/spec.kdl" -o "$WORK/out" >/dev/null || exit 1

    # Stock, then pynoc's host and web plays on the same machine.
    vm_boot "$image"
    score_prepare
    lynis_audit stock
    oscap_audit stock
    inventory pynoc_host pynoc_web
    say "pynoc: converge the host and nginx"
    converge >"$WORK/converge.log" 2>&1 || { tail -40 "$WORK/converge.log"; fail "pynoc's converge"; exit 1; }
    recap "$WORK/converge.log"
    # AIDE's first scan goes on in the background after the playbook (unit pynoc-aideinit):
    # the audit waits for it, as an audit a while after a deployment finds it done.
    G <<'EOF' 2>&1 | tally
while systemctl is-active -q pynoc-aideinit; do sleep 5; done
systemctl is-failed -q pynoc-aideinit && echo "FAIL AIDE's first scan failed" || echo "PASS AIDE's first scan is done"
EOF
    lynis_audit pynoc
    oscap_audit pynoc
    vm_stop

    if [ "${PYNOC_SCORE_PEER:-yes}" = no ]; then
        say "scores (Lynis $(cat "$OUT/lynis-version" 2>/dev/null || echo "not run")), without the peer (PYNOC_SCORE_PEER=no)"
        for m in stock pynoc; do
            [ ! -f "$OUT/$m.dat" ] || echo "   $m: index $(index $m), $(points $m)"
            [ -z "$DATASTREAM" ] || echo "   $m: OpenSCAP CIS Level 1 server: $(oscap_line $m)"
        done
        echo "   reports in $OUT"
        finish
        return
    fi

    # dev-sec's three roles on a fresh machine of the same image.
    vm_boot "$image"
    score_prepare
    say "dev-sec: os_hardening, ssh_hardening, nginx_hardening"
    devsec_converge >"$WORK/devsec.log" 2>&1 || { tail -40 "$WORK/devsec.log"; fail "dev-sec's converge"; exit 1; }
    recap "$WORK/devsec.log"
    lynis_audit devsec
    oscap_audit devsec
    vm_stop

    say "scores (Lynis $(cat "$OUT/lynis-version"), devsec.hardening $devsec_version)"
    summary | tee "$OUT/summary.txt"
    local p d w
    p=$(index pynoc) d=$(index devsec) w=$(count pynoc warning)
    [ "$w" = 0 ] && pass "pynoc: no Lynis warning" || fail "pynoc: $w Lynis warnings"
    [ "$p" -ge "$d" ] && pass "pynoc's index $p, dev-sec's $d" || fail "pynoc's index $p is under dev-sec's $d"
    echo "   reports in $OUT"
    finish
}

# What both machines get before anything hardens them: the site's certificate (nginx's
# reference site needs it), apt quiet, and Lynis from Debian's archive.
score_prepare() {
    say "prepare: certificate, Lynis"
    quiet_apt
    G <<'EOF' 2>&1 | tally
set -e
d=/etc/letsencrypt/live/api.pynomaly.com; mkdir -p $d
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
    -subj /CN=api.pynomaly.com -keyout $d/privkey.pem -out $d/fullchain.pem 2>/dev/null
chmod 600 $d/privkey.pem
DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -qq install --no-install-recommends lynis openscap-scanner >/dev/null
echo "PASS Lynis $(dpkg-query -W -f '${Version}' lynis) and OpenSCAP $(dpkg-query -W -f '${Version}' openscap-scanner) installed"
EOF
}

# lynis_audit NAME: a full audit; its report file kept as $OUT/NAME.dat.
lynis_audit() {
    [ "${PYNOC_SCORE_LYNIS:-yes}" != no ] || return 0
    say "Lynis: $1"
    local t=$SECONDS
    G <<'EOF' >"$OUT/$1.log" 2>&1
rm -f /var/log/lynis-report.dat
lynis audit system --no-colors --quick --quiet >/dev/null 2>&1
cat /var/log/lynis-report.dat
echo "lynis-log-begin"
cat /var/log/lynis.log
EOF
    grep -q '^hardening_index=' "$OUT/$1.log" || { tail -20 "$OUT/$1.log"; fail "Lynis on $1 wrote no report"; exit 1; }
    sed -n '/^lynis-log-begin$/,$p' "$OUT/$1.log" | tail -n +2 >"$OUT/$1.lynis.log"
    sed '/^lynis-log-begin$/,$d' "$OUT/$1.log" >"$OUT/$1.dat" && rm "$OUT/$1.log"
    sed -n 's/^lynis_version=//p' "$OUT/$1.dat" >"$OUT/lynis-version"
    echo "   index $(index "$1") ($(points "$1")), $(count "$1" warning) warnings, $(count "$1" suggestion) suggestions ($((SECONDS - t)) s)"
}

# ComplianceAsCode's Debian 12 data stream, built from its sources at one commit (the one
# stdlib/baselines/cis-debian12.toml is read from), once: $PYNOC_CAC_DIR/<commit>/ssg-debian12-ds.xml.
# Its sources come from $PYNOC_CAC_REPO (GitHub's by default, or a local mirror); the build
# takes under a minute (cmake, xsltproc, python3-jinja2, python3-yaml). Prints the file.
CAC_COMMIT=b3a2cca935
cac_datastream() {
    local dir=${PYNOC_CAC_DIR:-/var/cache/pynoc-cac}/$CAC_COMMIT
    if [ ! -s "$dir/ssg-debian12-ds.xml" ]; then
        need cmake xsltproc git
        python3 -c 'import jinja2, yaml' 2>/dev/null || { echo "FAIL python3-jinja2 and python3-yaml are needed" >&2; return 1; }
        rm -rf "$dir/src" && mkdir -p "$dir" &&
            git clone -q "${PYNOC_CAC_REPO:-https://github.com/ComplianceAsCode/content}" "$dir/src" &&
            git -C "$dir/src" checkout -q "$CAC_COMMIT" &&
            (cd "$dir/src" && ./build_product debian12 --datastream >"$dir/build.log" 2>&1) &&
            cp "$dir/src/build/ssg-debian12-ds.xml" "$dir/" || { tail -20 "$dir/build.log" >&2; return 1; }
        rm -rf "$dir/src"
    fi
    echo "$dir/ssg-debian12-ds.xml"
}

# oscap_audit NAME: OpenSCAP (Debian's openscap-scanner, installed in the VM) evaluates the
# data stream's CIS Level 1 server profile on the machine; its results kept as
# $OUT/NAME.oscap.xml, the counts in $OUT/NAME.oscap.
CIS_L1=xccdf_org.ssgproject.content_profile_cis_level1_server
oscap_audit() {
    [ -n "${DATASTREAM:-}" ] || return 0
    say "OpenSCAP (CIS Level 1 server): $1"
    local t=$SECONDS
    # shellcheck disable=SC2046 # ssh_opts is a list of words, as in lib.sh
    scp -q $(ssh_opts | sed 's/^-p$/-P/') -o ControlPath="$WORK/ctl" "$DATASTREAM" "$VM_USER"@127.0.0.1:/tmp/ds.xml ||
        { fail "copy the data stream to $1"; return 1; }
    echo "oscap xccdf eval --profile $CIS_L1 --results /tmp/oscap-results.xml /tmp/ds.xml >/dev/null 2>&1; cat /tmp/oscap-results.xml" |
        G >"$OUT/$1.oscap.xml" 2>/dev/null
    python3 - "$OUT/$1.oscap.xml" >"$OUT/$1.oscap" <<'PY' || { fail "OpenSCAP on $1 wrote no results"; return 1; }
import collections, sys, xml.etree.ElementTree as ET
ns = {"x": "http://checklists.nist.gov/xccdf/1.2"}
tr = ET.parse(sys.argv[1]).getroot().find(".//x:TestResult", ns)
counts = collections.Counter(r.find("x:result", ns).text for r in tr.findall("x:rule-result", ns))
score = tr.find("x:score", ns)
for k in ("pass", "fail", "error", "notchecked", "notapplicable", "notselected", "informational", "unknown"):
    print(f"{k}={counts.get(k, 0)}")
print(f"score={float(score.text):.1f}")
for r in tr.findall("x:rule-result", ns):
    if r.find("x:result", ns).text in ("fail", "error"):
        print(f"failed={r.get('idref').removeprefix('xccdf_org.ssgproject.content_rule_')}")
PY
    echo "   $(oscap_line "$1") ($((SECONDS - t)) s)"
}

# A machine's OpenSCAP counts on one line: passed of pass+fail, and oscap's own score.
oscap_value() { sed -n "s/^$2=//p" "$OUT/$1.oscap"; }
oscap_line() {
    local p f
    p=$(oscap_value "$1" pass) f=$(oscap_value "$1" fail)
    echo "$p of $((p + f)) rules pass ($(oscap_value "$1" error) errors, $(oscap_value "$1" notchecked) not checked, $(oscap_value "$1" notapplicable) not applicable), score $(oscap_value "$1" score)"
}

# The points behind a machine's index, from the last line Lynis logs when it gives some.
points() { grep -o 'Currently having [0-9]* points (out of [0-9]*)' "$OUT/$1.lynis.log" | tail -1; }
index() { sed -n 's/^hardening_index=//p' "$OUT/$1.dat"; }
count() { grep -c "^$2\[\]=" "$OUT/$1.dat" || true; }

# The peer as its users run it: the three roles with their defaults on the same host group.
devsec_converge() {
    cat >"$WORK/devsec.yml" <<'EOF'
- hosts: vm
  become: true
  collections: [devsec.hardening]
  roles:
    - devsec.hardening.os_hardening
    - devsec.hardening.ssh_hardening
    - devsec.hardening.nginx_hardening
EOF
    inventory
    ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_LOCAL_TEMP="$WORK/ansible-local" \
        ANSIBLE_HOME="$WORK/ansible-devsec" "$DEVSEC_VENV/bin/ansible-playbook" -i "$WORK/vm.ini" "$WORK/devsec.yml"
}

# The table, then each suggestion and warning Lynis leaves on pynoc's machine (its test id
# and text), marked when dev-sec's machine has it too.
summary() {
    printf '%-8s %6s %9s %12s\n' machine index warnings suggestions
    for m in stock pynoc devsec; do
        printf '%-8s %6s %9s %12s\n' "$m" "$(index $m)" "$(count $m warning)" "$(count $m suggestion)"
    done
    if [ -n "$DATASTREAM" ]; then
        echo
        echo "OpenSCAP, ComplianceAsCode $CAC_COMMIT, CIS Level 1 server:"
        for m in stock pynoc devsec; do printf '%-8s %s\n' "$m" "$(oscap_line $m)"; done
        echo
        echo "rules failing on pynoc's machine (* also on dev-sec's):"
        sed -n 's/^failed=//p' "$OUT/pynoc.oscap" | while read -r r; do
            grep -qx "failed=$r" "$OUT/devsec.oscap" && echo "* $r" || echo "  $r"
        done
    fi
    echo
    echo "left open on pynoc's machine (* also on dev-sec's):"
    grep -E '^(warning|suggestion)\[\]=' "$OUT/pynoc.dat" | while IFS='|' read -r head text _; do
        id=${head#*=}
        mark=" "
        grep -q "=$id|" "$OUT/devsec.dat" && mark="*"
        printf '%s %-10s %s\n' "$mark" "$id" "$text"
    done | sort -k2 | uniq
}

main "$@"
