# Arguments: the spec's login accounts. An account without a password of its own (locked,
# `!` or `*`: it logs in by key) gets no password ageing: pam_unix would otherwise call its
# password expired after PASS_MAX_DAYS and sshd refuse the key until a password it does not
# have is changed. An account with a password keeps login.defs' ageing. Prints `changed`
# or `unchanged`.
set -eu
changed=unchanged
for user in "$@"; do
    entry=$(getent shadow -- "$user") || continue
    password=$(printf '%s' "$entry" | cut -d: -f2)
    max=$(printf '%s' "$entry" | cut -d: -f5)
    case $password in
        '$'*) continue ;;
    esac
    if [ -n "$max" ] && [ "$max" != 99999 ]; then
        chage -M -1 -- "$user"
        changed=changed
    fi
done
echo "$changed"
