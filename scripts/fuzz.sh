#!/usr/bin/env bash
# Coverage-guided fuzzing of Semblance's decoders with libFuzzer (see docs/fuzzing.md).
#
# Builds the targets of the Fuzz package (ASan, sanitizer coverage, libFuzzer's runtime
# without its main) into .build-fuzz, then for each target:
#   1. replays its committed corpus, Fuzz/corpus/<target>/ (every input must pass);
#   2. fuzzes it for N seconds from that corpus, new inputs going to a scratch folder.
# Prints per target the executions, exec/s and the coverage reached (libFuzzer's
# "cov: edges ft: features"), and fails on any crash, leak, timeout or broken property;
# the input is saved under .build-fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh                    every target, 30 s each, two at a time
#   scripts/fuzz.sh --seconds 600 wal  one target, ten minutes
#   scripts/fuzz.sh --seeds            rewrite the generated seeds (Fuzz/corpus/*/seed-*),
#                                      e.g. after a change of the log format; then stops
#   scripts/fuzz.sh --merge ...        afterwards, add the new inputs that reach new
#                                      coverage to Fuzz/corpus/<target>/ (-merge=1)
# Options: --seconds N (or FUZZ_SECONDS, default 30), --jobs J (or FUZZ_JOBS, default 2:
# targets fuzzed at once), --configuration debug|release (or FUZZ_CONFIGURATION, default
# release), --no-build (use the last build). Other arguments name targets.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps

seconds="${FUZZ_SECONDS:-30}"
jobs="${FUZZ_JOBS:-2}"
configuration="${FUZZ_CONFIGURATION:-release}"
build=1
merge=0
seeds_only=0
targets=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#*=}"; shift ;;
        --jobs) jobs="$2"; shift 2 ;;
        --jobs=*) jobs="${1#*=}"; shift ;;
        --configuration) configuration="$2"; shift 2 ;;
        --configuration=*) configuration="${1#*=}"; shift ;;
        --no-build) build=0; shift ;;
        --merge) merge=1; shift ;;
        --seeds) seeds_only=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) echo "error: unknown option $1 (see $0 --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
case "$seconds" in ''|*[!0-9]*) echo "error: --seconds takes a whole number, got '$seconds'" >&2; exit 2 ;; esac
case "$configuration" in debug|release) ;; *) echo "error: --configuration is debug or release" >&2; exit 2 ;; esac
case "$jobs" in ''|*[!0-9]*|0) echo "error: --jobs takes a positive number, got '$jobs'" >&2; exit 2 ;; esac

scratch=.build-fuzz
corpus=Fuzz/corpus
program="$root/$scratch/$configuration/semblance-fuzz"
started=$SECONDS

# libFuzzer's runtime without its main: the program has its own and calls LLVMFuzzerRunDriver.
toolchain_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
clang="$toolchain_bin/clang"
[ -x "$clang" ] || clang=clang
case "$(uname -s)" in
    Darwin) libfuzzer="$("$clang" -print-resource-dir)/lib/darwin/libclang_rt.fuzzer_no_main_osx.a" ;;
    *) libfuzzer="$("$clang" -print-resource-dir)/lib/linux/libclang_rt.fuzzer_no_main-$(uname -m).a" ;;
esac

if [ "$build" -eq 1 ]; then
    if [ ! -f "$libfuzzer" ]; then
        echo "error: libFuzzer's runtime is not in this toolchain ($libfuzzer)" >&2
        exit 1
    fi
    echo "==> swift build --package-path Fuzz --scratch-path $scratch -c $configuration (ASan, sanitizer coverage, libFuzzer)"
    swift build --package-path Fuzz --scratch-path "$scratch" -c "$configuration" --product semblance-fuzz \
        -Xswiftc -enable-testing \
        -Xswiftc -sanitize=address \
        -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        -Xlinker "$libfuzzer"
    echo "built in $((SECONDS - started))s"
fi
[ -x "$program" ] || { echo "error: $program is not built (run without --no-build)" >&2; exit 1; }

# Reproducible runs: Swift's hashing is seeded per process unless this is set, and a target
# that walks a dictionary would replay a crash differently. libFuzzer, not Swift's
# backtracer, handles a trap, so that the input is saved.
export SWIFT_DETERMINISTIC_HASHING=1
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_stack_use_after_return=0"

