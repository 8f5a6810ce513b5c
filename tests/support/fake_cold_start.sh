#!/bin/sh
# A stand-in for `gpuval __cold-start STEP --device N` (bench/cold_start.hpp) in the unit tests of
# the parent side: what it prints and how it ends comes from FAKE_COLD_START:
#   ok (default)  one JSON line with every step up to STEP ("cuinit" 100 ms, "context" 50, ...)
#   crash         killed by SIGSEGV before printing
#   hang          sleeps far past any timeout (with a child of its own)
#   garbage       prints a line that is not JSON
#   fail-kernel   the line says the kernel step failed
#   skip-cudnn    the line says the cuDNN module is not installed
# Each call appends its arguments to FAKE_COLD_START_LOG when set.
set -eu
step="${2:-}"
device="${4:-0}"
[ -n "${FAKE_COLD_START_LOG:-}" ] && echo "$*" >>"$FAKE_COLD_START_LOG"
mode="${FAKE_COLD_START:-ok}"
head='{"schema":"gpuval.cold-start/1","step":"'"$step"'","device":'"$device"
case "$mode" in
  crash) kill -SEGV $$ ;;
  hang)
    sleep 300 &
    wait
    ;;
  garbage)
    echo "cuInit took a while"
    exit 0
    ;;
  fail-kernel)
    echo "$head"',"ok":false,"timings_ms":{"dlopen_libcuda":5,"cuinit":100,"context":50},"error":{"step":"kernel","kind":"fail","message":"cudaLaunchKernel: cudaErrorNoKernelImageForDevice","hint":"rebuild for this GPU"}}'
    exit 1
    ;;
  skip-cudnn)
    echo "$head"',"ok":false,"timings_ms":{"dlopen_libcuda":5,"cuinit":100,"context":50,"kernel":8,"cublas_load":30,"cublas":40,"cudnn_load":1},"error":{"step":"cudnn","kind":"skip","message":"cuDNN module not loadable (not-installed)","hint":"install libcudnn9-cuda-13"}}'
    exit 0
    ;;
  *)
    echo "$head"',"ok":true,"timings_ms":{"dlopen_libcuda":5,"cuinit":100,"context":50,"kernel":8,"cublas_load":30,"cublas":40,"cudnn_load":60,"cudnn":70},"cuda_module_loading":null}'
    ;;
esac
