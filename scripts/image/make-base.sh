#!/usr/bin/env bash
# Make the images containers/Containerfile builds FROM without a registry (CI reaches only Debian
# mirrors and PyPI): a Debian bookworm base made with mmdebstrap + `podman import`, and stand-ins
# tagged exactly as NVIDIA's images (docker.io/nvidia/cuda:<ver>-cudnn-{devel,runtime}-ubuntu24.04):
#  - devel: base + compilers, the CUDA toolkit comes from the build machine, bind-mounted at
#    /usr/local/cuda during `podman build` (scripts/image/build.sh --offline);
#  - runtime: base only, since gpuval links cudart statically and dlopens libcuda.
# Both carry NVIDIA's image environment (PATH, NVIDIA_*) and the label org.gpuval.stand-in=true.
# Cached: the base is made once (delete it with `podman rmi` to refresh); a real NVIDIA image
# already present under a stand-in's name is never replaced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/image/config.sh
source "$here/config.sh"

log() { echo "make-base: $*" >&2; }

if ! podman image exists "$GPUVAL_BASE_IMAGE"; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  log "building $GPUVAL_BASE_IMAGE with mmdebstrap ($GPUVAL_BASE_SUITE, minbase)"
  start=$SECONDS
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$GPUVAL_BASE_SUITE" "$tmp/base.tar"
  podman import --quiet \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tmp/base.tar" "$GPUVAL_BASE_IMAGE" >/dev/null
  log "base ready in $((SECONDS - start)) s"
else
  log "$GPUVAL_BASE_IMAGE present (cached)"
fi

make_standin() { # $1: devel|runtime, $2: image name
  local flavour=$1 name=$2 standin
  if standin=$(gpuval_is_standin "$name") && [ "$standin" != true ]; then
    log "$name is a real image: kept"
    return
  fi
  log "stand-in $name"
  podman build --quiet --pull=never --layers \
    --build-arg BASE="$GPUVAL_BASE_IMAGE" \
    --build-arg CUDA_VERSION="$GPUVAL_CUDA_VERSION" \
    --label "$GPUVAL_STANDIN_LABEL=true" \
    -f "$root/containers/standin/$flavour.Containerfile" -t "$name" \
    "$root/containers/standin" >/dev/null
}

make_standin devel "$(gpuval_devel_image)"
make_standin runtime "$(gpuval_runtime_image)"
log "ok"
