#!/usr/bin/env bash
# Builds (or reuses) a VM image of the VM proof; prints its directory.
#
#   bash tests/vm/image.sh [bookworm|trixie]     (Debian 12, the default, or Debian 13)
#
# The image is Debian's own packages and nothing of pynoc's: mmdebstrap of the release with
# the services its example hosts run, a login user with the harness's SSH key and
# password-less sudo (the deployment connects as that user, as an operator would once
# root logins are off: `pynomaly` on Debian 12, `deploy` on Debian 13, the user each
# example's `accounts` names), then `mkfs.ext4 -d` (no loop mount) and the kernel and initrd
# copied out for `qemu -kernel` (no bootloader). No container registry is reachable: the
# image carries the root file system the container stack's stand-in images are built
# from (tests/vm/stack/README.md) and Docker Compose v2 (Debian 12 has only compose v1: the
# validators' compose binary; Debian 13's own docker-compose package is v2).
#
# Cached by its inputs: the release and this script's text name the directory
# ($PYNOC_VM_CACHE, default /var/cache/pynoc-vm/<release>-<hash>), so an edit builds anew
# and an unchanged script reuses the image. Needs root. About 3 minutes cold.
set -euo pipefail

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SECMIRROR:-http://deb.debian.org/debian-security}
here=$(cd "$(dirname "$0")" && pwd)
release=${1:-bookworm}
case $release in
bookworm) user=pynomaly pg=15 ;;
trixie) user=deploy pg=17 ;;
*) echo "[image] no such release: $release (bookworm or trixie)" >&2; exit 2 ;;
esac
key=$(sha256sum "$here/image.sh" | cut -c1-16)
cache=${PYNOC_VM_CACHE:-/var/cache/pynoc-vm}
dir=$cache/$release-$key
if [ -f "$dir/done" ]; then
    echo "$dir"
    exit 0
