#!/usr/bin/env bash
# CTest wrapper for one file of container scenarios: skip (77) only when Podman is unusable, fail
# when the image the fixture should have built is missing, else run the file with bats.
# Usage: run_scenarios.sh FILE.bats
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/container/podman_usable.sh
source "$here/podman_usable.sh"

image=${GPUVAL_IMAGE:-localhost/gpuval-test:latest}
if ! podman image exists "$image"; then
  echo "FAIL: image $image is missing: the container_build test (tests/container/build_image.sh)" \
    "must build it first" >&2
  exit 1
fi
# A file whose every scenario skipped (e.g. rootless Podman unusable here) is a skip for CTest,
# not a pass.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
bats --timing "$1" | tee "$out"
rc=${PIPESTATUS[0]}
set -e
total=$(grep -c '^ok ' "$out" || true)
skipped=$(grep -c '^ok .* # skip' "$out" || true)
if [ "$rc" -eq 0 ] && [ "$total" -gt 0 ] && [ "$total" -eq "$skipped" ]; then
  echo "all $total scenarios skipped" >&2
  exit 77
fi
exit "$rc"
