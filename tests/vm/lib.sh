# shellcheck shell=bash disable=SC2046,SC2054,SC2154
# Functions of the VM proof (tests/vm/run.sh): the VM's life cycle, the operator's
# preparation, the playbook runs and the probes. Sourced, not run.

ANSIBLE_PLAYBOOK=${ANSIBLE_PLAYBOOK:-/opt/pynoc-validators/bin/ansible-playbook}
# TCG by default: the nested KVM of these machines does not boot a stock Debian kernel.
KVM=${PYNOC_VM_KVM:-0}
APP_PW=vm-proof-app-password
MON_PW=vm-proof-monitor-password
BOOKS_APP_PW=vm-proof-books-app
BOOKS_REPORTS_PW=vm-proof-books-reports
BOOKS_MIGRATE_PW=vm-proof-books-migrate
ATELIER_API_PW=vm-proof-atelier-api
ATELIER_CONSOLE_PW=vm-proof-atelier-console
ATELIER_MIGRATE_PW=vm-proof-atelier-migrate
# The operator the image was made with (tests/vm/image.sh) and the inventory's host name.
VM_USER=pynomaly
VM_HOST=debian12
# The proof's name in the time table (the two proofs may run side by side).
VM_NAME=${VM_NAME:-debian-12}

# say STAGE: a heading; with PYNOC_TIMES set (.ci/test sets it), the seconds of the stage it
# ends are appended there as `vm NAME: STAGE<TAB>SECONDS`, for the time table CI prints.
say() {
    stage_done
    stage_name=$*
    stage_start=$SECONDS
    printf '\n== %s\n' "$*"
}
stage_done() {
    if [ -n "${PYNOC_TIMES:-}" ] && [ -n "${stage_name:-}" ]; then
        printf 'vm %s: %s\t%s\n' "$VM_NAME" "$stage_name" "$((SECONDS - stage_start))" >>"$PYNOC_TIMES"
    fi
    stage_name=
}
pass() { printf 'PASS %s\n' "$*" | tee -a "$WORK/results"; }
fail() { printf 'FAIL %s\n' "$*" | tee -a "$WORK/results"; }
# Remote checks print PASS/FAIL lines; they count like local ones.
tally() { while IFS= read -r line; do
    case $line in PASS* | FAIL*) printf '%s\n' "$line" | tee -a "$WORK/results" ;; *) printf '   %s\n' "$line" ;; esac
done; }
need() {
    local missing=()
    for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "FAIL the VM proof needs ${missing[*]} (installed by .ci/install-vm)" >&2
        exit 1
    fi
}
finish() {
    local p f
    stage_done
    p=$(grep -c '^PASS' "$WORK/results" || true)
    f=$(grep -c '^FAIL' "$WORK/results" || true)
    echo
    grep '^FAIL' "$WORK/results" || true
    echo "vm-proof: $p passed, $f failed"
    [ "$f" -eq 0 ] && [ "$p" -gt 0 ]
}

# vm_setup RELEASE: the cached image of RELEASE (tests/vm/image.sh) in $image, a temporary
# $WORK with the harness's key, and the VM stopped by its pid whatever ends the run, a
# signal included.
vm_setup() {
    image=$(bash "$here/image.sh" "$1") || { echo "FAIL the $1 VM image could not be built"; exit 1; }
    WORK=$(mktemp -d /tmp/pynoc-vm.XXXXXX)
    export WORK
    trap 'vm_stop; rm -rf "$WORK"' EXIT
    trap 'exit 130' INT TERM
    cp "$image/id_ed25519" "$WORK/key"
    chmod 600 "$WORK/key"
}

# pynoc_bin: pynoc built from this checkout; prints the binary's path.
pynoc_bin() {
    (cd "$root" && cargo build --quiet --locked --bin pynoc) || return 1
    echo "${CARGO_TARGET_DIR:-$root/target}/debug/pynoc"
}

# inputs_key IMAGE DIR…: a key of the VM image and of every file under each DIR (its path
# relative to the DIR, and its content), for what a run may keep for the next one.
inputs_key() {
    { echo "${1##*/}"; shift
      for d in "$@"; do (cd "$d" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); done
    } | sha256sum | cut -c1-16
}