fi
log() { echo "[image] $*" >&2; }
# Images of earlier versions of this script are never used again (about 1.6 GB each).
for old in "$cache"/*/; do
    case ${old%/} in "$cache/$release"-* | "$cache"/????????????????) ;; *) continue ;; esac
    [ "${old%/}" = "$dir" ] || [ ! -f "$old/done" ] || rm -rf "${old:?}"
done
mkdir -p "$dir"
# mmdebstrap mounts /proc, /sys and /dev in the rootfs while it runs: never delete one
# that still has mounts (an interrupted run).
if findmnt -rn -o TARGET | grep -q "^$dir/rootfs"; then
    log "mounts left under $dir/rootfs; unmount them first"
    exit 1
fi
rm -rf "$dir/rootfs" "$dir/base.img"
t0=$(date +%s)

pkgs=(
    systemd systemd-sysv udev dbus kmod linux-image-amd64 initramfs-tools
    openssh-server sudo python3 python3-apt ca-certificates curl iproute2 openssl procps
    nginx fail2ban python3-systemd auditd nftables iptables ufw docker.io apparmor systemd-timesyncd unattended-upgrades aide aide-common libpam-pwquality cracklib-runtime pamtester telnet rsync libpam-tmpdir debsums acct
)
# Debian 12's reference and ledger run PostgreSQL on the host; Debian 13's example runs it in
# its compose stack, with Debian's own Compose v2. mmdebstrap installs no recommends:
# Debian 13's docker.io only recommends its command line (docker-cli), and that only
# recommends buildx; the playbook installs all three (stdlib/targets.toml), here they are
# already there, as on a host installed with recommends.
case $release in
bookworm) pkgs+=(postgresql-15) standin=(redis-server) ;;
trixie) pkgs+=(docker-cli docker-compose docker-buildx) standin=() ;;
esac
sources=("deb $MIRROR $release main" "deb $MIRROR $release-updates main" "deb $SECMIRROR $release-security main")
mmdebstrap --quiet --variant=apt --include="$(IFS=,; echo "${pkgs[*]}")" "$release" "$dir/rootfs" "${sources[@]}" >&2
log "rootfs: $(($(date +%s) - t0)) s"

# The stand-ins' base: minbase with what the stand-ins of python, postgres and redis run
# (of the release's PostgreSQL; Redis for Debian 12's reference only).
# `postgres` is uid/gid 999 before its package would make it (useradd is not there yet at
# this point: the entries are written), as in the official image; no
# cluster is made, docs and LLVM (PostgreSQL's optional JIT) are left out to keep it small.
mmdebstrap --quiet --variant=minbase \
    --include="$(IFS=,; echo "python3,python3-venv,python-is-python3,ca-certificates,postgresql-$pg${standin[*]/#/,}")" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook='echo "postgres:x:999:" >>"$1/etc/group"' \
    --essential-hook='echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >>"$1/etc/passwd"' \
    --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/pynoc.conf"' \
    --customize-hook="rm -f \"\$1\"/usr/lib/x86_64-linux-gnu/libLLVM*.so* \"\$1\"/usr/lib/postgresql/$pg/lib/llvmjit*.so" \
    --customize-hook="rm -rf \"\$1\"/usr/lib/postgresql/$pg/lib/bitcode \"\$1\"/var/cache/apt/*.bin" \
    "$release" "$dir/standin-base.tar" "${sources[@]}" >&2
log "stand-in base: $(du -m "$dir/standin-base.tar" | cut -f1) MB, $(($(date +%s) - t0)) s"

R=$dir/rootfs
install -d "$R/var/lib/pynoc-vm"
mv "$dir/standin-base.tar" "$R/var/lib/pynoc-vm/standin-base.tar"
if [ "$release" = bookworm ]; then
    compose=/opt/pynoc-validators/lib/python3.11/site-packages/compose/docker-compose
    [ -x "$compose" ] || { log "no compose binary at $compose (.ci/install-validators installs it)"; exit 1; }
    install -D -m 755 "$compose" "$R/usr/local/lib/docker/cli-plugins/docker-compose"
fi
echo pynoc-vm >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 pynoc-vm\n::1 localhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$R/etc/fstab"
rm -f "$R/etc/resolv.conf"
echo 'nameserver 10.0.2.3' >"$R/etc/resolv.conf"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$R/etc/systemd/network/10-dhcp.network"
systemctl --root="$R" enable systemd-networkd.service >/dev/null 2>&1
systemctl --root="$R" mask apt-daily.timer apt-daily-upgrade.timer man-db.timer >/dev/null 2>&1 || true
# The harness's key: root (before the deployment) and the operator ($user).
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C pynoc-vm -f "$dir/id_ed25519"
install -d -m 700 "$R/root/.ssh"
install -m 600 "$dir/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
chroot "$R" useradd -m -s /bin/bash "$user"
# A password exists, so "passwords are refused" means something.
echo "$user:vm-lab-password" | chroot "$R" chpasswd
install -d -m 700 "$R/home/$user/.ssh"
install -m 600 "$dir/id_ed25519.pub" "$R/home/$user/.ssh/authorized_keys"
chroot "$R" chown -R "$user:$user" "/home/$user/.ssh"
echo "$user ALL=(ALL) NOPASSWD:ALL" >"$R/etc/sudoers.d/$user"
chmod 440 "$R/etc/sudoers.d/$user"
echo "$user" >"$dir/user"
# Root's password only serves the serial console, the fallback when SSH is locked out.
echo 'root:vm-lab-console' | chroot "$R" chpasswd
cp -L "$R"/boot/vmlinuz-* "$dir/vmlinuz"
cp -L "$R"/boot/initrd.img-* "$dir/initrd.img"
chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' linux-image-amd64 systemd openssh-server nginx \
    fail2ban auditd nftables docker.io >"$dir/packages.txt"

truncate -s 8G "$dir/base.img"
mkfs.ext4 -q -F -L root -d "$R" "$dir/base.img"
rm -rf "$R"
log "image: $(($(date +%s) - t0)) s"
touch "$dir/done"
echo "$dir"
