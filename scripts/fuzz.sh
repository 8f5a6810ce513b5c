#!/usr/bin/env bash
# Build gpuval's libFuzzer targets (the fuzz preset: clang, ASan + UBSan; tests/fuzz/) and fuzz
# each one for SECONDS (default 60), starting from its committed seed corpus
# (tests/fuzz/corpus/<target>/) and the working corpus earlier runs grew (build/fuzz/corpus/).
# Prints one line per target (executions, corpus size, outcome) and exits 1 when any target
# found a crash, a failed property, a leak, a timeout (10 s per input) or an input that needs
# more than 2 GiB; the input is saved under build/fuzz/artifacts/<target>/ (libFuzzer's log
# beside it): add it to tests/fuzz/corpus/<target>/ as crash-<what> with a regression test.
# Targets run GPUVAL_FUZZ_JOBS at a time (default: one per CPU); GPUVAL_FUZZ_RUNS=N stops each
# target after N executions (SECONDS still caps it): `GPUVAL_FUZZ_RUNS=1000000 scripts/fuzz.sh
# 3600` is the long run docs/testing.md reports.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      CI runs `scripts/fuzz.sh 5` (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]  (SECONDS: a positive integer)" >&2
  exit 2
fi
bash scripts/setup.sh
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

bin=build/fuzz/tests/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/targets/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
for t in "${targets[@]}"; do
  if [ ! -x "$bin/fuzz_$t" ]; then
    echo "scripts/fuzz.sh: no fuzz target $t (tests/fuzz/targets/$t.cpp)" >&2
    exit 2
  fi
done
jobs=${GPUVAL_FUZZ_JOBS:-$(nproc)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:protect_shadow_gap=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() {
  local t=$1 work=build/fuzz/corpus/$1 art=build/fuzz/artifacts/$1
  mkdir -p "$work" "$art"
  local dict=() runs=()
  if [ -f "tests/fuzz/dict/$t.dict" ]; then dict=(-dict="tests/fuzz/dict/$t.dict"); fi
  if [ -n "${GPUVAL_FUZZ_RUNS:-}" ]; then runs=(-runs="$GPUVAL_FUZZ_RUNS"); fi
  local rc=0
  "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" "${runs[@]}" "$work" "tests/fuzz/corpus/$t" \
    >"$art/log" 2>&1 || rc=$?
  echo "$rc" >"$art/rc"
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
printf '%-22s %12s %10s %8s %8s  %s\n' target execs exec/s seconds corpus result
for t in "${targets[@]}"; do
  art=build/fuzz/artifacts/$t
  rc=$(cat "$art/rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$art/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$art/log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$art/log" | tail -1)
  corpus=$(find "build/fuzz/corpus/$t" -type f | wc -l)
  result=ok
  if [ "$rc" != 0 ]; then
    failed=1
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |FUZZ_CHECK failed|runtime error' "$art/log" || echo "see $art/log")"
    result+=" $(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$art/log" | tail -1)"
  fi
  printf '%-22s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${took:-?}" "$corpus" \
    "$result"
done
echo "fuzz: done in $(($(date +%s) - start)) s; logs and crash inputs in build/fuzz/artifacts/"
if [ "$failed" != 0 ]; then
  echo "fuzz: a target failed; reproduce with build/fuzz/tests/fuzz/fuzz_<target> <input>" >&2
  exit 1
fi
