# Arguments in fours: PATH OWNER GROUP MODE. Each file that exists (never through a link)
# gets the owner and group, and loses the mode bits beyond MODE (a stricter mode stays).
# Prints `changed` or `unchanged`.
set -eu
changed=unchanged
while [ "$#" -ge 4 ]; do
    f=$1 owner=$2 group=$3 mode=$4
    shift 4
    if [ ! -e "$f" ] || [ -L "$f" ]; then continue; fi
    if [ "$(stat -c '%U:%G' "$f")" != "$owner:$group" ]; then
        chown -h "$owner:$group" "$f"
        changed=changed
    fi
    have=$(stat -c '%a' "$f")
    want=$(printf '%o' "$((0$have & 0$mode))")
    if [ "$want" != "$have" ]; then
        chmod "$want" "$f"
        changed=changed
    fi
done
echo "$changed"
