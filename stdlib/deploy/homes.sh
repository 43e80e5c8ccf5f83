# Arguments: the spec's login accounts. Each one's home directory (never through a link)
# loses group write and every permission of others: at most 0750 (CIS Debian 12 7.2.9 asks
# that, and that the account own it: an owner is never changed here, since a home that root
# owns may be an sftp chroot). Prints `changed` or `unchanged`.
set -eu
changed=unchanged
for user in "$@"; do
    entry=$(getent passwd -- "$user") || continue
    home=$(printf '%s' "$entry" | cut -d: -f6)
    if [ -z "$home" ] || [ "$home" = / ] || [ ! -d "$home" ] || [ -L "$home" ]; then continue; fi
    have=$(stat -c '%a' "$home")
    want=$(printf '%o' "$((0$have & 07750))")
    if [ "$want" != "$have" ]; then
        chmod "$want" "$home"
        changed=changed
    fi
done
echo "$changed"
