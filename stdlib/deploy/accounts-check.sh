# The accounts and groups as CIS Debian 12 asks them to be (5.4.1.6, 5.4.2.1-5.4.2.5,
# 5.4.2.8, 7.2.1-7.2.8), read from ROOT/etc (the first argument; / on a host). Changes nothing: prints
# one line per finding and exits 1 when there is one, so the host play stops and names it.
# root's login PATH is the second argument, or root's own (runuser -l) when absent.
set -eu
root=${1:-/}
etc=${root%/}/etc
found=0
say() { echo "$1"; found=1; }
passwd=$(cat "$etc/passwd")
group=$(cat "$etc/group")
shadow=$(cat "$etc/shadow")
for u in $(printf '%s\n' "$passwd" | awk -F: '$3 == 0 && $1 != "root" { print $1 }'); do
    say "5.4.2.1: $u has UID 0 beside root"
done
for u in $(printf '%s\n' "$passwd" | awk -F: '$4 == 0 && $1 !~ /^(root|sync|shutdown|halt|operator)$/ { print $1 }'); do
    say "5.4.2.2: $u has GID 0 as its primary group"
done
for g in $(printf '%s\n' "$group" | awk -F: '$3 == 0 && $1 != "root" { print $1 }'); do
    say "5.4.2.3: the group $g has GID 0 beside root"
done
for u in $(printf '%s\n' "$passwd" | awk -F: '$2 != "x" { print $1 }'); do
    say "7.2.1: $u's password is in /etc/passwd, not shadowed"
done
for u in $(printf '%s\n' "$shadow" | awk -F: '$2 == "" { print $1 }'); do
    say "7.2.2: $u has an empty password"
done
printf '%s\n' "$shadow" | awk -F: '$1 == "root" && $2 == "" { f = 1 } END { exit !f }' &&
    say "5.4.2.4: root has neither a password nor a lock"
# An account without a login shell (not in /etc/shells, or nologin) has a locked password.
shells=$(grep -v -e '^#' -e 'nologin$' "$etc/shells" 2>/dev/null || true)
for u in $(printf '%s\n' "$passwd" | while IFS=: read -r name _ _ _ _ _ shell; do
    [ "$name" != root ] || continue
    printf '%s\n' "$shells" | grep -qxF -- "$shell" || printf '%s\n' "$name"
done); do
    printf '%s\n' "$shadow" | awk -F: -v u="$u" '$1 == u && $2 !~ /^[!*]/ { f = 1 } END { exit !f }' &&
        say "5.4.2.8: $u has no login shell but a password that is not locked"
done
today=$(($(date +%s) / 86400))
for u in $(printf '%s\n' "$shadow" | awk -F: -v t="$today" '$3 ~ /^[0-9]+$/ && $3 > t { print $1 }'); do
    say "5.4.1.6: $u's password last changed in the future"
done
gids=$(printf '%s\n' "$group" | cut -d: -f3)
for entry in $(printf '%s\n' "$passwd" | awk -F: '{ print $1 ":" $4 }'); do
    printf '%s\n' "$gids" | grep -qx -- "${entry#*:}" || say "7.2.3: ${entry%%:*}'s group ${entry#*:} is not in /etc/group"
done
shadow_gid=$(printf '%s\n' "$group" | awk -F: '$1 == "shadow" { print $3 }')
members=$(printf '%s\n' "$group" | awk -F: '$1 == "shadow" { print $4 }')
[ -z "$members" ] || say "7.2.4: the shadow group has members: $members"
if [ -n "$shadow_gid" ]; then
    for u in $(printf '%s\n' "$passwd" | awk -F: -v g="$shadow_gid" '$4 == g { print $1 }'); do
        say "7.2.4: $u has the shadow group as its primary group"
    done
fi
for d in $(printf '%s\n' "$passwd" | cut -d: -f3 | sort | uniq -d); do say "7.2.5: UID $d is used twice"; done
for d in $(printf '%s\n' "$group" | cut -d: -f3 | sort | uniq -d); do say "7.2.6: GID $d is used twice"; done
for d in $(printf '%s\n' "$passwd" | cut -d: -f1 | sort | uniq -d); do say "7.2.7: the user name $d is used twice"; done
for d in $(printf '%s\n' "$group" | cut -d: -f1 | sort | uniq -d); do say "7.2.8: the group name $d is used twice"; done
# shellcheck disable=SC2016 # root's login shell expands it
path=${2:-$(runuser -l root -c 'printf %s "$PATH"')}
case ":$path:" in
*::*) say "5.4.2.5: root's PATH has an empty directory: $path" ;;
esac
old_ifs=$IFS
IFS=:
for d in $path; do
    IFS=$old_ifs
    case $d in
    "" ) continue ;;
    /*) ;;
    *) say "5.4.2.5: root's PATH has the relative directory '$d'"; continue ;;
    esac
    dir=${root%/}$d
    [ -d "$dir" ] || continue
    [ "$(stat -L -c %u "$dir")" = 0 ] || say "5.4.2.5: $d in root's PATH is not root's"
    mode=$(stat -L -c %a "$dir")
    [ $((0$mode & 022)) = 0 ] || say "5.4.2.5: $d in root's PATH is writable by group or others ($mode)"
done
exit "$found"
