#!/usr/bin/env bash
# Runs both fuzz targets for SECONDS each (default 60), side by side, with `cargo fuzz`,
# seeded from the examples and tests/bad/ (bytes) and from fuzz/seeds/ (both). Corpus and
# crash files go to a temporary directory, never into the checkout; a crash is copied to
# the path printed, to be added under fuzz/seeds/<target>/ once fixed (`cargo test`
# replays it). With PYNOC_BUILD_CACHE set (.ci/test sets it), the instrumented build is
# kept there between runs: only pynoc itself is compiled again.
#   bash fuzz/run.sh 600       # ten minutes per target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
# cargo fuzz needs nightly flags: the nightly toolchain if there is one, else the stable
# compiler with RUSTC_BOOTSTRAP (the same compiler the project builds with).
if rustup run nightly rustc --version >/dev/null 2>&1; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
# Sixteen codegen units: the build uses both cores (cargo-fuzz's default of one kept one
# idle for minutes) at the cost of somewhat slower executions.
opts=(--sanitizer none --codegen-units 16)
[ -z "${PYNOC_BUILD_CACHE:-}" ] || opts+=(--target-dir "$PYNOC_BUILD_CACHE/fuzz")
targets=(bytes spec)
t=$SECONDS
"${fuzz[@]}" build "${opts[@]}"
echo "fuzz: both targets built in $((SECONDS - t)) s"
for target in "${targets[@]}"; do
    mkdir -p "$work/$target/corpus" "$work/$target/crashes"
    if [ "$target" = bytes ]; then
        for f in examples/*/spec.kdl tests/bad/*.kdl; do
            cp "$f" "$work/$target/corpus/$(echo "$f" | tr / _)"
        done
    fi
    if [ -d "fuzz/seeds/$target" ]; then
        cp fuzz/seeds/"$target"/* "$work/$target/corpus/" 2>/dev/null || true
    fi
    echo "fuzz: $target for ${seconds}s"
    # Each target on its own core: libFuzzer runs one process per target.
    "${fuzz[@]}" run "${opts[@]}" "$target" "$work/$target/corpus" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -max_len=65536 \
        -artifact_prefix="$work/$target/crashes/" -print_final_stats=1 >"$work/$target/out" 2>"$work/$target/log" &
    pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
    target=${targets[$i]}
    if ! wait "${pids[$i]}"; then
        status=1
        # The panic's message first (a backtrace can push it out of a short tail), then the end.
        grep -m1 -A12 "panicked at" "$work/$target/log" || true
        tail -25 "$work/$target/log"
        keep="$(mktemp -d /tmp/pynoc-fuzz-crash.XXXXXX)"
        cp -r "$work/$target/crashes/." "$keep/"
        echo "fuzz: $target FAILED; the input is kept in $keep"
    else
        grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$target/log" | sed "s/^/fuzz: $target /"
        echo "fuzz: $target ok ($(ls "$work/$target/corpus" | wc -l) corpus entries)"
    fi
done
pids=()
exit "$status"