# Images a run built are kept for the next run from the same inputs: under emulation their
# builds take minutes, and any change of an input (the generated container/ files, the
# stand-ins, the application, the VM image) builds anew.
#
# images_cache NAME IMAGE DIR…: sets $cached, the file NAME's images are kept in for these inputs.
images_cache() {
    local name=$1
    shift
    cached=${PYNOC_VM_CACHE:-/var/cache/pynoc-vm}/$name-images-$(inputs_key "$@").tar
}

# images_load: `docker load` of $cached in the VM, in the background; sets $loading, its pid.
images_load() {
    # shellcheck disable=SC2046 # ssh_opts prints one word per line
    ssh $(ssh_opts) -S "$WORK/ctl" "$VM_USER"@127.0.0.1 "sudo docker load" <"$cached" >"$WORK/load.log" 2>&1 &
    loading=$!
}

# images_loaded LABEL: waits for images_load; its PASS or FAIL (a failed load ends the run).
images_loaded() {
    say "$1the stack's images, loaded from $cached"
    wait "$loading" && pass "$1the stack's images loaded, as an earlier run built them from the same files ($(grep -c '^Loaded image' "$WORK/load.log") images)" ||
        { cat "$WORK/load.log"; fail "docker load of $cached"; exit 1; }
}

# images_keep NAME IMAGE…: after builds with no FAIL, the images saved as $cached (NAME's
# older files removed).
images_keep() {
    local name=$1
    shift
    grep -q '^FAIL' "$WORK/results" && return 0
    find "${cached%/*}" -maxdepth 1 -name "$name-images-*.tar" -delete
    echo "docker save $*" | G >"$cached.tmp" && mv "$cached.tmp" "$cached" && echo "   the images are kept in $cached"
    rm -f "$cached.tmp"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ssh_opts() {
    printf '%s\n' -i "$WORK/key" -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p "$SSH_PORT"
}
# Root in the VM over one shared connection (the operator's, $VM_USER, then sudo). The
# script (G's standard input) travels as an argument, so no command in it can read the
# rest of the script as its own input.
# The harness's quiet: pynoc turns apt's timers on (`updates`), and after the reboot they
# catch up at once (Persistent=): apt-get update and unattended-upgrade under emulation
# beside the probes. Their services are no-ops by a drop-in of the harness's (pynoc manages
# the timers, not these units), as the image masks the timers before pynoc runs.
quiet_apt() {
    G <<'EOF' >/dev/null 2>&1
for u in apt-daily apt-daily-upgrade; do
    mkdir -p /etc/systemd/system/$u.service.d
    printf '[Service]\nExecStart=\nExecStart=/bin/true\n' >/etc/systemd/system/$u.service.d/zz-vm-harness.conf
done
systemctl daemon-reload
EOF
}

# What the VM says when a run failed: its failed units and the journal's last warnings.
vm_diagnose() {
    G <<'EOF' 2>&1 | sed 's/^/   vm: /' | tail -60
systemctl --failed --no-legend --plain
journalctl -b -p warning -n 40 --no-pager -o short-monotonic
EOF
}
G() {
    local script
    script=$(cat)
    ssh $(ssh_opts) -S "$WORK/ctl" "$VM_USER"@127.0.0.1 "sudo bash -c $(printf '%q' "$script")" </dev/null
}
master() {
    ssh -S "$WORK/ctl" -O check "$VM_USER"@127.0.0.1 2>/dev/null && return 0
    ssh $(ssh_opts) -M -S "$WORK/ctl" -o ControlPersist=yes -o ServerAliveInterval=15 -fN "$VM_USER"@127.0.0.1
}

vm_boot() {
    local image=$1
    VM_USER=$(cat "$image/user" 2>/dev/null || echo pynomaly)
    qemu-img create -q -f qcow2 -F raw -b "$image/base.img" "$WORK/run.qcow2"
    # A plain x86-64 (`qemu64`, the baseline Debian builds for) rather than `max`: TCG runs
    # it 15–20 % faster (measured on atelier's proof: 732 s against 832; every stage
    # shorter), with nothing the proof needs missing. PYNOC_VM_CPU chooses another.
    local accel=(-accel tcg,thread=multi -cpu "${PYNOC_VM_CPU:-qemu64}")
    [ "$KVM" = 1 ] && accel=(-enable-kvm -cpu host,-arch-capabilities)
    say "boot (QEMU $([ "$KVM" = 1 ] && echo KVM || echo TCG))"
    local t0=$SECONDS try
    # Free ports are picked, then bound by QEMU: another proof beside this one may take one in
    # between, and QEMU then refuses to start; new ports are picked.
    for try in 1 2 3; do
        SSH_PORT=$(free_port) HTTP_PORT=$(free_port) HTTPS_PORT=$(free_port) PG_PORT=$(free_port)
        CLOSED_PORT=$(free_port) HOST_HTTP=$(free_port)
        export SSH_PORT HTTP_PORT HTTPS_PORT PG_PORT CLOSED_PORT HOST_HTTP
        qemu-system-x86_64 "${accel[@]}" -m 3072 -smp 2 -display none -monitor none \
            -daemonize -pidfile "$WORK/qemu.pid" \
            -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "root=/dev/vda rw console=ttyS0" \
            -drive "file=$WORK/run.qcow2,if=virtio,format=qcow2" \
            -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80,hostfwd=tcp:127.0.0.1:$HTTPS_PORT-:443,hostfwd=tcp:127.0.0.1:$PG_PORT-:5432,hostfwd=tcp:127.0.0.1:$CLOSED_PORT-:7777" \
            -device virtio-net-pci,netdev=n0 -serial "file:$WORK/serial.log" && break
        [ "$try" = 3 ] && { echo "FAIL QEMU did not start" | tee -a "$WORK/results"; exit 1; }
        echo "   QEMU did not start (a port taken?): new ports"
    done
    wait_ssh 600 || { tail -30 "$WORK/serial.log"; exit 1; }
    echo "   ssh after $((SECONDS - t0)) s"
    master
}

wait_ssh() {
    local limit=$1 t0=$SECONDS
    # One try every 10 s stays inside the firewall's limit on new SSH connections.
    until timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 true 2>/dev/null; do
        if [ $((SECONDS - t0)) -gt "$limit" ]; then
            echo "FAIL no ssh after ${limit}s" | tee -a "$WORK/results"
            return 1
        fi
        sleep 10
    done
}

vm_stop() {
    [ -f "$WORK/qemu.pid" ] || return 0
    local pid
    pid=$(cat "$WORK/qemu.pid")
    ssh -S "$WORK/ctl" -O exit "$VM_USER"@127.0.0.1 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$WORK/qemu.pid"
}

vm_reboot() {
    say "reboot"
    local t0=$SECONDS before after mark
    # The old system still answers for a while after `systemctl reboot` (its units stop one by
    # one, sshd late): the probes wait for a new boot id, not for any answer on port 22.
    before=$(echo 'cat /proc/sys/kernel/random/boot_id' | G)
    local up
    up=$(echo 'cut -d" " -f1 /proc/uptime' | G)
    mark=$(wc -c <"$WORK/serial.log" 2>/dev/null || echo 0)
    echo 'systemctl reboot' | G || true
    ssh -S "$WORK/ctl" -O exit "$VM_USER"@127.0.0.1 2>/dev/null || true
    while :; do
        sleep 10
        after=$(timeout 20 ssh $(ssh_opts) "$VM_USER"@127.0.0.1 'cat /proc/sys/kernel/random/boot_id' 2>/dev/null) || after=
        [ -z "$after" ] || [ "$after" = "$before" ] || break
        if [ $((SECONDS - t0)) -gt 600 ]; then
            fail "no new boot after 600 s (boot id ${after:-unreachable})"
            tail -c +$((mark + 1)) "$WORK/serial.log" 2>/dev/null | tail -30
            exit 1
        fi
    done
    echo "   a new boot answers after $((SECONDS - t0)) s"
    # The old system's shutdown, by its kernel's clock: from the reboot's request to the restart.
    tail -c +$((mark + 1)) "$WORK/serial.log" 2>/dev/null | sed -n 's/.*\[ *\([0-9.]*\)\] reboot: Restarting system.*/\1/p' |
        head -1 | awk -v up="$up" '{ printf "   shutdown: %d s\n", $1 - up }'
    # What held the shutdown up, from the serial console: systemd's "A stop job is running"
    # and what it killed.
    tail -c +$((mark + 1)) "$WORK/serial.log" 2>/dev/null | tr -d '\r' |
        grep -aE 'stop job is running|Timed out|Failed to (stop|unmount)|Killing process' |
        sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' | uniq | head -12 | sed 's/^/   shutdown: /'
    master
    echo 'systemctl is-system-running --wait >/dev/null 2>&1; systemctl is-system-running' | G | sed 's/^/   system: /'
}

# What the operator provides and pynoc does not: certificates, the ledger's database with
# its tables (its migrations) and rows of two organisations, its application (a stand-in on
# 127.0.0.1:8080), the reference's migrations for later, a local container image, the
# probe's key.
prepare() {
    say "prepare the host as an operator would"
    quiet_apt
    scp -q $(ssh_opts | sed 's/^-p$/-P/') -o ControlPath="$WORK/ctl" "$WORK/key" \
        "$here/migrations.sql" "$here/ledger-migrations.sql" "$VM_USER"@127.0.0.1:/tmp/ || { fail "copy to the VM"; exit 1; }
    G <<'EOF' 2>&1 | tally
set -e
install -m 600 /tmp/key /root/probe_key
d=/etc/letsencrypt/live/api.pynomaly.com; mkdir -p $d
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
    -subj /CN=api.pynomaly.com -keyout $d/privkey.pem -out $d/fullchain.pem 2>/dev/null
chmod 600 $d/privkey.pem
# The database's certificate names the stack's service, `postgres`: the application verifies
# it (verify-full) against the CA the spec names, here the certificate itself.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj /CN=postgres \
    -addext subjectAltName=DNS:postgres -keyout /etc/ssl/private/postgresql.key -out /etc/ssl/certs/postgresql.crt 2>/dev/null
cp /etc/ssl/certs/postgresql.crt /etc/ssl/certs/pynomaly-db-ca.crt
chown postgres:postgres /etc/ssl/private/postgresql.key; chmod 600 /etc/ssl/private/postgresql.key
d=/etc/ssl/books; mkdir -p $d
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
    -subj /CN=books.example.org -keyout $d/privkey.pem -out $d/fullchain.pem 2>/dev/null
chmod 600 $d/privkey.pem
cd /
runuser -u postgres -- createdb books
runuser -u postgres -- psql -qX -v ON_ERROR_STOP=1 -d books -f /tmp/ledger-migrations.sql
mkdir -p /srv/ledger && echo ledger-ok >/srv/ledger/index.html
systemd-run -q --unit=ledger-app -p Restart=always python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/ledger
# Kept outside /tmp: the converge mounts a fresh tmpfs there, and the stack needs it later.
install -m 644 /tmp/migrations.sql /opt/pynoc-migrations.sql
# A minimal image: bash (its /dev/tcp), timeout and head with their libraries are all the
# container probes need. (A static busybox crashes resolving an address without NSS.)
d=$(mktemp -d)
for f in /usr/bin/bash /usr/bin/timeout /usr/bin/head; do
    mkdir -p "$d/usr/bin" && cp "$f" "$d/usr/bin/"
    for l in $(ldd "$f" | grep -o '/[^ ]*'); do mkdir -p "$d$(dirname "$l")" && cp -n "$l" "$d$l"; done
done
ln -s usr/bin "$d/bin"
tar -C "$d" -c . | docker import - local/probe >/dev/null; rm -rf "$d"
docker run --rm local/probe bash -c 'echo container-ok' | grep -q container-ok
echo "PASS operator's preparation done"
EOF
}

# The VM as the inventory's host $VM_HOST.
vm_vars() {
    cat <<EOF
[vm:vars]
ansible_host=127.0.0.1
ansible_port=$SSH_PORT
ansible_user=$VM_USER
ansible_ssh_private_key_file=$WORK/key
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
ansible_python_interpreter=/usr/bin/python3
[vm]
$VM_HOST
EOF
}

# inventory GROUP…: $WORK/vm.ini, the VM a member of each group named.
inventory() {
    { vm_vars; for g in "$@"; do printf '[%s]\n%s\n' "$g" "$VM_HOST"; done; } >"$WORK/vm.ini"
}

# The generated inventory (its groups and pipelining) plus the VM as a member of the groups
# of PLAY_INV; the output of PLAY_OUT (the reference's by default). A connection may take
# 60 s (Ansible's default is 10): with two emulated VMs side by side, an SSH handshake to a
# busy one took longer, and Mitogen's first task failed with "Connection timed out".
converge() {
    local out=${PLAY_OUT:-$WORK/out} inv=${PLAY_INV:-$WORK/vm.ini}
    : >"$WORK/ansible.log"
    PYNOMALY_APP_PASSWORD=$APP_PW PYNOMALY_MONITOR_PASSWORD=$MON_PW \
        BOOKS_APP_PASSWORD=$BOOKS_APP_PW BOOKS_REPORTS_PASSWORD=$BOOKS_REPORTS_PW \
        BOOKS_MIGRATE_PASSWORD=$BOOKS_MIGRATE_PW ATELIER_API_PASSWORD=$ATELIER_API_PW \
        ATELIER_CONSOLE_PASSWORD=$ATELIER_CONSOLE_PW ATELIER_MIGRATE_PASSWORD=$ATELIER_MIGRATE_PW ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
        ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_TIMEOUT=60 ANSIBLE_LOCAL_TEMP="$WORK/ansible-local" ANSIBLE_HOME="$WORK/ansible" \
        ANSIBLE_LOG_PATH="$WORK/ansible.log" "$ANSIBLE_PLAYBOOK" -i "$out/deploy/inventory.ini" -i "$inv" "$out/deploy/site.yml" "$@"
}
# converge_mitogen ARGS…: the same playbook and inventory with Mitogen's strategy, for every
# run of the proofs but one. The modules and their arguments are Ansible's own; Mitogen keeps
# one Python in the VM instead of starting one per task (the reference's first converge, with
# AIDE's scan still inline, 219 s instead of 592 under emulation). Stock ansible-core, the way a user runs the playbook, runs it once,
# over every task of atelier's playbook: its dry run after the reboot (`converge`).
converge_mitogen() {
    local plugins
    plugins=$("${ANSIBLE_PLAYBOOK%/*}/python" -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')/plugins/strategy ||
        { echo "FAIL Mitogen is not installed beside $ANSIBLE_PLAYBOOK (.ci/install-validators)"; return 1; }
    ANSIBLE_STRATEGY_PLUGINS=$plugins ANSIBLE_STRATEGY=mitogen_linear converge "$@"
}
unchanged() {
    if grep -Eq 'changed=0 .*failed=0' "$1"; then
        pass "$2"
    else
        grep -E '^changed:|^--- before' "$1" | head
        fail "${2%%:*}: something changed"
    fi
}
# recap LOG: the run's recap, and its slowest tasks by Ansible's own timestamped log of the
# last run (where a converge's minutes go shows in the log of the run that made it slow).
recap() {
    sed -n '/PLAY RECAP/,$p' "$1" | sed 's/^/   /'
    awk '/\| (TASK \[|RUNNING HANDLER \[|PLAY RECAP)/ {
            split($2, t, /[:,]/); now = t[1] * 3600 + t[2] * 60 + t[3] + t[4] / 1000
            if (name != "") printf "%7.1f s  %s\n", now - start, name
            name = $0; sub(/.*\| (TASK|RUNNING HANDLER) \[/, "", name); sub(/\] \**$/, "", name); start = now
         }' "$WORK/ansible.log" 2>/dev/null | sort -rn | head -"${SLOWEST:-6}" | sed 's/^/   slowest /'
}
