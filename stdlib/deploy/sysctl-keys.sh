grep -Ev "^[[:space:]]*(#|$|-)" "$1" | cut -d= -f1 | tr -d " " | tr . / | while read -r k; do test -e "/proc/sys/$k" || { echo "no such key: $k" >&2; exit 1; }; done
