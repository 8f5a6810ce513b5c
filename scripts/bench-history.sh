#!/usr/bin/env bash
# Measure the history index at a fleet's scale: generates a results history of real documents
# with tests/support/gen_history.py (default 200 nodes x 250 nights x 2 modes = 100,000 documents,
# ~2.7 GB), indexes it (`gpuval history reindex`: documents/s), times `gpuval report` over the
# index and over the documents (warm and cold page cache, peak memory; both reports must be
# byte-identical), adds one more night (`gpuval history add`), then fills a second index with
# 1,000 nodes x 500 nights x 2 modes = 1,000,000 runs straight from generated summaries
# (tests/perf/history_index_benchmark.cpp: the documents would be ~27 GB) and times the report
# over it. Every measurement is a JSON line in WORK/measurements.jsonl (tests/perf/measure.py).
#
# Usage: [JOBS=N] scripts/bench-history.sh [--work DIR] [--bin DIR] [--nodes N] [--nights N]
#          [--populate-nodes N] [--populate-nights N] [--no-documents] [--no-populate]
#   --bin DIR  use gpuval and gpuval_index_bench from this build (e.g. build/ci) instead of
#              building a Release tree in build/bench-report
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"

work=build/bench-history
bin=""
nodes=200
nights=250
pnodes=1000
pnights=500
documents=1
populate=1
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --nights) nights="$2"; shift 2 ;;
    --populate-nodes) pnodes="$2"; shift 2 ;;
    --populate-nights) pnights="$2"; shift 2 ;;
    --no-documents) documents=0; shift ;;
    --no-populate) populate=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-history.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$bin" ]; then
  # shellcheck source=scripts/env.sh disable=SC1091
  source scripts/env.sh
  build=build/bench-report
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=80-real >/dev/null
  cmake --build "$build" --target gpuval gpuval_index_bench -j "${JOBS:-$(nproc)}"
  gpuval="$src/$build/cli/gpuval"
  bench="$src/$build/tests/perf/gpuval_index_bench"
else
  gpuval="$(cd "$bin" && pwd)/cli/gpuval"
  bench="$(cd "$bin" && pwd)/tests/perf/gpuval_index_bench"
fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
log="$work/measurements.jsonl"
: >"$log"
measure() { python3 "$src/tests/perf/measure.py" --log "$log" "$@"; }
echo "bench-history.sh: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
gen() { python3 "$src/tests/support/gen_history.py" "$@"; }

h100=$((nodes - nodes / 2))
a100=$((nodes / 2))
effects=(--driver-upgrade "$((nights / 3)):560.35.03" --driver-upgrade "$((2 * nights / 3)):570.86.10"
  --regress "gpu-h100-02:stream-triad:$((nights - 5)):0.85" --slow-node gpu-h100-03:gemm-bf16:0.8)

if [ "$documents" = 1 ]; then
  hist="$work/history-${nodes}x${nights}"
  if [ ! -f "$hist/.complete" ]; then
    rm -rf "$hist"
    echo "bench-history.sh: generating $((nodes * nights * 2)) run documents in $hist ..." >&2
    gen "$hist" --nights "$nights" --models "h100:$h100,a100:$a100" "${effects[@]}" \
      --layout history --jobs "${JOBS:-$(nproc)}"
    touch "$hist/.complete"
  fi
  rm -f "$hist/_index.sqlite" "$hist/_index.sqlite-wal" "$hist/_index.sqlite-shm"
  ndocs="$(find "$hist" -name '*.json' | wc -l)"
  echo "bench-history.sh: $ndocs documents, $(du -sh "$hist" | cut -f1)" >&2
  measure --cold "$hist" "reindex $ndocs documents (cold)" -- "$gpuval" history reindex --history "$hist"
  measure "report over the documents (warm)" -- \
    "$gpuval" report "$hist" --no-index --md "$work/folder.md" --html "$work/folder.html"
  measure --cold "$hist" "report over the documents (cold)" -- \
    "$gpuval" report "$hist" --no-index --md "$work/folder.md" --html "$work/folder.html"
  measure "report over the index (warm)" -- \
    "$gpuval" report "$hist" --md "$work/index.md" --html "$work/index.html"
  measure --cold "$hist/_index.sqlite" "report over the index (cold)" -- \
    "$gpuval" report "$hist" --md "$work/index.md" --html "$work/index.html"
  cmp "$work/folder.md" "$work/index.md"
  cmp "$work/folder.html" "$work/index.html"
  echo "bench-history.sh: the reports over the index and over the documents are identical" >&2
  # One more night, filed as the nightly files it: only its documents are read.
  night="$work/night-$nights"
  rm -rf "$night"
  gen "$night" --nights "$((nights + 1))" --first-night "$nights" --jobs 1 \
    --models "h100:$h100,a100:$a100" "${effects[@]}" 2>/dev/null
  measure "history add one night ($((nodes * 2)) documents)" -- \
    "$gpuval" history add --history "$hist" "$night" >/dev/null
  measure "history check one night, index" -- \
    "$gpuval" history check --history "$hist" "$night" --prom "$work/night.prom" >/dev/null || true
  echo "bench-history.sh: $(grep -c "^gpuval_last_run_timestamp_seconds{" "$work/night.prom" || true) series with their latest run in night.prom" >&2
  # Leave the generated history as it was generated (the next run re-indexes it anyway).
  day="$(date -u -d "2026-10-01 + $nights days" +%Y-%m-%d)"
  find "$hist" -mindepth 4 -maxdepth 4 -type d -name "$day" -exec rm -r {} +
fi

if [ "$populate" = 1 ]; then
  ph100=$((pnodes - pnodes / 2))
  pa100=$((pnodes / 2))
  sample="$work/sample-${pnodes}"
  if [ ! -f "$sample/.complete" ]; then
    rm -rf "$sample"
    gen "$sample" --nights 1 --models "h100:$ph100,a100:$pa100" \
      --slow-node gpu-h100-03:gemm-bf16:0.8 2>/dev/null
    touch "$sample/.complete"
  fi
  big="$work/populated-${pnodes}x${pnights}"
  rm -rf "$big"
  measure "populate $((pnodes * pnights * 2)) runs from summaries" -- \
    "$bench" populate "$sample" "$big" --nights "$pnights"
  measure "report over $((pnodes * pnights * 2)) indexed runs (warm)" -- \
    "$gpuval" report "$big" --md "$work/big.md" --html "$work/big.html"
  measure --cold "$big/_index.sqlite" "report over $((pnodes * pnights * 2)) indexed runs (cold)" -- \
    "$gpuval" report "$big" --md "$work/big.md" --html "$work/big.html"
  echo "bench-history.sh: index $(du -h "$big/_index.sqlite" | cut -f1)" >&2
  head -3 "$work/big.md" >&2
fi
echo "bench-history.sh: measurements in $log" >&2