all_targets=()
while IFS=$'\t' read -r name _; do all_targets+=("$name"); done < <("$program" --list)
if [ "${#targets[@]}" -eq 0 ]; then targets=("${all_targets[@]}"); fi
for target in "${targets[@]}"; do
    if ! printf '%s\n' "${all_targets[@]}" | grep -qx "$target"; then
        echo "error: no target '$target'; targets: ${all_targets[*]}" >&2
        exit 2
    fi
done

if [ "$seeds_only" -eq 1 ]; then
    "$program" --seeds "$corpus" "${targets[@]}"
    exit 0
fi

mkdir -p "$scratch/fuzzers"
results="$scratch/results"
rm -rf "$results"
mkdir -p "$results"

# One target: replay, fuzz, summarize into $results/<target>.summary; non-zero on a failure.
run_target() {
    local target="$1"
    local out="$results/$target"
    local artifacts="$root/$scratch/artifacts/$target/"
    local work="$scratch/new-inputs/$target"
    local fuzzer="$scratch/fuzzers/fuzz-$target"
    local dict=()
    ln -sf "$program" "$fuzzer"
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts" "$corpus/$target"
    if [ -f "Fuzz/dict/$target.dict" ]; then dict=("-dict=Fuzz/dict/$target.dict"); fi
    local flags=(-artifact_prefix="$artifacts" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

    if ! "$fuzzer" "${flags[@]}" -runs=0 "$corpus/$target" > "$out.replay.log" 2>&1; then
        printf '%-10s FAILED replaying %s (log: %s)\n' "$target" "$corpus/$target" "$out.replay.log" > "$out.summary"
        return 1
    fi
    local replayed
    replayed="$(find "$corpus/$target" -type f | wc -l)"

    local status=0
    "$fuzzer" "${flags[@]}" ${dict[@]+"${dict[@]}"} -max_total_time="$seconds" "$work" "$corpus/$target" \
        > "$out.fuzz.log" 2>&1 || status=$?
    local line executions speed cov ft
    line="$(grep -E '^#[0-9]+' "$out.fuzz.log" | tail -n 1)"
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out.fuzz.log" | tail -n 1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out.fuzz.log" | tail -n 1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")"
    local crashes
    crashes="$(find "$artifacts" -type f | wc -l)"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        printf '%-10s FAILED (exit %s) after %s executions; input: %s; log: %s\n' \
            "$target" "$status" "${executions:-?}" "$(find "$artifacts" -type f | head -n 1)" "$out.fuzz.log" > "$out.summary"
        return 1
    fi
    printf '%-10s %5s %12s %9s %7s %7s   %s\n' "$target" "$replayed" "${executions:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" \
        "$(grep -oE 'DONE .*' <<<"$line" | head -c 80)" > "$out.summary"
    if [ "$merge" -eq 1 ]; then
        "$fuzzer" -merge=1 -artifact_prefix="$artifacts" "$corpus/$target" "$work" > "$out.merge.log" 2>&1 \
            || { echo "$target: merge failed (log: $out.merge.log)" >> "$out.summary"; return 1; }
        echo "           merged: $(grep -oE 'MERGE-OUTER: [0-9]+ new files.*' "$out.merge.log" | tail -n 1)" >> "$out.summary"
    fi
}

echo "==> fuzzing ${targets[*]}: ${seconds}s each, $jobs at a time"
fuzz_started=$SECONDS
for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    echo "    $target"
    run_target "$target" &
done
wait || true
failed=()
for target in "${targets[@]}"; do
    if [ ! -s "$results/$target.summary" ] || grep -q FAILED "$results/$target.summary"; then failed+=("$target"); fi
done

printf '\n%-10s %5s %12s %9s %7s %7s\n' target corpus executions "exec/s" cov ft
for target in "${targets[@]}"; do cat "$results/$target.summary"; done
for target in ${failed[@]+"${failed[@]}"}; do
    log="$results/$target.fuzz.log"
    [ -s "$log" ] || log="$results/$target.replay.log"
    printf '\n==> %s failed; the end of %s:\n' "$target" "$log"
    grep -E 'ERROR|SUMMARY|property violated|Fatal error|deadly signal|Test unit written|^ +#[0-9]+ ' "$log" | head -n 30 || true
    echo "reproduce: SWIFT_DETERMINISTIC_HASHING=1 $scratch/fuzzers/fuzz-$target <input>"
done
echo
echo "fuzzing took $((SECONDS - fuzz_started))s, $((SECONDS - started))s in all"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
