set -eu
f=/etc/ssh/moduli
awk '/^#/ || $5 >= 3071' "$f" > "$f.pynoc"
if ! grep -qv '^#' "$f.pynoc"; then rm -f "$f.pynoc"; echo "no modulus of 3072 bits or more in $f" >&2; exit 1; fi
if cmp -s "$f" "$f.pynoc"; then rm -f "$f.pynoc"; echo unchanged; else chmod 0644 "$f.pynoc"; mv "$f.pynoc" "$f"; echo changed; fi
