#!/usr/bin/env bash
# gpu-check.sh: everything gpuval checks on a real GPU, in one command, for a lent GPU machine.
#
#   scripts/gpu-check.sh [all|build|test|sanitize|run]...   (default: all)
#     build     configure the release preset for sm_${GPU_CHECK_ARCH:-90} and build gpuval, the
#               probe modules and the GPU tests (in build/gpu-check; kept between calls)
#     test      ctest -L gpu (each probe passes; each comparison FAILs on an injected fault)
#     sanitize  compute-sanitizer memcheck / racecheck / initcheck / synccheck on gpuval's kernels
#               (gpuval_gpu_tests --gtest_filter='Kernels*'), and memcheck on the GPU checks
#     run       gpuval run --full --out $OUT/run-full.json
#   scripts/gpu-check.sh --stage-deps DIR
#     Here, on the development machine: copy the build dependencies the GPU machine may lack
#     (fmt, nlohmann_json, CLI11, GoogleTest, Google Benchmark: headers, libraries and CMake
#     package files) into DIR, a relocatable prefix. The default DIR, build/gpudeps, is ignored by
#     git; carry it with the call. Nothing is ever fetched from the network.
#
# Outputs go to $OUT (the device tool's folder; ./out/gpu-check otherwise): build.log, ctest.log,
# sanitizer.log, run-full.json, run.log, gpu-info.txt, summary.txt. The summary table is printed
# last. Exit: 0 all passed, 1 a step failed, 2 a tool or dependency is missing, 77 no GPU here
# (set GPU_CHECK_BUILD_WITHOUT_GPU=1 to build and run the steps anyway, e.g. to test this script).
#
# Environment: GPU_CHECK_ARCH (90), GPU_CHECK_DEPS (build/gpudeps), GPU_CHECK_BUILD_DIR
# (build/gpu-check), GPU_CHECK_RUN_TIMEOUT (300 s for `gpuval run --full`), GPU_CHECK_WERROR (the
# preset's: OFF for release),
# CUDNN_ROOT (found beside the toolkit, in /usr, or in Python's nvidia-cudnn wheel otherwise).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ARCH=${GPU_CHECK_ARCH:-90}
DEPS=${GPU_CHECK_DEPS:-build/gpudeps}
BUILD=${GPU_CHECK_BUILD_DIR:-build/gpu-check}
RUN_TIMEOUT=${GPU_CHECK_RUN_TIMEOUT:-300}
OUT_DIR=${OUT:-$ROOT/out/gpu-check}
JOBS=$(nproc 2>/dev/null || echo 4)

SUMMARY=()   # "step|result|seconds|note"
FAILED=0

log() { printf '[gpu-check] %s\n' "$*" >&2; }

record() {  # step result seconds note
  SUMMARY+=("$1|$2|$3|$4")
  if [[ $2 == FAIL ]]; then FAILED=1; fi
}

print_summary() {
  local line step result secs note
  {
    printf '\n%-22s %-6s %7s  %s\n' STEP RESULT SECONDS NOTE
    for line in "${SUMMARY[@]}"; do
      IFS='|' read -r step result secs note <<<"$line"
      printf '%-22s %-6s %7s  %s\n' "$step" "$result" "$secs" "$note"
    done
  } | tee "$OUT_DIR/summary.txt"
}

# --- --stage-deps: run on the development machine -------------------------------------------
stage_deps() {
  local dest=$1 multiarch
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  local libdir=/usr/lib/$multiarch
  mkdir -p "$dest/include" "$dest/lib/$multiarch/cmake" "$dest/share/cmake"
  local d
  for d in fmt nlohmann CLI gtest gmock benchmark; do
    [[ -d /usr/include/$d ]] || { log "missing /usr/include/$d: install the -dev package first"; exit 2; }
    cp -a "/usr/include/$d" "$dest/include/"
  done
  for d in fmt GTest benchmark; do cp -a "$libdir/cmake/$d" "$dest/lib/$multiarch/cmake/"; done
  for d in nlohmann_json CLI11; do cp -a "/usr/share/cmake/$d" "$dest/share/cmake/"; done
  cp -a "$libdir"/libfmt.so* "$libdir"/libbenchmark*.so* "$libdir"/libbenchmark_main.a \
    "$libdir"/libgtest*.a "$libdir"/libgmock*.a "$dest/lib/$multiarch/"
  log "staged build dependencies in $dest ($(du -sh "$dest" | cut -f1)); carry it with the call"
}

if [[ ${1:-} == --stage-deps ]]; then
  stage_deps "${2:-$DEPS}"
  exit 0
fi

