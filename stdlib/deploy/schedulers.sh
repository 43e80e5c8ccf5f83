# cron and at for root only, where they are installed (CIS Debian 12 2.4.1.8, 2.4.2.1): each
# gets an allow file naming root alone (a user must be listed there to use crontab or at;
# the deny file is then not read), owned by root and the daemon's group, mode 0640. A host
# without cron or at gets no file. The first argument is the root (/ on a host); prints
# `changed` when it changed something.
set -eu
root=${1:-/}
root=${root%/}
changed=
allow() { # FILE GROUP
    f=$root$1
    g=$2
    getent group "$g" >/dev/null || g=root
    if [ -L "$f" ]; then
        echo "$1 is a symbolic link: not following it" >&2
        exit 1
    fi
    if [ ! -e "$f" ] || [ "$(cat "$f")" != root ]; then
        printf 'root\n' >"$f.pynoc-new"
        chown "root:$g" "$f.pynoc-new"
        chmod 0640 "$f.pynoc-new"
        mv -f "$f.pynoc-new" "$f"
        changed=1
    fi
    if [ "$(stat -c '%U:%G %a' "$f")" != "root:$g 640" ]; then
        chown "root:$g" "$f"
        chmod 0640 "$f"
        changed=1
    fi
}
if [ -e "$root/usr/sbin/cron" ]; then allow /etc/cron.allow crontab; fi
if [ -e "$root/usr/bin/at" ]; then allow /etc/at.allow daemon; fi
if [ -n "$changed" ]; then echo changed; fi
