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
exec bats --timing "$1"
