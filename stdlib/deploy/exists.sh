missing=; for f in "$@"; do [ -f "$f" ] || missing="$missing $f"; done; [ -z "$missing" ] || { echo "missing:$missing" >&2; exit 1; }
