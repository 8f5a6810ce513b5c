# shellcheck shell=bash
# Sourced by scripts/image/*.sh: the names and versions the image build uses, in one place.
# containers/Containerfile carries the same defaults (tests/container checks they agree).

# Base images: docker.io/nvidia/cuda:<CUDA_VERSION>-<CUDNN>-{devel,runtime}-<BASE_OS>.
# "cudnn" (cuDNN 9) is the tag component for CUDA >= 12.3 images; older lines use "cudnn8".
: "${GPUVAL_CUDA_IMAGE:=docker.io/nvidia/cuda}"
: "${GPUVAL_CUDA_VERSION:=13.0.1}"
: "${GPUVAL_CUDNN:=cudnn}"
: "${GPUVAL_BASE_OS:=ubuntu24.04}"
# The architectures users run, plus PTX for newer GPUs (the "release" CMake preset's list).
: "${GPUVAL_RELEASE_ARCHS:=80-real;86-real;89-real;90-real;100-real;120-real;120-virtual}"

# Offline stand-ins (scripts/image/make-base.sh): a Debian base made with mmdebstrap.
: "${GPUVAL_BASE_IMAGE:=localhost/gpuval-base:bookworm}"
: "${GPUVAL_BASE_SUITE:=bookworm}"
# Label that marks a stand-in, so a stand-in is never mistaken for NVIDIA's image.
GPUVAL_STANDIN_LABEL=org.gpuval.stand-in

gpuval_devel_image() {
  echo "${GPUVAL_CUDA_IMAGE}:${GPUVAL_CUDA_VERSION}-${GPUVAL_CUDNN}-devel-${GPUVAL_BASE_OS}"
}
gpuval_runtime_image() {
  echo "${GPUVAL_CUDA_IMAGE}:${GPUVAL_CUDA_VERSION}-${GPUVAL_CUDNN}-runtime-${GPUVAL_BASE_OS}"
}
# Prints "true" for a stand-in, "" for a real image, nothing (and fails) when absent.
gpuval_is_standin() {
  podman image inspect --format "{{index .Labels \"${GPUVAL_STANDIN_LABEL}\"}}" "$1" 2>/dev/null
}
