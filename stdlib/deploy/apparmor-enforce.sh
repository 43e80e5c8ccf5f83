# CIS Debian 12 1.3.1.4, at Level 2: every AppArmor profile enforcing. Each profile file of
# /etc/apparmor.d that is loaded in complain mode is put in enforce mode (aa-enforce: the
# flag removed, the profile reloaded); then none may be left in complain mode. Prints
# `changed` or `unchanged`.
set -eu
n=$(aa-status --complaining)
if [ "$n" = 0 ]; then
    echo unchanged
    exit 0
fi
find /etc/apparmor.d -maxdepth 1 -type f -exec grep -l 'flags=([^)]*complain' {} + 2>/dev/null |
    while IFS= read -r f; do
        aa-enforce "$f" >/dev/null
    done
n=$(aa-status --complaining)
if [ "$n" != 0 ]; then
    echo "AppArmor: $n profiles still in complain mode (loaded from outside /etc/apparmor.d):" >&2
    aa-status >&2
    exit 1
fi
echo changed