STEPS=("$@")
[[ ${#STEPS[@]} -eq 0 ]] && STEPS=(all)
want() {
  local s
  for s in "${STEPS[@]}"; do [[ $s == all || $s == "$1" ]] && return 0; done
  return 1
}
for s in "${STEPS[@]}"; do
  case $s in all | build | test | sanitize | run) ;; *) log "unknown step '$s'"; exit 2 ;; esac
done

mkdir -p "$OUT_DIR"

# --- is there a GPU? ------------------------------------------------------------------------
gpu_present() {
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    return 0
  fi
  compgen -G '/dev/nvidia[0-9]*' >/dev/null
}
if ! gpu_present; then
  if [[ ${GPU_CHECK_BUILD_WITHOUT_GPU:-0} != 1 ]]; then
    echo "gpu-check: no NVIDIA GPU on this machine (nvidia-smi -L lists none, no /dev/nvidia0):" \
      "nothing to check here. Run it on a lent GPU machine." >&2
    exit 77
  fi
  log "no GPU, but GPU_CHECK_BUILD_WITHOUT_GPU=1: running the steps anyway (GPU tests skip)"
else
  { nvidia-smi || true; nvidia-smi -q -d ECC,CLOCK,PERFORMANCE 2>/dev/null || true; } \
    >"$OUT_DIR/gpu-info.txt" 2>&1
  log "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
fi

# --- tools and dependencies (nothing is fetched) ----------------------------------------------
export PATH="$PATH:/usr/local/cuda/bin"
missing=()
for tool in cmake nvcc c++; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "missing tools: ${missing[*]} (this script installs nothing from the network)"
  record tools FAIL 0 "missing: ${missing[*]}"
  print_summary
  exit 2
fi

prefix_path=""
if [[ -d $DEPS ]]; then
  prefix_path=$(cd "$DEPS" && pwd)
  log "using staged dependencies in $prefix_path"
fi

find_cudnn_root() {
  if [[ -n ${CUDNN_ROOT:-} ]]; then echo "$CUDNN_ROOT"; return; fi
  local cuda_root
  cuda_root=$(dirname "$(dirname "$(command -v nvcc)")")
  if [[ -f $cuda_root/include/cudnn.h ]]; then echo "$cuda_root"; return; fi
  if [[ -f /usr/include/cudnn.h ]]; then echo /usr; return; fi
  local py
  for py in python3 /opt/torch/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    local dir
    dir=$("$py" -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null) || continue
    if [[ -f $dir/include/cudnn.h ]]; then echo "$dir"; return; fi
  done
}
CUDNN_DIR=$(find_cudnn_root || true)
if [[ -n $CUDNN_DIR ]]; then
  log "cuDNN: $CUDNN_DIR"
  export LD_LIBRARY_PATH="$CUDNN_DIR/lib:${LD_LIBRARY_PATH:-}"
else
  log "cuDNN not found: the cudnn check will SKIP"
fi

# --- build ------------------------------------------------------------------------------------
if want build; then
  t0=$SECONDS
  cmake_args=(--preset release -B "$BUILD" "-DCMAKE_CUDA_ARCHITECTURES=$ARCH")
  # The release preset builds without -Werror (GCC 12 -O2 false positives); the warnings are
  # counted in the summary, and GPU_CHECK_WERROR=ON makes them fatal.
  [[ -n ${GPU_CHECK_WERROR:-} ]] && cmake_args+=("-DGPUVAL_WERROR=$GPU_CHECK_WERROR")
  [[ -n $prefix_path ]] && cmake_args+=("-DCMAKE_PREFIX_PATH=$prefix_path")
  [[ -n $CUDNN_DIR ]] && cmake_args+=("-DCUDNN_ROOT=$CUDNN_DIR")
  if { cmake "${cmake_args[@]}" &&
    cmake --build "$BUILD" -j "$JOBS" --target gpuval gpuval_gpu_tests; } >"$OUT_DIR/build.log" 2>&1; then
    probes=""
    for f in "$BUILD"/lib/libgpuval_probe_*.so; do
      if [[ -e $f ]]; then probes+="$(basename "$f") "; fi
    done
    warnings=$(grep -c 'warning:' "$OUT_DIR/build.log" || true)
    record build PASS $((SECONDS - t0)) "sm_$ARCH; $warnings warnings; modules: ${probes:-none}"
  else
    tail -30 "$OUT_DIR/build.log" >&2
    record build FAIL $((SECONDS - t0)) "see build.log"
    print_summary
    exit 1
  fi
fi

GPU_TESTS=$BUILD/tests/gpuval_gpu_tests
GPUVAL=$BUILD/cli/gpuval

# --- GPU tests --------------------------------------------------------------------------------
if want test; then
  t0=$SECONDS
  set +e
  # -V keeps gtest's per-test lines in the log, passing or not.
  ctest --test-dir "$BUILD" -L gpu -V >"$OUT_DIR/ctest.log" 2>&1
  rc=$?
  set -e
  passed=$(grep -c '\[       OK \]' "$OUT_DIR/ctest.log" || true)
  failed=$({ grep -Eo '\[  FAILED  \] [A-Za-z][A-Za-z0-9_.]*' "$OUT_DIR/ctest.log" || true; } |
    sort -u | wc -l)
  if grep -q 'Skipped' "$OUT_DIR/ctest.log" && ! gpu_present; then
    record "ctest -L gpu" SKIP $((SECONDS - t0)) "no GPU: exit 77"
  elif [[ $rc -eq 0 ]]; then
    record "ctest -L gpu" PASS $((SECONDS - t0)) "$passed gtest cases passed"
  else
    record "ctest -L gpu" FAIL $((SECONDS - t0)) "$failed failed (see ctest.log)"
  fi
fi

# --- compute-sanitizer ------------------------------------------------------------------------
find_sanitizer() {
  local c
  for c in compute-sanitizer /usr/local/cuda/bin/compute-sanitizer \
    /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
  done
}
if want sanitize; then
  SANITIZER=$(find_sanitizer || true)
  : >"$OUT_DIR/sanitizer.log"
  if ! gpu_present; then
    record sanitizer SKIP 0 "no GPU"
  elif [[ -z $SANITIZER ]]; then
    record sanitizer FAIL 0 "compute-sanitizer not found"
  else
    run_tool() {  # name filter extra-args...
      local tool=$1 filter=$2 t0=$SECONDS
      shift 2
      echo "=== $tool ($filter)" >>"$OUT_DIR/sanitizer.log"
      if "$SANITIZER" --tool "$tool" --error-exitcode 99 "$@" "$GPU_TESTS" \
        --gtest_filter="$filter" >>"$OUT_DIR/sanitizer.log" 2>&1; then
        record "sanitizer $tool" PASS $((SECONDS - t0)) "$filter"
      else
        local errors
        errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+' "$OUT_DIR/sanitizer.log" | tail -1)
        record "sanitizer $tool" FAIL $((SECONDS - t0)) "$filter: ${errors:-see sanitizer.log}"
      fi
    }
    run_tool memcheck 'Kernels*' --leak-check full
    run_tool racecheck 'Kernels*' --racecheck-report all
    run_tool initcheck 'Kernels*'
    run_tool synccheck 'Kernels*'
    # The checks' own host code around the kernels (not cuBLAS/cuDNN internals).
    run_tool memcheck 'GpuChecks.CudaCompute*:GpuChecks.PtxJit*:GpuChecks.MemoryPattern*'
  fi
fi

# --- gpuval run --full ------------------------------------------------------------------------
if want run; then
  t0=$SECONDS
  set +e
  timeout "$RUN_TIMEOUT" "$GPUVAL" run --full --no-color --out "$OUT_DIR/run-full.json" \
    >"$OUT_DIR/run.log" 2>&1
  rc=$?
  set -e
  note="exit $rc"
  if [[ -f $OUT_DIR/run-full.json ]] && command -v python3 >/dev/null 2>&1; then
    note+="; "$(python3 - "$OUT_DIR/run-full.json" <<'EOF' 2>/dev/null || true
import json, sys
doc = json.load(open(sys.argv[1]))
by_id = {c["id"]: c["status"] for c in doc.get("checks", [])}
ids = ["cuda-compute", "ptx-jit", "cublas", "cudnn", "memory-pattern"]
print(" ".join(f"{i}={by_id.get(i, '?')}" for i in ids), "verdict=" + doc["verdict"]["status"])
EOF
    )
  fi
  case $rc in
    0) record "gpuval run --full" PASS $((SECONDS - t0)) "$note" ;;
    3) record "gpuval run --full" "$(gpu_present && echo FAIL || echo SKIP)" $((SECONDS - t0)) "$note (no usable GPU)" ;;
    124) record "gpuval run --full" FAIL $((SECONDS - t0)) "timed out after ${RUN_TIMEOUT}s" ;;
    *) record "gpuval run --full" FAIL $((SECONDS - t0)) "$note (see run.log)" ;;
  esac
  # The GPU checks' lines, for the reply's tail.
  grep -E '^(PASS|WARN|FAIL|SKIP) +(cuda-compute|ptx-jit|cublas|cudnn|memory-pattern) ' \
    "$OUT_DIR/run.log" >&2 || true
fi

print_summary
exit "$FAILED"
