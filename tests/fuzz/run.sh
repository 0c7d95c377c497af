#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (fuzz/, docs/reliability.md#fuzzing). Stable Rust: RUSTC_BOOTSTRAP=1
# lets it take the unstable flags cargo-fuzz passes. No sanitizer (cronkeeper has no unsafe
# code of its own to check), debug assertions on, so an overflow is a crash too.
#
#   bash tests/fuzz/run.sh                           # CI: each target replays its committed corpus,
#                                                    # then fuzzes FUZZ_SECONDS (default 25) more
#   bash tests/fuzz/run.sh long 600 cron_expression  # a long run; new inputs go to fuzz/work/<target>
#   bash tests/fuzz/run.sh cmin cron_expression      # minimise fuzz/work and the corpus into fuzz/corpus
#
# A crash, a panic, an input slower than 10 s (a hang) or more than 2 GiB of memory fails the run;
# libFuzzer saves the input under fuzz/artifacts/<target>/ and prints how to replay it:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none -a <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
export RUSTC_BOOTSTRAP=1
FLAGS=(--sanitizer none --debug-assertions)
ALL=(cron_expression magento_xml graphql_http)

max_len() {
    case "$1" in
        cron_expression) echo 512 ;;
        magento_xml) echo 16384 ;;
        graphql_http) echo 8192 ;;
    esac
}

libfuzzer_options() { # target seconds
    echo "-max_total_time=$2 -timeout=10 -rss_limit_mb=2048 -max_len=$(max_len "$1") -print_final_stats=1"
}

mode=${1:-ci}
case "$mode" in
ci)
    seconds=${FUZZ_SECONDS:-25}
    cargo fuzz build "${FLAGS[@]}"
    for target in "${ALL[@]}"; do
        echo "== fuzz: $target (committed corpus, then ${seconds} s)"
        scratch=$(mktemp -d)
        # New inputs go to the scratch directory (listed first); the committed corpus is read only.
        # shellcheck disable=SC2046
        cargo fuzz run "${FLAGS[@]}" "$target" "$scratch" "corpus/$target" -- $(libfuzzer_options "$target" "$seconds") 2>&1 \
            | grep -E '^(INFO: seed corpus|#[0-9]+ +(INITED|DONE)|Done |stat::|==[0-9]+== ERROR|.*panicked|SUMMARY|artifact_prefix|Test unit written)' || true
        status=${PIPESTATUS[0]}
        rm -rf "$scratch"
        [ "$status" -eq 0 ] || { echo "fuzz: $target FAILED (see above; the input is under fuzz/artifacts/$target/)"; exit 1; }
    done
    ;;
long)
    seconds=${2:?seconds}
    shift 2
    for target in "${@:-${ALL[@]}}"; do
        mkdir -p "work/$target"
        echo "== fuzz: $target for $seconds s"
        # shellcheck disable=SC2046
        nice -n 10 cargo fuzz run "${FLAGS[@]}" "$target" "work/$target" "corpus/$target" -- $(libfuzzer_options "$target" "$seconds")
    done
    ;;
cmin)
    shift
    for target in "${@:-${ALL[@]}}"; do
        mkdir -p "work/$target"
        cp -n "work/$target"/* "corpus/$target"/ 2>/dev/null || true
        nice -n 10 cargo fuzz cmin "${FLAGS[@]}" "$target" "corpus/$target" -- -max_len="$(max_len "$target")"
    done
    ;;
*)
    echo "usage: $0 [ci | long SECONDS [TARGET...] | cmin [TARGET...]]" >&2
    exit 2
    ;;
esac
