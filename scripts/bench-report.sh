#!/usr/bin/env bash
# Measure `gpuval report` on a generated fleet history: builds tests/perf/report_benchmark.cpp
# (Release) in build/bench-report, generates the documents once with tests/support/gen_history.py
# (10,000 by default: 100 nodes x 50 nights x bare metal + container, ~28 KB each) and runs the
# benchmark. The target is well under 5 s end to end on a 2-core machine.
# Usage: [JOBS=N] scripts/bench-report.sh [--nodes N] [--nights N] [--repetitions N] [--benchmark_* ...]
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=100
nights=50
repetitions=5
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --nights) nights="$2"; shift 2 ;;
    --repetitions) repetitions="$2"; shift 2 ;;
    --benchmark_*) extra+=("$1"); shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "bench-report.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh
build=build/bench-report
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=80-real >/dev/null
cmake --build "$build" --target gpuval_report_benchmark -j "${JOBS:-$(nproc)}"

h100=$((nodes - nodes / 2))
a100=$((nodes / 2))
data="$build/history-${nodes}x${nights}"
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  echo "bench-report.sh: generating $((nodes * nights * 2)) run documents in $data ..." >&2
  python3 tests/support/gen_history.py "$data" --nights "$nights" \
    --models "h100:$h100,a100:$a100" --driver-upgrade "$((nights / 3)):560.35.03" \
    --driver-upgrade "$((2 * nights / 3)):570.86.10" \
    --regress "gpu-h100-02:stream-triad:$((nights - 5)):0.85" \
    --slow-node gpu-h100-03:gemm-bf16:0.8 --layout host
  touch "$data/.complete"
fi
echo "bench-report.sh: $(find "$data" -name '*.json' | wc -l) documents, $(du -sh "$data" | cut -f1)" >&2

"$build/tests/perf/gpuval_report_benchmark" "$data" \
  --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
  ${extra[@]+"${extra[@]}"}
