#!/usr/bin/env bash
# CTest fixture: build the gpuval image offline (Debian stand-ins for NVIDIA's base images, the
# machine's CUDA toolkit mounted in) as $GPUVAL_IMAGE_NAME:latest, for the scenario tests.
# Exit 77 only when Podman is unusable; a failed base or image build is a test failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/container/podman_usable.sh
source "$here/podman_usable.sh"

start=$SECONDS
"$root/scripts/image/build.sh" --offline --name "${GPUVAL_IMAGE_NAME:-localhost/gpuval-test}" \
  --cuda-archs "${GPUVAL_IMAGE_CUDA_ARCHS:-80-real}" --jobs "${GPUVAL_IMAGE_JOBS:-$(nproc)}"
echo "container image ready in $((SECONDS - start)) s"
