#!/usr/bin/env bash
# Set up this machine and run gpuval's whole test suite: unit, end-to-end, and (when Podman is
# usable) the container image and scenario tests. GPU tests skip without a visible device.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -x scripts/image/setup-podman.sh ]; then bash scripts/image/setup-podman.sh; fi
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci "$@"
