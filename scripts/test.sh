#!/usr/bin/env bash
# Set up this machine and run gpuval's whole test suite (docs/testing.md):
#   1. the ci preset: unit, end-to-end and, when Podman is usable, the container image and
#      scenario tests; GPU tests skip without a visible device;
#   2. the asan preset: the unit and end-to-end tests again, under AddressSanitizer and UBSan;
#   3. scripts/fuzz.sh: every fuzz target for GPUVAL_FUZZ_SECONDS seconds (default 5; 0 skips).
# Each step runs even when an earlier one failed; the exit status is 1 when any did.
# Usage: scripts/test.sh [ctest arguments, e.g. -L unit]: with arguments, only step 1's ctest
# runs, with them (for iterating on one part).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -x scripts/image/setup-podman.sh ]; then bash scripts/image/setup-podman.sh; fi
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
if [ $# -gt 0 ]; then exec ctest --preset ci "$@"; fi

failed=()
step() {
  local name=$1 start=$SECONDS
  shift
  echo "test: $name"
  if "$@"; then
    echo "test: $name: passed in $((SECONDS - start)) s"
  else
    echo "test: $name: FAILED after $((SECONDS - start)) s" >&2
    failed+=("$name")
  fi
}
asan() {
  cmake --preset asan >/dev/null && cmake --build --preset asan && ctest --preset asan
}
step "ci preset (unit, e2e, container, gpu)" ctest --preset ci
step "asan preset (unit, e2e under ASan + UBSan)" asan
fuzz_seconds="${GPUVAL_FUZZ_SECONDS:-5}"
if [ "$fuzz_seconds" != 0 ]; then step "fuzzing, $fuzz_seconds s per target" scripts/fuzz.sh "$fuzz_seconds"; fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "test: FAILED: $(printf '%s; ' "${failed[@]}")" >&2
  exit 1
fi
echo "test: every step passed"
