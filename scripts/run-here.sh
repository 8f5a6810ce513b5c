#!/usr/bin/env bash
# Set up this machine, build gpuval (release architectures) and run its main job here:
# `gpuval run`, writing the run document to out/gpuval-run.json. Arguments go to `gpuval run`.
# Exits with gpuval's code: 0 pass, 1 a check failed, 3 no usable GPU here (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/env.sh disable=SC1091
source scripts/env.sh
cmake --preset release -DGPUVAL_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release -j "$(nproc)"
mkdir -p out
exec build/release/cli/gpuval run --out out/gpuval-run.json "$@"
