#!/usr/bin/env bash
# Build the gpuval image from containers/Containerfile, tagged <name>:latest and <name>:<git sha>
# (the sha gets "-dirty" when the checkout has uncommitted changes).
#
#   scripts/image/build.sh [--offline] [--cuda-archs LIST] [--name NAME] [--jobs N]
#                          [--ccache DIR | --no-ccache]
#
# Online (default): FROM NVIDIA's docker.io/nvidia/cuda images, pulled when missing.
# --offline (CI, no registry): FROM the Debian stand-ins made by make-base.sh (run here first),
#   never pulling, with the build machine's CUDA toolkit bind-mounted at /usr/local/cuda.
# --cuda-archs: CMake CUDA_ARCHITECTURES (default: the release list; CI passes one, e.g. 80-real).
# --ccache DIR: compiler cache mounted into the build step (default with --offline:
#   ~/.cache/gpuval/image-ccache), so a rebuild after a small change recompiles little.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/image/config.sh
source "$here/config.sh"

offline=false
archs=${GPUVAL_CUDA_ARCHS:-$GPUVAL_RELEASE_ARCHS}
name=gpuval
jobs=$(nproc)
ccache=default
usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --offline) offline=true ;;
    --cuda-archs) archs=${2:?--cuda-archs needs a value}; shift ;;
    --name) name=${2:?--name needs a value}; shift ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift ;;
    --ccache) ccache=${2:?--ccache needs a directory}; shift ;;
    --no-ccache) ccache= ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "build.sh: $*" >&2; }

sha=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$sha" != unknown ] && [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]; then
  sha="$sha-dirty"
fi
version=$(sed -n 's/^project(gpuval VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
source_url=$(git -C "$root" remote get-url origin 2>/dev/null || true)

args=(
  --layers
  -f "$root/containers/Containerfile"
  --ignorefile "$root/containers/containerignore"
  --build-arg "CUDA_IMAGE=$GPUVAL_CUDA_IMAGE"
  --build-arg "CUDA_VERSION=$GPUVAL_CUDA_VERSION"
  --build-arg "CUDNN=$GPUVAL_CUDNN"
  --build-arg "BASE_OS=$GPUVAL_BASE_OS"
  --build-arg "CUDA_ARCHITECTURES=$archs"
  --build-arg "GIT_SHA=$sha"
  --build-arg "VERSION=${version:-unknown}"
  --build-arg "BUILD_JOBS=$jobs"
  -t "$name:latest" -t "$name:$sha"
)
if [ -n "$source_url" ]; then args+=(--build-arg "IMAGE_SOURCE=$source_url"); fi

if $offline; then
  "$here/make-base.sh"
  cuda=$(readlink -f /usr/local/cuda 2>/dev/null || true)
  if [ ! -x "$cuda/bin/nvcc" ]; then
    log "--offline needs the CUDA toolkit at /usr/local/cuda on this machine (nvcc not found)"
    exit 2
  fi
  args+=(--pull=never -v "$cuda:/usr/local/cuda:ro")
  if [ "$ccache" = default ]; then ccache=${XDG_CACHE_HOME:-$HOME/.cache}/gpuval/image-ccache; fi
else
  for image in "$(gpuval_devel_image)" "$(gpuval_runtime_image)"; do
    if [ "$(gpuval_is_standin "$image")" = true ]; then
      log "$image is an offline stand-in, not NVIDIA's image: build with --offline, or remove" \
        "it (podman rmi $image) to pull the real one"
      exit 2
    fi
  done
  args+=(--pull=missing)
fi

if [ "$ccache" = default ]; then ccache=; fi
if [ -n "$ccache" ]; then
  mkdir -p "$ccache"
  args+=(-v "$(cd "$ccache" && pwd):/ccache")
fi

log "building $name:latest and $name:$sha ($($offline && echo offline || echo online)," \
  "CUDA archs $archs)"
start=$SECONDS
podman build "${args[@]}" "$root"
log "built $name:$sha in $((SECONDS - start)) s"
