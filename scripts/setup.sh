#!/usr/bin/env bash
# Install everything gpuval needs to build and test on a Debian 12 (bookworm) machine: compilers,
# libraries, test tools. Idempotent: does nothing when all is present. The CUDA toolkit itself is
# expected at /usr/local/cuda (NVIDIA's packages); this script says how to get it when it is not.
set -euo pipefail

packages=(cmake make g++ git ccache pkg-config libfmt-dev nlohmann-json3-dev libcli11-dev
  libbenchmark-dev libsqlite3-dev libgtest-dev googletest bats shellcheck python3 python3-yaml
  chromium prometheus)
# The fuzz preset (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes, and
# llvm-symbolizer for readable sanitizer stack traces. Clang 16: gpuval uses std::source_location,
# which clang 14 (Debian 12's default clang) cannot compile against libstdc++ 12.
packages+=(clang-16 libclang-rt-16-dev llvm-16)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: not root and no sudo: install as root: ${packages[*]}" >&2
    exit 2
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The run-document schema test uses python's jsonschema.
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "setup: installing python jsonschema"
  python3 -m pip install --quiet --disable-pip-version-check jsonschema 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages jsonschema
fi

if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  cat >&2 <<'MSG'
setup: the CUDA toolkit (nvcc, cuBLAS, cuDNN) was not found at /usr/local/cuda.
  Install it from NVIDIA's Debian repository (packages cuda-toolkit-13-0 and cudnn9-cuda-13),
  or point CUDACXX at nvcc. No GPU is needed to build or test gpuval.
MSG
  exit 2
fi
echo "setup: ok"
