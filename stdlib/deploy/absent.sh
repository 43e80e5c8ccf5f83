# Arguments: `--mask UNIT…` then `--purge PACKAGE…`. Each unit that exists is stopped and
# masked; the packages that are installed are purged, unless apt would remove other
# packages with them (those that depend on them): then nothing is removed, the packages
# apt would take are named, and the script fails. Prints `changed` or `unchanged`.
set -eu
changed=unchanged
units=""
packages=""
mode=""
for a in "$@"; do
    case $a in
        --mask) mode=mask ;;
        --purge) mode=purge ;;
        *) if [ "$mode" = mask ]; then units="$units $a"; else packages="$packages $a"; fi ;;
    esac
done
for u in $units; do
    state=$(systemctl show -p LoadState --value "$u" 2>/dev/null || true)
    case $state in
        masked | not-found | "") ;;
        *) systemctl mask --now "$u" >/dev/null 2>&1; changed=changed ;;
    esac
done
installed=""
for p in $packages; do
    if [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ]; then
        installed="$installed $p"
    fi
done
if [ -n "$installed" ]; then
    # shellcheck disable=SC2086 # one word per package
    would=$(LC_ALL=C apt-get -s purge $installed | sed -n 's/^Purg \([^ ]*\).*/\1/p' | sort -u)
    extra=""
    for w in $would; do
        case " $installed " in *" ${w%%:*} "*) ;; *) extra="$extra ${w%%:*}" ;; esac
    done
    if [ -n "$extra" ]; then
        echo "purging$installed would also remove$extra (they depend on it): keep the service in the spec's \`services\`, or remove them by hand" >&2
        exit 1
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get -y -q purge $installed >/dev/null
    changed=changed
fi
echo "$changed"
