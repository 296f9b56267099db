#!/usr/bin/env bash
# fuzz.sh — run the libFuzzer drivers of tests/fuzz (built by `make VARIANT=fuzz fuzz-bins`
# into build/fuzz/fuzz/).
#
# Usage: scripts/fuzz.sh replay          every committed corpus input once (make test)
#        scripts/fuzz.sh run SECONDS     fuzz each driver SECONDS from its corpus (make fuzz)
#
# Corpora: tests/fuzz/corpus/DRIVER/ (committed seeds; every driver must have one).
# New inputs found by `run` go to var/fuzz/DRIVER/, crashes to var/fuzz/crashes/:
# copy an input worth keeping into the committed corpus.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bindir=build/fuzz/fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mode=${1:-}
drivers=()
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    [[ "$name" == fuzz_common ]] && continue
    [[ -x "$bindir/$name" ]] || { echo "fuzz: no $bindir/$name: build it first (make fuzz-bins VARIANT=fuzz)" >&2; exit 1; }
    [[ -d "tests/fuzz/corpus/$name" ]] || { echo "fuzz: $name has no corpus in tests/fuzz/corpus/$name" >&2; exit 1; }
    drivers+=("$name")
done

case "$mode" in
replay)
    for name in "${drivers[@]}"; do
        n=$(find "tests/fuzz/corpus/$name" -type f | wc -l)
        # -runs=0: execute the corpus inputs once, no mutation.
        if ! "$bindir/$name" -runs=0 "tests/fuzz/corpus/$name" >"build/fuzz/$name.replay.log" 2>&1; then
            tail -40 "build/fuzz/$name.replay.log" >&2
            echo "fuzz: $name failed on its corpus (log: build/fuzz/$name.replay.log)" >&2
            exit 1
        fi
        echo "fuzz: $name: $n corpus inputs replayed, no crash, no leak, no undefined behaviour"
    done
    ;;
run)
    secs=${2:-60}
    [[ "$secs" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a number" >&2; exit 2; }
    mkdir -p var/fuzz/crashes
    failed=0
    for name in "${drivers[@]}"; do
        mkdir -p "var/fuzz/$name"
        echo "fuzz: $name for ${secs}s"
        # The first directory receives new inputs; the committed corpus only seeds.
        if ! "$bindir/$name" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="var/fuzz/crashes/$name-" "var/fuzz/$name" "tests/fuzz/corpus/$name" \
            >"var/fuzz/$name.log" 2>&1; then
            failed=1
            tail -40 "var/fuzz/$name.log" >&2
            echo "fuzz: $name found a failure: see var/fuzz/crashes/ and var/fuzz/$name.log" >&2
        else
            grep -E '^#[0-9]+.*(DONE|pulse)' "var/fuzz/$name.log" | tail -1 || true
        fi
    done
    exit "$failed"
    ;;
*)
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
    ;;
esac
